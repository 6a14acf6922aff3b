"""A scripted ASGI server for one WebSocket connection, and the scopes it serves.

The server holds the messages it will deliver through ``receive()`` and records
what the application hands to ``send()``. It never hangs: unless ``blocking``
is set, a ``receive()`` with nothing queued fails the test at once. With
``fail_from`` set, every ``send()`` from that index on raises ``OSError`` (ASGI
2.4: the connection is gone) and the message is recorded in ``failed``, not in
``sent``. ``hold_sends()`` makes sends wait until ``release_sends()`` (a slow
network), so that a test can interleave a reader and a writer task.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import Message

__all__ = ["Message", "ScriptedServer", "websocket_scope"]


class ScriptedServer:
    """The ``receive``/``send`` pair of one connection, scripted by the test.

    Args:
        incoming: the messages ``receive()`` delivers, in order.
        fail_from: the number of successful sends after which every send raises OSError
            (0: every send fails; None: none does).
        blocking: wait for :meth:`deliver` when nothing is queued, instead of failing.
    """

    def __init__(self, *incoming: Message, fail_from: int | None = None, blocking: bool = False) -> None:
        self.incoming: deque[Message] = deque(incoming)
        self.sent: list[Message] = []
        self.failed: list[Message] = []
        self.fail_from = fail_from
        self.blocking = blocking
        #: How many ``receive()`` calls are waiting for a message right now.
        self.waiting = 0
        #: How many ``send()`` calls are held back by :meth:`hold_sends` right now.
        self.held = 0
        self._arrived: asyncio.Event | None = None
        self._gate: asyncio.Event | None = None

    def deliver(self, *messages: Message) -> None:
        """Queue more messages, waking a ``receive()`` that waits for one."""
        self.incoming.extend(messages)
        if self._arrived is not None:
            self._arrived.set()

    def fail_sends(self) -> None:
        """Make every later ``send()`` raise OSError."""
        self.fail_from = len(self.sent)

    def hold_sends(self) -> None:
        """Make later ``send()`` calls wait for :meth:`release_sends` (a slow network)."""
        self._gate = asyncio.Event()

    def release_sends(self) -> None:
        """Let the held ``send()`` calls go on."""
        assert self._gate is not None
        self._gate.set()
        self._gate = None

    async def receive(self) -> Message:
        """Deliver the next queued message (the ASGI ``receive`` callable)."""
        if not self.incoming and not self.blocking:
            msg = "the application waited for a message the test never queued"
            raise AssertionError(msg)
        while not self.incoming:
            self._arrived = asyncio.Event()
            self.waiting += 1
            try:
                await self._arrived.wait()
            finally:
                self.waiting -= 1
        return self.incoming.popleft()

    async def send(self, message: Message) -> None:
        """Record a message from the application (the ASGI ``send`` callable)."""
        if self._gate is not None:
            self.held += 1
            try:
                await self._gate.wait()
            finally:
                self.held -= 1
        if self.fail_from is not None and len(self.sent) >= self.fail_from:
            self.failed.append(message)
            msg = "the client has gone"
            raise ConnectionResetError(msg)
        self.sent.append(message)

    async def until_waiting(self) -> None:
        """Let other tasks run until one of them waits in ``receive()``."""
        await _until(lambda: self.waiting > 0, "no task is waiting in receive()")

    async def until_held(self) -> None:
        """Let other tasks run until one of them is held in ``send()``."""
        await _until(lambda: self.held > 0, "no task is held in send()")


async def _until(condition: Callable[[], bool], failure: str) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(failure)


def websocket_scope(
    version: str | None = "2.5",
    *,
    denial: bool = False,
    subprotocols: Iterable[str] = ("chat",),
    **extra: Any,
) -> dict[str, Any]:
    """A ``websocket`` scope; ``version=None`` leaves out ``asgi``, as Starlette's TestClient does."""
    scope: dict[str, Any] = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(b"host", b"testserver")],
        "subprotocols": list(subprotocols),
        "extensions": {"websocket.http.response": {}} if denial else {},
    }
    if version is not None:
        scope["asgi"] = {"version": "3.0", "spec_version": version}
    scope.update(extra)
    return scope
