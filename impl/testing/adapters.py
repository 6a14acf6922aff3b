"""Adapters: how the harness drives a WebSocket class, in that class's own spelling.

The harness (:class:`~asgiws.testing.Harness`) holds every call to the spec
by the names of Starlette's API: ``accept(subprotocol, headers)``,
``receive_text()``, ``iter_json()``, ``send_denial_response(response)``, and
reads the two states as ``client_state``/``application_state``. An
:class:`Adapter` says how a class spells each of them: which method, which
arguments, which exception means "the client is gone", what its states are
called, and which calls it has at all. The machine leaves out the rules of
the calls a class does not have (:attr:`Adapter.calls`), and the states it
does not keep are not compared.

Three ship: :data:`STARLETTE` (any class with Starlette's API, the default),
:data:`LITESTAR` (``litestar.connection.WebSocket``) and :data:`QUART`
(Quart's ``websocket`` object, built over the connection as Quart's own ASGI
layer builds it). ``docs/how-to/write-an-adapter.md`` shows how to write one
for another framework.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine
from functools import cache, partial
from typing import Any

from starlette.websockets import WebSocketDisconnect

from ..spec import State

__all__ = [
    "ADAPTERS",
    "CALLS",
    "LITESTAR",
    "QUART",
    "STARLETTE",
    "Adapter",
    "LitestarAdapter",
    "QuartAdapter",
    "adapter_named",
    "detect_adapter",
    "rule_call",
]

#: Every call the harness can make, by its name in Starlette's API.
CALLS = frozenset(
    {
        "send",
        "receive",
        "accept",
        "close",
        "send_text",
        "send_bytes",
        "send_json",
        "send_denial_response",
        "receive_text",
        "receive_bytes",
        "receive_json",
        "iter_text",
        "iter_bytes",
        "iter_json",
    }
)

Awaitable = Coroutine[Any, Any, Any]


def rule_call(rule: str) -> str | None:
    """The harness call a rule of the generated machine makes (``app_raw_close`` sends), or None for the server's rules."""
    if rule.startswith("app_raw_"):
        return "send"
    name = rule.removeprefix("app_")
    return name if name in CALLS else None


