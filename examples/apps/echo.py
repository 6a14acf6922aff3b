"""A correct raw ASGI echo: text back as text, bytes back as bytes, until the client leaves."""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo every message in its own kind."""
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message: Message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
