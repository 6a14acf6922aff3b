"""A raw ASGI application that checks its own WebSocket, with no framework at all.

The application builds an ``asgiws.WebSocket`` from the scope and the server's
``receive`` and ``send`` itself, and answers JSON documents: ``{"add": [1, 2]}``
gets ``{"sum": 3}``. A document it cannot use closes the connection with 1003
(unsupported data). HTTP requests get a short plain-text answer, and the
lifespan protocol is acknowledged.

Run it from the repository root with::

    uvicorn examples.raw_asgi:app

then connect to ``ws://127.0.0.1:8000/`` (any path).
"""

from __future__ import annotations

import json

from starlette.types import Receive, Scope, Send

from asgiws import UnexpectedDataError, WebSocket, WebSocketDisconnect


async def adder(websocket: WebSocket) -> None:
    """Answer ``{"add": [numbers]}`` with ``{"sum": total}``."""
    await websocket.accept()
    while True:
        try:
            document = await websocket.receive_json()
        except WebSocketDisconnect:
            return
        # Not JSON, or a binary message. (Not ``except ValueError``: asgiws's
        # InvalidMessageError is one too, and must not pass for bad input.)
        except (json.JSONDecodeError, UnexpectedDataError):
            document = None
        numbers = document.get("add") if isinstance(document, dict) else None
        if not isinstance(numbers, list) or not all(isinstance(n, int | float) for n in numbers):
            await websocket.close(code=1003, reason='expected {"add": [numbers]}')
            return
        await websocket.send_json({"sum": sum(numbers)})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI entry point: WebSocket, HTTP and lifespan scopes."""
    if scope["type"] == "websocket":
        await adder(WebSocket(scope, receive, send))
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"connect with a WebSocket client\n"})
    else:  # lifespan: nothing to set up or tear down
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
