"""A Starlette app whose WebSocket routes get a checked ``asgiws.WebSocket``.

``@websocket_endpoint`` turns ``async def f(websocket)`` into an ASGI app, so
Starlette's ``WebSocketRoute`` passes the connection through instead of wrapping
it in its own, unchecked ``WebSocket``. The same endpoint works in a ``Mount``.

Run it from the repository root with::

    uvicorn examples.starlette_echo:app

then connect to ``ws://127.0.0.1:8000/echo`` (every message comes back)
or ``ws://127.0.0.1:8000/v1/shout`` (it comes back in capitals, from an
endpoint judged against ASGI spec 2.3 whatever the server declares).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute

from asgiws import UnexpectedDataError, WebSocket, websocket_endpoint


@websocket_endpoint
async def echo(websocket: WebSocket) -> None:
    """Send every message back as it came, text or binary, until the client leaves."""
    await websocket.accept()
    while (message := await websocket.receive())["type"] == "websocket.receive":
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@websocket_endpoint(spec_version="2.3")
async def shout(websocket: WebSocket) -> None:
    """Send every text message back in capitals; close on an empty one or a binary one."""
    await websocket.accept()
    try:
        async for text in websocket.iter_text():
            if not text:
                await websocket.close(code=1000, reason="nothing to shout")
                return
            await websocket.send_text(text.upper())
    except UnexpectedDataError:  # a binary message
        await websocket.close(code=1003, reason="text only")


app = Starlette(
    routes=[
        WebSocketRoute("/echo", echo),
        Mount("/v1", routes=[WebSocketRoute("/shout", shout)]),
    ]
)
