"""BUG (AW-05): a chat endpoint that crashes on the first binary message.

Starlette's ``receive_text()`` raises ``KeyError('text')`` on a binary message;
the endpoint does not expect it, so the exception escapes while the connection
is open, and the server picks the close code. Text-only clients never see it.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def endpoint(websocket: WebSocket) -> None:
    """Echo text messages in upper case."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text((await websocket.receive_text()).upper())
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
