"""``asgiws.WebSocket``, the runtime class: every method in every state, Starlette compatibility, the differences.

The grid at the top drives a fresh ``WebSocket`` into every reachable pair of
(client_state, application_state) through a scripted server
(``tests/scripted_server.py``), calls one public method there, and compares the
outcome with an oracle written out below from the spec's tables and
Starlette's texts: the messages the server received, the states after, or the
exception's exact class, text and clause (a refused call sends nothing and
changes nothing). The rest of the file pins Starlette compatibility (with
Starlette's own TestClient), each documented difference from Starlette, and
the interleavings of a reader and a writer task.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import fastapi
import pytest
import starlette.websockets
from starlette.exceptions import StarletteDeprecationWarning
from starlette.responses import FileResponse, PlainTextResponse, StreamingResponse
from starlette.types import Message as StarletteMessage
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect, WebSocketState

import asgiws
from asgiws import (
    InvalidMessageError,
    NotConnectedError,
    PeerGoneError,
    ProtocolViolation,
    UnexpectedDataError,
    WebSocket,
    WrongStateError,
)
from asgiws._machine import compile_machine
from asgiws.spec import SpecVersion, State

from .helpers import reachable
from .scripted_server import Message, ScriptedServer, websocket_scope

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 and warns once, on import, when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketDenialResponse

# -- the messages and texts the oracle is written in ---------------------------------------

CONNECT: Message = {"type": "websocket.connect"}
ACCEPT: Message = {"type": "websocket.accept"}
CLOSE: Message = {"type": "websocket.close", "code": 1000}
START: Message = {"type": "websocket.http.response.start", "status": 403}
BODY_MORE: Message = {"type": "websocket.http.response.body", "body": b"n", "more_body": True}
BODY_LAST: Message = {"type": "websocket.http.response.body", "body": b"o"}
DATA_TEXT: Message = {"type": "websocket.receive", "text": "hello"}
DATA_BYTES: Message = {"type": "websocket.receive", "bytes": b"hello"}
SEND_DATA: Message = {"type": "websocket.send", "text": "hi"}
#: Every disconnect the grid delivers: the client's code and reason, so that a
#: PeerGoneError is seen to carry them and not 1006.
GONE: Message = {"type": "websocket.disconnect", "code": 1001, "reason": "going away"}

RECEIVE_EXHAUSTED = 'Cannot call "receive" once a disconnect message has been received.'
SEND_EXHAUSTED = 'Cannot call "send" once a close message has been sent.'
NOT_ACCEPTED = 'WebSocket is not connected. Need to call "accept" first.'
NO_DENIAL = "The server doesn't support the Websocket Denial Response extension."
BAD_MODE = 'The "mode" argument should be "text" or "binary".'

DENIAL_TYPES = ("websocket.http.response.start", "websocket.http.response.body")
DENIAL_RESPONSE_SENT: tuple[Message, ...] = (
    {
        "type": "websocket.http.response.start",
        "status": 403,
        "headers": [(b"content-length", b"2"), (b"content-type", b"text/plain; charset=utf-8")],
    },
    {"type": "websocket.http.response.body", "body": b"no"},
)

FROM_STATE = {State.CONNECTING: "C", State.CONNECTED: "K", State.DISCONNECTED: "D", State.RESPONSE: "R"}

# -- driving a WebSocket into a node ---------------------------------------------------------

#: How to reach each reachable node, named by its (client, application) states:
#: C=CONNECTING, K=CONNECTED, D=DISCONNECTED, R=RESPONSE. ``recv`` delivers a
#: message and receives it; ``send`` sends one.
PATHS: dict[str, tuple[tuple[str, Message], ...]] = {
    "CC": (),
    "KC": (("recv", CONNECT),),
    "CK": (("send", ACCEPT),),
    "CD": (("send", CLOSE),),
    "CR": (("send", START),),
    "DC": (("recv", CONNECT), ("recv", GONE)),
    "KK": (("recv", CONNECT), ("send", ACCEPT)),
    "KD": (("recv", CONNECT), ("send", ACCEPT), ("send", CLOSE)),
    "DK": (("recv", CONNECT), ("send", ACCEPT), ("recv", GONE)),
    "DD": (("recv", CONNECT), ("send", ACCEPT), ("send", CLOSE), ("recv", GONE)),
    "RR": (("recv", CONNECT), ("send", START)),
    "DR": (("recv", CONNECT), ("send", START), ("recv", GONE)),
    "RD": (("recv", CONNECT), ("send", START), ("send", BODY_LAST)),
}
DENIAL_NODES = ("CR", "RR", "DR", "RD")


def _label(ws: WebSocket) -> str:
    return FROM_STATE[State(ws.client_state.value)] + FROM_STATE[State(ws.application_state.value)]


def _label_of(states: tuple[State, State]) -> str:
    return FROM_STATE[states[0]] + FROM_STATE[states[1]]


async def _drive(ws: WebSocket, server: ScriptedServer, path: tuple[tuple[str, Message], ...]) -> None:
    for side, msg in path:
        if side == "recv":
            server.deliver(msg)
            assert await ws.receive() == msg
        else:
            await ws.send(msg)


def _connection(label: str, *, denial: bool) -> tuple[WebSocket, ScriptedServer]:
    """A WebSocket (spec 2.5) in the node ``label``, its server's records emptied."""
    server = ScriptedServer()
    ws = WebSocket(websocket_scope("2.5", denial=denial), server.receive, server.send)
    asyncio.run(_drive(ws, server, PATHS[label]))
    assert _label(ws) == label
    server.sent.clear()
    return ws, server


def test_the_paths_reach_every_reachable_node_and_nothing_else() -> None:
    for denial in (False, True):
        expected = {FROM_STATE[a] + FROM_STATE[b] for a, b in (node.states for node in reachable(compile_machine("2.5", denial)))}
        assert expected == {label for label in PATHS if denial or label not in DENIAL_NODES}


# -- the oracle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """The call returned ``result`` after sending ``sent``; the states are then ``after``."""

    after: str
    sent: tuple[Message, ...] = ()
    result: object = None
    consumed: int = 0


@dataclass(frozen=True)
class Fails:
    """The call raised exactly ``error`` with this text and main clause.

    ``after`` is None when nothing changed; ``consumed`` counts the queued
    messages the call took from the server before failing.
    """

    error: type[BaseException]
    text: str
    clause: str
    after: str | None = None
    consumed: int = 0
    extra: dict[str, object] = field(default_factory=dict)


Outcome = Done | Fails

# The application's table (Starlette's, plus the denial body's guard): (send state, type) -> new send state.
SEND_TABLE = {
    ("C", "websocket.accept"): "K",
    ("C", "websocket.close"): "D",
    ("C", "websocket.http.response.start"): "R",
    ("K", "websocket.send"): "K",
    ("K", "websocket.close"): "D",
}
# The clause each refused (send state, type) cites first.
SEND_REFUSED = {
    ("C", "websocket.send"): "WS-024",
    ("C", "websocket.http.response.body"): "WS-050a",
    ("K", "websocket.accept"): "WS-024",
    ("K", "websocket.http.response.start"): "WS-048",
    ("K", "websocket.http.response.body"): "WS-048",
    **{("R", kind): "WS-049" for kind in ("websocket.accept", "websocket.send", "websocket.close", "websocket.http.response.start")},
    **{("D", kind): "RFC-016" for kind in ("websocket.accept", "websocket.send", "websocket.close", *DENIAL_TYPES)},
}
# Why data cannot come, by client state, when the application has answered the handshake.
NO_DATA = {
    "C": ("J-01", "websocket.connect is delivered first, before anything else"),
    "R": ("J-05", "the handshake is being answered with an HTTP response, so no data can arrive"),
}


def _expected_text(allowed: tuple[str, ...], got: str) -> str:
    quoted = [f'"{kind}"' for kind in allowed]
    names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"Expected ASGI message {names}, but got {got!r}"


def _settle(client: str, app: str) -> str:
    # Once a denial response starts, the client side can only see the disconnect (J-05).
    return "RR" if (client, app) == ("K", "R") else client + app


def _allowed_send(app: str, denial: bool) -> tuple[str, ...]:
    return {
        "C": ("websocket.accept", "websocket.close", *(DENIAL_TYPES[:1] if denial else ())),
        "K": ("websocket.send", "websocket.close"),
        "R": ("websocket.http.response.body",),
        "D": (),
    }[app]


def _allowed_receive(client: str, app: str) -> tuple[str, ...]:
    return {
        "C": ("websocket.connect",),
        "K": ("websocket.disconnect",) if app == "C" else ("websocket.receive", "websocket.disconnect"),
        "R": ("websocket.disconnect",),
        "D": (),
    }[client]


def send_outcome(label: str, denial: bool, message: Message) -> Outcome:
    """What ``send(message)`` does in the node ``label``."""
    client, app = label[0], label[1]
    kind = message["type"]
    if kind in DENIAL_TYPES and not denial:
        text = f"{kind!r} needs the websocket.http.response extension, which the server did not advertise [WS-015]"
        return Fails(InvalidMessageError, text, "WS-015")
    target = SEND_TABLE.get((app, kind))
    if app == "R" and kind == "websocket.http.response.body":
        target = "R" if message.get("more_body") else "D"
    if target is not None:
        if client == "D":
            return Fails(
                PeerGoneError, f"Cannot send {kind!r}: the client has disconnected [J-09]", "J-09", extra={"code": 1001, "reason": "going away"}
            )
        return Done(_settle(client, target), sent=(message,))
    clause = SEND_REFUSED[app, kind]
    if app == "D":  # the send side itself takes nothing any more
        return Fails(NotConnectedError, SEND_EXHAUSTED, clause)
    # Starlette's words, from what the send side's own state takes (even once the client left).
    return Fails(WrongStateError, _expected_text(_allowed_send(app, denial), kind), clause)


