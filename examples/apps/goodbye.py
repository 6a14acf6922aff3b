"""CORRECT (AMB-33): says goodbye after the client has already gone, and lets the error escape.

Once ``websocket.disconnect`` has arrived there is nobody to send to; from spec
2.4 on the server raises ``OSError``, before that it drops the message. The
send is no violation: a task that sends always races the client's leaving, the
application may let the error escape (WS-042), and a server must not log it
(WS-043). Until the engine judged harm instead of the send, this app was
reported as breaking J-09, which binds the server.
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
