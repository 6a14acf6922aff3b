"""Reliability: ten thousand malformed messages a side, through every surface that judges them.

Hypothesis draws malformed messages: messages of a known type breaking one
rule of its schema, unknown types, messages of the other direction, dicts of
arbitrary keys and values of the wrong types, huge values, dict subclasses
whose lookups raise, mappings that cannot be read, objects whose ``__repr__``
or ``__hash__`` raises, and things that are not mappings at all. Each message
goes, in every state of a connection, through ``asgiws.WebSocket`` (the
application's ``send()``, or a server's delivery to ``receive()``) and
through ``asgiws.check`` in each mode. Whatever it is, the outcome is one of:

* a typed error, a member of the ``ProtocolViolation`` family, and then
  nothing moved: neither state, nor the judge's node, nor anything sent;
* the message passed, unchanged and in order: the very object delivered to
  the application, the same data to the server (asgiws passes on the plain
  dict it judged).

Never an untyped exception. In ``"record"`` and ``"warn"`` modes every
message passes, refused or not, and the wrapper counts exactly the messages
that ``WebSocket`` refuses. A message drawn to be invalid whatever the state
(a broken schema, an unknown type, an unreadable object) is never accepted.
Every outcome is tallied, and the tallies are asserted: at least 10,000
messages per side.

The connection's callables here never suspend, so each coroutine is run to
completion by hand, without an event loop: thousands of connections a second.
"""

from __future__ import annotations

import logging
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import asgiws
from asgiws import ProtocolViolation, WebSocket
from asgiws._state import ConnectionState
from asgiws.coverage import Coverage
from asgiws.spec import INITIAL_STATES, MESSAGE_SCHEMAS, MESSAGE_SIDE, MESSAGE_TYPES, Side
from asgiws.testing import invalid_messages, messages, unknown_messages
from tests.test_odd_messages import Shady, SlyText, Trap, Unreadable

#: Messages drawn per Hypothesis example, and examples per side: 10,000 messages a side.
BATCH = 20
EXAMPLES = 500
LEAST = 10_000

Message = Any
SCOPE: dict[str, Any] = {
    "type": "websocket",
    "path": "/ws",
    "headers": [(b"host", b"example")],
    "subprotocols": ["chat"],
    "asgi": {"version": "3.0", "spec_version": "2.5"},
    "extensions": {"websocket.http.response": {}},
}
CONNECT = {"type": "websocket.connect"}
ACCEPT = {"type": "websocket.accept"}
CLOSE = {"type": "websocket.close", "code": 1000}
BYE = {"type": "websocket.disconnect", "code": 1000}
DENY = {"type": "websocket.http.response.start", "status": 403, "headers": []}


# -- the odd objects ---------------------------------------------------------------------------


class GetRaises(dict[str, Any]):
    """A dict whose ``get`` raises."""

    def get(self, key: str, default: Any = None) -> Any:
        raise RuntimeError(key)


