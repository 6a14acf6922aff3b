"""Applications that try to end or hold the checker's own process, for the guard's tests."""

from __future__ import annotations

import os
import sys
from typing import Any


async def app(scope: Any, receive: Any, send: Any) -> None:
    """Ends its whole process, the way a library's fatal error handler might, once the connection is open."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    os._exit(0)


async def holds(scope: Any, receive: Any, send: Any) -> None:
    """Computes forever without awaiting, and swallows whatever interrupts it, the watchdog's Stalled too."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        try:
            while True:
                pass
        except BaseException:  # the point: nothing inside the process can stop it
            pass


async def exits(scope: Any, receive: Any, send: Any) -> None:
    """Calls sys.exit() once the connection is open; before the accept on /early."""
    if scope["type"] != "websocket":
        return
    await receive()
    if scope["path"] != "/early":
        await send({"type": "websocket.accept"})
    sys.exit(3)


async def interrupts(scope: Any, receive: Any, send: Any) -> None:
    """Raises KeyboardInterrupt once the connection is open."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    raise KeyboardInterrupt


async def spins(scope: Any, receive: Any, send: Any) -> None:
    """Computes forever without awaiting: after the accept, or before it on /early."""
    if scope["type"] != "websocket":
        return
    await receive()
    if scope["path"] != "/early":
        await send({"type": "websocket.accept"})
    while True:
        pass
