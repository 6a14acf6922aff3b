"""BUG (WS-009): FastAPI's own handler for a missing query parameter.

When validation fails, FastAPI closes with code 1008 and puts the list of
validation errors in ``reason``, which must be a string (and fit in 123 bytes).
The endpoint is correct; the framework is not. Only clients that leave out
``room`` show it.
"""

from __future__ import annotations

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def room(websocket: WebSocket, room: str) -> None:
    """Join a room named by the required ``room`` query parameter."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(f"{room}: {await websocket.receive_text()}")
    except WebSocketDisconnect:
        pass
