"""Transition coverage: which (side, state, message type) pairs a run exercised.

The unit is the pair the spec itself is written in: for a spec version, a side,
the state of that side, and a message type of that side, either a transition
(the message was taken) or a rejection (it was refused). Both count: a test
run that never tried a forbidden message has not tested the rejection. The
generated Hypothesis tests record into a :class:`Coverage`; the diagrams colour
each transition by it; the app checker reports it.

A record is plain data and survives JSON (:meth:`Coverage.to_json`), so runs in
several processes can be merged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from . import spec
from .spec import MESSAGE_SIDE, MESSAGE_TYPES, MessageType, Side, SpecVersion, State

if TYPE_CHECKING:
    from .spec import Transition

__all__ = ["Coverage", "Pair", "all_pairs"]


class Pair(NamedTuple):
    """One (spec version, side, state of that side, message type).

    A named tuple: every compiled step carries its own, and counting one is a
    dict update on the hot path of the middleware.
    """

    version: str
    side: str
    state: str
    message_type: str

    def key(self) -> str:
        """``2.4|send|CONNECTED|websocket.close``: the pair as one string."""
        return f"{self.version}|{self.side}|{self.state}|{self.message_type}"


def all_pairs(versions: Iterable[SpecVersion] = tuple(SpecVersion)) -> list[Pair]:
    """Every pair of the spec: each side's states times that side's message types, per version."""
    return [
        Pair(version.value, side.value, state.name, message.value)
        for version in versions
        for side in Side
        for state in State
        for message in MessageType
        if MESSAGE_SIDE[message] is side
    ]


@dataclass
class Coverage:
    """Counts of how often each pair was taken (allowed) and refused."""

    allowed: Counter[Pair] = field(default_factory=Counter)
    refused: Counter[Pair] = field(default_factory=Counter)

    def record(self, version: SpecVersion, side: Side, states: tuple[State, State], message_type: object, *, allowed: bool) -> None:
        """Count one message judged in ``states``; messages of unknown type are not pairs and are ignored."""
        if not isinstance(message_type, str) or message_type not in MESSAGE_TYPES or MESSAGE_SIDE[MESSAGE_TYPES[message_type]] is not side:
            return
        state = states[0] if side is Side.RECEIVE else states[1]
        pair = Pair(version.value, side.value, state.name, message_type)
        (self.allowed if allowed else self.refused)[pair] += 1

    def hit(self) -> set[Pair]:
        """The pairs exercised at least once, allowed or refused."""
        return {pair for pair, count in (self.allowed + self.refused).items() if count}

    def missed(self, versions: Iterable[SpecVersion] = tuple(SpecVersion)) -> list[Pair]:
        """The pairs of these versions never exercised."""
        hit = self.hit()
        return [pair for pair in all_pairs(versions) if pair not in hit]

    def merge(self, other: Coverage) -> None:
        """Add another record's counts to this one."""
        self.allowed.update(other.allowed)
        self.refused.update(other.refused)

    def transitions(self, version: SpecVersion | None = None) -> Iterator[tuple[Transition, int]]:
        """Each spec transition with how often a message took it (summed over versions unless one is given).

        A guarded pair (a denial body with and without ``more_body``) counts for
        both of its rows: the record is kept per pair, not per guard.
        """
        for rows in spec.TRANSITIONS.values():
            for row in rows:
                if not isinstance(row.trigger, MessageType):
                    continue
                count = sum(
                    n
                    for pair, n in self.allowed.items()
                    if pair.side == row.side.value
                    and pair.state == row.source.name
                    and pair.message_type == row.trigger.value
                    and (version is None or pair.version == version.value)
                )
                yield row, count

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"allowed": {key: n}, "refused": {key: n}}``."""
        return {
            "allowed": {pair.key(): n for pair, n in sorted(self.allowed.items())},
            "refused": {pair.key(): n for pair, n in sorted(self.refused.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, int]]) -> Coverage:
        """The record :meth:`to_json` wrote."""
        coverage = cls()
        for name, counter in (("allowed", coverage.allowed), ("refused", coverage.refused)):
            for key, n in data.get(name, {}).items():
                counter[Pair(*key.split("|"))] += n
        return coverage
