"""FastAPI: a price ticker that sends from its own task while another task reads (correct).

One task pushes a tick every few milliseconds; the other reads the client's
messages (a new symbol to follow) until the client leaves. They run in one
anyio task group; when the reader sees the disconnect it cancels the group.

EXPECTED: conformant.

Reasoning. The ticker races the disconnect by construction: between the
client's Close and the cancellation it may send once more. That send is not a
violation (issue 11, Deliver 3; J-09 and WS-041 bind the server, and WS-038
says an app with concurrent code may see send() fail even before the
disconnect arrives). The app is ready for it: the failed send surfaces as
``WebSocketDisconnect`` (Starlette's wrapping of the server's ``OSError``) and
is caught, so nothing escapes while the connection is open and the app ends
once the connection has (WS-021). Under uvicorn the client sees ticks and a
clean close; nothing is logged.
"""

from __future__ import annotations

import anyio
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ticker")
async def ticker(websocket: WebSocket) -> None:
    """Tick the followed symbol until the client leaves."""
    await websocket.accept()
    followed = {"symbol": "ACME"}

    async def push(scope: anyio.CancelScope) -> None:
        tick = 0
        try:
            while True:
                tick += 1
                await websocket.send_json({"symbol": followed["symbol"], "tick": tick})
                await anyio.sleep(0.005)
        except WebSocketDisconnect:
            scope.cancel()

    async def read(scope: anyio.CancelScope) -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                scope.cancel()
                return
            if message.get("text"):
                followed["symbol"] = message["text"][:8]

    async with anyio.create_task_group() as group:
        group.start_soon(push, group.cancel_scope)
        group.start_soon(read, group.cancel_scope)