class Adapter:
    """Starlette's API: the default, and the base to spell another class's API.

    Override the methods your class spells otherwise, and set :attr:`calls`
    to the calls it has. Each call method returns the coroutine the class's
    method returns (nothing is awaited here); :meth:`iterate` returns an
    async generator.
    """

    #: The adapter's name, as ``asgiws fuzz --adapter`` takes it.
    name = "starlette"
    #: The calls the class has; the machine leaves out the rules of the others.
    calls: frozenset[str] = CALLS

    def build(self, factory: Callable[..., Any], scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> Any:
        """The object under test, over the simulated server's ``receive`` and ``send``."""
        return factory(scope, receive, send)

    def states(self, websocket: Any) -> tuple[str | None, str | None]:
        """The names of the (receive, send) states the class reports; None for a side it keeps no state of."""
        return websocket.client_state.name, websocket.application_state.name

    def send(self, websocket: Any, message: Any) -> Awaitable:
        """``send(message)``: a raw ASGI message."""
        return websocket.send(message)  # type: ignore[no-any-return]

    def receive(self, websocket: Any) -> Awaitable:
        """``receive()``: the next raw ASGI message."""
        return websocket.receive()  # type: ignore[no-any-return]

    def accept(self, websocket: Any, subprotocol: str | None, headers: Any) -> Awaitable:
        """``accept(subprotocol, headers)``."""
        return websocket.accept(subprotocol=subprotocol, headers=headers)  # type: ignore[no-any-return]

    def close(self, websocket: Any, code: Any, reason: Any) -> Awaitable:
        """``close(code, reason)``."""
        return websocket.close(code, reason)  # type: ignore[no-any-return]

    def send_text(self, websocket: Any, data: Any) -> Awaitable:
        """``send_text(data)``."""
        return websocket.send_text(data)  # type: ignore[no-any-return]

    def send_bytes(self, websocket: Any, data: Any) -> Awaitable:
        """``send_bytes(data)``."""
        return websocket.send_bytes(data)  # type: ignore[no-any-return]

    def send_json(self, websocket: Any, data: Any, mode: str) -> Awaitable:
        """``send_json(data, mode)``."""
        return websocket.send_json(data, mode=mode)  # type: ignore[no-any-return]

    def send_denial_response(self, websocket: Any, response: Any) -> Awaitable:
        """``send_denial_response(response)``: a Starlette ``Response``."""
        return websocket.send_denial_response(response)  # type: ignore[no-any-return]

    def receive_text(self, websocket: Any) -> Awaitable:
        """``receive_text()``."""
        return websocket.receive_text()  # type: ignore[no-any-return]

    def receive_bytes(self, websocket: Any) -> Awaitable:
        """``receive_bytes()``."""
        return websocket.receive_bytes()  # type: ignore[no-any-return]

    def receive_json(self, websocket: Any, mode: str) -> Awaitable:
        """``receive_json(mode)``."""
        return websocket.receive_json(mode=mode)  # type: ignore[no-any-return]

    def iterate(self, websocket: Any, method: str) -> Any:
        """``iter_text()``, ``iter_bytes()`` or ``iter_json()``, by ``method``: an async generator (``__anext__``, ``aclose``)."""
        return getattr(websocket, method)()


#: Any class with Starlette's ``WebSocket`` API.
STARLETTE = Adapter()


class _Route:
    # Litestar reads the JSON decoders of the route the connection came in on; this route adds none.
    def resolve_type_decoders(self) -> None:
        return None


async def _disconnect_as_starlettes(call: Awaitable, family: type[BaseException]) -> Any:
    # A framework's own "the client left" exception, as the harness names it: Starlette's, with what it kept.
    try:
        return await call
    except family as error:
        raise WebSocketDisconnect(getattr(error, "code", None) or 1000, getattr(error, "reason", None)) from error


# Litestar's connection_state, as the receive side's state it means.
_LITESTAR_RECEIVE_STATES = {"init": State.CONNECTING, "connect": State.CONNECTED, "receive": State.CONNECTED, "disconnect": State.DISCONNECTED}


class LitestarAdapter(Adapter):
    """``litestar.connection.WebSocket``.

    Litestar keeps one state, of the receive side (``connection_state``:
    ``init``, ``connect``, ``receive``, ``disconnect``), has no denial
    response on the connection, calls the iterators ``iter_data(mode)`` and
    raises its own ``WebSocketDisconnect`` (seen here as Starlette's, with the
    code it kept).
    """

    name = "litestar"
    calls = CALLS - {"send_denial_response"}

    def build(self, factory: Callable[..., Any], scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> Any:
        """The connection, over a scope that names a route without JSON decoders of its own."""
        return factory({**scope, "route_handler": _Route()}, receive, send)

    def states(self, websocket: Any) -> tuple[str | None, str | None]:
        """The receive side's state, from ``connection_state``; Litestar keeps none of the send side."""
        return _LITESTAR_RECEIVE_STATES[websocket.connection_state].name, None

    def _translated(self, call: Awaitable) -> Awaitable:
        from litestar.exceptions import WebSocketDisconnect as LitestarDisconnect

        return _disconnect_as_starlettes(call, LitestarDisconnect)

    def send(self, websocket: Any, message: Any) -> Awaitable:
        """``send(message)``."""
        return self._translated(super().send(websocket, message))

    def receive(self, websocket: Any) -> Awaitable:
        """``receive()``."""
        return self._translated(super().receive(websocket))

    def accept(self, websocket: Any, subprotocol: str | None, headers: Any) -> Awaitable:
        """``accept(subprotocols, headers)``: Litestar names the chosen subprotocol ``subprotocols``."""
        return self._translated(websocket.accept(subprotocol, headers))

    def close(self, websocket: Any, code: Any, reason: Any) -> Awaitable:
        """``close(code, reason)``."""
        return self._translated(super().close(websocket, code, reason))

    def send_text(self, websocket: Any, data: Any) -> Awaitable:
        """``send_text(data)``."""
        return self._translated(super().send_text(websocket, data))

    def send_bytes(self, websocket: Any, data: Any) -> Awaitable:
        """``send_bytes(data)``."""
        return self._translated(super().send_bytes(websocket, data))

    def send_json(self, websocket: Any, data: Any, mode: str) -> Awaitable:
        """``send_json(data, mode)``."""
        return self._translated(super().send_json(websocket, data, mode))

    def receive_text(self, websocket: Any) -> Awaitable:
        """``receive_text()``."""
        return self._translated(super().receive_text(websocket))

    def receive_bytes(self, websocket: Any) -> Awaitable:
        """``receive_bytes()``."""
        return self._translated(super().receive_bytes(websocket))

    def receive_json(self, websocket: Any, mode: str) -> Awaitable:
        """``receive_json(mode)``."""
        return self._translated(super().receive_json(websocket, mode))

    def iterate(self, websocket: Any, method: str) -> Any:
        """``iter_data("text")``, ``iter_data("binary")`` or ``iter_json()``."""
        if method == "iter_json":
            return websocket.iter_json()
        return websocket.iter_data("text" if method == "iter_text" else "binary")


#: ``litestar.connection.WebSocket``.
LITESTAR = LitestarAdapter()


class _QuartReader:
    """What Quart's reader task does, run at every call instead of concurrently.

    Quart's ASGI layer reads the server in a task of its own, as fast as
    messages come: it skips ``websocket.connect``, queues the payload of
    every ``websocket.receive`` (its bytes when they are not empty, else its
    text), and stops at ``websocket.disconnect``, which cancels the handler.
    The harness runs one call at a time, so the reader catches up at the
    start of each call, and the websocket's ``receive()`` waits for the
    server only when nothing is queued.
    """

    def __init__(self, receive: Callable[[], Awaitable]) -> None:
        self._receive = receive
        self._queue: list[Any] = []
        self._gone: Any = None  # the disconnect that stopped the reader

    def catch_up(self) -> None:
        from ..engine import drive

        while self._gone is None:
            read = self._receive()
            done, message, _ = drive(read)  # the simulated server's receive() never raises
            if not done:
                read.close()  # nothing queued: the waiting read is dropped, as a cancelled one is
                return
            self._take(message)

    def _take(self, message: Any) -> None:
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "websocket.receive":
            self._queue.append(message.get("bytes") or message["text"])
        elif kind == "websocket.disconnect":
            self._gone = message

    async def next(self) -> Any:
        # The websocket's receive(): the next payload; the handler's cancellation, spelled as Starlette's disconnect.
        while not self._queue:
            if self._gone is not None:
                raise WebSocketDisconnect(self._gone.get("code", 1000), self._gone.get("reason"))
            self._take(await self._receive())
        return self._queue.pop(0)


class _QuartConnection:
    """Quart's ``websocket`` object and the reader that feeds it."""

    def __init__(self, websocket: Any, reader: _QuartReader) -> None:
        self.websocket = websocket
        self.reader = reader


@cache
def _quart_app() -> Any:
    from quart import Quart

    return Quart("asgiws")


def _text_headers(headers: Any) -> Any:
    # Quart's accept() takes text headers; byte pairs are decoded as HTTP headers are, anything else is passed on as it is.
    if isinstance(headers, list) and all(isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(v, bytes) for v in p) for p in headers):
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
    return headers


class QuartAdapter(Adapter):
    """Quart's ``websocket`` object (``quart.wrappers.Websocket``, or an app's ``websocket_class``).

    In a Quart app, ``websocket`` is a context-local: it stands for the
    ``Websocket`` that Quart's ASGI layer (``ASGIWebsocketConnection``)
    builds over the connection's scope, with its own ``accept``, ``close``
    and ``send`` spelled as ASGI messages. The adapter builds the same object
    with the same ASGI layer, over the simulated server, and a reader that
    does what Quart's reader task does (:class:`_QuartReader`). The factory
    is the ``Websocket`` class.

    Quart's object has one ``receive()`` and one ``send(data)`` for text and
    bytes alike, ``receive_json()``/``send_json()`` for JSON as text, and no
    raw messages, iterators, denial response or states: the rules of those
    calls are left out, and no state is compared.
    """

    name = "quart"
    calls = frozenset({"accept", "close", "send_text", "send_bytes", "send_json", "receive_text", "receive_bytes", "receive_json"})

    def build(self, factory: Callable[..., Any], scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> Any:
        """Quart's websocket over the connection, as ``ASGIWebsocketConnection`` builds it."""
        from quart.asgi import ASGIWebsocketConnection
        from werkzeug.datastructures import Headers

        layer = ASGIWebsocketConnection(_quart_app(), scope)  # type: ignore[arg-type]
        reader = _QuartReader(receive)
        headers = Headers([(name.decode("latin-1").title(), value.decode("latin-1")) for name, value in scope["headers"]])
        websocket = factory(
            scope["path"],
            scope["query_string"],
            scope["scheme"],
            headers,
            scope.get("root_path", ""),
            scope.get("http_version", "1.1"),
            list(scope.get("subprotocols", [])),
            reader.next,
            partial(layer.send_data, send),
            partial(layer.accept_connection, send),
            partial(layer.close_connection, send),
            scope=scope,
        )
        return _QuartConnection(websocket, reader)

    def states(self, websocket: Any) -> tuple[str | None, str | None]:
        """Quart keeps no state the application can read."""
        return None, None

    async def _call(self, connection: _QuartConnection, method: str, *args: Any, **kwargs: Any) -> Any:
        connection.reader.catch_up()
        with warnings.catch_warnings():
            # Quart tells the operator when it drops accept headers a 2.0 server cannot carry; the drop itself is what is judged.
            warnings.simplefilter("ignore", UserWarning)
            return await getattr(connection.websocket, method)(*args, **kwargs)

    def accept(self, websocket: Any, subprotocol: str | None, headers: Any) -> Awaitable:
        """``accept(headers, subprotocol)``, with text headers."""
        return self._call(websocket, "accept", _text_headers(headers), subprotocol)

    def close(self, websocket: Any, code: Any, reason: Any) -> Awaitable:
        """``close(code, reason)``: Quart's reason is text, empty by default."""
        return self._call(websocket, "close", code, reason or "")

    def send_text(self, websocket: Any, data: Any) -> Awaitable:
        """``send(data)``."""
        return self._call(websocket, "send", data)

    def send_bytes(self, websocket: Any, data: Any) -> Awaitable:
        """``send(data)``."""
        return self._call(websocket, "send", data)

    def send_json(self, websocket: Any, data: Any, mode: str) -> Awaitable:
        """``send_json(data)``: always text, whatever the mode."""
        return self._call(websocket, "send_json", data)

    def receive_text(self, websocket: Any) -> Awaitable:
        """``receive()``: text or bytes, whichever came."""
        return self._call(websocket, "receive")

    def receive_bytes(self, websocket: Any) -> Awaitable:
        """``receive()``: text or bytes, whichever came."""
        return self._call(websocket, "receive")

    def receive_json(self, websocket: Any, mode: str) -> Awaitable:
        """``receive_json()``: whatever came, decoded, whatever the mode."""
        return self._call(websocket, "receive_json")


#: Quart's ``websocket`` object.
QUART = QuartAdapter()
#: The adapters asgiws ships, by name.
ADAPTERS: dict[str, Adapter] = {adapter.name: adapter for adapter in (STARLETTE, LITESTAR, QUART)}


def detect_adapter(target: Any) -> Adapter:
    """The shipped adapter for a class, read from the package its class hierarchy comes from; Starlette's API otherwise.

    ``litestar.connection.WebSocket`` and its subclasses get :data:`LITESTAR`,
    ``quart.wrappers.Websocket`` and its subclasses :data:`QUART`; anything
    else, Starlette's ``WebSocket`` and ``asgiws.WebSocket`` included, gets
    :data:`STARLETTE`.
    """
    for cls in getattr(target, "__mro__", ()):
        found = ADAPTERS.get(cls.__module__.partition(".")[0])
        if found is not None and found is not STARLETTE:
            return found
    return STARLETTE


def adapter_named(name: str) -> Adapter:
    """The shipped adapter called ``name``.

    Raises:
        ValueError: asgiws ships no adapter of that name.
    """
    try:
        return ADAPTERS[name]
    except KeyError:
        msg = f"no adapter named {name!r}; the shipped ones are {', '.join(ADAPTERS)}"
        raise ValueError(msg) from None
