"""What the generated state machine costs, and how fast it covers the spec.

Two measurements, side by side in one run:

* **Steps per second.** The generated machine (``asgiws.testing.websocket_machine``
  against ``asgiws.WebSocket``) and a machine with the same rules, the same
  argument strategies and the same setup, whose rules do nothing. The empty
  one is Hypothesis's ceiling: drawing a rule and its arguments is what a
  step costs before anything is tested. Every round builds both classes
  anew, so that each run of the generated machine pays for its sweep. Rounds
  alternate which machine goes first; the ratio generated/empty is taken
  within each round and the median reported.
* **Time to full pair coverage.** From the start of a run of the generated
  machine to the moment its coverage record holds every (spec version, side,
  state, message type) pair, checked at the end of each example. The run is
  derandomized, so every round makes the same draws; the median is taken
  over the rounds' timings. A run has the ``ci`` profile's 50 examples. The
  sweep that opens the first example does most of it: for comparison the
  table also shows what the random rules reach on their own
  (``sweep_first=False``) in the same run.

Run: ``python bench/fuzz.py [--rounds N] [--quick]``. The last line is
``steps_ratio=R coverage_s=T pairs=H/N``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, cast

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

import asgiws
from asgiws.coverage import Coverage, all_pairs
from asgiws.spec import SpecVersion
from asgiws.testing import websocket_machine
from asgiws.testing.machine import rule_specs, setups

Machine = type[RuleBasedStateMachine]


VERSIONS = tuple(SpecVersion)


class _Empty(RuleBasedStateMachine):
    steps = 0

    @initialize(setup=setups(VERSIONS))
    def connection(self, setup: Any) -> None:
        """Draw the setup and do nothing with it."""

    @initialize()
    def sweep_every_state(self) -> None:
        """Do nothing, where the generated machine sweeps once."""


def empty_machine() -> Machine:
    """The generated machine's rules and strategies, with empty bodies and no preconditions."""

    def make(name: str, arguments: dict[str, st.SearchStrategy[Any]]) -> Any:
        def step(self: _Empty, **drawn: Any) -> None:
            type(self).steps += 1

        step.__name__ = step.__qualname__ = name
        return cast(Any, rule)(**arguments)(step)

    namespace = {spec.name: make(spec.name, spec.arguments) for spec in rule_specs()}
    namespace["new_connection"] = make("new_connection", {"setup": setups(VERSIONS)})
    return type("EmptyMachine", (_Empty,), {"steps": 0, **namespace})


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, database=None, derandomize=True, deadline=None, stateful_step_count=50)


def steps_per_second(machine: Machine, examples: int) -> float:
    """Run ``examples`` examples and return the rules run per second."""
    before = machine.steps  # type: ignore[attr-defined]
    # CPU time of this process: waiting for a core another process holds (the
    # machines are shared) is not the machine's cost.
    start = time.process_time()
    run_state_machine_as_test(machine, settings=_settings(examples))
    elapsed = time.process_time() - start
    return float(machine.steps - before) / elapsed  # type: ignore[attr-defined]


def time_to_coverage(examples: int, *, sweep_first: bool = True) -> tuple[float, int]:
    """Seconds from the start until every pair is covered (inf if never), and the pairs covered."""
    coverage = Coverage()
    generated = websocket_machine(asgiws.WebSocket, coverage=coverage, sweep_first=sweep_first)
    start = time.process_time()
    reached: list[float] = []

    class Timed(generated):  # type: ignore[valid-type, misc]
        def teardown(self) -> None:
            super().teardown()
            if not reached and not coverage.missed():
                reached.append(time.process_time() - start)

    run_state_machine_as_test(Timed, settings=_settings(examples))
    return (reached[0] if reached else float("inf")), len(coverage.hit())


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table, then the contract line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds of each measurement (median reported)")
    parser.add_argument("--quick", action="store_true", help="a short run: fewer examples and rounds")
    options = parser.parse_args(argv)
    rounds = 1 if options.quick else options.rounds
    # Coverage is measured within a run of the ci profile's size (50 examples).
    speed_examples, coverage_examples = (10, 20) if options.quick else (100, 50)

    ratios: list[float] = []
    generated_rates: list[float] = []
    empty_rates: list[float] = []
    for round_number in range(rounds):
        # New classes every round: each run pays for its own sweep, as a test run does.
        order = [(websocket_machine(asgiws.WebSocket), generated_rates), (empty_machine(), empty_rates)]
        if round_number % 2:
            order.reverse()
        for machine, rates in order:
            rates.append(steps_per_second(machine, speed_examples))
        ratios.append(generated_rates[-1] / empty_rates[-1])
    timings = [time_to_coverage(coverage_examples) for _ in range(rounds)]
    coverage_s = statistics.median(t for t, _ in timings)
    hit = min(h for _, h in timings)
    random_s, random_hit = time_to_coverage(coverage_examples, sweep_first=False)
    total = len(all_pairs())

    print(f"{'machine':<34}{'steps/s (median)':>18}")
    print(f"{'generated (asgiws.WebSocket)':<34}{statistics.median(generated_rates):>18.0f}")
    print(f"{'empty rules (ceiling)':<34}{statistics.median(empty_rates):>18.0f}")
    print(f"{'pairs covered':<34}{'after (s)':>18}{'pairs':>10}")
    print(f"{'generated machine':<34}{coverage_s:>18.3f}{f'{hit}/{total}':>10}")
    print(f"{'random rules alone (no sweep)':<34}{random_s:>18.3f}{f'{random_hit}/{total}':>10}")
    print(f"steps_ratio={statistics.median(ratios):.3f} coverage_s={coverage_s:.3f} pairs={hit}/{total}")


if __name__ == "__main__":
    main()
