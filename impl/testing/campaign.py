"""``asgiws fuzz``: run the generated machine against a class, report new and fixed differences.

A run is one pass of the machine that fails on nothing: every divergence
is noted (:class:`~asgiws.testing.Tally`) with the shortest program that
showed it, and those the baseline does not list are the new ones, each with
that program as its reproducer. (In a test, ``websocket_machine(factory,
known=...)`` fails on the first new one instead, and Hypothesis shrinks it.)
The known differences the run never met are replayed from their programs,
and those that no longer show are reported as fixed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.database import ExampleDatabase
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from ..conformance.target import TargetError, load_attribute
from .adapters import STARLETTE, Adapter
from .known import Baseline, Difference, reproducer
from .machine import websocket_machine

__all__ = ["FuzzReport", "TargetError", "fuzz", "load_target"]


def load_target(target: str) -> Callable[..., Any]:
    """Import ``MODULE:ATTR`` (a class or a factory taking ``scope, receive, send``), as ``check app`` imports an app.

    Raises:
        TargetError: malformed, not importable, or not callable.
    """
    found = load_attribute(target)
    if not callable(found):
        msg = f"{target} is not a class or a factory"
        raise TargetError(msg)
    return found  # type: ignore[no-any-return]


@dataclass
class FuzzReport:
    """What one ``asgiws fuzz`` run found.

    Attributes:
        target: ``MODULE:ATTR``.
        known: where the baseline came from (a name, a path, or empty).
        baseline_size: how many differences the baseline lists.
        new: the new differences, each with its reproducer (a pytest test).
        fixed: the known differences that no longer occur.
        met: how many known differences the run met (or confirmed by replay).
        examples: examples run, over all rounds.
        duration_s: wall time.
        recorded: the differences a recording run noted (None when not recording).
    """

    target: str
    known: str = ""
    baseline_size: int = 0
    new: list[tuple[Difference, str]] = field(default_factory=list)
    fixed: list[Difference] = field(default_factory=list)
    met: int = 0
    examples: int = 0
    duration_s: float = 0.0
    recorded: Baseline | None = None

    @property
    def ok(self) -> bool:
        """No new difference."""
        return not self.new

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {
            "target": self.target,
            "known": self.known,
            "baseline_size": self.baseline_size,
            "ok": self.ok,
            "examples": self.examples,
            "duration_s": round(self.duration_s, 3),
            "met": self.met,
            "new": [{**d.to_json(), "reproducer": text} for d, text in self.new],
            "fixed": [d.to_json() for d in self.fixed],
            "recorded": len(self.recorded) if self.recorded is not None else None,
        }

    def render(self, fmt: str) -> str:
        """The report as ``text``, ``json`` or ``junit``."""
        if fmt == "json":
            return json.dumps(self.to_json(), indent=2) + "\n"
        if fmt == "junit":
            return self._junit()
        return self._text()

    def _text(self) -> str:
        known = f" against {self.known} ({self.baseline_size} known)" if self.known else ""
        lines = [f"asgiws fuzz {self.target}{known}: {self.examples} examples in {self.duration_s:.1f}s"]
        if self.recorded is not None:
            lines.append(f"recorded {len(self.recorded)} distinct difference(s)")
        if self.known:
            lines.append(f"known differences met: {self.met}/{self.baseline_size}")
        if self.recorded is None:  # a recording lists them in its file, for review
            for difference, text in self.new:
                lines += ["", f"NEW {difference}", text.rstrip()]
        for difference in self.fixed:
            lines += ["", f"FIXED {difference}", "  no longer occurs: remove it from the baseline (or record it again)"]
        lines += ["", f"{len(self.new)} new, {len(self.fixed)} fixed"]
        return "\n".join(lines) + "\n"

    def _junit(self) -> str:
        cases = [f'  <testcase classname="asgiws.fuzz" name={quoteattr("known differences of " + self.target)}/>']
        for difference, text in self.new:
            name = quoteattr(f"new {difference.clause} {difference.call} {difference.receive}/{difference.send}")
            cases.append(
                f'  <testcase classname="asgiws.fuzz" name={name}><failure message={quoteattr(str(difference))}>{escape(text)}</failure></testcase>'
            )
        for difference in self.fixed:
            name = quoteattr(f"fixed {difference.clause} {difference.call} {difference.receive}/{difference.send}")
            cases.append(f'  <testcase classname="asgiws.fuzz" name={name}><skipped message={quoteattr("fixed: " + str(difference))}/></testcase>')
        head = (
            f'<testsuite name="asgiws fuzz" tests="{len(cases)}" failures="{len(self.new)}" skipped="{len(self.fixed)}" time="{self.duration_s:.3f}">'
        )
        return '<?xml version="1.0" encoding="utf-8"?>\n' + "\n".join([head, *cases, "</testsuite>"]) + "\n"


def fuzz(
    factory: Callable[..., Any],
    *,
    target: str = "",
    known: Baseline | None = None,
    known_name: str = "",
    record: bool = False,
    max_examples: int = 200,
    seed_value: int | None = None,
    database: ExampleDatabase | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    adapter: Adapter = STARLETTE,
) -> FuzzReport:
    """Run the generated machine against ``factory``, and report what is new and what is fixed.

    Args:
        factory: builds the class under test, ``factory(scope, receive, send)``.
        target: ``MODULE:ATTR``, for the report and the reproducers.
        known: the known differences (none by default: every divergence is new).
        known_name: where ``known`` came from, for the report.
        record: keep every divergence met in ``FuzzReport.recorded``, the
            baseline to write (the known ones that still occur included).
        max_examples: examples per round.
        seed_value: the run's seed (0 when None): the same answer on every run, from a test or the command line.
        database: Hypothesis's example database (none by default); a campaign
            shares one so that what a worker found is replayed first by the others.
        progress: called after every example with (examples this pass, per pass, new so far).
        adapter: how the class spells each call (Starlette's API by default).
    """
    baseline = known if known is not None else Baseline()
    report = FuzzReport(target=target, known=known_name, baseline_size=len(baseline))
    start = time.perf_counter()
    module, _, attribute = target.partition(":")
    shown = attribute or getattr(factory, "__qualname__", "factory")
    imports = f"from {module} import {attribute.split('.')[0]}" if module and attribute else ""
    chosen = settings(
        # From Hypothesis's own defaults, not the loaded profile: the same answer from a test and the command line.
        settings.get_profile("default"),
        max_examples=max_examples,
        derandomize=False,
        database=database,
        deadline=None,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate] if database is not None else [Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    # One pass that fails on nothing: every divergence is noted with the shortest program that showed
    # it, so every new one is reported, and each program is already as short as any example made it.
    machine = websocket_machine(factory, known=baseline, record=True, adapter=adapter)
    _run(machine, report, progress, max_examples, chosen, seed_value)
    tally = machine.tally
    assert tally is not None
    report.fixed = machine.fixed()
    report.new = [(d, reproducer(d, shown, imports, adapter.name)) for d in tally.new]
    report.met = sum(1 for d in baseline if d.key in tally.seen)
    if record:
        report.recorded = tally.seen
        report.recorded.subject = baseline.subject or target
    report.duration_s = time.perf_counter() - start
    return report


def _run(  # noqa: PLR0917 - fuzz's options, passed on
    machine: Any, report: FuzzReport, progress: Callable[[int, int, int], None] | None, budget: int, chosen: settings, seed_value: int | None
) -> None:
    counted = _counted(machine, report, progress, budget)
    with with_reporter(lambda _text: None):
        # An explicit seed, 0 unless told: derandomizing seeds from the caller, so a test and the command would differ.
        run_state_machine_as_test(seed(seed_value or 0)(counted), settings=chosen)


def _counted(machine: Any, report: FuzzReport, progress: Callable[[int, int, int], None] | None, budget: int) -> Any:
    examples = [0]

    class Counted(machine):  # type: ignore[misc]
        def teardown(self) -> None:
            examples[0] += 1
            report.examples += 1
            if progress is not None:
                tally = machine.tally
                progress(min(examples[0], budget), budget, sum(1 for key in tally.seen.differences if key not in tally.baseline))
            super().teardown()

    Counted.__name__ = Counted.__qualname__ = machine.__name__
    return Counted


def progress_bar(stream: Any = None) -> Callable[[int, int, int], None]:
    """A one-line progress bar on ``stream`` (standard error), redrawn in place."""
    out = stream if stream is not None else sys.stderr

    def draw(done: int, total: int, new: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        out.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} examples, {new} new")
        out.flush()

    return draw