def receive_outcome(label: str, message: Message) -> Outcome:
    """What ``receive()`` does in the node ``label`` when the server delivers ``message``."""
    client, app = label[0], label[1]
    kind = message["type"]
    if client == "D":
        return Fails(NotConnectedError, RECEIVE_EXHAUSTED, "AMB-17")
    allowed = _allowed_receive(client, app)
    if kind in allowed:
        after = {"websocket.connect": _settle("K", app), "websocket.receive": label, "websocket.disconnect": "D" + app}[kind]
        return Done(after, result=message, consumed=1)
    clause = "J-01" if "connect" in kind or client == "C" else {"K": "J-03", "R": "J-05"}[client]
    if clause == "J-03":  # the receive side takes data; the other side's state refuses it
        text = f"Unexpected ASGI message {kind!r}: no websocket.receive is delivered before the application accepted [J-03]"
        return Fails(WrongStateError, text, clause, consumed=1)
    own = {"C": ("websocket.connect",), "K": ("websocket.receive", "websocket.disconnect"), "R": ("websocket.disconnect",)}[client]
    return Fails(WrongStateError, _expected_text(own, kind), clause, consumed=1)


def data_outcome(label: str, result: object, count: int = 1) -> Outcome:
    """What a ``receive_*`` helper does in ``label`` when data is queued: it returns it, or refuses to wait."""
    client, app = label[0], label[1]
    if client == "D":
        return Fails(NotConnectedError, RECEIVE_EXHAUSTED, "AMB-17")
    if client == "K" and app != "C":
        return Done("D" + app if count > 1 else label, result=result, consumed=count)
    if client == "C" and app in "KD":
        # Accepted (or closed) without receiving websocket.connect: it is consumed first.
        return Done("D" + app if count > 1 else "K" + app, result=result, consumed=count + 1)
    if app == "C":
        return Fails(NotConnectedError, NOT_ACCEPTED, "J-03")
    # A denial response: no data can ever come (judged after the pending connect, if any).
    clause, rule = NO_DATA["R"]
    return Fails(NotConnectedError, f"Cannot receive data: {rule} [{clause}]", clause)


def accept_outcome(label: str, denial: bool, message: Message) -> Outcome:
    """``accept()`` receives ``websocket.connect`` first while it is due, then sends the accept."""
    client, app = label[0], label[1]
    if client != "C":
        return send_outcome(label, denial, message)
    # As in Starlette, websocket.connect is consumed even when the accept is then refused.
    consumed = _settle("K", app)
    outcome = send_outcome(consumed, denial, message)
    if isinstance(outcome, Done):
        return Done(outcome.after, outcome.sent, consumed=1)
    return Fails(outcome.error, outcome.text, outcome.clause, after=consumed, consumed=1)


def close_outcome(label: str, denial: bool, message: Message) -> Outcome:
    """``close()`` is a no-op once nothing can be sent (closed, denied, client gone)."""
    client, app = label[0], label[1]
    if client == "D" or app == "D":
        return Done(label)
    return send_outcome(label, denial, message)


def denial_outcome(label: str, denial: bool) -> Outcome:
    """``send_denial_response()`` refuses without the extension, in Starlette's words, or sends the response."""
    if not denial:
        return Fails(InvalidMessageError, NO_DENIAL, "WS-015")
    outcome = send_outcome(label, denial, START)
    if isinstance(outcome, Fails):
        return outcome
    return Done(outcome.after[0] + "D", sent=DENIAL_RESPONSE_SENT)


# -- the calls -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One public method call: what to queue for it, and what the oracle says."""

    name: str
    invoke: Callable[[WebSocket], Awaitable[object]]
    incoming: tuple[Message, ...]
    oracle: Callable[[str, bool], Outcome]


async def _collect(iterator: Any) -> list[object]:
    return [item async for item in iterator]


def _raw_receive(message: Message) -> Call:
    return Call(
        f"receive-{message['type'].rpartition('.')[2]}", lambda ws: ws.receive(), (message,), lambda label, _: receive_outcome(label, message)
    )


def _raw_send(name: str, message: Message) -> Call:
    return Call(f"send-{name}", lambda ws: ws.send(message), (), lambda label, denial: send_outcome(label, denial, message))


def _send_helper(name: str, invoke: Callable[[WebSocket], Awaitable[object]], message: Message) -> Call:
    return Call(name, invoke, (), lambda label, denial: send_outcome(label, denial, message))


CALLS: tuple[Call, ...] = (
    _raw_receive(CONNECT),
    _raw_receive(DATA_TEXT),
    _raw_receive(GONE),
    _raw_send("accept", ACCEPT),
    _raw_send("data", SEND_DATA),
    _raw_send("close", CLOSE),
    _raw_send("response-start", START),
    _raw_send("response-body-more", BODY_MORE),
    _raw_send("response-body-last", BODY_LAST),
    Call(
        "accept()",
        lambda ws: ws.accept(),
        (CONNECT,),
        lambda label, denial: accept_outcome(label, denial, {"type": "websocket.accept", "subprotocol": None, "headers": []}),
    ),
    Call(
        "accept(subprotocol, headers)",
        lambda ws: ws.accept("chat", [(b"x-custom", b"1")]),
        (CONNECT,),
        lambda label, denial: accept_outcome(label, denial, {"type": "websocket.accept", "subprotocol": "chat", "headers": [(b"x-custom", b"1")]}),
    ),
    Call("receive_text()", lambda ws: ws.receive_text(), (DATA_TEXT,), lambda label, _: data_outcome(label, "hello")),
    Call("receive_bytes()", lambda ws: ws.receive_bytes(), (DATA_BYTES,), lambda label, _: data_outcome(label, b"hello")),
    Call(
        "receive_json()",
        lambda ws: ws.receive_json(),
        ({"type": "websocket.receive", "text": '{"a": [1, "\\u00e9"]}'},),
        lambda label, _: data_outcome(label, {"a": [1, "é"]}),
    ),
    Call(
        "receive_json(binary)",
        lambda ws: ws.receive_json(mode="binary"),
        ({"type": "websocket.receive", "bytes": '{"é": null}'.encode()},),
        lambda label, _: data_outcome(label, {"é": None}),
    ),
    Call(
        "iter_text()",
        lambda ws: _collect(ws.iter_text()),
        (DATA_TEXT, {"type": "websocket.receive", "text": "again"}, GONE),
        lambda label, _: data_outcome(label, ["hello", "again"], count=3),
    ),
    Call(
        "iter_bytes()",
        lambda ws: _collect(ws.iter_bytes()),
        (DATA_BYTES, {"type": "websocket.receive", "bytes": b""}, GONE),
        lambda label, _: data_outcome(label, [b"hello", b""], count=3),
    ),
    Call(
        "iter_json()",
        lambda ws: _collect(ws.iter_json()),
        ({"type": "websocket.receive", "text": "1"}, {"type": "websocket.receive", "text": "[]"}, GONE),
        lambda label, _: data_outcome(label, [1, []], count=3),
    ),
    _send_helper("send_text()", lambda ws: ws.send_text("hi"), SEND_DATA),
    _send_helper("send_bytes()", lambda ws: ws.send_bytes(b"hi"), {"type": "websocket.send", "bytes": b"hi"}),
    _send_helper("send_json()", lambda ws: ws.send_json({"a": [1, "é"]}), {"type": "websocket.send", "text": '{"a":[1,"é"]}'}),
    _send_helper(
        "send_json(binary)",
        lambda ws: ws.send_json({"a": [1, "é"]}, mode="binary"),
        {"type": "websocket.send", "bytes": '{"a":[1,"é"]}'.encode()},
    ),
    Call(
        "close()",
        lambda ws: ws.close(),
        (),
        lambda label, denial: close_outcome(label, denial, {"type": "websocket.close", "code": 1000, "reason": ""}),
    ),
    Call(
        "close(code, reason)",
        lambda ws: ws.close(4000, "bye"),
        (),
        lambda label, denial: close_outcome(label, denial, {"type": "websocket.close", "code": 4000, "reason": "bye"}),
    ),
    Call("send_denial_response()", lambda ws: ws.send_denial_response(PlainTextResponse("no", status_code=403)), (), denial_outcome),
)

GRID = [
    pytest.param(label, denial, call, id=f"{'denial' if denial else 'plain'}-{label}-{call.name}")
    for denial in (False, True)
    for label in PATHS
    if denial or label not in DENIAL_NODES
    for call in CALLS
]


async def _outcome_of(call: Call, ws: WebSocket) -> tuple[object, BaseException | None]:
    try:
        return await call.invoke(ws), None
    except Exception as error:
        return None, error


@pytest.mark.parametrize(("label", "denial", "call"), GRID)
def test_every_public_method_in_every_reachable_state(label: str, denial: bool, call: Call) -> None:
    ws, server = _connection(label, denial=denial)
    # A real server still holds websocket.connect while the receive side has not
    # seen it; the data helpers may take it first, so queue it for them.
    pending = (CONNECT,) if label[0] == "C" and call.name.startswith(("receive_", "iter_")) else ()
    server.deliver(*pending, *call.incoming)
    expected = call.oracle(label, denial)
    result, error = asyncio.run(_outcome_of(call, ws))
    consumed = len(pending) + len(call.incoming) - len(server.incoming)
    if isinstance(expected, Done):
        assert error is None, f"{type(error).__name__}: {error}"
        assert result == expected.result
        assert server.sent == list(expected.sent)
        assert _label(ws) == expected.after
    else:
        assert type(error) is expected.error, f"{type(error).__name__}: {error}"
        assert str(error) == expected.text
        assert isinstance(error, ProtocolViolation)
        assert error.clause == expected.clause
        assert _label_of(error.states) == (expected.after or label)  # judged where the call stood
        for name, value in expected.extra.items():
            assert getattr(error, name) == value
        assert server.sent == []  # a refused call sends nothing...
        assert _label(ws) == (expected.after or label)  # ...and changes no state
    assert consumed == expected.consumed


# -- Starlette compatibility: the same texts as Starlette's own class -----------------------

Scenario = Callable[[starlette.websockets.WebSocket], Coroutine[Any, Any, object]]


async def _receive_times(ws: starlette.websockets.WebSocket, count: int) -> None:
    for _ in range(count):
        await ws.receive()


async def _accept_then_receive(ws: starlette.websockets.WebSocket) -> None:
    await ws.accept()
    await ws.receive()


