"""Starlette: a room endpoint that raises before the handshake for an unknown room (BUG).

``/rooms/{name}`` looks the room up in a dict *before* deciding on the
handshake, with ``ROOMS[name]``: an unknown room raises ``KeyError`` out of the
app while the handshake is pending. The intended refusal is a close before the
accept, which servers answer with HTTP 403.

EXPECTED: WS-024 (the handshake is never answered: the app raised ``KeyError``
before accept or close), reported as an exception before the handshake.

Reasoning. ``websocket.connect`` "must be responded to with either an Accept
message or a Close message" (WS-024); the app responds with neither. The server
must then terminate the connection (WS-012), with a status the spec leaves open
(AMB-18): uvicorn answers HTTP 500 where the app meant 403, and logs the
traceback; a browser sees a failed handshake either way, but monitoring sees
server errors. Issue 11 (Deliver 4) asks for the exception to be named.
Checked on ``/rooms/unknown``; ``/rooms/lobby`` is a correct echo room.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ROOMS: dict[str, list[str]] = {"lobby": []}


async def room(websocket: WebSocket) -> None:
    """Echo into a known room; unknown rooms were meant to be refused."""
    history = ROOMS[websocket.path_params["name"]]  # BUG: KeyError instead of a refusal
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            history.append(text if text is not None else "<binary>")
            del history[:-10]
            await websocket.send_text(f"{len(history)} in history")
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/rooms/{name}", room)])
