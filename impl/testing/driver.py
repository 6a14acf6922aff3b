"""Drive an ASGI application with Hypothesis playing the client.

:class:`AppDriver` runs ``app(scope, receive, send)`` as a task on an event
loop, against the same honest :class:`~asgiws.testing.server.FakeServer` the
state machine uses, with an ``asyncio`` waiter. Whenever the application
waits for a message, the client acts: an action drawn by Hypothesis among
those a conformant server may deliver at that point
(:mod:`~asgiws.testing.client`). Every message in both directions is judged
by a :class:`~asgiws.ConnectionState`, which counts the pairs it sees in the
coverage record and keeps what it refuses as violations.

Nothing waits for ever. Every wait for the application is bounded by
``timeout``; an application that neither finishes nor waits for a message in
time is cancelled and the transcript says so, and so is one that waits for a
message after the client has gone (a real server would leave it waiting for
ever, AMB-17). The client gives up after ``max_events`` actions and leaves,
so that every run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .._machine import ConnectionState
from ..coverage import Coverage
from ..exceptions import ProtocolViolation
from ..spec import MessageType
from .client import ClientAction, client_actions
from .server import AsyncioWaiter, FakeServer, websocket_scope

__all__ = ["ASGIApp", "AppDriver", "ClientEvent", "Transcript"]

#: An ASGI application.
ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

#: How a run ended.
RETURNED, RAISED, TIMED_OUT, WAITED_AFTER_DISCONNECT = "returned", "raised", "timed out", "waited after the disconnect"


@dataclass(frozen=True)
class ClientEvent:
    """What the client did: the action's name and the message the server delivered for it."""

    action: str
    message: dict[str, Any]


@dataclass
class Transcript:
    """What happened in one run.

    Attributes:
        scope: the connection scope.
        client: what the client did, in order.
        received: every message the application received.
        sent: every message the application sent, in order.
        failed_sends: for each sent message, whether ``send()`` raised ``OSError``.
        violations: what the judge refused, in order.
        outcome: how the run ended: "returned", "raised", "timed out" or
            "waited after the disconnect".
        error: what the application raised, when it raised.
        states: the (receive, send) states the judge ended in, by name.
    """

    scope: dict[str, Any]
    client: list[ClientEvent] = field(default_factory=list)
    received: list[Any] = field(default_factory=list)
    sent: list[Any] = field(default_factory=list)
    failed_sends: list[bool] = field(default_factory=list)
    violations: list[ProtocolViolation] = field(default_factory=list)
    outcome: str = RETURNED
    error: BaseException | None = None
    states: tuple[str, str] = ("CONNECTING", "CONNECTING")


class AppDriver:
    """Run an ASGI application against the fake server, with the client's behaviour drawn by Hypothesis.

    Args:
        app: the ASGI application, ``async def app(scope, receive, send)``.
        scope: the connection scope; a minimal one of the latest spec
            version, without extensions, by default.
        coverage: count the pairs every message exercises in this record.
        timeout: how long, in seconds, to wait for the application to finish
            or to wait for a message, each time.
        max_events: how many actions the client takes before it leaves.

    Example::

        @given(st.data())
        def test_my_app(data):
            transcript = AppDriver(app).run(data)
            assert transcript.violations == []
    """

    def __init__(
        self,
        app: ASGIApp,
        scope: dict[str, Any] | None = None,
        *,
        coverage: Coverage | None = None,
        timeout: float = 1.0,
        max_events: int = 10,
    ) -> None:
        self.app = app
        self.scope = scope if scope is not None else websocket_scope()
        self.coverage = coverage
        self.timeout = timeout
        self.max_events = max_events
        self.actions = client_actions()

    def run(self, data: st.DataObject) -> Transcript:
        """Run the application once on a new event loop; the client's actions are drawn from ``data``."""
        return asyncio.run(self.run_async(data))

    async def run_async(self, data: st.DataObject) -> Transcript:
        """Run the application once on the running event loop."""
        judge = ConnectionState(self.scope, coverage=self.coverage)
        waiter = AsyncioWaiter()
        server = FakeServer(denial=judge.context.denial, waiter=waiter, judge=judge)
        transcript = Transcript(self.scope)
        task = asyncio.ensure_future(self.app(self.scope, server.receive, server.send))
        events = 0
        while True:
            parked = asyncio.ensure_future(waiter.parked.wait())
            await asyncio.wait({task, parked}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
            parked.cancel()
            if task.done():
                break
            if not waiter.waiting:
                transcript.outcome = TIMED_OUT
                break
            waiter.parked.clear()
            choices = [a for a in self.actions if server.deliverable(a.message_type)]
            if not choices:
                transcript.outcome = WAITED_AFTER_DISCONNECT
                break
            action = self._leave(choices) if events >= self.max_events else data.draw(st.sampled_from(choices), label="client action")
            self._act(server, transcript, action, data)
            events += 1
        await _finish(task, transcript)
        transcript.received = server.inbox[: server.taken]
        transcript.sent = list(server.outbox)
        transcript.failed_sends = list(server.failed)
        transcript.violations = list(server.violations)
        transcript.states = (judge.states[0].name, judge.states[1].name)
        return transcript

    @staticmethod
    def _leave(choices: list[ClientAction]) -> ClientAction:
        # Out of patience: the client leaves, or connects so that it can.
        kinds = {a.message_type: a for a in choices if not a.vanishes}
        return kinds.get(MessageType.DISCONNECT) or kinds[MessageType.CONNECT]

    @staticmethod
    def _act(server: FakeServer, transcript: Transcript, action: ClientAction, data: st.DataObject) -> None:
        arguments = data.draw(st.fixed_dictionaries(action.arguments), label=action.name) if action.arguments else {}
        message = action.message(**arguments)
        if action.vanishes:
            server.fail_sends()
        server.deliver(message)
        transcript.client.append(ClientEvent(action.name, message))


async def _finish(task: asyncio.Future[None], transcript: Transcript) -> None:
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # an application that swallows the cancellation still ends here
        return
    error = task.exception()
    if error is not None:
        transcript.outcome = RAISED
        transcript.error = error