async def _accept_twice(ws: starlette.websockets.WebSocket) -> None:
    await ws.accept()
    await ws.accept()


async def _send_twice(ws: starlette.websockets.WebSocket, message: Message) -> None:
    await ws.send(message)
    await ws.send(message)


async def _denial_after_accept(ws: starlette.websockets.WebSocket) -> None:
    await ws.accept()
    await ws.send_denial_response(PlainTextResponse("no", status_code=403))


async def _forced_back_to_connecting(ws: starlette.websockets.WebSocket) -> None:
    await ws.accept()
    ws.client_state = WebSocketState.CONNECTING  # what Starlette's own test does
    await ws.receive()


async def _body_then(ws: starlette.websockets.WebSocket, message: Message) -> None:
    await ws.send(START)
    await ws.send(message)


async def _send_after_denial(ws: starlette.websockets.WebSocket) -> None:
    await _body_then(ws, BODY_LAST)
    await ws.send(SEND_DATA)


#: (name, what the server delivers, whether it advertises the denial extension, what the app does, Starlette's text)
STARLETTE_TEXTS: list[tuple[str, tuple[Message, ...], bool, Scenario, str]] = [
    ("data-before-connect", (DATA_TEXT,), True, lambda ws: ws.receive(), "Expected ASGI message \"websocket.connect\", but got 'websocket.receive'"),
    (
        "connect-after-accept",
        (CONNECT, CONNECT),
        True,
        _accept_then_receive,
        'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got \'websocket.connect\'',
    ),
    ("receive-after-disconnect", (CONNECT, GONE, DATA_TEXT), True, lambda ws: _receive_times(ws, 3), RECEIVE_EXHAUSTED),
    (
        "send-before-accept",
        (),
        True,
        lambda ws: ws.send(SEND_DATA),
        'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", but got \'websocket.send\'',
    ),
    (
        "body-before-start",
        (),
        True,
        lambda ws: ws.send(BODY_LAST),
        'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", but got \'websocket.http.response.body\'',
    ),
    ("accept-twice", (CONNECT,), True, _accept_twice, 'Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.accept\''),
    ("raw-close-twice", (), True, lambda ws: _send_twice(ws, CLOSE), SEND_EXHAUSTED),
    ("send-after-denial", (), True, _send_after_denial, SEND_EXHAUSTED),
    ("receive_text-before-accept", (), True, lambda ws: ws.receive_text(), NOT_ACCEPTED),
    ("receive_bytes-before-accept", (), True, lambda ws: ws.receive_bytes(), NOT_ACCEPTED),
    ("receive_json-before-accept", (), True, lambda ws: ws.receive_json(), NOT_ACCEPTED),
    ("receive_json-bad-mode", (), True, lambda ws: ws.receive_json(mode="xml"), BAD_MODE),
    ("send_json-bad-mode", (), True, lambda ws: ws.send_json({}, mode="xml"), BAD_MODE),
    ("denial-unsupported", (), False, lambda ws: ws.send_denial_response(PlainTextResponse("no")), NO_DENIAL),
    (
        "duplicate-response-start",
        (),
        True,
        lambda ws: _send_twice(ws, START),
        "Expected ASGI message \"websocket.http.response.body\", but got 'websocket.http.response.start'",
    ),
    (
        "close-during-denial",
        (),
        True,
        lambda ws: _body_then(ws, CLOSE),
        "Expected ASGI message \"websocket.http.response.body\", but got 'websocket.close'",
    ),
    (
        "denial-after-accept",
        (CONNECT,),
        True,
        _denial_after_accept,
        'Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.http.response.start\'',
    ),
    (
        "forced-client-state",
        (CONNECT, DATA_TEXT),
        True,
        _forced_back_to_connecting,
        "Expected ASGI message \"websocket.connect\", but got 'websocket.receive'",
    ),
]


async def _raised(cls: type[starlette.websockets.WebSocket], denial: bool, incoming: tuple[Message, ...], scenario: Scenario) -> RuntimeError:
    server = ScriptedServer(*incoming)
    ws = cls(websocket_scope(denial=denial), server.receive, server.send)
    with pytest.raises(RuntimeError) as caught:
        await scenario(ws)
    return caught.value


@pytest.mark.parametrize(
    ("incoming", "denial", "scenario", "text"), [case[1:] for case in STARLETTE_TEXTS], ids=[case[0] for case in STARLETTE_TEXTS]
)
def test_where_starlette_refuses_asgiws_raises_a_subclass_with_the_same_text(
    incoming: tuple[Message, ...], denial: bool, scenario: Scenario, text: str
) -> None:
    theirs = asyncio.run(_raised(starlette.websockets.WebSocket, denial, incoming, scenario))
    ours = asyncio.run(_raised(WebSocket, denial, incoming, scenario))
    assert str(theirs) == text
    assert str(ours) == text
    assert isinstance(ours, type(theirs))


def test_without_the_extension_the_handshake_text_leaves_out_the_denial_response() -> None:
    # Starlette always lists websocket.http.response.start; asgiws lists what this server can take.
    ours = asyncio.run(_raised(WebSocket, False, (), lambda ws: ws.send(SEND_DATA)))
    theirs = asyncio.run(_raised(starlette.websockets.WebSocket, False, (), lambda ws: ws.send(SEND_DATA)))
    assert str(ours) == 'Expected ASGI message "websocket.accept" or "websocket.close", but got \'websocket.send\''
    assert "websocket.http.response.start" in str(theirs)


def test_it_is_a_starlette_websocket() -> None:
    server = ScriptedServer()
    ws = WebSocket(websocket_scope(), server.receive, server.send)
    assert isinstance(ws, starlette.websockets.WebSocket)
    assert isinstance(ws, fastapi.WebSocket)
    assert asgiws.WebSocketState is starlette.websockets.WebSocketState


def test_its_states_are_starlettes_enum_members() -> None:
    ws, _ = _connection("KC", denial=False)
    assert ws.client_state == starlette.websockets.WebSocketState.CONNECTED
    assert ws.client_state is fastapi.websockets.WebSocketState.CONNECTED
    assert ws.application_state == starlette.websockets.WebSocketState.CONNECTING


@pytest.mark.parametrize("client", list(WebSocketState), ids=lambda s: s.name)
@pytest.mark.parametrize("application", list(WebSocketState), ids=lambda s: s.name)
def test_the_state_setters_move_to_the_compiled_node_of_the_new_pair(client: WebSocketState, application: WebSocketState) -> None:
    ws, _ = _connection("KK", denial=True)
    ws.client_state = client
    ws.application_state = application
    assert (ws.client_state, ws.application_state) == (client, application)
    judge = ws._connection_state
    assert judge.node is judge.machine.node((State(client.value), State(application.value)))


class Logged(WebSocket):
    """A subclass that overrides both checked calls, as a framework's wrapper might."""

    log: list[str]

    async def receive(self) -> StarletteMessage:
        self.log.append("receive")
        message: StarletteMessage = await super().receive()
        return message

    async def send(self, message: StarletteMessage) -> None:
        self.log.append(message["type"])
        await super().send(message)


def test_a_subclass_that_overrides_receive_and_send_keeps_its_overrides_and_the_checks() -> None:
    server = ScriptedServer({"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"})
    ws = Logged(websocket_scope("2.5"), server.receive, server.send)
    ws.log = []

    async def talk() -> None:
        await ws.accept()
        await ws.send_text(await ws.receive_text())
        with pytest.raises(InvalidMessageError):
            await ws.send({"type": "websocket.send", "text": 1})
        await ws.send_json([1])
        await ws.close()

    asyncio.run(talk())
    assert ws.log == ["receive", "websocket.accept", "receive", "websocket.send", "websocket.send", "websocket.send", "websocket.close"]
    assert server.sent == [
        {"type": "websocket.accept", "subprotocol": None, "headers": []},
        {"type": "websocket.send", "text": "hi"},
        {"type": "websocket.send", "text": "[1]"},
        {"type": "websocket.close", "code": 1000, "reason": ""},
    ]


def test_only_a_subclass_that_overrides_send_gets_starlettes_data_senders() -> None:
    class Logged(WebSocket):
        async def send(self, message: Message) -> None:
            await super().send(message)

    starlettes: dict[str, object] = {"send_text": starlette.websockets.WebSocket.send_text, "send_bytes": starlette.websockets.WebSocket.send_bytes}
    assert all(getattr(WebSocket, name) is not method for name, method in starlettes.items())
    assert all(getattr(Logged, name) is method for name, method in starlettes.items())

    class Listening(WebSocket):
        async def receive(self) -> Message:
            message: Message = await super().receive()
            return message

    assert not Listening._receives_itself
    assert all(getattr(Listening, name) is not method for name, method in starlettes.items())


def test_forcing_the_application_state_is_honoured_by_send() -> None:
    ws, server = _connection("KK", denial=False)
    ws.application_state = WebSocketState.DISCONNECTED
    with pytest.raises(NotConnectedError):
        asyncio.run(ws.send_text("x"))
    ws.application_state = WebSocketState.CONNECTED
    asyncio.run(ws.send_text("x"))
    assert server.sent == [{"type": "websocket.send", "text": "x"}]


def test_forcing_the_client_state_to_disconnected_makes_sends_find_the_peer_gone_with_1006() -> None:
    # No websocket.disconnect was received, so there is no client code to report.
    ws, server = _connection("KK", denial=False)
    ws.client_state = WebSocketState.DISCONNECTED
    with pytest.raises(PeerGoneError) as caught:
        asyncio.run(ws.send_text("x"))
    assert (caught.value.code, caught.value.reason) == (1006, "")
    assert server.sent == []


Action = Callable[[WebSocket], Coroutine[Any, Any, object]]
DISCONNECT_CLASSES = (starlette.websockets.WebSocketDisconnect, fastapi.WebSocketDisconnect)