class Unprintable(dict[str, Any]):
    """A dict whose ``__repr__`` raises."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Frozen(Mapping[str, Any]):
    """A well-behaved mapping that is not a dict."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class Shadier(Shady):
    """A value that cannot even be compared or tested for truth."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("no eq")

    __hash__ = Shady.__hash__

    def __bool__(self) -> bool:
        raise ValueError("no bool")


class ShadyText(SlyText):
    """A str whose own methods raise, its ``__repr__`` and ``__hash__`` too."""

    __slots__ = ()

    def __repr__(self) -> str:
        raise ValueError("no repr")

    def __hash__(self) -> int:
        raise ValueError("no hash")


class ShadyInt(int):
    """An int whose ``__repr__`` and comparisons raise."""

    def __repr__(self) -> str:
        raise ValueError("no repr")

    def __le__(self, other: object) -> bool:
        raise ValueError("no order")

    def __ge__(self, other: object) -> bool:
        raise ValueError("no order")


# -- the strategies ---------------------------------------------------------------------------

KEYS = [*sorted({field.name for schema in MESSAGE_SCHEMAS.values() for field in schema.fields}), "", "extra", "TYPE"]
TYPES = [*MESSAGE_TYPES, "websocket.ping", "http.request", "lifespan.startup", "", "WEBSOCKET.SEND", "websocket.send "]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=20),
)
huge = st.one_of(
    st.integers(10_000, 100_000).map(lambda n: "x" * n),
    st.integers(10_000, 100_000).map(lambda n: "é" * n),
    st.integers(10_000, 100_000).map(lambda n: b"\xff" * n),
    st.integers(100, 5_000).map(lambda n: 10**n),
    st.integers(100, 1_000).map(lambda n: [[b"x-a", b"1"]] * n),
)
# Made afresh for each draw: Hypothesis hashes what it samples, and these refuse.
ODD: list[Callable[[], object]] = [
    Shadier,
    lambda: ShadyText("websocket.send"),
    lambda: ShadyInt(1000),
    object,
    lambda: {1, 2},
    lambda: iter([b"a"]),
    lambda: print,
]
odd_values = st.sampled_from(ODD).map(lambda make: make())
containers = st.one_of(
    st.lists(st.tuples(st.binary(max_size=8), st.binary(max_size=8)), max_size=4),
    st.lists(st.one_of(scalars, odd_values), max_size=4),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)
values = st.one_of(scalars, huge, odd_values, containers)
types = st.one_of(st.sampled_from(TYPES), odd_values, scalars)


@st.composite
def arbitrary_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Keys of every schema and some of none, values of any type; sometimes no ``type``."""
    message = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=4))
    if draw(st.booleans()):
        message["type"] = draw(types)
    return message


def _wrapped(message: dict[str, Any], wrapper: str) -> Any:
    cls: dict[str, Callable[[dict[str, Any]], Any]] = {"Trap": Trap, "GetRaises": GetRaises, "Unprintable": Unprintable, "Frozen": Frozen}
    return cls[wrapper](message) if wrapper in cls else message


@dataclass(frozen=True)
class Drawn:
    """A malformed message, and whether it is invalid in every state (so must never be accepted)."""

    message: Any
    invalid: bool


def malformed(side: Side) -> st.SearchStrategy[list[Drawn]]:
    """Malformed messages handed to ``side``: half invalid in every state, half of any validity."""
    own = [kind for kind, its in MESSAGE_SIDE.items() if its is side]
    broken = st.one_of([invalid_messages(kind, version="2.5", subprotocols=("chat",)) for kind in own])
    valid = st.one_of([messages(kind, version="2.5", subprotocols=("chat",)) for kind in own])
    not_mappings = st.one_of(
        st.sampled_from([None, 0, "websocket.send", b"", (("type", "websocket.send"),)]),
        st.sampled_from([object, Shadier, Unreadable]).map(lambda make: make()),
    )
    surely = st.one_of(broken, unknown_messages(side), not_mappings).map(lambda message: Drawn(message, invalid=True))
    wrappers = st.sampled_from(["dict", "Trap", "GetRaises", "Unprintable", "Frozen"])
    maybe = st.builds(_wrapped, st.one_of(arbitrary_dicts(), broken, valid), wrappers).map(lambda message: Drawn(message, invalid=False))
    # Two lists rather than one_of(surely, maybe): the balance is fixed, not left to the search.
    half = BATCH // 2
    return st.tuples(st.lists(surely, min_size=half, max_size=half), st.lists(maybe, min_size=half, max_size=half)).map(lambda two: two[0] + two[1])


# -- running a connection by hand --------------------------------------------------------------


