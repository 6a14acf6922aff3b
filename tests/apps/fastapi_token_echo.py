"""FastAPI: an echo endpoint that needs ``?token=`` in the query string.

The token is a ``Query`` parameter of the WebSocket route, the way FastAPI's
docs pass credentials to a WebSocket (a browser cannot set headers on one). A
wrong token is refused with a close before the accept (policy violation), which
a server turns into HTTP 403 (WS-045); without any token FastAPI itself closes
with 1008 before the accept. Text is echoed with a prefix, binary as binary.

EXPECTED: conformant, and earned, when checked with
``--path "/ws?token=secret"``: the refusal path answers the handshake with a
close (WS-024 satisfied), the accepted path answers every message and ends when
the client leaves. The verdict is only worth something if the checker puts the
query into ``scope["query_string"]`` (issue 11, Deliver 1); with the query left
in ``scope["path"]`` no route matches, Starlette's router closes before the
accept, and nothing past the handshake is exercised.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Query, WebSocket, WebSocketDisconnect, status

app = FastAPI()

TOKENS = {"secret": "alice"}


@app.websocket("/ws")
async def echo(websocket: WebSocket, token: Annotated[str, Query()]) -> None:
    """Echo every message back to an authenticated user."""
    user = TOKENS.get(token)
    if user is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await websocket.send_text(f"{user}: {message['text']}")
            else:
                await websocket.send_bytes(message.get("bytes") or b"")
    except WebSocketDisconnect:
        pass