#: (name, node, what the server delivers, whether its sends fail, what the app does, the classes that catch it)
EXCEPT_CLAUSES: list[tuple[str, str, tuple[Message, ...], bool, Action, tuple[type[BaseException], ...]]] = [
    ("oserror-on-send", "KK", (), True, lambda ws: ws.send_text("x"), DISCONNECT_CLASSES),
    ("oserror-on-accept", "KC", (), True, lambda ws: ws.accept(), DISCONNECT_CLASSES),
    ("send-after-disconnect", "DK", (), False, lambda ws: ws.send_text("x"), DISCONNECT_CLASSES),
    ("wrong-state", "KK", (), False, lambda ws: ws.send(ACCEPT), (RuntimeError,)),
    ("invalid-message", "KK", (), False, lambda ws: ws.close(999), (RuntimeError,)),
    ("invalid-server-message", "KK", ({"type": "websocket.receive"},), False, lambda ws: ws.receive(), (RuntimeError,)),
    ("unexpected-data", "KK", (DATA_BYTES,), False, lambda ws: ws.receive_text(), (KeyError,)),
    ("not-connected", "KD", (), False, lambda ws: ws.send_text("x"), (starlette.websockets.WebSocketDisconnected, RuntimeError)),
    ("receive-after-disconnect", "DK", (), False, lambda ws: ws.receive_text(), (starlette.websockets.WebSocketDisconnected, RuntimeError)),
]


@pytest.mark.parametrize(
    ("label", "incoming", "fail", "action", "bases"), [case[1:] for case in EXCEPT_CLAUSES], ids=[case[0] for case in EXCEPT_CLAUSES]
)
def test_except_clauses_written_for_starlette_and_fastapi_catch_it(
    label: str, incoming: tuple[Message, ...], fail: bool, action: Action, bases: tuple[type[BaseException], ...]
) -> None:
    for base in bases:
        ws, server = _connection(label, denial=True)
        server.deliver(*incoming)
        if fail:
            server.fail_sends()
        with pytest.raises(base) as caught:
            asyncio.run(action(ws))
        assert isinstance(caught.value, ProtocolViolation)


@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json", "iter_text"])
def test_a_client_disconnect_in_a_receive_helper_is_starlettes_websocket_disconnect(method: str) -> None:
    ws, server = _connection("KK", denial=False)
    server.deliver(GONE)

    async def call() -> object:
        result = getattr(ws, method)()
        return await (_collect(result) if method.startswith("iter") else result)

    if method.startswith("iter"):
        assert asyncio.run(call()) == []  # the iterators end quietly, as Starlette's do
    else:
        with pytest.raises(fastapi.WebSocketDisconnect) as caught:
            asyncio.run(call())
        assert type(caught.value) is starlette.websockets.WebSocketDisconnect
        assert (caught.value.code, caught.value.reason) == (1001, "going away")
    assert ws.client_state is WebSocketState.DISCONNECTED


def test_the_scope_interface_is_starlettes() -> None:
    server = ScriptedServer()
    scope = websocket_scope(query_string=b"a=1")
    ws = WebSocket(scope, server.receive, server.send)
    assert ws["type"] == "websocket"
    assert dict(ws) == scope
    assert len(ws) == len(scope)
    assert ws.query_params["a"] == "1"
    assert ws == ws  # noqa: PLR0124 - identity equality, as in Starlette
    assert ws != WebSocket(scope, server.receive, server.send)
    assert len({ws, ws}) == 1


def test_the_constructor_refuses_what_is_not_a_websocket_scope() -> None:
    server = ScriptedServer()
    with pytest.raises(ValueError, match=r"^asgiws.WebSocket needs a 'websocket' scope, not 'http' \[WS-020\]$"):
        WebSocket({"type": "http"}, server.receive, server.send)
    with pytest.raises(ValueError, match=r"unknown ASGI WebSocket spec version '3\.0'"):
        WebSocket(websocket_scope("3.0"), server.receive, server.send, strict=True)
    with pytest.raises(ValueError, match=r"unknown ASGI WebSocket spec version '1\.9'"):
        WebSocket(websocket_scope(), server.receive, server.send, spec_version="1.9")


def test_a_server_announcing_a_version_asgiws_does_not_know_is_judged_as_the_newest_with_one_warning() -> None:
    server = ScriptedServer()
    with pytest.warns(asgiws.UnknownVersionWarning, match=r"'2\.9'; known versions are .*; judging against 2\.5, the newest asgiws knows"):
        first = WebSocket(websocket_scope("2.9"), server.receive, server.send)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = WebSocket(websocket_scope("2.9"), server.receive, server.send)  # said once
    assert first.spec_version is again.spec_version is SpecVersion.V2_5


# -- Starlette's own tests, rewritten for an app built on asgiws.WebSocket ------------------
#
# Each test drives a raw ASGI app through Starlette's TestClient, whose scope has
# no "asgi" key (asgiws judges it against the latest version, AMB-29) and always
# advertises the denial extension.

Handler = Callable[[WebSocket], Awaitable[object]]


def _client(handler: Handler, *, strip_extensions: bool = False) -> TestClient:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if strip_extensions:
            scope = {**scope, "extensions": {}}
        await handler(WebSocket(scope, receive, send))

    return TestClient(app)


def _testclient_error(handler: Handler, during: Callable[[Any], object] | None = None, *, strip_extensions: bool = False) -> Exception:
    """The exception a TestClient session raises, opened on ``handler`` and running ``during``."""
    try:
        with _client(handler, strip_extensions=strip_extensions).websocket_connect("/") as session:
            if during is not None:
                during(session)
    except Exception as error:
        return error
    msg = "the session ended without an error"
    raise AssertionError(msg)


def test_testclient_url_query_params_and_port() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_json({"url": str(ws.url), "a": ws.query_params["a"], "port": ws.url.port})
        await ws.close()

    with _client(handler).websocket_connect("/123?a=abc") as session:
        assert session.receive_json() == {"url": "ws://testserver/123?a=abc", "a": "abc", "port": None}
    with _client(handler).websocket_connect("ws://example.com:123/123?a=abc") as session:
        assert session.receive_json() == {"url": "ws://example.com:123/123?a=abc", "a": "abc", "port": 123}


def test_testclient_headers_reach_the_app() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_json(dict(ws.headers))
        await ws.close()

    with _client(handler).websocket_connect("/", headers={"x-custom": "yes"}) as session:
        headers = session.receive_json()
    assert headers["x-custom"] == "yes"
    assert headers["sec-websocket-version"] == "13"
    assert headers["connection"] == "upgrade"
    assert headers["host"] == "testserver"


def test_testclient_the_scope_without_asgi_is_judged_as_the_latest_version() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept(headers=[(b"x-since", b"2.1")])
        await ws.send_text(ws.spec_version.value)
        await ws.close(reason="2.3 reason")

    with _client(handler).websocket_connect("/") as session:
        assert session.extra_headers == [(b"x-since", b"2.1")]
        assert session.receive_text() == "2.5"
        with pytest.raises(WebSocketDisconnect) as caught:
            session.receive_text()
    assert caught.value.reason == "2.3 reason"


@pytest.mark.parametrize(
    ("method", "payload"),
    [("text", "hello"), ("bytes", b"\x00\xff"), ("json", {"hello": "world"}), ("json-binary", [1, "é"])],
    ids=["text", "bytes", "json", "json-binary"],
)
def test_testclient_echo_round_trips(method: str, payload: Any) -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        if method == "text":
            await ws.send_text("Message was: " + await ws.receive_text())
        elif method == "bytes":
            await ws.send_bytes(b"Message was: " + await ws.receive_bytes())
        else:
            mode = "binary" if method == "json-binary" else "text"
            await ws.send_json({"message": await ws.receive_json(mode=mode)}, mode=mode)
        await ws.close()

    with _client(handler).websocket_connect("/") as session:
        if method == "text":
            session.send_text(payload)
            assert session.receive_text() == "Message was: hello"
        elif method == "bytes":
            session.send_bytes(payload)
            assert session.receive_bytes() == b"Message was: \x00\xff"
        elif method == "json":
            session.send_json(payload)
            assert session.receive_json() == {"message": payload}
        else:
            session.send_json(payload, mode="binary")
            assert session.receive_json(mode="binary") == {"message": payload}


def test_testclient_send_json_is_compact_and_keeps_unicode() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_json({"greeting": "héllo wörld", "n": [1, 2]})
        await ws.close()

    with _client(handler).websocket_connect("/") as session:
        assert session.receive_text() == '{"greeting":"héllo wörld","n":[1,2]}'


@pytest.mark.parametrize("kind", ["text", "bytes", "json"])
def test_testclient_iterators_yield_until_the_client_closes(kind: str) -> None:
    seen: list[object] = []

    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        iterator = {"text": ws.iter_text, "bytes": ws.iter_bytes, "json": ws.iter_json}[kind]()
        async for item in iterator:
            seen.append(item)
            await ws.send_text("ok")

    with _client(handler).websocket_connect("/") as session:
        for item in ("a", "b"):
            if kind == "text":
                session.send_text(item)
            elif kind == "bytes":
                session.send_bytes(item.encode())
            else:
                session.send_json({"item": item})
            assert session.receive_text() == "ok"
    assert seen == {"text": ["a", "b"], "bytes": [b"a", b"b"], "json": [{"item": "a"}, {"item": "b"}]}[kind]


def test_testclient_a_reader_task_and_a_writer_share_one_socket() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        sender, receiver = anyio.create_memory_object_stream[Any](10)

        async def reader() -> None:
            async with sender:
                async for data in ws.iter_json():
                    await sender.send(data)

        async with anyio.create_task_group() as group:
            group.start_soon(reader)
            async with receiver:
                async for data in receiver:
                    await ws.send_json({"echo": data})
        await ws.close()  # the client has gone by now: a no-op

    with _client(handler).websocket_connect("/") as session:
        for n in range(3):
            session.send_json(n)
            assert session.receive_json() == {"echo": n}


def test_testclient_the_client_close_code_and_reason_reach_the_app() -> None:
    caught: list[WebSocketDisconnect] = []

    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive_text()
        except WebSocketDisconnect as gone:
            caught.append(gone)

    with _client(handler).websocket_connect("/") as session:
        session.close(code=1001, reason="Going Away")
    assert [(gone.code, gone.reason) for gone in caught] == [(1001, "Going Away")]


