"""Litestar: a ``websocket_listener`` echo (correct).

The listener returns each text message in upper case; Litestar accepts the
connection, calls it for every message and ends on the disconnect.

EXPECTED: conformant.

Reasoning. Litestar's ``receive_data("text")`` reads ``text`` or falls back to
``""`` for a binary message, so no message shape crashes it (WS-034 allows
either key layout); each answer is one text message (WS-036); the disconnect
ends the listener, so the app ends with the connection (WS-021). Under uvicorn
the echo works.
"""

from __future__ import annotations

from litestar import Litestar, websocket_listener


@websocket_listener("/echo")
async def echo(data: str) -> str:
    """Return each text message in upper case."""
    return data.upper()


app = Litestar([echo])
