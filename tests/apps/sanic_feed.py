"""Sanic: the documented ``recv()``/``send()`` feed loop, run as an ASGI app (correct).

The handler greets the client, then echoes every message in the loop shape of
Sanic's WebSocket docs, and stops when ``recv()`` returns ``None`` (Sanic's ASGI
adapter returns ``None`` for the disconnect, and for a binary message that a
server delivers with ``"text": None`` beside its bytes).

EXPECTED: conformant.

Reasoning. Sanic's adapter sends the accept itself before the handler runs
(AMB-07: accepting before reading ``websocket.connect`` is not forbidden and
every server allows it). Each message is answered with exactly one of
text/bytes (WS-036); when the client leaves, the loop ends and the app returns
with nothing more to send. Returning while the client is still connected (the
``"text": None`` shape) is not a fault either: the server closes the socket when
the app ends (WS-021). Under uvicorn the greeting, text and binary echo work.
"""

from __future__ import annotations

from sanic import Request, Sanic, Websocket

app = Sanic("feed")


@app.websocket("/feed")
async def feed(request: Request, ws: Websocket) -> None:
    """Greet, then echo until the client has gone."""
    await ws.send("hello")
    while True:
        data = await ws.recv()
        if data is None:
            break
        await ws.send(data)