@pytest.mark.parametrize("accept_first", [True, False], ids=["application-close", "rejected-connection"])
def test_testclient_the_application_close_code_and_reason_reach_the_client(accept_first: bool) -> None:
    async def handler(ws: WebSocket) -> None:
        if accept_first:
            await ws.accept()
        await ws.close(code=1001, reason="Going Away")

    error = _testclient_error(handler, lambda session: session.receive_text())
    assert isinstance(error, WebSocketDisconnect)
    assert (error.code, error.reason) == (1001, "Going Away")


async def _stream(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


@pytest.mark.parametrize("kind", ["plain", "streaming", "file", "manual-multi"])
def test_testclient_denial_responses_reach_the_client(kind: str, tmp_path: Path) -> None:
    (tmp_path / "denied.txt").write_bytes(b"denied")

    async def handler(ws: WebSocket) -> None:
        if kind == "plain":
            await ws.send_denial_response(PlainTextResponse("denied", status_code=400))
        elif kind == "streaming":
            await ws.send_denial_response(StreamingResponse(_stream(b"den", b"ied"), status_code=400))
        elif kind == "file":
            await ws.send_denial_response(FileResponse(tmp_path / "denied.txt", status_code=400))
        else:
            await ws.send({"type": "websocket.http.response.start", "status": 400, "headers": [(b"content-type", b"text/plain")]})
            await ws.send({"type": "websocket.http.response.body", "body": b"den", "more_body": True})
            await ws.send({"type": "websocket.http.response.body", "body": b"ied"})
        assert ws.application_state is WebSocketState.DISCONNECTED

    error = _testclient_error(handler)
    assert isinstance(error, WebSocketDenialResponse)
    assert error.status_code == 400
    assert error.content == b"denied"


def test_testclient_denial_without_the_extension_is_starlettes_runtime_error() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.send_denial_response(PlainTextResponse("denied", status_code=400))

    error = _testclient_error(handler, strip_extensions=True)
    assert type(error) is InvalidMessageError
    assert str(error) == NO_DENIAL


def test_testclient_a_duplicate_response_start_is_refused_in_starlettes_words() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.receive()
        await ws.send(START)
        await ws.send(START)

    error = _testclient_error(handler)
    assert type(error) is WrongStateError
    assert str(error) == "Expected ASGI message \"websocket.http.response.body\", but got 'websocket.http.response.start'"


def test_testclient_subprotocol_and_extra_headers() -> None:
    async def handler(ws: WebSocket) -> None:
        assert ws["subprotocols"] == ["soap", "wamp"]
        await ws.accept(subprotocol="wamp", headers=[(b"additional", b"header")])
        await ws.close()

    with _client(handler).websocket_connect("/", subprotocols=["soap", "wamp"]) as session:
        assert session.accepted_subprotocol == "wamp"
        assert session.extra_headers == [(b"additional", b"header")]


def test_testclient_no_extra_headers_by_default() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.close()

    with _client(handler).websocket_connect("/") as session:
        assert session.extra_headers == []
        assert session.accepted_subprotocol is None


def test_testclient_an_app_exception_propagates() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        raise ZeroDivisionError

    assert type(_testclient_error(handler, lambda session: session.receive_text())) is ZeroDivisionError


def test_testclient_a_duplicate_close_is_a_no_op_where_starlette_raised() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.close()
        await ws.close()
        assert ws.application_state is WebSocketState.DISCONNECTED

    with _client(handler).websocket_connect("/") as session, pytest.raises(WebSocketDisconnect) as caught:
        session.receive_text()
    assert caught.value.code == 1000


def test_testclient_receive_after_the_disconnect_is_websocket_disconnected() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        assert (await ws.receive())["type"] == "websocket.disconnect"
        await ws.receive()

    error = _testclient_error(handler, lambda session: session.close())
    assert isinstance(error, starlette.websockets.WebSocketDisconnected)
    assert str(error) == RECEIVE_EXHAUSTED


async def _receive_json_xml(ws: WebSocket) -> None:
    await ws.receive_json(mode="xml")


async def _send_json_xml(ws: WebSocket) -> None:
    await ws.accept()
    await ws.send_json({}, mode="xml")


TESTCLIENT_REFUSALS: list[tuple[str, Handler, type[BaseException], str]] = [
    ("receive_json-bad-mode", _receive_json_xml, RuntimeError, BAD_MODE),
    ("send_json-bad-mode", _send_json_xml, RuntimeError, BAD_MODE),
    ("receive_text-before-accept", lambda ws: ws.receive_text(), starlette.websockets.WebSocketDisconnected, NOT_ACCEPTED),
    ("receive_bytes-before-accept", lambda ws: ws.receive_bytes(), starlette.websockets.WebSocketDisconnected, NOT_ACCEPTED),
    ("receive_json-before-accept", lambda ws: ws.receive_json(), starlette.websockets.WebSocketDisconnected, NOT_ACCEPTED),
    ("send-before-accept", lambda ws: ws.send_text("x"), RuntimeError, "Expected ASGI message"),
    ("accept-twice", _accept_twice, RuntimeError, "but got 'websocket.accept'"),
]


@pytest.mark.parametrize(("handler", "error", "text"), [case[1:] for case in TESTCLIENT_REFUSALS], ids=[case[0] for case in TESTCLIENT_REFUSALS])
def test_testclient_refusals_reach_the_test_as_starlettes_exceptions(handler: Handler, error: type[BaseException], text: str) -> None:
    raised = _testclient_error(handler)
    assert isinstance(raised, error)
    assert text in str(raised)


def test_testclient_receive_before_accept_after_forcing_the_client_state() -> None:
    error = _testclient_error(_forced_back_to_connecting, lambda session: session.send_text("too early"))
    assert isinstance(error, RuntimeError)
    assert str(error) == "Expected ASGI message \"websocket.connect\", but got 'websocket.receive'"


def test_testclient_a_connect_while_connected_is_refused() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive()

    error = _testclient_error(handler, lambda session: session.send({"type": "websocket.connect"}))
    assert type(error) is WrongStateError
    assert str(error) == 'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got \'websocket.connect\''


# -- the documented differences from Starlette, one test each -------------------------------

SHAPES: dict[str, tuple[Message, Message]] = {
    "key-absent": ({"type": "websocket.receive", "bytes": b"\x01"}, {"type": "websocket.receive", "text": "t"}),
    "key-none": ({"type": "websocket.receive", "bytes": b"\x01", "text": None}, {"type": "websocket.receive", "bytes": None, "text": "t"}),
}


@pytest.mark.parametrize("shape", list(SHAPES), ids=["uvicorn-shape-key-absent", "hypercorn-shape-key-none"])
def test_receive_text_on_a_binary_message_is_unexpected_data_not_keyerror_or_none(shape: str) -> None:
    binary, _ = SHAPES[shape]
    ws, server = _connection("KK", denial=False)
    server.deliver(binary)
    with pytest.raises(UnexpectedDataError) as caught:
        asyncio.run(ws.receive_text())
    error = caught.value
    assert isinstance(error, KeyError)
    assert str(error) == "Expected a text message, but got a binary one [AMB-27]"
    assert error.clause == "AMB-27"
    assert error.message is binary  # consumed, but not lost
    assert error.rule == "receive_text() takes text messages only"
    assert error.states == (State.CONNECTED, State.CONNECTED)
    assert error.allowed == ("websocket.receive", "websocket.disconnect")
    assert _label(ws) == "KK"


@pytest.mark.parametrize("shape", list(SHAPES), ids=["uvicorn-shape-key-absent", "hypercorn-shape-key-none"])
def test_receive_bytes_on_a_text_message_is_unexpected_data(shape: str) -> None:
    _, text = SHAPES[shape]
    ws, server = _connection("KK", denial=False)
    server.deliver(text)
    with pytest.raises(UnexpectedDataError) as caught:
        asyncio.run(ws.receive_bytes())
    assert str(caught.value) == "Expected a binary message, but got a text one [AMB-27]"
    assert caught.value.message is text
    assert caught.value.rule == "receive_bytes() takes binary messages only"


@pytest.mark.parametrize(
    ("mode", "message", "text"),
    [
        ("text", DATA_BYTES, "Expected a text message, but got a binary one [AMB-27]"),
        ("binary", DATA_TEXT, "Expected a binary message, but got a text one [AMB-27]"),
    ],
    ids=["text-mode-given-bytes", "binary-mode-given-text"],
)
def test_receive_json_on_the_other_kind_of_message_is_unexpected_data(mode: str, message: Message, text: str) -> None:
    ws, server = _connection("KK", denial=False)
    server.deliver(message)
    with pytest.raises(UnexpectedDataError) as caught:
        asyncio.run(ws.receive_json(mode=mode))
    assert str(caught.value) == text


def test_receive_json_leaves_decoding_errors_to_json_as_starlette_does() -> None:
    ws, server = _connection("KK", denial=False)
    server.deliver({"type": "websocket.receive", "text": "{nope"}, {"type": "websocket.receive", "bytes": b"\xff"})
    with pytest.raises(ValueError, match="Expecting property name"):
        asyncio.run(ws.receive_json())
    with pytest.raises(UnicodeDecodeError):
        asyncio.run(ws.receive_json(mode="binary"))
    assert _label(ws) == "KK"


def test_iter_text_stops_at_a_binary_message_with_unexpected_data() -> None:
    ws, server = _connection("KK", denial=False)
    server.deliver(DATA_TEXT, DATA_BYTES, GONE)
    seen: list[str] = []

    async def consume() -> None:
        async for text in ws.iter_text():
            seen.append(text)

    with pytest.raises(UnexpectedDataError):
        asyncio.run(consume())
    assert seen == ["hello"]
    assert list(server.incoming) == [GONE]


async def _send_denial(ws: WebSocket) -> None:
    await ws.send_denial_response(PlainTextResponse("no", status_code=403))


#: (name, node, what the app does, the message whose send fails, how many sends succeed first, states after)
OSERROR_CASES: list[tuple[str, str, Action, Message, int, str]] = [
    ("connecting-accept", "CC", lambda ws: ws.accept(), {"type": "websocket.accept", "subprotocol": None, "headers": []}, 0, "KD"),
    ("connecting-raw-close", "KC", lambda ws: ws.send(CLOSE), CLOSE, 0, "KD"),
    ("connecting-denial-start", "KC", _send_denial, DENIAL_RESPONSE_SENT[0], 0, "RD"),
    ("connecting-denial-start-before-connect", "CC", _send_denial, DENIAL_RESPONSE_SENT[0], 0, "CD"),
    ("connected-send", "KK", lambda ws: ws.send_text("x"), {"type": "websocket.send", "text": "x"}, 0, "KD"),
    ("connected-send-slow-path", "KK", lambda ws: ws.send_text("é"), {"type": "websocket.send", "text": "é"}, 0, "KD"),
    ("connected-raw-close", "KK", lambda ws: ws.send(CLOSE), CLOSE, 0, "KD"),
    ("response-body", "RR", lambda ws: ws.send(BODY_MORE), BODY_MORE, 0, "RD"),
    ("response-last-body", "RR", lambda ws: ws.send(BODY_LAST), BODY_LAST, 0, "RD"),
    ("denial-body", "KC", _send_denial, DENIAL_RESPONSE_SENT[1], 1, "RD"),
]


@pytest.mark.parametrize(
    ("label", "action", "failing", "before", "after"), [case[1:] for case in OSERROR_CASES], ids=[case[0] for case in OSERROR_CASES]
)
def test_an_oserror_from_the_servers_send_is_peer_gone_in_every_state(label: str, action: Action, failing: Message, before: int, after: str) -> None:
    ws, server = _connection(label, denial=True)
    server.deliver(CONNECT)
    server.fail_from = before
    with pytest.raises(PeerGoneError) as caught:
        asyncio.run(action(ws))
    error = caught.value
    assert isinstance(error, starlette.websockets.WebSocketDisconnect)
    assert (error.code, error.reason) == (1006, "")
    assert str(error) == "The connection is gone: the server's send() raised OSError [WS-041]"
    assert error.clause == "WS-041"
    assert type(error.__cause__) is ConnectionResetError
    assert server.failed == [failing]
    assert ws.application_state is WebSocketState.DISCONNECTED
    assert _label(ws) == after
    # Nothing more reaches the server: close() is a no-op, any other send is refused before it.
    asyncio.run(ws.close())
    with pytest.raises(NotConnectedError):
        asyncio.run(ws.send_text("after"))
    assert server.failed == [failing]
    assert len(server.sent) == before


@pytest.mark.parametrize("label", ["CC", "KC", "KK"], ids=["before-connect", "before-accept", "connected"])
def test_close_is_quiet_when_the_server_fails_it_because_the_connection_is_gone(label: str) -> None:
    # The connection is closed either way: `finally: await ws.close()` must not mask what got there.
    ws, server = _connection(label, denial=False)
    server.fail_sends()
    asyncio.run(ws.close(4000))
    assert server.failed == [{"type": "websocket.close", "code": 4000, "reason": ""}]
    assert ws.application_state is WebSocketState.DISCONNECTED
    asyncio.run(ws.close())  # and stays a no-op
    assert len(server.failed) == 1


def test_receive_text_after_the_applications_close_gets_the_queued_data_then_the_disconnect() -> None:
    # Starlette says 'Need to call "accept" first' here.
    ws, server = _connection("KD", denial=False)
    server.deliver(DATA_TEXT, {"type": "websocket.disconnect", "code": 1000})
    assert asyncio.run(ws.receive_text()) == "hello"
    with pytest.raises(WebSocketDisconnect) as caught:
        asyncio.run(ws.receive_text())
    assert caught.value.code == 1000
    assert _label(ws) == "DD"


def test_iter_text_after_an_oserror_on_send_waits_for_the_disconnect_and_ends() -> None:
    # Starlette says 'Need to call "accept" first' here.
    ws, server = _connection("KK", denial=False)
    server.fail_sends()
    with pytest.raises(PeerGoneError):
        asyncio.run(ws.send_text("lost"))
    server.deliver(DATA_TEXT, GONE)
    assert asyncio.run(_collect(ws.iter_text())) == ["hello"]


async def _close_twice(ws: WebSocket) -> None:
    await ws.close(4000)
    await ws.close(4001)


@pytest.mark.parametrize(
    ("label", "oserror"),
    [("KD", False), ("CD", False), ("RD", False), ("DK", False), ("DC", False), ("DR", False), ("DD", False), ("KK", True)],
    ids=[
        "after-close",
        "after-close-before-accept",
        "after-a-finished-denial",
        "after-the-client-left",
        "after-the-client-left-before-accept",
        "after-the-client-left-during-denial",
        "after-both",
        "after-an-oserror",
    ],
)
def test_a_second_close_is_a_no_op(label: str, oserror: bool) -> None:
    ws, server = _connection(label, denial=True)
    if oserror:
        server.fail_sends()
        with pytest.raises(PeerGoneError):
            asyncio.run(ws.send_text("lost"))
    before = _label(ws)
    asyncio.run(_close_twice(ws) if label == "KK" else ws.close())
    assert server.sent == []
    assert _label(ws) == before


def test_a_raw_close_sent_twice_is_still_not_connected() -> None:
    ws, server = _connection("KK", denial=False)
    asyncio.run(ws.send(CLOSE))
    with pytest.raises(NotConnectedError) as caught:
        asyncio.run(ws.send(CLOSE))
    assert str(caught.value) == SEND_EXHAUSTED
    assert caught.value.clause == "RFC-016"
    assert server.sent == [CLOSE]


_RANGES = "valid: 1000-1003, 1007-1009, 1011-1014, 3000-4999"

#: (name, node, what the app does, the clause, the text after "Invalid '<type>' message: ")
INVALID: list[tuple[str, str, Action, str, str]] = [
    ("close-code-999", "KK", lambda ws: ws.close(999), "RFC-008", f"'code' 999 is not a valid close code here; {_RANGES}"),
    ("close-code-1004", "KK", lambda ws: ws.close(1004), "RFC-004", "'code' 1004 is not allowed here"),
    ("close-code-1005", "KK", lambda ws: ws.close(1005), "RFC-001", "'code' 1005 is not allowed here"),
    ("close-code-1006", "KK", lambda ws: ws.close(1006), "RFC-002", "'code' 1006 is not allowed here"),
    ("close-code-1010", "KK", lambda ws: ws.close(1010), "RFC-006", "'code' 1010 is not allowed here"),
    ("close-code-1015", "KK", lambda ws: ws.close(1015), "RFC-003", "'code' 1015 is not allowed here"),
    ("close-code-2000", "KK", lambda ws: ws.close(2000), "RFC-008", f"'code' 2000 is not a valid close code here; {_RANGES}"),
    ("close-code-5000", "KK", lambda ws: ws.close(5000), "RFC-008", f"'code' 5000 is not a valid close code here; {_RANGES}"),
    ("close-code-before-accept", "KC", lambda ws: ws.close(1006), "RFC-002", "'code' 1006 is not allowed here"),
    ("close-code-bool", "KK", lambda ws: ws.close(True), "AW-04", "'code' must be an int, not bool"),
    ("raw-close-code-none", "KK", lambda ws: ws.send({"type": "websocket.close", "code": None}), "AW-04", "'code' must be an int, not NoneType"),
    (
        "close-reason-124-bytes",
        "KK",
        lambda ws: ws.close(1000, "é" * 62),
        "RFC-010",
        "'reason' is 124 bytes of UTF-8; at most 123 fit in a Close frame",
    ),
    (
        "close-reason-lone-surrogate",
        "KK",
        lambda ws: ws.close(1000, "\udc80"),
        "RFC-011",
        "'reason' cannot be encoded as UTF-8 (it holds a lone surrogate)",
    ),
    (
        "subprotocol-not-offered",
        "KC",
        lambda ws: ws.accept("soap"),
        "RFC-018",
        "'subprotocol' 'soap' was not offered by the client; offered: ['chat']",
    ),
    ("accept-header-upper-case", "KC", lambda ws: ws.accept(headers=[(b"X-Up", b"1")]), "WS-029", "'headers' header name b'X-Up' is not lower-case"),
    (
        "accept-header-pseudo",
        "KC",
        lambda ws: ws.accept(headers=[(b":status", b"101")]),
        "WS-031",
        "'headers' pseudo header b':status' is not allowed",
    ),
    (
        "accept-header-sec-websocket-protocol",
        "KC",
        lambda ws: ws.accept(headers=[(b"sec-websocket-protocol", b"chat")]),
        "WS-030",
        "'headers' header b'sec-websocket-protocol' belongs to the server's handshake",
    ),
    (
        "accept-header-upgrade",
        "KC",
        lambda ws: ws.accept(headers=[(b"upgrade", b"h2c")]),
        "AW-03",
        "'headers' header b'upgrade' belongs to the server's handshake",
    ),
    (
        "raw-accept-header-pair-as-set",
        "KC",
        lambda ws: ws.send({"type": "websocket.accept", "headers": [{b"x-a", b"1"}]}),
        "WS-009",
        "'headers' must be a list of [name, value] pairs of bytes, not list",
    ),
    (
        "raw-accept-headers-iterator",
        "KC",
        lambda ws: ws.send({"type": "websocket.accept", "headers": iter([(b"x-a", b"1")])}),
        "WS-009",
        "'headers' must be a list of [name, value] pairs of bytes, not list_iterator",
    ),
    (
        "send-both-text-and-bytes",
        "KK",
        lambda ws: ws.send({"type": "websocket.send", "text": "a", "bytes": b"a"}),
        "WS-036",
        "exactly one of bytes / text must be set (not None)",
    ),
    ("send-neither", "KK", lambda ws: ws.send({"type": "websocket.send"}), "WS-036", "exactly one of bytes / text must be set (not None)"),
    ("send_text-given-bytes", "KK", lambda ws: ws.send_text(b"bytes"), "WS-036", "'text' must be a str, not bytes"),  # type: ignore[arg-type]
    ("send_bytes-given-str", "KK", lambda ws: ws.send_bytes("text"), "WS-036", "'bytes' must be bytes, not str"),  # type: ignore[arg-type]
    ("send_text-lone-surrogate", "KK", lambda ws: ws.send_text("\udc80"), "RFC-015", "'text' cannot be encoded as UTF-8 (it holds a lone surrogate)"),
    (
        "send_json-lone-surrogate",
        "KK",
        lambda ws: ws.send_json({"k": "\udc80"}),
        "RFC-015",
        "'text' cannot be encoded as UTF-8 (it holds a lone surrogate)",
    ),
]


@pytest.mark.parametrize(("label", "action", "clause", "detail"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_messages_are_refused_before_anything_reaches_the_server(label: str, action: Action, clause: str, detail: str) -> None:
    # Starlette forwards every one of these.
    ws, server = _connection(label, denial=False)
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(action(ws))
    error = caught.value
    assert str(error) == f"Invalid {error.message_type!r} message: {detail} [{clause}]"
    assert error.clause == clause
    assert server.sent == []
    assert _label(ws) == label


@pytest.mark.parametrize(
    ("message", "clause"),
    [
        ({**START, "status": 199}, "AW-01"),
        ({**START, "status": 600}, "AW-01"),
        ({**START, "trailers": True}, "AW-02"),
        ({**START, "headers": [(b"Content-Type", b"text/plain")]}, "WS-050c"),
        ({"type": "websocket.http.response.body", "body": "text"}, "WS-050"),
    ],
    ids=["status-199", "status-600", "trailers", "upper-case-header", "str-body"],
)
def test_invalid_denial_response_messages_are_refused(message: Message, clause: str) -> None:
    ws, server = _connection("RR" if "body" in message else "KC", denial=True)
    before = _label(ws)
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(ws.send(message))
    assert caught.value.clause == clause
    assert server.sent == []
    assert _label(ws) == before


def test_accept_takes_any_iterable_of_headers_and_sends_a_list() -> None:
    ws, server = _connection("KC", denial=False)
    asyncio.run(ws.accept(headers=(pair for pair in [(b"x-a", b"1")])))
    assert server.sent == [{"type": "websocket.accept", "subprotocol": None, "headers": [(b"x-a", b"1")]}]


def test_receive_text_given_a_disconnect_without_code_is_invalid_not_keyerror() -> None:
    ws, server = _connection("KK", denial=False)
    server.deliver({"type": "websocket.disconnect"})
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(ws.receive_text())
    assert str(caught.value) == "Invalid 'websocket.disconnect' message: 'code' is required [WS-039]"


def test_every_violation_carries_a_note_pointing_at_asgiws_explain() -> None:
    ws, _ = _connection("KK", denial=False)
    with pytest.raises(WrongStateError) as caught:
        asyncio.run(ws.send(ACCEPT))
    assert caught.value.__notes__ == [
        "WS-024: the handshake was already accepted (receive side CONNECTED, send side CONNECTED; see `asgiws explain WS-024`)"
    ]
    assert caught.value.states == (State.CONNECTED, State.CONNECTED)
    assert caught.value.message_type == "websocket.accept"
    assert caught.value.allowed == ("websocket.send", "websocket.close")
    assert caught.value.message == ACCEPT  # the judged copy


@pytest.mark.parametrize(
    ("version", "action", "allowed"),
    [
        ("2.0", lambda ws: ws.accept(headers=[(b"x-a", b"1")]), False),
        ("2.1", lambda ws: ws.accept(headers=[(b"x-a", b"1")]), True),
        ("2.0", lambda ws: ws.accept(), True),
        ("2.2", lambda ws: ws.close(1000, "bye"), False),
        ("2.3", lambda ws: ws.close(1000, "bye"), True),
        ("2.0", lambda ws: ws.close(1000), True),
        (None, lambda ws: ws.accept(headers=[(b"x-a", b"1")]), True),
        (None, lambda ws: ws.close(1000, "bye"), True),
    ],
    ids=["headers-2.0", "headers-2.1", "no-headers-2.0", "reason-2.2", "reason-2.3", "no-reason-2.0", "headers-no-asgi", "reason-no-asgi"],
)
def test_fields_newer_than_the_scopes_spec_version_are_refused(version: str | None, action: Action, allowed: bool) -> None:
    server = ScriptedServer(CONNECT)
    ws = WebSocket(websocket_scope(version), server.receive, server.send)
    asyncio.run(ws.receive())
    if allowed:
        asyncio.run(action(ws))
        assert len(server.sent) == 1
    else:
        with pytest.raises(InvalidMessageError) as caught:
            asyncio.run(action(ws))
        assert caught.value.clause == "WS-052"
        assert "was added in spec version" in str(caught.value)
        assert f"this connection speaks {version}" in str(caught.value)
        assert server.sent == []


@pytest.mark.parametrize(
    ("scope_version", "argument", "expected"),
    [
        ("2.5", None, SpecVersion.V2_5),
        (None, None, SpecVersion.V2_5),
        ("", None, SpecVersion.V2_0),
        ("2.5", "2.0", SpecVersion.V2_0),
        ("2.0", SpecVersion.V2_3, SpecVersion.V2_3),
    ],
    ids=["from-the-scope", "testclient-scope-is-latest", "no-spec-version-means-2.0", "argument-overrides-newer", "argument-overrides-older"],
)
def test_the_spec_version_comes_from_the_scope_unless_the_constructor_says(
    scope_version: str | None, argument: SpecVersion | str | None, expected: SpecVersion
) -> None:
    server = ScriptedServer()
    scope = websocket_scope(scope_version)
    if scope_version == "":
        scope["asgi"] = {"version": "3.0"}  # no spec_version: "2.0" as the spec says
    ws = WebSocket(scope, server.receive, server.send, spec_version=argument)
    assert ws.spec_version is expected


@pytest.mark.parametrize(("scope_version", "argument", "allowed"), [("2.5", "2.2", False), ("2.2", "2.3", True)], ids=["older", "newer"])
def test_the_constructor_argument_gates_fields_against_its_version(scope_version: str, argument: str, allowed: bool) -> None:
    server = ScriptedServer(CONNECT)
    ws = WebSocket(websocket_scope(scope_version), server.receive, server.send, spec_version=argument)
    asyncio.run(ws.accept())
    if allowed:
        asyncio.run(ws.close(1000, "bye"))
        assert server.sent[-1] == {"type": "websocket.close", "code": 1000, "reason": "bye"}
    else:
        with pytest.raises(InvalidMessageError, match=r"this connection speaks 2\.2"):
            asyncio.run(ws.close(1000, "bye"))
        assert len(server.sent) == 1


def test_a_denial_response_without_the_extension_is_refused_in_starlettes_words_in_every_state() -> None:
    for label in PATHS:
        if label in DENIAL_NODES:
            continue
        ws, server = _connection(label, denial=False)
        with pytest.raises(InvalidMessageError) as caught:
            asyncio.run(_send_denial(ws))
        assert str(caught.value) == NO_DENIAL
        assert caught.value.clauses == ("WS-015", "WS-047")
        assert server.sent == []


@pytest.mark.parametrize(
    ("disconnect", "reason"),
    [
        (GONE, "going away"),
        ({"type": "websocket.disconnect", "code": 4003}, ""),
        ({"type": "websocket.disconnect", "code": 1000, "reason": None}, ""),
    ],
    ids=["with-reason", "without-reason", "reason-none"],
)
@pytest.mark.parametrize(
    "action",
    [lambda ws: ws.send_text("x"), lambda ws: ws.send_bytes(b"x"), lambda ws: ws.send_json(1), lambda ws: ws.send(CLOSE)],
    ids=["send_text", "send_bytes", "send_json", "raw-close"],
)
def test_a_send_after_the_clients_disconnect_is_peer_gone_with_the_clients_code(disconnect: Message, reason: str, action: Action) -> None:
    # Starlette forwards it (the server then raises OSError, which Starlette reports as 1006, or drops it).
    ws, server = _connection("KK", denial=False)
    server.deliver(disconnect)
    asyncio.run(ws.receive())
    with pytest.raises(PeerGoneError) as caught:
        asyncio.run(action(ws))
    assert (caught.value.code, caught.value.reason) == (disconnect["code"], reason)
    assert caught.value.clause == "J-09"
    assert server.sent == []


def test_a_disconnect_before_the_accept_makes_the_accept_find_the_peer_gone() -> None:
    ws, server = _connection("DC", denial=True)
    with pytest.raises(PeerGoneError) as caught:
        asyncio.run(ws.accept())
    assert (caught.value.code, caught.value.reason) == (1001, "going away")
    assert server.sent == []


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "websocket.receive"},
        {"type": "websocket.receive", "text": 1},
        {"type": "websocket.receive", "text": "a", "bytes": b"a"},
        {"type": "websocket.disconnect"},
        {"type": "websocket.disconnect", "code": None},
        {"type": "websocket.disconnect", "code": 999},
    ],
    ids=["no-payload", "int-text", "both-payloads", "disconnect-without-code", "disconnect-code-none", "disconnect-code-999"],
)
def test_an_invalid_message_from_the_server_is_refused_and_changes_nothing(bad: Message) -> None:
    # Starlette returns these (or raises KeyError('code') in receive_text).
    ws, server = _connection("KK", denial=False)
    server.deliver(bad)
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(ws.receive())
    assert caught.value.message is bad
    assert caught.value.side.value == "receive"
    assert _label(ws) == "KK"


