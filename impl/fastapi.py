"""FastAPI integration: a dependency that hands an endpoint an ``asgiws.WebSocket``.

Annotate the endpoint's parameter with :data:`CheckedWebSocket` instead of
FastAPI's ``WebSocket``::

    from fastapi import FastAPI
    from asgiws.fastapi import CheckedWebSocket

    app = FastAPI()

    @app.websocket("/ws/{room}")
    async def chat(websocket: CheckedWebSocket, room: str) -> None:
        await websocket.accept()
        ...

Everything else about the endpoint stays FastAPI's: path and query
parameters, other dependencies, ``WebSocketException`` and the validation
error handler all work as before. The only difference is that every message
the endpoint sends or receives through ``websocket`` is checked against the
spec, and a message that breaks it raises before it reaches the server.

This module imports FastAPI, so ``import asgiws`` does not load it; import
``asgiws.fastapi`` where you use it.

Note:
    Annotating a parameter with ``asgiws.WebSocket`` alone is not enough:
    FastAPI sees a subclass of Starlette's ``WebSocket`` and injects its own,
    unchecked object. The ``Depends`` inside :data:`CheckedWebSocket` is what
    makes FastAPI call :func:`checked_websocket` instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi import WebSocket as FastAPIWebSocket

from .websockets import WebSocket

__all__ = ["CheckedWebSocket", "checked_websocket"]


async def checked_websocket(websocket: FastAPIWebSocket) -> WebSocket:
    """Wrap FastAPI's WebSocket for a connection in an ``asgiws.WebSocket``.

    Use it as a FastAPI dependency, usually through :data:`CheckedWebSocket`.
    FastAPI caches a dependency's result for the length of one connection, so
    every endpoint parameter and sub-dependency that asks for it gets the same
    checked object, with one state machine.

    It is ``async`` so that FastAPI runs it inline rather than in a worker
    thread, which is what it does for a plain ``def`` dependency.

    Args:
        websocket: the WebSocket FastAPI created for the connection; FastAPI
            injects it because of its type.

    Returns:
        An ``asgiws.WebSocket`` over the same scope and the same server
        ``receive`` and ``send``, starting in the states FastAPI's object is in.

    Raises:
        ValueError: the scope declares a spec version asgiws does not know.
    """
    # Starlette's public ``receive()``/``send()`` are bound methods that run
    # Starlette's own state checks; wrapping them would judge every message
    # twice and let Starlette's wording win. The server's raw callables, which
    # Starlette keeps as ``_receive``/``_send``, are what asgiws must sit on.
    checked = WebSocket(websocket.scope, websocket._receive, websocket._send)
    # FastAPI resolves dependencies before the endpoint runs and receives
    # nothing on a WebSocket by itself (there is no body to read), so both
    # objects normally start at (CONNECTING, CONNECTING). An earlier dependency
    # may still have used FastAPI's object (read the connect, accepted, even
    # closed): start where that left the connection rather than replay it.
    checked.client_state = websocket.client_state
    checked.application_state = websocket.application_state
    _close_through(websocket, checked)
    return checked


def _close_through(websocket: FastAPIWebSocket, checked: WebSocket) -> None:
    # FastAPI's exception handlers (WebSocketException, validation errors)
    # close through FastAPI's own object, which never sees what the endpoint
    # did through the checked one: after the endpoint's own close it would
    # send a second one. Once the endpoint has used the checked object, the
    # handlers' close goes through it too, and is judged (a second close does
    # nothing). Before that, FastAPI's object is the one that knows the states.
    own_close = websocket.close
    untouched = checked._connection_state.node

    async def close(code: int = 1000, reason: str | None = None) -> None:
        if checked._connection_state.node is untouched:
            await own_close(code, reason)
        else:
            await checked.close(code, reason)

    websocket.close = close  # type: ignore[method-assign]


#: An ``asgiws.WebSocket`` parameter for a FastAPI WebSocket endpoint or dependency.
CheckedWebSocket = Annotated[WebSocket, Depends(checked_websocket)]
