"""Starlette: a JSON command endpoint that crashes on binary frames (BUG).

A function endpoint reads ``receive_json()`` in a loop and answers commands
(``{"op": "add", "a": 1, "b": 2}``). It catches ``json.JSONDecodeError`` (it
answers ``{"error": "not JSON"}``) and the client's disconnect, but not a binary
frame: ``receive_json()`` reads ``message["text"]``, which is ``KeyError`` when a
server sends binary messages with the ``bytes`` key only (uvicorn) and
``json.loads(None)`` → ``TypeError`` when it sends ``"text": None`` beside it
(both shapes are allowed, WS-034). A JSON value that is not an object (``[1]``)
crashes it a third way, ``AttributeError`` on ``.get``.

EXPECTED: AW-05, from distinct root causes: the binary frame (``KeyError`` or
``TypeError`` by the message shape) and the non-object JSON value
(``AttributeError``).

Reasoning. Each exception escapes while the connection is open (receive and
send side CONNECTED), so the server picks the ending (AMB-18): uvicorn drops the
TCP connection without a Close frame (the client sees 1006) and logs
"Exception in ASGI application". AW-05 asks an app to end an open connection by
closing it (1003 would be the RFC's code for data it cannot accept). Issue 11
(Deliver 4) asks for distinct exceptions to be distinct findings.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def commands(websocket: WebSocket) -> None:
    """Answer arithmetic commands sent as JSON objects."""
    await websocket.accept()
    try:
        while True:
            try:
                command = await websocket.receive_json()
            except json.JSONDecodeError:
                await websocket.send_json({"error": "not JSON"})
                continue
            if command.get("op") == "add":
                await websocket.send_json({"result": command.get("a", 0) + command.get("b", 0)})
            else:
                await websocket.send_json({"error": "unknown op"})
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/commands", commands)])