@pytest.mark.parametrize(
    ("bad", "text"),
    [
        ({"type": "http.request"}, "Unexpected ASGI message type 'http.request' on the receive side [WS-010]"),
        ({"type": "websocket.send", "text": "x"}, "Unexpected ASGI message type 'websocket.send' on the receive side [WS-010]"),
        ({"no": "type"}, "Unexpected ASGI message type None on the receive side [WS-010]"),
        (None, "ASGI messages are dicts, not NoneType [WS-010]"),
    ],
    ids=["http-type", "send-side-type", "no-type", "not-a-dict"],
)
def test_a_message_of_unknown_type_from_the_server_is_invalid_not_wrong_state(bad: Any, text: str) -> None:
    # Starlette: 'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got ...' (or a TypeError).
    ws, server = _connection("KK", denial=False)
    server.deliver(bad)
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(ws.receive())
    assert str(caught.value) == text
    assert _label(ws) == "KK"


@pytest.mark.parametrize(
    "bad",
    [{"type": "websocket.receive", "text": "x"}, {"type": 7}, ["websocket.send"], {"no": "type"}],
    ids=["receive-side-type", "int-type", "not-a-dict", "no-type"],
)
def test_a_message_of_unknown_type_from_the_app_is_invalid(bad: Any) -> None:
    ws, server = _connection("KK", denial=False)
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(ws.send(bad))
    assert caught.value.clause == "WS-009"
    assert server.sent == []


