"""``asgiws.check(app)``: the live middleware, in its three modes and both directions."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import MutableMapping
from typing import Any

import pytest

import asgiws
from asgiws import InvalidMessageError, ProtocolWarning, WrongStateError
from asgiws.spec import Side
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
    assert [(v.path, v.error.clause, v.direction) for v in app.violations] == [("/ws", "WS-024", "app -> server")]


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
    with pytest.warns(ProtocolWarning, match=r"Expected ASGI message .* \(on /ws\)"):
        run(app, server)
    assert [m["type"] for m in server.sent] == ["websocket.send", "websocket.accept", "websocket.close"]


def test_record_mode_keeps_violations_quietly() -> None:
    app = asgiws.check(binary_echo_bug.app, mode="record")
    server = Server(CONNECT, BINARY, TEXT, BYE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(app, server)
    assert [v.error.clause for v in app.violations] == ["WS-036"]
    assert [m.get("text") for m in server.sent[1:]] == [None, "hi"]


def test_the_servers_mistakes_are_caught_too() -> None:
    app = asgiws.check(echo.app, mode="record")
    server = Server(CONNECT, {"type": "websocket.receive", "text": "a", "bytes": b"b"}, {"type": "websocket.disconnect"})
    run(app, server)
    assert [(v.error.clause, v.direction, v.error.side) for v in app.violations] == [
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
    assert [v.error.clause for v in app.violations] == ["RFC-016"]


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
    assert [v.error.clause for v in app.violations] == ["WS-052"]


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
    assert [v.error.clause for v in app.violations] == ["RFC-002", "RFC-016"]


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
