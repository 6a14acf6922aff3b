"""One checked connection: a scripted client, run by the app driver's engine.

The engine (:func:`asgiws.testing.driver.run_connection`) runs the
application behind the honest fake server, judges every message and the way
the application ends. What the checker adds is the client: a
:class:`ScriptedClient` plays a :class:`~.client.Script`, which is plain data,
so that a failing run can be printed as a test that replays it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..coverage import Coverage
from ..spec import MessageType
from ..testing.client import ClientEvent
from ..testing.driver import Transcript, run_connection
from ..testing.server import FakeServer, websocket_scope
from .client import Script

__all__ = ["ScriptedClient", "run_async", "run_script"]


class ScriptedClient:
    """The client of a :class:`~.client.Script`: its messages in order, one each time the application waits, then its goodbye.

    When the next message cannot be delivered (data before the handshake is
    answered, or after a denial), the client gives up and leaves, as a real
    one times out. Its goodbye can always go: the application waits, so it
    took the connect, and the goodbye is the only disconnect.
    """

    def __init__(self, script: Script) -> None:
        self.goodbye = ClientEvent.of(script.goodbye(), vanishes=script.leave[0] == "vanish")
        self.pending = [*map(ClientEvent.of, script.deliveries()), self.goodbye]

    def act(self, server: FakeServer) -> ClientEvent | None:
        """The next message of the script; None once the goodbye is delivered."""
        if not self.pending:
            return None
        if not server.deliverable(MessageType(self.pending[0].message["type"])):
            self.pending = [self.goodbye]
        return self.pending.pop(0)


async def run_async(app: Any, script: Script, *, timeout: float, coverage: Coverage | None = None, state: dict[str, Any] | None = None) -> Transcript:
    """Run ``app`` against one scripted client on the running event loop and judge it.

    ``state`` is the lifespan state; each connection gets a shallow copy (WS-056).
    """
    scope = websocket_scope(script.spec_version, subprotocols=script.offered, denial=script.denial, path=script.path)
    if state is not None:
        scope["state"] = dict(state)
    return await run_connection(app, scope, ScriptedClient(script), coverage=coverage, timeout=timeout)


def run_script(app: Any, script: Script, *, timeout: float = 5.0) -> Transcript:
    """Run ``app`` against one scripted client on a fresh event loop and judge it (no lifespan)."""
    return asyncio.run(run_async(app, script, timeout=timeout))