def test_unusual_but_valid_payloads_reach_the_server() -> None:
    class Text(str):
        __slots__ = ()

    ws, server = _connection("KK", denial=False)
    asyncio.run(ws.send_text(Text("sub")))
    asyncio.run(ws.send_text("héllo"))
    asyncio.run(ws.send({"type": "websocket.send", "bytes": None, "text": "both keys"}))
    asyncio.run(ws.send({"type": "websocket.send", "text": "extra", "x-extension": 1}))
    assert [m.get("text") for m in server.sent] == ["sub", "héllo", "both keys", "extra"]
    assert type(server.sent[0]["text"]) is Text


# -- WebSocketClose ---------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "reason", "sent_reason"), [(1000, None, ""), (4003, "forbidden", "forbidden")], ids=["default", "code-and-reason"])
def test_websocket_close_app_closes_without_consuming_connect(code: int, reason: str | None, sent_reason: str) -> None:
    server = ScriptedServer(CONNECT)
    asyncio.run(asgiws.WebSocketClose(code, reason)(websocket_scope(), server.receive, server.send))
    assert server.sent == [{"type": "websocket.close", "code": code, "reason": sent_reason}]
    assert list(server.incoming) == [CONNECT]


def test_websocket_close_app_checks_its_code() -> None:
    server = ScriptedServer()
    with pytest.raises(InvalidMessageError):
        asyncio.run(asgiws.WebSocketClose(1006)(websocket_scope(), server.receive, server.send))
    assert server.sent == []


