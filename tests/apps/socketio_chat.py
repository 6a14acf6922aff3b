"""python-socketio: an Engine.IO/Socket.IO chat server as an ASGI app (framework BUG on an empty message).

``socketio.ASGIApp`` serves ``/socket.io/``; a WebSocket client must say
``EIO=4&transport=websocket`` in the query string. Every client joins the
``lobby`` room and ``chat`` events are relayed to it. The app's code is
correct; python-engineio (4.15) raises ``ValueError('Invalid empty packet
received')`` out of the app on an empty text message.

EXPECTED: AW-05 (``ValueError`` on an empty message, raised while the
connection is open), when checked with
``--path "/socket.io/?EIO=4&transport=websocket"``.

Reasoning. An empty message is a legal WebSocket message (WS-034); Engine.IO
may reject it as a protocol error, but by closing, not by letting the
exception end the app with the connection open: uvicorn then drops the TCP
connection without a Close frame (1006). Sends after the client's disconnect
(Engine.IO closes its session when it notices) are not findings by themselves
(issue 11, Deliver 3). The check only gets past the handshake once ``--path``
splits the query into ``scope["query_string"]`` (Deliver 1); left in ``path``,
Engine.IO refuses every connection before the accept. Under uvicorn the OPEN,
CONNECT and a relayed chat event work, and an empty message kills the
connection.
"""

from __future__ import annotations

from typing import Any

import socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    """Put every client in the lobby."""
    await sio.enter_room(sid, "lobby")


@sio.event
async def chat(sid: str, data: Any) -> None:
    """Relay a chat message to the lobby."""
    await sio.emit("chat", {"from": sid, "text": str(data)}, room="lobby")


app = socketio.ASGIApp(sio)
