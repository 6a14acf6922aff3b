"""BUG (WS-024): returns without accepting or closing when the token is missing.

The handshake must be answered with accept or close (or a denial response);
an app that just returns leaves the server to guess. Only clients without a
``token`` query parameter show it.
"""

from __future__ import annotations

from typing import Any


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Check a token, forgetting to refuse when there is none."""
    if scope["type"] != "websocket":
        return
    await receive()
    if b"token=" not in scope.get("query_string", b""):
        return  # should have been: await send({"type": "websocket.close", "code": 1008})
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1000})
