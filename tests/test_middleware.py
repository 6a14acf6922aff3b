"""``asgiws.check(app)``: the live middleware, in its three modes and both directions."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
import weakref
from collections.abc import MutableMapping
from typing import Any

import pytest

import asgiws
from asgiws import InvalidMessageError, ProtocolWarning, WrongStateError
from asgiws.middleware import DEFAULT_KEEP, RecordedViolation, ViolationKey, excerpt
from asgiws.spec import Side, State, States
from examples.apps import binary_echo_bug, early_send_bug, echo

Message = MutableMapping[str, Any]
SCOPE: dict[str, Any] = {"type": "websocket", "path": "/ws", "asgi": {"version": "3.0", "spec_version": "2.4"}, "headers": []}


class Server:
    """A scripted server: what it delivers, in order, and what it was sent."""

    def __init__(self, *deliveries: Message, fail_after: int | None = None) -> None:
        self.deliveries = list(deliveries)
        self.sent: list[Message] = []
        self.fail_after = fail_after

    async def receive(self) -> Message:
        return self.deliveries.pop(0)

    async def send(self, message: Message) -> None:
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise OSError("connection reset")
        self.sent.append(message)


def run(app: Any, server: Server, scope: dict[str, Any] = SCOPE) -> None:
    asyncio.run(app(dict(scope), server.receive, server.send))


CONNECT: Message = {"type": "websocket.connect"}
BINARY: Message = {"type": "websocket.receive", "bytes": b"\x00\x01"}
TEXT: Message = {"type": "websocket.receive", "text": "hi"}
BYE: Message = {"type": "websocket.disconnect", "code": 1000}


def test_raise_mode_stops_a_bad_message_before_the_server() -> None:
    app = asgiws.check(early_send_bug.app, mode="raise")
    server = Server(CONNECT)
    with pytest.raises(WrongStateError) as caught:
        run(app, server)
    assert caught.value.clause == "WS-024"
    assert server.sent == []
    assert [(v.path, v.clause, v.direction) for v in app.violations] == [("/ws", "WS-024", "app -> server")]


def test_a_bug_that_needs_a_binary_message_is_caught_when_one_comes() -> None:
    app = asgiws.check(binary_echo_bug.app, mode="raise")
    server = Server(CONNECT, TEXT, BYE)
    run(app, server)
    assert app.violations == []
    server = Server(CONNECT, BINARY, BYE)
    with pytest.raises(InvalidMessageError) as caught:
        run(app, server)
    assert caught.value.clause == "WS-036"
    assert server.sent == [{"type": "websocket.accept"}]


def test_warn_mode_warns_and_passes_every_message_in_order() -> None:
    app = asgiws.check(early_send_bug.app, mode="warn")
    server = Server(CONNECT)
    with pytest.warns(ProtocolWarning, match=r"^WS-024 app -> server on /ws: Expected ASGI message ") as caught:
        run(app, server)
    assert [w.filename for w in caught] == [early_send_bug.__file__]  # the app's line that sent it
    assert [m["type"] for m in server.sent] == ["websocket.send", "websocket.accept", "websocket.close"]


def test_record_mode_keeps_violations_quietly() -> None:
    app = asgiws.check(binary_echo_bug.app, mode="record")
    server = Server(CONNECT, BINARY, TEXT, BYE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(app, server)
    assert [v.clause for v in app.violations] == ["WS-036"]
    assert [m.get("text") for m in server.sent[1:]] == [None, "hi"]


def test_the_servers_mistakes_are_caught_too() -> None:
    app = asgiws.check(echo.app, mode="record")
    server = Server(CONNECT, {"type": "websocket.receive", "text": "a", "bytes": b"b"}, {"type": "websocket.disconnect"})
    run(app, server)
    assert [(v.clause, v.direction, v.side) for v in app.violations] == [
        ("WS-034", "server -> app", Side.RECEIVE),
        ("WS-039", "server -> app", Side.RECEIVE),
    ]


def test_a_clean_conversation_records_nothing_and_counts_coverage() -> None:
    app = asgiws.check(echo.app)
    server = Server(CONNECT, TEXT, BINARY, BYE)
    run(app, server)
    assert app.violations == []
    assert [m["type"] for m in server.sent] == ["websocket.accept", "websocket.send", "websocket.send"]
    assert len(app.coverage.hit()) == 5


def test_a_failing_server_send_moves_the_connection_on() -> None:
    async def chatty(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        try:
            await send({"type": "websocket.send", "text": "lost"})
        except OSError:
            await send({"type": "websocket.send", "text": "again"})

    app = asgiws.check(chatty, mode="record")
    with pytest.raises(OSError, match="connection reset"):  # recorded, then passed on: the server fails it again
        run(app, Server(CONNECT, fail_after=1))
    assert [v.clause for v in app.violations] == ["RFC-016"]


def test_other_scopes_pass_straight_through() -> None:
    seen: list[str] = []

    async def http(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    app = asgiws.check(http)
    for kind in ("http", "lifespan"):
        run(app, Server(), {"type": kind})
    assert seen == ["http", "lifespan"]
    assert app.violations == []


def test_the_spec_version_can_be_chosen() -> None:
    async def accept_with_headers(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept", "headers": [(b"x-a", b"1")]})

    app = asgiws.check(accept_with_headers, mode="record", spec_version="2.0")
    run(app, Server(CONNECT))
    assert [v.clause for v in app.violations] == ["WS-052"]


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be 'raise', 'warn' or 'record', not 'log'"):
        asgiws.check(echo.app, mode="log")  # type: ignore[arg-type]


def test_after_a_refused_message_passes_the_next_ones_are_judged_where_the_connection_is() -> None:
    async def closes_badly_then_talks(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1006})  # refused, but it went through
        await send({"type": "websocket.send", "text": "after the close"})

    app = asgiws.check(closes_badly_then_talks, mode="record")
    run(app, Server(CONNECT))
    assert [v.clause for v in app.violations] == ["RFC-002", "RFC-016"]


@pytest.mark.parametrize("mode", ["raise", "warn", "record"])
def test_a_server_announcing_an_unknown_version_still_reaches_the_app_in_every_mode(mode: str) -> None:
    # The middleware's promise is to leave traffic alone: a newer server is judged as the newest asgiws knows.
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append((await receive())["type"])
        await send({"type": "websocket.accept"})

    scope = {"type": "websocket", "asgi": {"version": "3.0", "spec_version": "3.7"}, "path": "/", "headers": []}

    async def receive() -> Any:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", asgiws.UnknownVersionWarning)
        asyncio.run(asgiws.check(app, mode=mode)(scope, receive, send))  # type: ignore[arg-type]
    assert reached == ["websocket.connect"]


# -- bounded memory: counts for all, details for the first few -----------------------------


async def both_keys_echo(scope: Any, receive: Any, send: Any) -> None:
    """Echoes every text with ``bytes`` set as well: one WS-036 per message."""
    await receive()
    await send({"type": "websocket.accept"})
    while (message := await receive())["type"] == "websocket.receive":
        await send({"type": "websocket.send", "text": message["text"], "bytes": b"!"})


def chatter(count: int, text: str = "hi") -> Server:
    return Server(CONNECT, *[{"type": "websocket.receive", "text": text}] * count, BYE)


@pytest.mark.parametrize("mode", ["warn", "record"])
def test_every_violation_is_counted_and_only_the_first_few_are_kept(mode: str) -> None:
    app = asgiws.check(both_keys_echo, mode=mode, keep=3)  # type: ignore[arg-type]
    server = chatter(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProtocolWarning)
        run(app, server)
    assert len(server.sent) == 11  # every message passed
    assert len(app.violations) == 3
    assert app.counts == {ViolationKey("WS-036", Side.SEND, "websocket.send"): 10}
    assert app.total == 10


def test_the_default_keeps_a_hundred_and_zero_keeps_none() -> None:
    default = asgiws.check(both_keys_echo, mode="record")
    run(default, chatter(150))
    none = asgiws.check(both_keys_echo, mode="record", keep=0)
    run(none, chatter(150))
    assert (len(default.violations), default.total) == (DEFAULT_KEEP, 150) == (100, 150)
    assert (len(none.violations), none.total) == (0, 150)


@pytest.mark.parametrize("keep", [-1, 1.5, True, "10", None])
def test_keep_must_be_a_whole_number(keep: Any) -> None:
    with pytest.raises(ValueError, match="keep must be a whole number of violations, 0 or more, not "):
        asgiws.check(echo.app, keep=keep)


def test_a_kept_violation_is_a_small_summary_of_a_huge_message() -> None:
    app = asgiws.check(both_keys_echo, mode="record")
    run(app, chatter(1, text="x" * 1_000_000))
    (violation,) = app.violations
    assert violation == RecordedViolation(
        path="/ws",
        clause="WS-036",
        side=Side.SEND,
        states=States(State.CONNECTED, State.CONNECTED),
        message_type="websocket.send",
        text="Invalid 'websocket.send' message: exactly one of bytes / text must be set (not None) [WS-036]",
        excerpt="{'type': 'websocket.send', 'text': '" + "x" * 40 + "'...(1000000 chars), 'bytes': b'!'}",
    )
    assert violation.direction == "app -> server"
    assert violation.key == ViolationKey("WS-036", Side.SEND, "websocket.send")
    assert str(violation) == "WS-036 app -> server on /ws: " + violation.text


class Locals:
    """Something only the app's frame refers to."""


