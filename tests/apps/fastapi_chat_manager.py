"""FastAPI: a chat room with a shared connection manager that keeps a dead connection (BUG).

Every client's messages are broadcast to every connected client through one
``ConnectionManager`` shared by all connections, as in FastAPI's chat example.
The bug is one swapped pair of lines in the disconnect handler: it announces
"left" to everybody *before* removing the leaving connection, so the broadcast
also sends to the connection that has just gone.

EXPECTED: AW-05 (the next client's connection raises while open).

Reasoning. The send to the departed client comes after its
``websocket.disconnect``; from spec 2.4 the server raises an ``OSError``
subclass (WS-041), which Starlette turns into ``WebSocketDisconnect(1006)``.
That send is not a violation by itself (issue 11, Deliver 3), and letting the
send error end the departed connection's app is allowed too (WS-042: the app may
re-raise it), so the departed connection itself yields no finding. The harm is
that the exception leaves the handler before ``manager.disconnect`` runs: the
dead WebSocket stays in the shared list. The next message any other client
sends is broadcast to it; Starlette refuses a send on a socket whose send
already failed with ``WebSocketDisconnected`` (a ``RuntimeError``), which the
handler does not expect, so that *live* client's connection raises while open
(AW-05): uvicorn drops it without a close frame (1006) and logs a traceback,
and so on for every later client. Finding it needs connections that overlap or
follow each other against one app instance, with ``send()`` raising after a
connection has ended (issue 11, Deliver 4).
"""

from __future__ import annotations

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


class ConnectionManager:
    """Every open connection of the room."""

    def __init__(self) -> None:
        self.active: list[WebSocket] = []

    async def connect(self, websocket: WebSocket) -> None:
        """Accept and remember a connection."""
        await websocket.accept()
        self.active.append(websocket)

    def disconnect(self, websocket: WebSocket) -> None:
        """Forget a connection."""
        self.active.remove(websocket)

    async def broadcast(self, message: str) -> None:
        """Send a text message to every remembered connection."""
        for connection in self.active:
            await connection.send_text(message)


manager = ConnectionManager()


@app.websocket("/ws/{client_id}")
async def chat(websocket: WebSocket, client_id: int) -> None:
    """Relay what each client writes to the whole room."""
    await manager.connect(websocket)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            text = message.get("text")
            await manager.broadcast(f"#{client_id}: {text if text is not None else '<binary>'}")
    except WebSocketDisconnect:
        await manager.broadcast(f"#{client_id} left the chat")  # BUG: still in manager.active
        manager.disconnect(websocket)
