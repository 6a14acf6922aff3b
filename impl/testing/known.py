"""Known differences as data: what a class already does differently, recorded, reviewed and committed.

Every real ``WebSocket`` class differs from the spec somewhere, and a state
machine that stops at the first difference it meets tells its maintainer
nothing new after the first run. So a divergence is a value here, not only an
exception: :class:`Difference` says what it means (the clause whose rule was
broken, the call, the (receive, send) states the spec expected, what it
expected there and the kind of outcome the class gave instead), and what the
class did, in words a reviewer can read.

A :class:`Baseline` is a reviewed set of them, kept in a JSON file in a stable
order. A run of the generated machine with a baseline
(``websocket_machine(factory, known=...)``) notes every divergence it
already lists and keeps exploring on a fresh connection; it fails only on a
new one, which Hypothesis shrinks as usual. Divergences are matched on
:attr:`Difference.key` alone, never on text, values or payload shapes, so a
baseline survives reworded errors, other data and unrelated changes, and
settles: a new seed meets the same known differences with other data, not
new ones.

Each entry keeps the shortest program that showed it, as data (the harness
calls, one per step). When a run ends, every known entry it did not meet is
replayed from that program: one that no longer shows its divergence is
reported as fixed, so the baseline shrinks as the class improves, and a short
run does not mistake "not met" for "fixed".
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from .._compiled import MESSAGE_CHECKS
from .._context import Context, parse_version
from .._fields import FieldViolation
from ..model import ReferenceModel
from ..spec import (
    EXTENSION_NOT_ADVERTISED,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    REJECTIONS,
    TRANSITIONS,
    UNKNOWN_TYPE,
    Check,
    Guard,
    MessageType,
    Side,
    State,
    Transition,
)
from .adapters import STARLETTE, Adapter

__all__ = [
    "BASELINES",
    "NO_CLAUSE",
    "Baseline",
    "BaselineError",
    "Difference",
    "Key",
    "Tally",
    "describe",
    "field_clauses",
    "known_differences",
    "refusal_clauses",
    "reproducer",
    "transition_clauses",
]

#: The format written in every baseline file; a file of another format is refused (format 1 keyed on
#: the message's payload shape and the outlines of what was expected; record it again).
FORMAT = 2
#: The clause of a difference the spec has no clause for: Starlette's API itself (JSON decoding, a ``mode`` name).
NO_CLAUSE = "API"
#: The baselines asgiws ships, by name: ``known_differences("starlette")``.
BASELINES: dict[str, str] = {"starlette": "starlette.json", "litestar": "litestar.json", "quart": "quart.json"}

_TYPES: dict[str, MessageType] = {m.value: m for m in MessageType}


class BaselineError(ValueError):
    """A baseline file that cannot be read: missing, not JSON, or not a baseline."""


class Key(NamedTuple):
    """What a divergence means, and all that two divergences are compared on.

    The rule (its first clause), the call, the states the rule was applied
    in, what the spec expected there and the kind of outcome the class gave
    instead, both in words without values (``raises KeyError
    (unexpected-data)``, ``waits``; ``raised KeyError``, ``returned``,
    ``left another send state``). Neither the message's payload shape nor
    any value drawn is part of it, so that the same slip with other data is
    the same difference, and another kind of slip at the same place is not.
    """

    clause: str
    call: str
    receive: str
    send: str
    expected: str
    outcome: str


@dataclass(frozen=True)
class Difference:
    """One distinct divergence of a class from the spec.

    Attributes:
        clause: the first clause of the rule the spec applied (``NO_CLAUSE``
            for Starlette's API where the spec says nothing).
        clauses: all the clauses of that rule.
        call: the call, as the harness names it (``close``, ``receive_text``,
            ``iter_json``, ``check`` when no call was made yet).
        message: the message the verdict was about: its type, and for the data
            a helper reads, which of ``bytes``/``text`` it carried
            (``websocket.receive(bytes, text=None)``).
        receive: the receive side's state the spec expected before the call.
        send: the send side's state the spec expected before the call.
        expected: what the spec expected, in a few words.
        happened: what the class did instead, in a few words.
        outcome: the kind of what it did (``raised KeyError``, ``returned``,
            ``waited``, ``left another send state``, ``forwarded other
            fields``, ``took fewer``): ``happened`` without the messages and
            states it names. Part of the key with ``expected``; ``message``
            and ``happened`` are for the reader.
        connection: the connection it was found on (``spec_version``,
            ``denial``, ``subprotocols``).
        program: the shortest program that showed it, as harness steps
            (``[name, [args...], {kwargs...}]``); None when a value in it
            cannot be written down.
        detail: the full text of the divergence (never compared).
    """

    clause: str
    call: str
    message: str
    receive: str
    send: str
    expected: str
    happened: str
    outcome: str = ""
    clauses: tuple[str, ...] = ()
    connection: Mapping[str, Any] = field(default_factory=dict)
    program: tuple[Any, ...] | None = None
    detail: str = ""

    @property
    def key(self) -> Key:
        """What the difference means: clause, call, states, what the spec expected and the kind of outcome."""
        return Key(self.clause, self.call, self.receive, self.send, self.expected, self.outcome)

    def __str__(self) -> str:
        return (
            f"{self.clause} {self.call} [{self.message}] in receive {self.receive} / send {self.send}: "
            f"the spec says it {self.expected}; it {self.happened}"
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as a baseline file holds it."""
        return {
            "clause": self.clause,
            "clauses": list(self.clauses),
            "call": self.call,
            "message": self.message,
            "states": {"receive": self.receive, "send": self.send},
            "expected": self.expected,
            "happened": self.happened,
            "outcome": self.outcome,
            "connection": dict(self.connection),
            "program": list(self.program) if self.program is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Difference:
        """Read an entry of a baseline file."""
        program = data.get("program")
        return cls(
            clause=str(data["clause"]),
            clauses=tuple(data.get("clauses", (data["clause"],))),
            call=str(data["call"]),
            message=str(data["message"]),
            receive=str(data["states"]["receive"]),
            send=str(data["states"]["send"]),
            expected=str(data.get("expected", "")),
            happened=str(data.get("happened", "")),
            outcome=str(data["outcome"]),
            connection=dict(data.get("connection", {})),
            program=tuple(program) if program is not None else None,
        )


# -- naming the rule: the clause of a verdict, read off the spec tables ------------------------------
#
# The verdict itself comes from the reference model and the strategies' labels; these only name it.
# The clause of a refused field is the one asgiws's compiled field checks give (the strategies break
# exactly one rule, and the test suite holds the two to each other).


def transition_clauses(side: Side, state: State, message_type: MessageType | str, message: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The clauses of the row of ``side``'s table that a message of this type takes from ``state``."""
    trigger = _TYPES.get(message_type, message_type) if isinstance(message_type, str) else message_type
    more = bool((message or {}).get(Guard.MORE_BODY.value[0], False))
    for row in TRANSITIONS[side]:
        if row.source is state and row.trigger is trigger and _guard_holds(row, more):
            return row.clauses
    return ()


def _guard_holds(row: Transition, more: bool) -> bool:
    return row.guard is None or row.guard.value[1] is more


def refusal_clauses(side: Side, states: tuple[State, State], message_type: object, *, denial: bool) -> tuple[str, ...]:
    """The clauses of the rule that refuses a message of this type on ``side`` in ``states``.

    In the order the reference model decides: not a message of this side,
    an extension the server did not advertise, a joint constraint, then the
    row of ``REJECTIONS``.
    """
    known = _TYPES.get(message_type) if isinstance(message_type, str) else None
    if known is None or MESSAGE_SIDE[known] is not side:
        return UNKNOWN_TYPE[side]
    if MESSAGE_SCHEMAS[known].extension is not None and not denial:
        return EXTENSION_NOT_ADVERTISED
    own, other = (states[0], states[1]) if side is Side.RECEIVE else (states[1], states[0])
    constraint = ReferenceModel.constraint(side, known, other)
    if constraint is not None and any(row.source is own and row.trigger is known for row in TRANSITIONS[side]):
        return constraint.clauses
    return next((r.clauses for r in REJECTIONS if r.side is side and r.state is own and r.message is known), ())


def field_clauses(message: Any, context: Context) -> tuple[str, ...]:
    """The clauses of the schema rule a message breaks; empty when it breaks none."""
    kind = message.get("type") if isinstance(message, Mapping) else None
    check = MESSAGE_CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        return ()
    try:
        check(message, context)
    except FieldViolation as violation:
        return violation.clauses
    return ()


#: The keys of each message type of which exactly one carries a value (the payloads).
_PAYLOADS: dict[str, tuple[str, ...]] = {
    kind.value: tuple(name for c in schema.constraints if c.check is Check.EXACTLY_ONE for name in c.param)  # type: ignore[attr-defined]
    for kind, schema in MESSAGE_SCHEMAS.items()
}


def describe(message: Any, *, payload: bool = False) -> str:
    """The message as a key reads it: its type, and with ``payload`` which of its payload keys are set.

    >>> describe({"type": "websocket.receive", "bytes": b"x", "text": None}, payload=True)
    'websocket.receive(bytes, text=None)'
    """
    mapping = type(message) is dict or isinstance(message, Mapping)  # the plain dict first: the ABC's check costs more
    kind = message.get("type") if mapping else None
    if not isinstance(kind, str) or kind not in _TYPES:
        return "not a message" if not mapping else "unknown type"
    if not payload or not _PAYLOADS[kind]:
        return kind
    shown = [name if message[name] is not None else f"{name}=None" for name in _PAYLOADS[kind] if name in message]
    shown.sort(key=lambda text: ("=" in text, text))
    return f"{kind}({', '.join(shown)})"


# -- programs as data --------------------------------------------------------------------------------


class _Unwritable(Exception):
    """A value of a program that a baseline file cannot hold (an iterator, an object of its own)."""


def encode(value: Any) -> Any:
    """A value of a program as JSON: tagged where JSON has no such type.

    Raises:
        _Unwritable: for a value that cannot be written down faithfully.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {"$bytes": value.decode("latin-1")}
    if isinstance(value, bytearray):
        return {"$bytearray": bytes(value).decode("latin-1")}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {"$set": sorted((encode(v) for v in value), key=repr)}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise _Unwritable(type(value).__name__)


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$bytes": lambda v: v.encode("latin-1"),
    "$bytearray": lambda v: bytearray(v.encode("latin-1")),
    "$tuple": lambda v: tuple(decode(x) for x in v),
    "$set": lambda v: {decode(x) for x in v},
    "$dict": lambda v: {decode(k): decode(x) for k, x in v},
}


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag in _TAGS:
                return _TAGS[tag](inner)
        return {k: decode(v) for k, v in value.items()}
    return value


def write_program(steps: Iterable[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> tuple[Any, ...] | None:
    """A harness trace as data; None when one of its values cannot be written down."""
    try:
        return tuple([name, [encode(a) for a in args], {k: encode(v) for k, v in kwargs.items()}] for name, args, kwargs in steps)
    except _Unwritable:
        return None


def read_program(program: Sequence[Any]) -> Iterator[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """The harness steps of a written program."""
    for name, args, kwargs in program:
        yield name, tuple(decode(a) for a in args), {k: decode(v) for k, v in kwargs.items()}


def reproducer(difference: Difference, factory: str = "factory", imports: str = "", adapter: str = STARLETTE.name) -> str:
    """A pytest test, as Python source, that replays the difference's program and fails while it remains.

    ``factory`` is the expression that builds the class under test, ``imports``
    the line that brings it in, ``adapter`` the name of the shipped adapter that drives it.
    """
    connection = difference.connection
    name = "test_" + "_".join(part for part in (difference.clause, difference.call) if part).lower().replace("-", "_").replace(".", "_")
    lines = [
        f"def {name}() -> None:",
        f'    """{difference.clause}: the spec says {difference.call} {difference.expected}; it {difference.happened}."""',
        "    from asgiws.testing import Harness, websocket_scope",
    ]
    if imports:
        lines.append(f"    {imports}")
    driven = ""
    if adapter != STARLETTE.name:
        lines.append("    from asgiws.testing.adapters import adapter_named")
        driven = f", adapter=adapter_named({adapter!r})"
    lines.append(
        f"    harness = Harness({factory}, websocket_scope({connection.get('spec_version', '2.5')!r}, "
        f"denial={connection.get('denial', False)!r}, subprotocols={tuple(connection.get('subprotocols', ()))!r}){driven})"
    )
    for step_name, args, kwargs in read_program(difference.program or ()):
        shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        lines.append(f"    harness.{step_name}({', '.join(shown)})")
    if difference.program is None:
        lines.append("    # the program holds a value that cannot be written down; rerun with the seed to see it")
    return "\n".join(lines) + "\n"


# -- baselines ---------------------------------------------------------------------------------------


@dataclass
class Baseline:
    """A reviewed set of known differences of one class, as a baseline file holds it.

    Attributes:
        subject: what the differences are of (``starlette.websockets:WebSocket``).
        covers: the versions of the subject it was reviewed for (free text per package).
        differences: the entries, by key.
        notes: what the reviewer wants the next reader to know.
    """

    subject: str = ""
    covers: dict[str, str] = field(default_factory=dict)
    differences: dict[Key, Difference] = field(default_factory=dict)
    notes: str = ""

    def __contains__(self, key: object) -> bool:
        return key in self.differences

    def __len__(self) -> int:
        return len(self.differences)

    def __iter__(self) -> Iterator[Difference]:
        return iter(self.sorted())

    def sorted(self) -> list[Difference]:
        """The entries in the file's order: by clause, call, states, expected, then outcome."""
        return [self.differences[key] for key in sorted(self.differences)]

    def add(self, difference: Difference) -> None:
        """Keep ``difference``, or, for a key already kept, the shorter program of the two."""
        kept = self.differences.get(difference.key)
        if kept is None or _length(difference) < _length(kept):
            self.differences[difference.key] = difference

    def to_text(self) -> str:
        """The file: JSON, one entry per block and one program step per line, in a stable order."""
        head = {"asgiws_baseline": FORMAT, "subject": self.subject, "covers": self.covers, "notes": self.notes}
        lines = ["{"]
        lines += [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}," for k, v in head.items()]
        lines.append('  "differences": [')
        entries = self.sorted()
        for index, difference in enumerate(entries):
            data = difference.to_json()
            program = data.pop("program")
            lines.append("    {")
            lines += [f"      {json.dumps(k)}: {json.dumps(v, sort_keys=True)}," for k, v in data.items()]
            if program is None:
                lines.append('      "program": null')
            else:
                lines.append('      "program": [')
                lines += [f"        {json.dumps(step)}{',' if i < len(program) - 1 else ''}" for i, step in enumerate(program)]
                lines.append("      ]")
            lines.append("    }" + ("," if index < len(entries) - 1 else ""))
        lines += ["  ]", "}"]
        return "\n".join(lines) + "\n"

    def dump(self, path: str | os.PathLike[str]) -> None:
        """Write the file."""
        Path(path).write_text(self.to_text(), encoding="utf-8")

    @classmethod
    def from_text(cls, text: str, source: str = "<baseline>") -> Baseline:
        """Read a baseline file's text.

        Raises:
            BaselineError: not JSON, or not a baseline of this format.
        """
        try:
            data = json.loads(text)
        except ValueError as error:
            msg = f"{source} is not JSON: {error}"
            raise BaselineError(msg) from None
        if not isinstance(data, dict) or data.get("asgiws_baseline") != FORMAT:
            msg = f"{source} is not an asgiws baseline of format {FORMAT}; record it again with asgiws fuzz --record"
            raise BaselineError(msg)
        baseline = cls(subject=str(data.get("subject", "")), covers=dict(data.get("covers", {})), notes=str(data.get("notes", "")))
        try:
            for entry in data.get("differences", ()):
                baseline.add(Difference.from_json(entry))
        except (KeyError, TypeError, ValueError) as error:
            msg = f"{source} has an entry without {error}"
            raise BaselineError(msg) from None
        return baseline


def _length(difference: Difference) -> int:
    return len(difference.program) if difference.program is not None else 1 << 30


def known_differences(name_or_path: str | os.PathLike[str]) -> Baseline:
    """The baseline named ``name_or_path`` (one asgiws ships: ``"starlette"``, ``"litestar"``, ``"quart"``), or read from that file.

    Raises:
        BaselineError: no such baseline, or the file is not one.
    """
    name = os.fspath(name_or_path)
    if name in BASELINES:
        text = resources.files(__package__).joinpath("baselines", BASELINES[name]).read_text(encoding="utf-8")
        return Baseline.from_text(text, f"the {name} baseline")
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as error:
        msg = f"cannot read the baseline {name!r}: {error.strerror or error}; the shipped ones are {', '.join(BASELINES)}"
        raise BaselineError(msg) from None
    return Baseline.from_text(text, name)


# -- what a run saw ----------------------------------------------------------------------------------


class Tally:
    """What one run of the machine met: the known differences, and with ``record`` every other one.

    Args:
        baseline: the known differences; a divergence it lists is noted, not fatal.
        record: note every divergence, known or not (to write a new baseline).
    """

    def __init__(self, baseline: Baseline | None = None, *, record: bool = False) -> None:
        self.baseline = baseline if baseline is not None else Baseline()
        self.record = record
        #: Every difference noted, with the shortest program that showed it.
        self.seen = Baseline(subject=self.baseline.subject, covers=dict(self.baseline.covers), notes=self.baseline.notes)
        #: How many divergences were noted, counting repeats.
        self.noted = 0

    def tolerates(self, difference: Difference) -> bool:
        """Note ``difference``; True when the run goes on (it is known, or the run records)."""
        if not self.record and difference.key not in self.baseline:
            return False
        self.noted += 1
        self.seen.add(difference)
        return True

    @property
    def new(self) -> list[Difference]:
        """The differences noted that the baseline does not list (only a recording run notes them)."""
        return [d for d in self.seen if d.key not in self.baseline]

    def fixed(self, factory: Callable[..., Any], adapter: Adapter = STARLETTE) -> list[Difference]:
        """The known differences this run did not meet and whose program no longer diverges at all.

        Each one not met is replayed first; one that still shows is noted as
        met. One whose program now diverges otherwise, before reaching it, is
        neither: that other divergence is the news. One without a program (a
        value in it could not be written down) cannot be replayed, and is
        neither too: not meeting it says nothing.
        """
        gone = []
        for known in self.baseline:
            if known.key in self.seen.differences or known.program is None:
                continue
            found = replay(factory, known, adapter=adapter)
            if found is None:
                gone.append(known)
            elif found.key == known.key:
                self.seen.add(replace(known, detail=found.detail))
            # Another divergence on its way there hides it: neither met nor fixed.
        return gone


def replay(factory: Callable[..., Any], difference: Difference, *, raising: bool = False, adapter: Adapter = STARLETTE) -> Difference | None:
    """Run a difference's program on a fresh harness; the difference it shows, or None.

    A difference without a program shows nothing. With ``raising``, the
    harness's ``Divergence`` is raised, as the program itself would.
    """
    from ..engine import websocket_scope
    from .harness import Divergence, Harness

    if difference.program is None:
        return None
    connection = difference.connection
    scope = websocket_scope(
        parse_version(connection.get("spec_version", "2.5")).value,
        denial=bool(connection.get("denial", False)),
        subprotocols=tuple(connection.get("subprotocols", ())),
    )
    harness = Harness(factory, scope, adapter=adapter)
    try:
        for name, args, kwargs in read_program(difference.program):
            getattr(harness, name)(*args, **kwargs)
    except Divergence as divergence:
        if raising:
            raise
        return divergence.difference
    finally:
        harness.close_pending()
    return None
