"""A raw ASGI app that prints as it works, and crashes on binary data: its output must stay out of the report."""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Print every message, echo text, crash on bytes."""
    await receive()
    await send({"type": "websocket.accept"})
    print("the app printed this")
    while (message := await receive())["type"] != "websocket.disconnect":
        await send({"type": "websocket.send", "text": message["text"]})