def test_raise_mode_keeps_neither_the_error_nor_the_apps_locals() -> None:
    seen: list[weakref.ref[Locals]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        mine = Locals()
        seen.append(weakref.ref(mine))
        await receive()
        await send({"type": "websocket.close", "code": 1006})

    checked = asgiws.check(app)
    with pytest.raises(InvalidMessageError):
        run(checked, Server(CONNECT))
    gc.collect()
    assert seen[0]() is None  # the traceback held the app's frame; nothing holds the traceback
    assert [v.clause for v in checked.violations] == ["RFC-002"]


@pytest.mark.parametrize("mode", ["raise", "warn", "record"])
def test_on_violation_sees_every_one_before_the_mode_acts(mode: str) -> None:
    seen: list[RecordedViolation] = []
    app = asgiws.check(both_keys_echo, mode=mode, keep=0, on_violation=seen.append)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProtocolWarning)
        try:
            run(app, chatter(5))
        except InvalidMessageError:
            assert mode == "raise"
    assert [v.clause for v in seen] == ["WS-036"] * (1 if mode == "raise" else 5)
    assert app.violations == []


def test_what_on_violation_raises_reaches_the_call_that_carried_the_message() -> None:
    def stop(violation: RecordedViolation) -> None:
        raise LookupError(violation.clause)

    server = chatter(1)
    with pytest.raises(LookupError, match="WS-036"):
        run(asgiws.check(both_keys_echo, mode="record", on_violation=stop), server)
    assert server.sent == [{"type": "websocket.accept"}]


