"""Falcon: a WAMP-style feed that always accepts its own subprotocol (BUG).

The responder accepts with ``subprotocol="wamp.2.json"`` without looking at
``ws.subprotocols`` (what the client offered), then echoes each text message
inside a JSON object. Falcon passes the value through unchecked.

EXPECTED: RFC-018 (accept names a subprotocol the client did not offer), once
per root cause: the sends that follow the refused accept are not new findings.

Reasoning. RFC 6455 §4.2.2 (RFC-018) lets the server pick only one of the
values the client sent in ``Sec-WebSocket-Protocol``, or none; the client then
MUST fail the connection (RFC-020). uvicorn's default implementation writes the
header anyway, and the ``websockets`` client refuses the handshake with
"unsupported subprotocol": every client that did not offer ``wamp.2.json`` gets
nothing. A strict server (Hypercorn, uvicorn's wsproto) raises out of
``send(accept)`` instead; either way the connection never opens, and what the
app sends afterwards follows from that one cause (issue 11, Deliver 2). A
binary frame makes Falcon's ``receive_text()`` raise, which Falcon itself turns
into a close, so it is no finding.
"""

from __future__ import annotations

import falcon
import falcon.asgi


class Feed:
    """Echo JSON frames to a client speaking ``wamp.2.json``."""

    async def on_websocket(self, req: falcon.asgi.Request, ws: falcon.asgi.WebSocket) -> None:
        """Accept, then echo every text message inside an object."""
        await ws.accept(subprotocol="wamp.2.json")  # BUG: never looks at ws.subprotocols
        while True:
            try:
                payload = await ws.receive_text()
            except falcon.WebSocketDisconnected:
                return
            await ws.send_media({"echo": payload})


app = falcon.asgi.App()
app.add_route("/feed", Feed())
