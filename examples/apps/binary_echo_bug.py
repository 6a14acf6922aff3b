"""BUG (WS-036): an echo written for text only.

It forwards ``message.get("text")``, which is ``None`` for a binary message, so
a client that sends bytes makes it send a ``websocket.send`` with neither
``text`` nor ``bytes``. Text-only clients never see the problem.
"""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo, assuming every message is text."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message.get("text")})
