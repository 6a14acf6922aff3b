"""Who plays the client: the :class:`Client` protocol, and a client that plays a fixed sequence of actions.

The connection runner (:func:`~asgiws.engine.runner.run_connection`) asks its
client what it does each time the application waits for a message with
nothing queued. :class:`ScriptedClient` plays actions decided in advance (the
app checker's scripts); ``asgiws.testing.DrawnClient`` draws each one with
Hypothesis; a test can bring its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from .actions import ClientAction, Disconnect, Pause, Vanish
from .server import SimulatedServer

__all__ = ["Client", "ScriptedClient"]


class Client(Protocol):
    """Whoever plays the client in :func:`~asgiws.engine.runner.run_connection`."""

    def act(self, server: SimulatedServer) -> ClientAction | Pause | None:
        """What the client does now that the application waits for a message; None when it has nothing more to do.

        The action's message must be one the server may deliver now
        (``server.deliverable(action.message_type)``).
        """


class ScriptedClient:
    """Plays ``actions`` in order, one each time the application waits, then leaves with ``leave``.

    When the next action cannot be delivered (data before the handshake is
    answered, or after a denial), the client gives up and leaves, as a real
    one times out. Its leaving can always go: the application waits, so it
    took the connect, and the leaving is the only disconnect.
    """

    def __init__(self, actions: Iterable[ClientAction | Pause], leave: Disconnect | Vanish) -> None:
        self.leave = leave
        self.pending: list[ClientAction | Pause] = [*actions, leave]

    def act(self, server: SimulatedServer) -> ClientAction | Pause | None:
        """The next action; None once the client has left."""
        if not self.pending:
            return None
        upcoming = self.pending[0]
        if not isinstance(upcoming, Pause) and not server.deliverable(upcoming.message_type):
            self.pending = [self.leave]
        return self.pending.pop(0)
