"""A bounded model check: every message sequence of the joint machine, up to a depth.

Random testing finds what is likely; this finds everything up to ``depth``
steps. The alphabet is read off the spec: one representative message of each
type (and of each guard value: a denial body with and without ``more_body``),
on the side ``MESSAGE_SIDE`` gives it, plus the transport signal
(``Signal.SEND_FAILED``: the server's ``send()`` raises from then on). Every
sequence of ``depth`` symbols, allowed or not at each step, is played on a
fresh connection for every spec version and both settings of the denial
extension, through the same :class:`~asgiws.testing.harness.Harness` the
state machine uses, and checked after every step:

* a message the application sends is passed to ``send()``;
* a message the server delivers is queued, honestly when a conformant server
  may deliver it and as a misbehaving server otherwise, then received with
  ``receive()``.

With ten symbols, depth 3 is 1,000 sequences per connection kind, 12,000 in
all, and reaches every (side, state, message type) pair of the spec.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..coverage import Coverage
from ..engine import websocket_scope
from ..spec import TRANSITIONS, Signal, SpecVersion
from . import strategies
from .harness import Divergence, Factory, Harness

__all__ = ["ExhaustiveReport", "Failure", "exhaustive_check", "symbols"]

#: A step of a sequence: a message, or a transport signal.
Symbol = dict[str, Any] | Signal


def symbols() -> list[Symbol]:
    """The alphabet: one message per type and guard value, then the transport signals."""
    alphabet: list[Symbol] = list(strategies.representatives())
    alphabet += sorted({row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)})
    return alphabet


@dataclass(frozen=True)
class Failure:
    """A sequence on which the implementation diverged from the spec.

    ``sequence`` stops at the step that diverged.
    """

    version: SpecVersion
    denial: bool
    sequence: tuple[Symbol, ...]
    problem: str


@dataclass
class ExhaustiveReport:
    """What :func:`exhaustive_check` tried and found."""

    depth: int
    sequences: int = 0
    steps: int = 0
    failures: list[Failure] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    def summary(self) -> str:
        """One line: sequences, steps, failures and pairs covered."""
        hit = len(self.coverage.hit())
        return f"depth {self.depth}: {self.sequences} sequences, {self.steps} steps, {len(self.failures)} failing, {hit} pairs covered"


def _play(harness: Harness, symbol: Symbol) -> None:
    if isinstance(symbol, Signal):
        harness.fail_sends()
    else:
        harness.play(symbol)
    harness.check()


def exhaustive_check(
    factory: Factory,
    *,
    depth: int = 3,
    versions: Iterable[SpecVersion | str] | None = None,
    denial: Sequence[bool] = (False, True),
    coverage: Coverage | None = None,
) -> ExhaustiveReport:
    """Play every sequence of ``depth`` symbols on every kind of connection, and report the divergences.

    Args:
        factory: builds the implementation, ``factory(scope, receive, send)``.
        depth: the length of the sequences (every shorter one is a prefix of one).
        versions: the spec versions to check; all by default.
        denial: with and/or without the Denial Response extension.
        coverage: a record to count the pairs into (the report keeps its own otherwise).

    Returns:
        The report; ``failures`` is empty when the implementation followed the
        spec on every sequence.
    """
    chosen = [v if isinstance(v, SpecVersion) else SpecVersion(v) for v in versions] if versions is not None else list(SpecVersion)
    report = ExhaustiveReport(depth, coverage=coverage if coverage is not None else Coverage())
    alphabet = symbols()
    for version, with_denial in itertools.product(chosen, denial):
        scope = websocket_scope(version.value, denial=with_denial)
        for sequence in itertools.product(alphabet, repeat=depth):
            report.sequences += 1
            harness = Harness(factory, scope, coverage=report.coverage)
            for index, symbol in enumerate(sequence):
                report.steps += 1
                try:
                    _play(harness, symbol)
                except Divergence as divergence:
                    report.failures.append(Failure(version, with_denial, sequence[: index + 1], str(divergence)))
                    break
            harness.close_pending()
    return report
