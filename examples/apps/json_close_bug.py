"""BUG (RFC-002): closes with 1006 when a message is not JSON.

1006 means "closed abnormally, without a Close frame"; no endpoint may send it.
Only a client that sends something other than JSON sees it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def endpoint(websocket: WebSocket) -> None:
    """Answer each JSON document with its keys; give up on anything else."""
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            try:
                document: Any = json.loads(text)
            except json.JSONDecodeError:
                await websocket.close(code=1006, reason="not JSON")
                return
            await websocket.send_json(sorted(document) if isinstance(document, dict) else [])
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
