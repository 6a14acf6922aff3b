"""Faults at every await point: the connection's state stays what the server can have seen.

The rule (``docs/explanation/guarantees.md``): a ``send()`` of the server's that
raises ``OSError`` means the connection is gone (spec 2.4), and the state says
so; a ``send()`` that raises anything else, or is cancelled, leaves the state
where it was before the message, unless something else (a ``receive()`` in
another task) moved it meanwhile. Either way the next call is judged from
there, so nothing reaches the server that the state would not allow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from asgiws import ProtocolViolation, WebSocket, WrongStateError
from asgiws._compiled import wrap
from asgiws._state import ConnectionState
from asgiws.spec import State
from tests.scripted_server import Message, websocket_scope

CONNECT: Message = {"type": "websocket.connect"}


class Faulty(Exception):
    """What the test server's send() raises that is not an OSError."""


class Payload(bytes):
    """Bytes, but not exactly: the inline test leaves it to the judge."""

    __slots__ = ()


class FaultyServer:
    """Delivers the connect, then whatever is queued; ``send()`` raises ``fault`` once armed."""

    def __init__(self, *incoming: Message) -> None:
        self.incoming = [CONNECT, *incoming]
        self.sent: list[Message] = []
        self.fault: BaseException | None = None

    async def receive(self) -> Message:
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        if self.fault is not None:
            fault, self.fault = self.fault, None
            raise fault
        self.sent.append(message)


Call = Callable[[WebSocket], Awaitable[Any]]

#: Every call of WebSocket's that awaits the server's send(), and the state pair it starts from.
AWAIT_POINTS: dict[str, tuple[bool, Call]] = {
    # name: (accepted first, the call)
    "accept": (False, lambda ws: ws.accept()),
    "send": (True, lambda ws: ws.send({"type": "websocket.send", "text": "x"})),
    "send_accept": (False, lambda ws: ws.send({"type": "websocket.accept"})),
    "send_text": (True, lambda ws: ws.send_text("x")),
    "send_bytes": (True, lambda ws: ws.send_bytes(b"x")),
    # Not the plainest data: the judge takes these (and they stay where they are).
    "send_text_non_ascii": (True, lambda ws: ws.send_text("é")),
    "send_bytes_subclass": (True, lambda ws: ws.send_bytes(Payload(b"x"))),
    "send_json": (True, lambda ws: ws.send_json({"a": 1})),
    "send_json_binary": (True, lambda ws: ws.send_json({"a": 1}, mode="binary")),
    "close": (True, lambda ws: ws.close(1000)),
    "close_before_accept": (False, lambda ws: ws.close(1000)),
    "denial_response": (False, lambda ws: ws.send_denial_response(PlainTextResponse("no", status_code=403))),
}
FAULTS: dict[str, Callable[[], BaseException]] = {
    "RuntimeError": lambda: RuntimeError("the server refused it"),
    "own exception": lambda: Faulty("boom"),
    "cancelled": asyncio.CancelledError,
    "KeyboardInterrupt": KeyboardInterrupt,
}


async def _ready(accepted: bool) -> tuple[WebSocket, FaultyServer]:
    server = FaultyServer()
    ws = WebSocket(websocket_scope("2.5", denial=True), server.receive, server.send)
    if accepted:
        await ws.accept()
    else:
        await ws.receive()  # the connect: the handshake is due
    server.sent.clear()
    return ws, server


@pytest.mark.parametrize("point", AWAIT_POINTS)
@pytest.mark.parametrize("fault", FAULTS)
def test_a_send_that_raises_anything_but_oserror_leaves_the_state_where_it_was(point: str, fault: str) -> None:
    accepted, call = AWAIT_POINTS[point]

    async def run() -> None:
        ws, server = await _ready(accepted)
        before = (ws.client_state, ws.application_state)
        server.fault = FAULTS[fault]()
        with pytest.raises(type(server.fault)):
            await call(ws)
        assert (ws.client_state, ws.application_state) == before
        assert server.sent == []
        # Judged from where it was: the same call now goes through, as it would have.
        await call(ws)
        assert server.sent

    asyncio.run(run())