# -- a reader task and a writer task on one socket ----------------------------------------------


async def _accepted(*, denial: bool = False) -> tuple[WebSocket, ScriptedServer]:
    server = ScriptedServer(CONNECT, blocking=True)
    ws = WebSocket(websocket_scope(denial=denial), server.receive, server.send)
    await ws.receive()
    return ws, server


def test_a_receive_waiting_before_the_accept_is_judged_in_the_state_after_it() -> None:
    async def scenario() -> None:
        ws, server = await _accepted()
        reader = asyncio.create_task(ws.receive())
        await server.until_waiting()
        await ws.accept()  # judged before the wait, this data would break J-03
        server.deliver(DATA_TEXT)
        assert await reader == DATA_TEXT
        assert _label(ws) == "KK"

    asyncio.run(scenario())


def test_a_receive_text_waiting_while_the_writer_closes_gets_the_data_then_the_disconnect() -> None:
    async def scenario() -> None:
        ws, server = await _accepted()
        await ws.accept()
        reader = asyncio.create_task(ws.receive_text())
        await server.until_waiting()
        await ws.close()
        server.deliver(DATA_TEXT)
        assert await reader == "hello"
        assert _label(ws) == "KD"
        reader = asyncio.create_task(ws.receive_text())
        await server.until_waiting()
        server.deliver(GONE)
        with pytest.raises(WebSocketDisconnect):
            await reader
        assert _label(ws) == "DD"

    asyncio.run(scenario())


def test_a_receive_waiting_while_the_writer_denies_refuses_data_that_comes_after() -> None:
    async def scenario() -> None:
        ws, server = await _accepted(denial=True)
        reader = asyncio.create_task(ws.receive())
        await server.until_waiting()
        await _send_denial(ws)
        server.deliver(DATA_TEXT)
        with pytest.raises(WrongStateError) as caught:
            await reader
        assert caught.value.clause == "J-05"
        assert caught.value.states == (State.RESPONSE, State.DISCONNECTED)
        assert _label(ws) == "RD"

    asyncio.run(scenario())


def test_a_receive_waiting_while_the_writers_send_fails_gets_the_disconnect() -> None:
    async def scenario() -> None:
        ws, server = await _accepted()
        await ws.accept()
        reader = asyncio.create_task(ws.receive())
        await server.until_waiting()
        server.fail_sends()
        with pytest.raises(PeerGoneError):
            await ws.send_text("lost")
        server.deliver(GONE)
        assert await reader == GONE
        assert _label(ws) == "DD"

    asyncio.run(scenario())


def test_an_iterator_task_and_a_writer_task_finish_together() -> None:
    async def scenario() -> None:
        ws, server = await _accepted()
        await ws.accept()
        reader = asyncio.create_task(_collect(ws.iter_json()))
        for n in range(3):
            server.deliver({"type": "websocket.receive", "text": str(n)})
            await ws.send_json(n)
        await ws.close()
        server.deliver(GONE)
        assert await reader == [0, 1, 2]
        assert [json_text(m) for m in server.sent[1:]] == ["0", "1", "2", None]

    asyncio.run(scenario())


def json_text(message: Message) -> str | None:
    """The text of a websocket.send, None for anything else."""
    return message.get("text") if message["type"] == "websocket.send" else None


def test_a_send_in_flight_when_the_disconnect_arrives_completes_and_the_next_finds_the_peer_gone() -> None:
    async def scenario() -> None:
        ws, server = await _accepted()
        await ws.accept()
        server.hold_sends()
        writer = asyncio.create_task(ws.send_text("in flight"))
        await server.until_held()
        server.deliver(GONE)
        assert await ws.receive() == GONE
        server.release_sends()
        await writer
        assert server.sent[-1] == {"type": "websocket.send", "text": "in flight"}
        with pytest.raises(PeerGoneError) as caught:
            await ws.send_text("too late")
        assert caught.value.code == 1001

    asyncio.run(scenario())


def test_concurrent_closes_send_one_close() -> None:
    async def scenario() -> None:
        ws, server = await _accepted()
        await ws.accept()
        server.hold_sends()
        first = asyncio.create_task(ws.close(4000))
        await server.until_held()
        await ws.close(4001)  # the send side is already closed: a no-op
        server.release_sends()
        await first
        assert server.sent[1:] == [{"type": "websocket.close", "code": 4000, "reason": ""}]

    asyncio.run(scenario())


# -- bugs this suite found, kept as tests --------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "action", "starlette_text"),
    [
        ("DK", lambda ws: ws.accept(), 'Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.accept\''),
        (
            "DC",
            lambda ws: ws.send_text("x"),
            'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", but got \'websocket.send\'',
        ),
        ("DR", lambda ws: ws.send_text("x"), "Expected ASGI message \"websocket.http.response.body\", but got 'websocket.send'"),
    ],
    ids=["accept-after-accept", "data-before-accept", "data-during-denial"],
)
def test_a_refusal_after_the_client_left_keeps_starlettes_words(label: str, action: Action, starlette_text: str) -> None:
    # Found by this suite: the text used to claim a close had been sent.
    ws, _ = _connection(label, denial=True)
    with pytest.raises(RuntimeError) as caught:
        asyncio.run(action(ws))
    assert str(caught.value) == starlette_text


# AMB-31: once both sides are past the handshake, the state pair cannot tell a
# refusal (close or denial before the accept) from a close after it, so data a
# broken server delivers afterwards is not refused. These pin that documented limit.


def test_amb_31_data_after_a_close_before_the_accept_is_not_refused() -> None:
    ws, server = _connection("KC", denial=False)
    asyncio.run(ws.close(4003))  # the handshake is refused (HTTP 403): a correct server sends no data
    server.deliver(DATA_TEXT)
    assert asyncio.run(ws.receive()) == DATA_TEXT


def test_amb_31_data_after_a_denial_finished_before_connect_is_not_refused() -> None:
    ws, server = _connection("CC", denial=True)
    asyncio.run(_send_denial(ws))
    server.deliver(CONNECT, DATA_TEXT)
    assert asyncio.run(ws.receive()) == CONNECT
    assert asyncio.run(ws.receive()) == DATA_TEXT


def test_an_oserror_racing_the_disconnect_keeps_the_clients_code() -> None:
    # Found by this suite: the client's 1001 used to be reported as 1006.
    async def scenario() -> None:
        ws, server = await _accepted()
        await ws.accept()
        server.hold_sends()
        writer = asyncio.create_task(ws.send_text("in flight"))
        await server.until_held()
        server.deliver(GONE)
        assert await ws.receive() == GONE
        server.fail_sends()
        server.release_sends()
        with pytest.raises(PeerGoneError) as caught:
            await writer
        assert (caught.value.code, caught.value.reason) == (1001, "going away")

    asyncio.run(scenario())


async def _receive_text_before_the_accept(ws: WebSocket) -> None:
    await ws.receive_text()


async def _denial_response_after_the_accept(ws: WebSocket) -> None:
    await ws.accept()
    await ws.send_denial_response(PlainTextResponse("no", 403))


async def _data_before_the_accept(ws: WebSocket) -> None:
    await ws.send({"type": "websocket.send", "text": "x"})


@pytest.mark.parametrize("call", [_receive_text_before_the_accept, _denial_response_after_the_accept, _data_before_the_accept])
def test_a_refusal_leaves_no_cycle_for_the_garbage_collector(call: Callable[[WebSocket], Awaitable[None]]) -> None:
    # A frame that raises an error it holds in a local is reached by the
    # error's traceback: the two keep each other alive until the collector
    # runs. Here reference counting alone must free the refusal.
    async def refused() -> weakref.ref[BaseException]:
        server = ScriptedServer({"type": "websocket.connect"})
        ws = WebSocket(websocket_scope(denial=True), server.receive, server.send)
        try:
            await call(ws)
        except asgiws.ProtocolViolation as error:
            return weakref.ref(error)
        raise AssertionError("not refused")

    gc.disable()
    try:
        freed = asyncio.run(refused())
        assert freed() is None
    finally:
        gc.enable()
