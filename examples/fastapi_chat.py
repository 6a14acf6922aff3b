"""A FastAPI chat endpoint whose WebSocket is checked against the ASGI spec.

The endpoint takes ``asgiws.fastapi.CheckedWebSocket`` instead of FastAPI's
``WebSocket``; everything else is ordinary FastAPI (a path parameter with a
pattern, a query parameter, a plain HTTP route). Every message it sends or
receives is checked, and one that breaks the protocol raises before the
server sees it.

Run it from the repository root with::

    uvicorn examples.fastapi_chat:app

(or ``hypercorn examples.fastapi_chat:app``), then talk to it with any
WebSocket client, for example ``python -m websockets ws://127.0.0.1:8000/ws/lobby``:

- a text message comes back as it was sent;
- a binary message is answered with its length, as text (``"5 bytes"``);
- ``bye`` ends the conversation: the server closes with 1000 and the reason
  ``"goodbye"``;
- offering the ``chat.v1`` subprotocol gets it accepted;
- a room name that is not lower-case letters, digits and dashes is refused by
  FastAPI's validation (close code 1008) before the endpoint runs.

``GET /`` says hello, and ``GET /stats`` counts the connections, the messages and
the close codes clients disconnected with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from fastapi import FastAPI, Path

from asgiws.fastapi import CheckedWebSocket

SUBPROTOCOL = "chat.v1"
ROOM = Path(pattern=r"^[a-z0-9-]{1,32}$")


@dataclass
class Stats:
    """What the endpoint has seen since the process started."""

    connections: int = 0
    messages: int = 0
    #: The close code of every client that disconnected, oldest first.
    disconnects: list[int] = field(default_factory=list)


stats = Stats()
app = FastAPI(title="asgiws chat example")


@app.get("/")
async def index() -> dict[str, str]:
    """Say where the WebSocket is."""
    return {"service": "asgiws chat example", "websocket": "/ws/{room}", "subprotocol": SUBPROTOCOL}


@app.get("/stats")
async def get_stats() -> dict[str, Any]:
    """Report what the chat endpoint has seen."""
    return asdict(stats)


@app.websocket("/ws/{room}")
async def chat(websocket: CheckedWebSocket, room: Annotated[str, ROOM], name: str = "guest") -> None:
    """Greet, echo text, measure binary, and say goodbye on ``bye``."""
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
    stats.connections += 1
    await websocket.send_text(f"welcome to {room}, {name}")
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            stats.disconnects.append(message["code"])
            return
        stats.messages += 1
        text = message.get("text")
        if text is None:
            await websocket.send_text(f"{len(message['bytes'])} bytes")
        elif text == "bye":
            await websocket.close(code=1000, reason="goodbye")
            return
        else:
            await websocket.send_text(text)
