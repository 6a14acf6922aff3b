"""BUG (WS-024): says hello before accepting the connection."""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Greet, then accept: the wrong order."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.send", "text": "hello!"})
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1000})
