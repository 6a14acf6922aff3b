"""BUG (AW-05): a chat room that keeps the sockets of clients who have left.

Every message is broadcast to everyone in the room. A client joins when it
connects, but nobody ever leaves the room: the handler returns on the
client's disconnect without taking its socket out. The next broadcast reaches
the dead socket, the server's ``send()`` raises (an ``OSError`` from spec
2.4, which Starlette turns into ``WebSocketDisconnect``), and the exception
escapes the handler of the client who was speaking: a live connection dies
because another client left. Under uvicorn that client sees close code 1011.

Written as the FastAPI documentation writes a chat room; one line is missing.
"""

from __future__ import annotations

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


class Room:
    """Everyone connected to the chat."""

    def __init__(self) -> None:
        self.members: list[WebSocket] = []

    async def join(self, websocket: WebSocket) -> None:
        """Accept a client and add it to the room."""
        await websocket.accept()
        self.members.append(websocket)

    async def broadcast(self, text: str) -> None:
        """Send ``text`` to every member."""
        for member in self.members:
            await member.send_text(text)


room = Room()


@app.websocket("/ws")
async def chat(websocket: WebSocket) -> None:
    """Relay every text message to the whole room."""
    await room.join(websocket)
    while True:
        try:
            text = await websocket.receive_text()
        except WebSocketDisconnect:
            return  # the bug: room.members.remove(websocket) is missing
        await room.broadcast(text)
