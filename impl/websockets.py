"""``asgiws.WebSocket``: Starlette's WebSocket, with every protocol check compiled from the spec.

It is a subclass of ``starlette.websockets.WebSocket`` with the same methods,
the same states and the same exceptions, so a FastAPI or Starlette endpoint can
take it unchanged. What differs is where the rules come from: ``receive()`` and
``send()`` hold no ``if/elif`` of their own. Each connection holds a
:class:`~asgiws.ConnectionState`, the one judge, and its ``receive()``,
``send()``, ``send_text()`` and ``send_bytes()`` are the checked calls
generated into ``asgiws._compiled.CheckedCalls``: the plainest data message is
taken inline, and anything else goes to the judge, which looks the message
type up in the compiled node for the current pair of states, runs the field
check generated from the message's schema, and moves to the node the spec
says. A refused message raises before anything reaches the server, and leaves
both states as they were.

The helpers (``accept``, ``receive_text``, ``close``...) keep Starlette's
behaviour wherever Starlette is right, and ask the same compiled node wherever
they need to know whether something is possible. ``docs/reference/differences.md``
lists every place where the answer differs from Starlette's, and why.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket as StarletteWebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from . import spec
from ._compiled import CheckedCalls
from ._machine import Node
from ._state import ConnectionState
from .exceptions import NotConnectedError, PeerGoneError, ProtocolViolation, UnexpectedDataError
from .spec import MessageType, Side, SpecVersion, State

__all__ = ["WebSocket", "WebSocketClose"]

# Starlette's WebSocketState has the spec's names and values; translate by value.
_TO_STARLETTE: dict[State, WebSocketState] = {state: WebSocketState(state.value) for state in State}
_FROM_STARLETTE: dict[WebSocketState, State] = {value: key for key, value in _TO_STARLETTE.items()}

# Starlette's pair of states for each node of the compiled machines (a few
# dozen in all), read on every client_state: a node hashes by identity in C,
# where a State, a plain Enum, hashes in Python.
_STARLETTE_STATES: dict[Node, tuple[WebSocketState, WebSocketState]] = {}


def _starlette_states(node: Node) -> tuple[WebSocketState, WebSocketState]:
    pair = _STARLETTE_STATES[node] = (_TO_STARLETTE[node.states.receive], _TO_STARLETTE[node.states.send])
    return pair


# Message types as plain strings: the nodes are keyed by them, and an enum
# attribute costs a lookup per call.
_CONNECT, _RECEIVE_TYPE, _CLOSE, _START = (t.value for t in (MessageType.CONNECT, MessageType.RECEIVE, MessageType.CLOSE, MessageType.RESPONSE_START))
# What a data helper waits for, to ask the compiled node whether it can come.
_DATA = {"type": _RECEIVE_TYPE}
# Starlette's wording for the refusals its helpers also make.
_NOT_ACCEPTED = 'WebSocket is not connected. Need to call "accept" first.'
_NO_DENIAL = "The server doesn't support the Websocket Denial Response extension."
_MODES = ("text", "binary")

_BAD_MODE = 'The "mode" argument should be "text" or "binary".'


class WebSocket(CheckedCalls, StarletteWebSocket):
    """A WebSocket connection whose every message is checked against the ASGI spec.

    Use it wherever Starlette's ``WebSocket`` is used: same constructor, same
    methods, same ``client_state``/``application_state`` values, same
    exceptions (it raises subclasses of what Starlette raises).

    Args:
        scope: the ``websocket`` connection scope.
        receive: the server's ``receive`` callable.
        send: the server's ``send`` callable.
        spec_version: judge against this spec version instead of the one the
            scope declares (``scope["asgi"]["spec_version"]``, "2.0" when absent).
        strict: refuse a scope that declares a spec version asgiws does not
            know. By default such a connection is judged against the newest
            version asgiws knows, with an ``UnknownVersionWarning`` once per
            declared version: a newer server is no reason to refuse a client.

    Raises:
        ValueError: when the scope is not a ``websocket`` scope, when
            ``spec_version`` is not a version asgiws knows, or (with
            ``strict``) when the scope declares one it does not know.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send, *, spec_version: SpecVersion | str | None = None, strict: bool = False) -> None:
        if scope.get("type") != "websocket":
            msg = f"asgiws.WebSocket needs a 'websocket' scope, not {scope.get('type')!r} [WS-020]"
            raise ValueError(msg)
        HTTPConnection.__init__(self, scope)  # Starlette's WebSocket.__init__ would set its own state fields
        self._receive = receive
        self._send = send
        # Keyword arguments cost a class call a dict (about 140 ns, a third
        # of the judge's construction): pass them only when they say something.
        if spec_version is None and not strict:
            self._connection_state = ConnectionState(scope)
        else:
            self._connection_state = ConnectionState(scope, version=spec_version, strict=strict)

    #: Whether ``receive_text()`` may await the server's ``receive()`` itself:
    #: not in a subclass that overrides ``receive()``, whose override it then
    #: goes through, as Starlette's helpers do.
    _receives_itself = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The helpers hand their message to the server, and take it from it,
        # themselves (a coroutine less per message); in a subclass that
        # overrides send(), they go through the override instead: Starlette's
        # data senders, and the subclass's send() for the messages the other
        # helpers build.
        cls._receives_itself = cls.receive is WebSocket.receive
        if cls.send is not WebSocket.send:
            cls._send_message = cls.send  # type: ignore[method-assign]
            cls.send_text = StarletteWebSocket.send_text  # type: ignore[method-assign,assignment]
            cls.send_bytes = StarletteWebSocket.send_bytes  # type: ignore[method-assign,assignment]

    # -- the two states, as Starlette names them ----------------------------------------

    @property
    def client_state(self) -> WebSocketState:
        """The receive side: what the server has delivered so far."""
        node = self._connection_state.node
        try:
            return _STARLETTE_STATES[node][0]
        except KeyError:  # the node's first reading
            return _starlette_states(node)[0]

    @client_state.setter
    def client_state(self, value: WebSocketState) -> None:
        self._connection_state.states = self._connection_state.states._replace(receive=_FROM_STARLETTE[value])

    @property
    def application_state(self) -> WebSocketState:
        """The send side: what the application has sent so far."""
        node = self._connection_state.node
        try:
            return _STARLETTE_STATES[node][1]
        except KeyError:  # the node's first reading
            return _starlette_states(node)[1]

    @application_state.setter
    def application_state(self, value: WebSocketState) -> None:
        self._connection_state.states = self._connection_state.states._replace(send=_FROM_STARLETTE[value])

    @property
    def spec_version(self) -> SpecVersion:
        """The spec version this connection is judged against."""
        return self._connection_state.context.version

    # -- the handshake --------------------------------------------------------------------

    async def accept(self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None) -> None:
        """Accept the connection, first receiving ``websocket.connect`` if it is still due.

        Args:
            subprotocol: one of ``scope["subprotocols"]``, or None.
            headers: extra response headers, lower-case byte names (spec 2.1 on).
        """
        if _CONNECT in self._connection_state.node.receive:
            await self.receive()
        # An iterator is read once here; anything else that is not a list of
        # pairs is the judge's to refuse (WS-028), not a TypeError of ours.
        listed = [] if headers is None else list(headers) if isinstance(headers, Iterator) else headers
        message = {"type": "websocket.accept", "subprotocol": subprotocol, "headers": listed}
        await self._send_message(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection; before the accept, this refuses it with HTTP 403.

        Closing a connection that is already closed (by the application, by the
        end of a denial response, or by the client's disconnect) does nothing,
        and so does a close the server fails because the connection is gone
        (``OSError``, spec 2.4): either way the connection is closed, so
        ``finally: await websocket.close()`` never masks the error that got there.

        Raises:
            InvalidMessageError: for a close code no endpoint may send, or a
                reason longer than 123 bytes of UTF-8 (or any reason before 2.3).
        """
        node = self._connection_state.node
        if _CLOSE not in node.send:
            why = node.reasons[Side.SEND][MessageType.CLOSE]
            if why.kind is spec.ViolationKind.PEER_GONE or not node.allowed[Side.SEND]:
                return  # already closed, one way or the other
        message = {"type": "websocket.close", "code": code, "reason": reason or ""}
        try:
            await self._send_message(message)
        except PeerGoneError:
            # Only the server's OSError gets here (a close after the disconnect
            # returned above): the connection is gone, which is what we wanted.
            return

    async def send_denial_response(self, response: Response) -> None:
        """Refuse the handshake with an HTTP response (the Denial Response extension).

        Raises:
            InvalidMessageError: the server does not advertise the extension
                (Starlette's ``RuntimeError`` text).
            WrongStateError: the handshake was already answered.
        """
        if _START not in self._connection_state.node.send:
            raise _no_denial_response(self._connection_state)
        await response(self.scope, self.receive, self.send)

    # -- data -----------------------------------------------------------------------------

    async def _receive_data(self) -> Message:
        # Wait only for data that can come: never "accept first" after a close.
        state = self._connection_state
        if _RECEIVE_TYPE not in state.node.receive and self._connect_comes_first(state):
            await self.receive()  # the app accepted without receiving the connect: it comes first
        message: Message = await self.receive()
        if not state.node.receive:  # the disconnect: nothing more will come
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        return message

    def _connect_comes_first(self, state: ConnectionState) -> bool:
        # No data can be received in this node: true when the connect is still
        # pending and data may follow it; otherwise raise what says why none can come.
        node = state.node
        connect = node.receive.get(_CONNECT)
        if connect is not None:  # judge by where the pending connect leads
            if _RECEIVE_TYPE in connect.next.receive:
                return True
            node = connect.next
        if not node.receive:
            raise state.exhausted(Side.RECEIVE)
        raise _no_data(state, node)

    def _unexpected(self, message: Message, key: str) -> UnexpectedDataError:
        wanted, got = ("text", "binary") if key == "text" else ("binary", "text")
        clauses = spec.UNEXPECTED_DATA
        return UnexpectedDataError(
            f"Expected a {wanted} message, but got a {got} one [{clauses[0]}]",
            kind=spec.ViolationKind.UNEXPECTED_DATA,
            clauses=clauses,
            side=Side.RECEIVE,
            states=self._connection_state.states,
            message_type=message["type"],
            allowed=self._connection_state.node.allowed[Side.RECEIVE],
            rule=f"receive_{'text' if key == 'text' else 'bytes'}() takes {wanted} messages only",
            message=message,
        )

    async def receive_text(self) -> str:
        """Receive a text message.

        Raises:
            WebSocketDisconnect: the client disconnected (with its code and reason).
            UnexpectedDataError: the message was binary (it is in ``.message``).
            NotConnectedError: no data can come (before the accept, after the disconnect).
        """
        state = self._connection_state
        # The common case inline (data can come now); _receive_data does the rest.
        if _RECEIVE_TYPE in state.node.receive:
            if self._receives_itself:  # a coroutine less per message
                message = await self._receive()
                self._received(message)
            else:
                message = await self.receive()
        else:
            message = await self._receive_data()
        if not state.node.receive:  # the disconnect: nothing more will come
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        text: str | None = message.get("text")
        if text is None:
            raise self._unexpected(message, "text")
        return text

    async def receive_bytes(self) -> bytes:
        """Receive a binary message; the mirror of :meth:`receive_text`."""
        message = await self._receive_data()
        data: bytes | None = message.get("bytes")
        if data is None:
            raise self._unexpected(message, "bytes")
        return data

    async def receive_json(self, mode: str = "text") -> Any:
        """Receive a JSON document, from a text message (``mode="text"``) or a binary one (``"binary"``)."""
        if mode not in _MODES:
            raise RuntimeError(_BAD_MODE)
        message = await self._receive_data()
        key = "text" if mode == "text" else "bytes"
        payload = message.get(key)
        if payload is None:
            raise self._unexpected(message, key)
        return json.loads(payload if mode == "text" else payload.decode("utf-8"))

    async def iter_text(self) -> AsyncIterator[str]:
        """Yield text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        """Yield JSON documents from text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as compact JSON, in a text message (``mode="text"``) or a binary one (``"binary"``)."""
        if mode not in _MODES:
            raise RuntimeError(_BAD_MODE)
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        message = {"type": "websocket.send", "text": text} if mode == "text" else {"type": "websocket.send", "bytes": text.encode("utf-8")}
        await self._send_message(message)


# The refusals a helper raises in its own terms are built here and raised by
# the caller: a frame that raises an error it holds in a local is reached by
# the error's traceback, a cycle only the garbage collector frees.


def _no_denial_response(state: ConnectionState) -> ProtocolViolation:
    # Why no denial response can start, in Starlette's words where the server
    # does not advertise the extension.
    probe = {"type": _START}
    error = state.explain(Side.SEND, probe)
    return state.explain(Side.SEND, probe, text=_NO_DENIAL) if error.clauses == spec.EXTENSION_NOT_ADVERTISED else error


def _no_data(state: ConnectionState, node: Node) -> ProtocolViolation:
    # Why no data can come in this node, in Starlette's words before the accept.
    error = state.machine.explain(node, Side.RECEIVE, _DATA)
    text = _NOT_ACCEPTED if node.states.send is State.CONNECTING else f"Cannot receive data: {error.rule} [{error.clause}]"
    error = state.machine.explain(node, Side.RECEIVE, _DATA, text=text, cls=NotConnectedError)
    error.states = state.states
    return error


class WebSocketClose:
    """An ASGI app that closes (or, before the accept, refuses) a WebSocket, with a checked code and reason."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await WebSocket(scope, receive, send).close(self.code, self.reason)
