"""BUG (RFC-018): accepts the "chat.v2" subprotocol whether or not the client offered it.

A client that offers "chat.v2" is fine; any other client must fail the connection.
"""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept with a hard-wired subprotocol, then close."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept", "subprotocol": "chat.v2"})
    await send({"type": "websocket.close", "code": 1000})