def test_after_a_failed_accept_data_is_refused_and_reaches_no_server() -> None:
    async def run() -> None:
        ws, server = await _ready(accepted=False)
        server.fault = RuntimeError("no")
        with pytest.raises(RuntimeError, match="no"):
            await ws.accept()
        assert ws.application_state is WebSocketState.CONNECTING
        with pytest.raises(WrongStateError) as caught:
            await ws.send_text("x")
        assert caught.value.clause == "WS-024"
        assert server.sent == []

    asyncio.run(run())


@pytest.mark.parametrize("point", AWAIT_POINTS)
def test_a_send_that_raises_oserror_leaves_the_connection_gone(point: str) -> None:
    accepted, call = AWAIT_POINTS[point]

    async def run() -> None:
        ws, server = await _ready(accepted)
        server.fault = OSError("reset")
        if point.startswith("close"):
            await call(ws)  # closing a connection that is gone is what was wanted
        else:
            with pytest.raises(WebSocketDisconnect) as caught:
                await call(ws)
            assert caught.value.code == 1006
        assert ws.application_state is WebSocketState.DISCONNECTED
        with pytest.raises(ProtocolViolation):  # refused before the server: nothing more can be sent
            await ws.send_text("x")
        assert server.sent == []

    asyncio.run(run())


def test_a_failed_send_does_not_undo_a_disconnect_received_meanwhile() -> None:
    # The writer's send is slow and then fails; the reader gets the disconnect in between.
    async def run() -> None:
        gate = asyncio.Event()
        delivered: list[Message] = [CONNECT]

        async def receive() -> Message:
            if delivered:
                return delivered.pop(0)
            return {"type": "websocket.disconnect", "code": 1001}

        async def send(message: Message) -> None:
            if message["type"] == "websocket.close":
                await gate.wait()
                raise RuntimeError("too late")

        ws = WebSocket(websocket_scope("2.5"), receive, send)
        await ws.accept()
        closing = asyncio.create_task(ws.close())
        await asyncio.sleep(0)
        assert await ws.receive() == {"type": "websocket.disconnect", "code": 1001}
        gate.set()
        with pytest.raises(RuntimeError, match="too late"):
            await closing
        assert ws.client_state is WebSocketState.DISCONNECTED

    asyncio.run(run())


@pytest.mark.parametrize("fault", FAULTS)
def test_the_middlewares_send_leaves_the_state_where_it_was_too(fault: str) -> None:
    async def run() -> None:
        server = FaultyServer()
        state = ConnectionState(websocket_scope("2.5"))
        receive, send = wrap(state, server.receive, server.send)
        await receive()
        server.fault = FAULTS[fault]()
        with pytest.raises(type(server.fault)):
            await send({"type": "websocket.accept"})
        assert state.states == (State.CONNECTED, State.CONNECTING)
        await send({"type": "websocket.accept"})
        assert state.states == (State.CONNECTED, State.CONNECTED)
        server.fault = FAULTS[fault]()
        with pytest.raises(type(server.fault)):
            await send({"type": "websocket.send", "text": "x"})
        assert state.states == (State.CONNECTED, State.CONNECTED)

    asyncio.run(run())


def test_the_middleware_records_an_oserror_and_lets_it_propagate() -> None:
    async def run() -> None:
        server = FaultyServer()
        state = ConnectionState(websocket_scope("2.5"))
        receive, send = wrap(state, server.receive, server.send)
        await receive()
        await send({"type": "websocket.accept"})
        server.fault = OSError("reset")
        with pytest.raises(OSError, match="reset"):
            await send({"type": "websocket.send", "text": "x"})
        assert state.states.send is State.DISCONNECTED

    asyncio.run(run())
