"""asgiws: the ASGI WebSocket protocol as one executable specification.

The spec lives in :mod:`asgiws.spec` as data; this package interprets it.
``from asgiws import WebSocket, WebSocketDisconnect, WebSocketState`` gives a
drop-in for Starlette's and FastAPI's WebSocket whose checks are the compiled
spec. ``asgiws.websocket_endpoint`` makes an ASGI app of ``async def f(websocket)``
(for Starlette routes or any server), and ``asgiws.fastapi.CheckedWebSocket``
hands a FastAPI endpoint the checked class. Importing ``asgiws`` loads neither
hypothesis, transitions, graphviz nor FastAPI.
"""

from __future__ import annotations

from starlette.websockets import WebSocketState

from ._context import Context, context_from_scope, parse_version
from ._state import ConnectionState
from ._version import __version__
from .endpoints import websocket_endpoint
from .exceptions import (
    InvalidMessageError,
    NotConnectedError,
    PeerGoneError,
    ProtocolViolation,
    UnexpectedDataError,
    UnknownVersionWarning,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WrongStateError,
)
from .middleware import CheckMiddleware, ProtocolWarning, check
from .websockets import WebSocket, WebSocketClose

__all__ = [
    "CheckMiddleware",
    "ConnectionState",
    "Context",
    "InvalidMessageError",
    "NotConnectedError",
    "PeerGoneError",
    "ProtocolViolation",
    "ProtocolWarning",
    "UnexpectedDataError",
    "UnknownVersionWarning",
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WebSocketState",
    "WrongStateError",
    "__version__",
    "check",
    "context_from_scope",
    "parse_version",
    "websocket_endpoint",
]
