"""Servers for the server checker's tests: uvicorn in this process, and a wrapper that breaks the spec on purpose.

:class:`InProcessServer` runs uvicorn on 127.0.0.1 in a thread of the test
process, so that the probe application runs (and is measured) here.
:func:`broken` wraps an ASGI application the way a faulty server would
treat it: each named deviation changes what the server delivers or does
with what the application sends, so that a test can prove the checker
catches it, clause by clause. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from types import TracebackType
from typing import Any

import uvicorn

from asgiws.conformance.server import free_port

App = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

#: The deviations :func:`broken` can inject, and the clause each breaks.
DEVIATIONS: dict[str, str] = {
    "drop-empty": "AW-13",  # empty messages from the app never reach the wire
    "join-subprotocols": "AW-14",  # scope['subprotocols'] is the raw header value
    "disconnect-1006": "AW-08",  # every disconnect reports 1006
    "no-disconnect-after-close": "WS-037",  # receive() after the app's close blocks
    "runtime-error-after-disconnect": "WS-041",  # send after the disconnect raises RuntimeError
    "both-keys": "WS-034",  # websocket.receive carries text and bytes
    "early-receive": "J-03",  # a websocket.receive before the accept
    "no-asgi": "WS-003",  # the scope lacks 'asgi'
    "tls": "WS-057",  # the tls extension on a plain connection
    "close-means-accept": "WS-045",  # a close before the accept completes the handshake
    "drop-accept-headers": "WS-028",  # the accept's headers are lost
    "deny-as-500": "J-05",  # the denial response's status becomes 500
    "drop-close-reason": "AW-09",  # the close reason never reaches the frame
}


def broken(app: App, *deviations: str) -> App:  # noqa: PLR0915 - one wrapper, one branch per deviation
    """``app`` as a server with these deviations would run it."""
    unknown = set(deviations) - set(DEVIATIONS)
    assert not unknown, unknown
    on = set(deviations)

    async def wrapper(scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "websocket":
            await app(scope, receive, send)
            return
        scope = dict(scope)
        if "join-subprotocols" in on and scope.get("subprotocols"):
            scope["subprotocols"] = [", ".join(scope["subprotocols"])]
        if "no-asgi" in on:
            del scope["asgi"]
        if "tls" in on:
            scope["extensions"] = {**scope.get("extensions", {}), "tls": {}}
        closed = asyncio.Event()
        gone = False
        connected = False

        async def fake_receive() -> Any:
            nonlocal gone, connected
            if "early-receive" in on and connected and not accepted:
                connected = False
                return {"type": "websocket.receive", "text": "early"}
            if "no-disconnect-after-close" in on and closed.is_set():
                await asyncio.Event().wait()  # blocks; the probe's bound ends it
            message = await receive()
            connected = connected or message["type"] == "websocket.connect"
            if message["type"] == "websocket.disconnect":
                gone = True
                if "disconnect-1006" in on:
                    message = {**message, "code": 1006}
            if message["type"] == "websocket.receive" and "both-keys" in on:
                message = {"type": "websocket.receive", "text": message.get("text") or "x", "bytes": message.get("bytes") or b"x"}
            return message

        accepted = False

        async def fake_send(message: Any) -> None:
            nonlocal accepted
            kind = message["type"]
            if gone and "runtime-error-after-disconnect" in on:
                raise RuntimeError("the connection is closed")
            if kind == "websocket.send" and "drop-empty" in on and not (message.get("text") or message.get("bytes")):
                return
            if kind == "websocket.close":
                closed.set()
                if "close-means-accept" in on and not accepted:
                    message = {"type": "websocket.accept"}
                if "drop-close-reason" in on:
                    message = {k: v for k, v in message.items() if k != "reason"}
            if kind == "websocket.accept":
                accepted = True
                if "drop-accept-headers" in on:
                    message = {k: v for k, v in message.items() if k != "headers"}
            if kind == "websocket.http.response.start" and "deny-as-500" in on:
                message = {**message, "status": 500}
            await send(message)

        await app(scope, fake_receive, fake_send)

    return wrapper


class InProcessServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread; a context manager with ``url`` and ``port``."""

    def __init__(self, app: App, *, ws: str = "wsproto") -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, ws=ws, log_level="critical", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
            assert self.thread.is_alive(), "uvicorn's thread died"
            time.sleep(0.01)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
