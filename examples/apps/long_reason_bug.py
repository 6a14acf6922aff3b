"""BUG (RFC-010): puts the offending message into the close reason.

A Close frame has room for 123 bytes of reason; a long enough message makes the
reason longer. Short messages never show it.
"""

from __future__ import annotations

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def commands(websocket: WebSocket) -> None:
    """Accept "ping" and refuse anything else, quoting it."""
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            if text != "ping":
                await websocket.close(code=1008, reason=f"unknown command: {text}")
                return
            await websocket.send_text("pong")
    except WebSocketDisconnect:
        pass
