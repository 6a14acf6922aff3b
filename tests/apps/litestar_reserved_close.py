"""Litestar: a command handler that closes with the reserved code 1006 on a bad command (BUG).

Known commands (``ping``, ``time``) are answered; an unknown one makes the
handler close the connection with code 1006 and reason "unknown command",
a code its author took for "abnormal" from a list of close codes.

EXPECTED: RFC-002 (1006 is never sent in a Close frame).

Reasoning. RFC 6455 §7.4.1 reserves 1006 for an endpoint to *report* a
connection that closed without a Close frame; it MUST NOT be set in one
(RFC-002); the valid choice here is 1008 or a 4xxx code. Servers disagree on
what to do (AMB-15): uvicorn's default implementation refuses it inside
``send()``, Litestar catches that and closes with its own 4500 "Internal Server
Error", so the client never learns the command was unknown; wsproto-based
servers silently rewrite it to 1000, a normal closure.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

COMMANDS = {"ping": "pong", "time": "12:00"}


@websocket("/commands")
async def commands(socket: WebSocket[Any, Any, Any]) -> None:
    """Answer known commands; close the connection on an unknown one."""
    await socket.accept()
    try:
        while True:
            command = await socket.receive_text()
            answer = COMMANDS.get(command.strip().lower())
            if answer is None:
                await socket.close(code=1006, reason="unknown command")  # BUG: 1006 is reserved
                return
            await socket.send_text(answer)
    except WebSocketDisconnect:
        pass


app = Litestar([commands])
