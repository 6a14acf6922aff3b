"""Quart: an echo endpoint using the ``websocket`` context global (framework BUGS on empty binary messages).

The handler accepts explicitly, then sends back each message as it came (text
as text, bytes as bytes). Quart cancels the handler when the client leaves.
The app's own code is correct; the bugs are in Quart's ASGI adapter (0.22),
which reads a message as ``event.get("bytes") or event["text"]``: an empty binary
message (``b""``, legal: WS-034) is falsy, so Quart falls through to ``text``.

EXPECTED: AW-05 (``KeyError('text')`` when the server sends the bytes key only,
as uvicorn does) and WS-036 (when the server sends ``"text": None`` beside the
empty bytes, as Hypercorn does, Quart hands the app ``None`` and its echo sends
a ``websocket.send`` with neither ``bytes`` nor ``text``).

Reasoning. The ``KeyError`` escapes Quart's receiving task while both sides are
CONNECTED: the server picks the ending (AMB-18) and uvicorn drops the TCP
connection without a Close frame (1006). The echo of ``None`` breaks WS-036
("exactly one of bytes or text must be non-None"); Hypercorn refuses it with
``TypeError`` and Quart then closes with 1000, so the client sees a normal
closure instead of its echo. Quart also reads scope keys every real server
fills in (``scheme``, ``client``, ...): a checker must send a realistic scope
(issue 11, Deliver 1), or Quart raises ``KeyError('scheme')`` before the
handshake, a fault of the simulated server, not of the app.
"""

from __future__ import annotations

from quart import Quart, websocket

app = Quart(__name__)


@app.websocket("/ws")
async def ws() -> None:
    """Echo every message, text as text and binary as binary."""
    await websocket.accept()
    while True:
        data = await websocket.receive()
        await websocket.send(data)
