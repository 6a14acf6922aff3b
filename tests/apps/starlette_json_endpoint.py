"""Starlette: a JSON ``WebSocketEndpoint`` that answers each request object (framework BUG on binary).

The class-based endpoint declares ``encoding = "json"``, so Starlette decodes
every message (text, or binary as UTF-8) as JSON before ``on_receive``; the
endpoint answers ``{"echo": <the value>}``. On text that is not JSON,
Starlette's endpoint closes with 1003 (unsupported data) and then raises
``RuntimeError("Malformed JSON data received.")``. On a binary message that is
not UTF-8, its ``message["bytes"].decode("utf-8")`` raises
``UnicodeDecodeError`` before any close.

EXPECTED: AW-05 (``UnicodeDecodeError`` on a non-UTF-8 binary message, raised
while the connection is open).

Reasoning. The non-JSON text path is fine: 1003 is a code an endpoint may send
(RFC-005), the client gets a proper Close frame, and the exception comes only
after the app's close (send side DISCONNECTED), when it leaves no close code to
the server (AW-05 does not apply; WS-012 only asks the server to end the
instance). The binary path is not: the ``UnicodeDecodeError`` escapes with both
sides CONNECTED, so the server picks the ending (AMB-18); uvicorn drops the TCP
connection without a Close frame (the client sees 1006) where 1003 was meant.
This bug is Starlette's own (1.10), not the app's code.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


class JSONEcho(WebSocketEndpoint):
    """Answer every JSON value with an object around it."""

    encoding = "json"

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Wrap the value and send it back."""
        await websocket.send_json({"echo": data})


app = Starlette(routes=[WebSocketRoute("/json", JSONEcho)])