def finish(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never suspends to its end, and return its result (or raise its error)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    msg = "a coroutine suspended: nothing here ever waits"
    raise AssertionError(msg)


class Server:
    """One connection's ``receive``/``send``: a queue of deliveries, and what was sent."""

    def __init__(self, *deliveries: Message) -> None:
        self.inbox = list(deliveries)
        self.sent: list[Any] = []

    async def receive(self) -> Any:
        return self.inbox.pop(0)

    async def send(self, message: Any) -> None:
        self.sent.append(message)


@dataclass(frozen=True)
class Where:
    """A state of the connection, reached by a prefix of valid steps, and a probe valid there."""

    name: str
    #: ``("deliver", message)`` or ``("send", message)``, in order.
    prefix: tuple[tuple[str, Message], ...]
    #: A message the side under test may take here (None: it takes nothing).
    probe: Message | None


WHERE: dict[Side, list[Where]] = {
    Side.SEND: [
        Where("before the connect", (), None),
        Where("in the handshake", (("deliver", CONNECT),), ACCEPT),
        Where("connected", (("deliver", CONNECT), ("send", ACCEPT)), {"type": "websocket.send", "text": "probe"}),
        Where("denying", (("deliver", CONNECT), ("send", DENY)), {"type": "websocket.http.response.body", "body": b"no"}),
        Where("closed", (("deliver", CONNECT), ("send", ACCEPT), ("send", CLOSE)), None),
        Where("gone", (("deliver", CONNECT), ("send", ACCEPT), ("deliver", BYE)), None),
    ],
    Side.RECEIVE: [
        Where("before the connect", (), CONNECT),
        Where("in the handshake", (("deliver", CONNECT),), BYE),
        Where("connected", (("deliver", CONNECT), ("send", ACCEPT)), {"type": "websocket.receive", "text": "probe"}),
        Where("denying", (("deliver", CONNECT), ("send", DENY)), BYE),
        Where("closed", (("deliver", CONNECT), ("send", ACCEPT), ("send", CLOSE)), BYE),
        Where("gone", (("deliver", CONNECT), ("send", ACCEPT), ("deliver", BYE)), None),
    ],
}


def untyped(error: Exception) -> str:
    """An untyped error, and where it was raised."""
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{type(error).__name__} at {Path(frame.filename).name}:{frame.lineno}"


def same(passed: Any, original: Any) -> bool:
    """Whether what passed is the original, or the plain dict of the same items (by identity of values)."""
    if passed is original:
        return True
    if type(passed) is not dict:
        return False
    items = dict.items(original) if isinstance(original, dict) else original.items()
    return list(dict.items(passed)) == list(items)


# -- the tally ---------------------------------------------------------------------------------

#: The ways an outcome can be wrong, each tallied apart.
UNTYPED = "untyped error"
ACCEPTED_INVALID = "accepted invalid"
STATE_CHANGED = "state changed on refusal"
CHANGED_IN_PASSING = "changed in passing"
MISCOUNTED = "miscounted"


class Tally:
    """Outcomes per (side, surface, outcome), and the failures, described."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.failures: list[str] = []

    def add(self, side: Side, surface: str, outcome: str) -> None:
        self.counts[side.value, surface, outcome] += 1

    def fail(self, side: Side, surface: str, where: Where, drawn: Drawn, what: str, *, detail: str = "") -> None:
        self.add(side, surface, what)
        what = f"{what} ({detail})" if detail else what
        shown = f"{type(drawn.message).__name__} {asgiws.middleware.excerpt(drawn.message)}"
        self.failures.append(f"{side.value} {surface} {where.name}: {what} for {shown}")

    def table(self, side: Side) -> str:
        rows = sorted((surface, outcome, n) for (s, surface, outcome), n in self.counts.items() if s == side.value)
        return "\n".join(f"{side.value:8}{surface:22}{outcome:18}{n:>8}" for surface, outcome, n in rows)


# -- one message, every surface ----------------------------------------------------------------


def through_websocket(side: Side, where: Where, drawn: Drawn, tally: Tally) -> bool | None:
    """Hand the message to ``WebSocket`` here; whether it was refused (None: the outcome failed)."""
    server = Server(*[m for step, m in where.prefix if step == "deliver"])
    ws = WebSocket(dict(SCOPE), server.receive, server.send)
    for step, message in where.prefix:
        finish(ws.receive() if step == "deliver" else ws.send(dict(message)))
    judge = ws._connection_state
    before = (ws.client_state, ws.application_state, judge.node, judge.disconnect, list(server.sent))
    try:
        if side is Side.SEND:
            finish(ws.send(drawn.message))
        else:
            server.inbox.append(drawn.message)
            received = finish(ws.receive())
    except ProtocolViolation:
        if (ws.client_state, ws.application_state, judge.node, judge.disconnect, server.sent) != before:
            tally.fail(side, "WebSocket", where, drawn, STATE_CHANGED)
            return None
        tally.add(side, "WebSocket", "typed error")
        return True
    except Exception as error:
        tally.fail(side, "WebSocket", where, drawn, UNTYPED, detail=untyped(error))
        return None
    passed = server.sent[-1] if side is Side.SEND else received
    if drawn.invalid:
        tally.fail(side, "WebSocket", where, drawn, ACCEPTED_INVALID)
    elif not same(passed, drawn.message) or len(server.sent) != len(before[4]) + (side is Side.SEND):
        tally.fail(side, "WebSocket", where, drawn, CHANGED_IN_PASSING)
    else:
        tally.add(side, "WebSocket", "passed")
    return False


def through_middleware(
    side: Side, where: Where, drawn: Drawn, *, mode: str, stage: Stage, wrapper: asgiws.CheckMiddleware, tally: Tally, refused: bool | None
) -> None:
    """Run a connection that hands the message over in ``where``, under ``wrapper``."""
    surface = f"check {mode}"
    deliveries = [m for step, m in where.prefix if step == "deliver"]
    if side is Side.RECEIVE:
        deliveries.append(drawn.message)
    probing = mode == "raise" and where.probe is not None
    if probing and side is Side.RECEIVE:
        deliveries.append(where.probe)
    server = Server(*deliveries)
    outcome: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for step, message in where.prefix:
            await (receive() if step == "deliver" else send(dict(message)))
        try:
            if side is Side.SEND:
                await send(drawn.message)
            else:
                outcome["received"] = await receive()
        except ProtocolViolation as error:
            outcome["refusal"] = error.clause
            if probing:  # the refusal moved nothing: what was possible before still is
                await (send(dict(where.probe or {})) if side is Side.SEND else receive())
                outcome["probe"] = "taken"

    stage.app = app
    counted = wrapper.total
    sends = sum(step == "send" for step, _ in where.prefix)
    try:
        finish(wrapper(dict(SCOPE), server.receive, server.send))
    except ProtocolViolation as error:
        tally.fail(side, surface, where, drawn, STATE_CHANGED, detail=f"the probe was refused after the refusal: {error.clause}")
        return
    except Exception as error:
        tally.fail(side, surface, where, drawn, UNTYPED, detail=untyped(error))
        return
    gained = wrapper.total - counted
    if mode == "raise":
        if "refusal" in outcome:
            expected = sends + (side is Side.SEND and probing)
            if len(server.sent) != expected or (probing and outcome.get("probe") != "taken"):
                tally.fail(side, surface, where, drawn, STATE_CHANGED)
            else:
                tally.add(side, surface, "typed error")
            return
        if drawn.invalid:
            tally.fail(side, surface, where, drawn, ACCEPTED_INVALID)
            return
    elif refused is not None and gained != refused:  # the same judge as WebSocket's, counting the same refusals
        tally.fail(side, surface, where, drawn, MISCOUNTED, detail=f"counted {gained} where WebSocket refused: {refused}")
        return
    passed = server.sent[sends] if side is Side.SEND else outcome.get("received")
    if len(server.sent) != sends + (side is Side.SEND) or not same(passed, drawn.message):
        tally.fail(side, surface, where, drawn, CHANGED_IN_PASSING)
    else:
        tally.add(side, surface, "passed")


@contextmanager
def quiet_and_counted() -> Iterator[Counter[str]]:
    """Warn mode's log lines, formatted and counted, not printed; its warnings ignored."""
    lines: Counter[str] = Counter()

    class Counting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines[record.getMessage()[:6]] += 1

    logger = logging.getLogger("asgiws.check")
    handler, propagate = Counting(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", asgiws.ProtocolWarning)
            yield lines
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def soak_side(side: Side) -> Tally:
    """Draw at least 10,000 malformed messages for ``side`` and take each everywhere."""
    tally = Tally()
    stage = Stage()
    wrappers = {mode: asgiws.check(stage, mode=mode) for mode in ("raise", "warn", "record")}

    @settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(malformed(side))
    def each(batch: list[Drawn]) -> None:
        for index, drawn in enumerate(batch):
            tally.add(side, "drawn", "invalid everywhere" if drawn.invalid else "any")
            refusals = [through_websocket(side, where, drawn, tally) for where in WHERE[side]]
            # Through the wrapper in one state a message, in turn: the judge is the same,
            # and WebSocket has just taken it in every state.
            turn = index % len(WHERE[side])
            where = WHERE[side][turn]
            comparable = refusals[turn] if not (side is Side.RECEIVE and where.name == "gone") else None
            for mode, wrapper in wrappers.items():
                through_middleware(side, where, drawn, mode=mode, stage=stage, wrapper=wrapper, tally=tally, refused=comparable)

    with quiet_and_counted() as lines:
        each()
    tally.counts[side.value, "check warn", "log lines"] = sum(lines.values())
    return tally


class Stage:
    """The app a wrapper serves: whichever app the connection at hand plays (one wrapper serves them all)."""

    app: Callable[[Any, Any, Any], Coroutine[Any, Any, None]]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.mark.parametrize("side", [Side.SEND, Side.RECEIVE], ids=["send", "receive"])
def test_malformed_messages_get_a_typed_error_or_pass_unchanged(side: Side) -> None:
    tally = soak_side(side)
    print("\n" + tally.table(side))
    assert tally.failures == [], f"{len(tally.failures)} failures; the first 20:\n" + "\n".join(tally.failures[:20])
    drawn = tally.counts[side.value, "drawn", "any"] + tally.counts[side.value, "drawn", "invalid everywhere"]
    assert drawn >= LEAST
    assert tally.counts[side.value, "drawn", "invalid everywhere"] >= LEAST // 4
    for surface, runs in (("WebSocket", drawn * len(WHERE[side])), ("check raise", drawn), ("check warn", drawn), ("check record", drawn)):
        assert tally.counts[side.value, surface, "typed error"] + tally.counts[side.value, surface, "passed"] == runs, surface
    assert tally.counts[side.value, "WebSocket", "typed error"] > 0
    assert tally.counts[side.value, "WebSocket", "passed"] > 0
    assert tally.counts[side.value, "check warn", "log lines"] == tally.counts[side.value, "check raise", "typed error"]


class Unhashable(str):
    """A ``type`` that cannot be hashed: a dict lookup of it raises."""

    __slots__ = ()

    def __hash__(self) -> int:
        raise ValueError("no hash")


class Incomparable(str):
    """A ``type`` that hashes as its text but cannot be compared: a matching dict key makes it raise."""

    __slots__ = ()

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        raise ValueError("no eq")


@pytest.mark.parametrize("cls", [Unhashable, Incomparable])
@pytest.mark.parametrize("side", [Side.SEND, Side.RECEIVE], ids=["send", "receive"])
def test_a_type_that_cannot_be_hashed_or_compared_gets_a_typed_error_where_coverage_is_counted(side: Side, cls: type[str]) -> None:
    # The middleware's judge keeps a coverage record: its refusals must be as typed as WebSocket's.
    judge = ConnectionState(dict(SCOPE), coverage=Coverage())
    with pytest.raises(ProtocolViolation):
        (judge.receive if side is Side.RECEIVE else judge.send)({"type": cls("websocket.send")})
    assert judge.states == INITIAL_STATES