def test_warn_mode_logs_every_violation_and_warns_once_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    app = asgiws.check(both_keys_echo, mode="warn")
    with pytest.warns(ProtocolWarning) as caught, caplog.at_level(logging.WARNING, logger="asgiws.check"):
        run(app, chatter(4))
    assert len(caught) == 1
    logged = [(r.name, r.levelno, r.getMessage()[:29]) for r in caplog.records]
    assert logged == [("asgiws.check", logging.WARNING, "WS-036 app -> server on /ws: ")] * 4


def test_record_mode_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="asgiws"):
        run(asgiws.check(both_keys_echo, mode="record"), chatter(2))
    assert caplog.records == []


def test_a_path_with_control_characters_stays_one_printable_line() -> None:
    app = asgiws.check(both_keys_echo, mode="record")
    run(app, chatter(1), {**SCOPE, "path": "/a\nb\x1b[31m" + "p" * 500})
    (violation,) = app.violations
    assert len(violation.path) == 200
    assert str(violation).startswith("WS-036 app -> server on /a\\x0ab\\x1b[31mppp")
    assert str(violation).isprintable()


def test_a_path_that_is_not_a_str_is_left_out() -> None:
    app = asgiws.check(both_keys_echo, mode="record")
    run(app, chatter(1), {**SCOPE, "path": b"/ws"})
    assert app.violations[0].path == ""


# -- the excerpt: bounded, and built without asking the message's objects ------------------


class Raises(dict[str, Any]):
    """A message whose every way in raises."""

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Any:
        raise RuntimeError("no iteration")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Named(type):
    @property
    def __name__(self) -> str:  # type: ignore[override]
        raise RuntimeError("no name")


class Nameless(metaclass=Named):
    pass


class Claims:
    """An object that says it is a str."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return str


class Text(str):
    def __getitem__(self, key: Any) -> str:
        raise RuntimeError("no slicing")


class Items(list[Any]):
    def __getitem__(self, key: Any) -> Any:
        raise RuntimeError("no items")

    def __len__(self) -> int:
        raise RuntimeError("no length")


class Data(bytes):
    def __getitem__(self, key: Any) -> Any:
        raise RuntimeError("no slicing")


def _looped() -> list[Any]:
    looped: list[Any] = []
    looped.append(looped)
    return looped


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (None, "None"),
        (Raises(type="websocket.send"), "{'type': 'websocket.send'}"),
        (Nameless(), "<Nameless>"),
        (Claims(), "<Claims>"),
        ({"text": Text("abc")}, "{'text': 'abc'}"),
        (
            {"code": 10**400, "small": -(2**63), "f": 1.5, "b": True},
            "{'code': <int of 1329 bits>, 'small': -9223372036854775808, 'f': 1.5, 'b': True}",
        ),
        ({"headers": [(b"a", b"b")] * 9}, "{'headers': [" + "[b'a', b'b'], " * 8 + "...(1 more)]}"),
        ({"bytes": b"\x00" * 41}, "{'bytes': b'" + "\\x00" * 40 + "'...(41 bytes)}"),
        (dict.fromkeys(range(20), 0), "{0: 0, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, ...(12 more)}"),
        ({"deep": {"er": {"est": {"still": 1}}}, "a": [[[1]]]}, "{'deep': {'er': {'est': {...}}}, 'a': [[[...]]]}"),
        (("websocket.send",), "['websocket.send']"),
        ({"headers": Items([b"a"]), "bytes": Data(b"xy")}, "{'headers': [b'a'], 'bytes': b'xy'}"),
        (_looped(), "[[[[...]]]]"),
    ],
    ids=[
        "none",
        "raising-dict",
        "raising-name",
        "false-class",
        "str-subclass",
        "numbers",
        "long-list",
        "bytes",
        "many-keys",
        "deep",
        "tuple",
        "raising-list-and-bytes",
        "loop",
    ],
)
def test_the_excerpt_of_anything(message: object, shown: str) -> None:
    assert excerpt(message) == shown


def test_the_excerpt_is_cut_at_300_characters() -> None:
    shown = excerpt({f"key{n}": "v" * 40 for n in range(8)})
    assert len(shown) == 300
    assert shown.endswith("...")
