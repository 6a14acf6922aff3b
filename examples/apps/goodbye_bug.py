"""BUG (J-09): says goodbye after the client has already gone.

Once ``websocket.disconnect`` has arrived there is nobody to send to; from spec
2.4 on the server raises ``OSError``, before that it drops the message.
"""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept, wait for the client to leave, then wave."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass
    await send({"type": "websocket.send", "text": "goodbye!"})
