"""``websocket_endpoint``: turn ``async def f(websocket)`` into an ASGI app with a checked WebSocket.

Starlette's ``WebSocketRoute`` wraps a plain function in its own, unchecked
``WebSocket``. Decorate the function instead, and it becomes a
:class:`WebSocketApp`: an ASGI application that hands every connection to the
function as an ``asgiws.WebSocket``. Because it is an object, not a function,
Starlette treats it as an ASGI app and passes the connection through untouched::

    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    import asgiws

    @asgiws.websocket_endpoint
    async def echo(websocket: asgiws.WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

    app = Starlette(routes=[WebSocketRoute("/echo", echo)])

The same object works in ``Mount`` and ``Router``, and on its own under any
ASGI server (``uvicorn module:echo``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import overload

from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from ._context import parse_version
from .spec import SpecVersion
from .websockets import WebSocket

__all__ = ["Handler", "WebSocketApp", "websocket_endpoint"]

#: What :func:`websocket_endpoint` decorates.
Handler = Callable[[WebSocket], Awaitable[None]]


class WebSocketApp:
    """An ASGI application that serves each WebSocket connection with ``handler``.

    It keeps the handler's ``__name__``, ``__qualname__``, ``__module__`` and
    ``__doc__``, so a route built on it gets the handler's name.

    As for a plain function endpoint in Starlette, an exception the handler
    raises goes to the application's exception handlers (``WebSocketException``'s
    closes the connection with its code), and they get the same checked
    ``WebSocket``; without a handler for it, the exception propagates.

    Scopes other than ``websocket`` get what a server running this app alone
    needs: ``lifespan`` is acknowledged (there is nothing to start), and a
    plain HTTP request is answered ``426 Upgrade Required``.

    Args:
        handler: ``async def handler(websocket: asgiws.WebSocket) -> None``.
        spec_version: judge every connection against this spec version rather
            than the one its scope declares.

    Raises:
        ValueError: ``spec_version`` is not a version asgiws knows.
    """

    __name__: str
    __qualname__: str

    def __init__(self, handler: Handler, *, spec_version: SpecVersion | str | None = None) -> None:
        self.handler = handler
        self.spec_version = None if spec_version is None else parse_version(spec_version)
        # What functools.update_wrapper copies, without ``__wrapped__``: with it,
        # inspect.signature() would describe the handler, not this ASGI app.
        self.__module__ = handler.__module__
        self.__name__ = getattr(handler, "__name__", type(handler).__name__)
        self.__qualname__ = getattr(handler, "__qualname__", self.__name__)
        self.__doc__ = handler.__doc__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the handler for a ``websocket`` scope (see the class for the others)."""
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive, send, spec_version=self.spec_version)

            async def serve(scope: Scope, receive: Receive, send: Send) -> None:
                await self.handler(websocket)

            # What Starlette does for a function endpoint: the application's
            # exception handlers (the one for WebSocketException included) get
            # this same checked object, so they see the state the endpoint left,
            # and a handler's close after the endpoint's own does nothing.
            await wrap_app_handling_exceptions(serve, websocket)(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)
        else:
            response = PlainTextResponse("This endpoint only speaks WebSocket.", status_code=426, headers={"upgrade": "websocket"})
            await response(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        # Nothing to start or stop: acknowledge each step as it comes.
        await send({"type": f"{message['type']}.complete"})
        if message["type"] == "lifespan.shutdown":
            return


@overload
def websocket_endpoint(handler: Handler, /, *, spec_version: SpecVersion | str | None = None) -> WebSocketApp: ...


@overload
def websocket_endpoint(*, spec_version: SpecVersion | str | None = None) -> Callable[[Handler], WebSocketApp]: ...


def websocket_endpoint(
    handler: Handler | None = None, /, *, spec_version: SpecVersion | str | None = None
) -> WebSocketApp | Callable[[Handler], WebSocketApp]:
    """Make an ASGI application out of a function that takes an ``asgiws.WebSocket``.

    Use it bare (``@websocket_endpoint``), with the version to judge against
    (``@websocket_endpoint(spec_version="2.3")``), or as a call
    (``websocket_endpoint(handler, spec_version="2.3")``).

    Args:
        handler: ``async def handler(websocket: asgiws.WebSocket) -> None``.
        spec_version: judge every connection against this spec version rather
            than the one its scope declares.

    Returns:
        A :class:`WebSocketApp`, or, when ``handler`` is left out, a decorator
        that makes one.

    Raises:
        ValueError: ``spec_version`` is not a version asgiws knows (raised
            here, not at the first connection).
    """
    if handler is not None:
        return WebSocketApp(handler, spec_version=spec_version)
    version = None if spec_version is None else parse_version(spec_version)

    def decorate(handler: Handler) -> WebSocketApp:
        return WebSocketApp(handler, spec_version=version)

    return decorate
