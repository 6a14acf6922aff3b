"""Run an ASGI application for one connection against a client, judge every message, and judge how it ended.

:func:`run_connection` is the one engine behind both the app driver
(``asgiws.testing.AppDriver``, Hypothesis playing the client) and the app
checker (``asgiws check app``, a scripted client). It runs ``app(scope,
receive, send)`` as a task on an event loop, against the honest
:class:`~asgiws.engine.server.SimulatedServer`, with an ``asyncio`` waiter.
Whenever the application waits for a message and nothing is queued, the
:class:`~asgiws.engine.client.Client` acts. Every message in both directions
is judged by a :class:`~asgiws.ConnectionState`, which counts the pairs it
sees in the coverage record and keeps what it refuses.

The client acts only when the application waits for it, so a run never
sleeps: an application that waits for something the client cannot give
(anything after the disconnect) is blocked for good, and that is a verdict
reached at once. Only an application that stays busy runs into the
``timeout``, which bounds every wait; it is then cancelled.

Besides the messages, the way the application ends is judged, by the rules
of ``asgiws.spec.endings``: it must answer the handshake, must not wait for a
message after the disconnect, must not raise while the connection is open,
and must end once the connection has. Everything wrong with a run is a
:class:`~asgiws.engine.findings.Finding`, with its clause.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .._context import VERSION_RANK
from .._state import ConnectionState
from ..coverage import Coverage
from ..exceptions import ProtocolViolation
from ..spec import ENDING_RULES, SEND_RAISES_SINCE, MessageType, Party, Side, State
from .actions import ClientAction, Connect, Vanish
from .client import Client
from .findings import Finding
from .server import AsyncioWaiter, SimulatedServer

__all__ = ["ASGIApp", "Outcome", "Transcript", "run_connection"]

#: An ASGI application.
ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Outcome(enum.Enum):
    """How a run ended."""

    #: The application returned.
    RETURNED = "returned"
    #: The application raised (:attr:`Transcript.error`).
    RAISED = "raised"
    #: The application neither finished nor waited for a message within the timeout; it was cancelled.
    TIMED_OUT = "timed out"
    #: The application waited for a message after the disconnect; it was cancelled.
    WAITED_AFTER_DISCONNECT = "waited after the disconnect"
    #: The client had nothing more to do while the connection was open, and the application waited for it; it was cancelled.
    LEFT_WAITING = "left waiting"


@dataclass
class Transcript:
    """What happened in one run.

    Attributes:
        scope: the connection scope.
        client_actions: what the client did, in order.
        received: every message the application received.
        sent: every message the application sent, in order.
        failed_sends: for each sent message, whether ``send()`` raised ``OSError``.
        violations: what the judge refused, in order.
        findings: everything wrong with the run, each with its clause: the
            messages the judge refused, one the application's own
            ``asgiws.WebSocket`` refused, and how the application ended.
        outcome: how the run ended.
        error: what the application raised, when it raised.
        states: the (receive, send) states the judge ended in, by name.
    """

    scope: dict[str, Any]
    client_actions: list[ClientAction] = field(default_factory=list)
    received: list[Any] = field(default_factory=list)
    sent: list[Any] = field(default_factory=list)
    failed_sends: list[bool] = field(default_factory=list)
    violations: list[ProtocolViolation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    outcome: Outcome = Outcome.RETURNED
    error: BaseException | None = None
    states: tuple[str, str] = ("CONNECTING", "CONNECTING")


async def run_connection(
    app: ASGIApp,
    scope: dict[str, Any],
    client: Client,
    *,
    coverage: Coverage | None = None,
    timeout: float = 1.0,
    connected: bool = True,
) -> Transcript:
    """Run ``app`` for one connection against ``client`` on the running event loop, and judge it.

    Args:
        app: the ASGI application.
        scope: the connection scope; its spec version decides what the
            judge allows, and whether a vanishing client makes ``send()``
            raise (from 2.4 on).
        client: what the client does each time the application waits.
        coverage: count the pairs every message exercises in this record.
        timeout: how long, in seconds, to wait for the application to finish
            or to wait for a message, each time.
        connected: queue ``websocket.connect`` before starting the
            application, as servers do; otherwise the client connects.
    """
    judge = ConnectionState(scope, coverage=coverage)
    waiter = AsyncioWaiter()
    server = SimulatedServer(denial=judge.context.denial, waiter=waiter, judge=judge)
    vanishing_raises = VERSION_RANK[judge.context.version] >= VERSION_RANK[SEND_RAISES_SINCE]
    transcript = Transcript(scope)
    if connected:  # servers queue the connect before they start the application
        _deliver(server, transcript, Connect(), vanishing_raises)
    task: asyncio.Future[None] = asyncio.ensure_future(app(scope, server.receive, server.send))
    while (waiting := await _until_waiting(task, waiter, server, timeout)) and not task.done():
        action = client.act(server)
        if action is None:
            break
        _deliver(server, transcript, action, vanishing_raises)
    # What happened, by the server's account: a message the judge refused
    # still reached the server, and the ending is judged on that. What the
    # application sends while it is cancelled below is recorded (and judged,
    # in violations) but is no finding: stopping it is the test's doing, not
    # the client's.
    seen = server.seen_states
    states = (seen[0].name, seen[1].name)
    transcript.findings += [_from_violation(v) for v in server.violations]
    if task.done():
        _judge_return(task, transcript, seen)
    else:
        if not waiting:
            transcript.outcome = Outcome.TIMED_OUT
            transcript.findings.append(_ending("outlives-connection", None, states))
        elif server.client_gone:
            transcript.outcome = Outcome.WAITED_AFTER_DISCONNECT
            transcript.findings.append(_ending("waits-after-disconnect", MessageType.RECEIVE.value, states))
        else:
            transcript.outcome = Outcome.LEFT_WAITING
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # an application that swallows the cancellation ends here too
    if _applies("handshake-unanswered", seen):
        transcript.findings.append(_ending("handshake-unanswered", None, states))
    transcript.received = server.inbox[: server.taken]
    transcript.sent = list(server.outbox)
    transcript.failed_sends = list(server.failed_sends)
    transcript.violations = list(server.violations)
    transcript.states = (judge.states[0].name, judge.states[1].name)
    return transcript


def _deliver(server: SimulatedServer, transcript: Transcript, action: ClientAction, vanishing_raises: bool) -> None:
    if isinstance(action, Vanish) and vanishing_raises:
        server.fail_sends()  # the transport went first: sends now raise OSError
    server.deliver(action.message())
    transcript.client_actions.append(action)


async def _until_waiting(task: asyncio.Future[None], waiter: AsyncioWaiter, server: SimulatedServer, timeout: float) -> bool:
    """Let the app run until it ends or waits with nothing queued; False on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        if waiter.waiting and not server.queued:
            return True
        waiter.parked.clear()
        parked: asyncio.Future[Any] = asyncio.ensure_future(waiter.parked.wait())
        racing: set[asyncio.Future[Any]] = {task, parked}
        done, _ = await asyncio.wait(racing, timeout=max(deadline - loop.time(), 0), return_when=asyncio.FIRST_COMPLETED)
        parked.cancel()
        if not done:
            return False
    return True


def _judge_return(task: asyncio.Future[None], transcript: Transcript, seen: tuple[State, State]) -> None:
    try:
        error = task.exception()
    except asyncio.CancelledError as cancelled:  # the application cancelled itself
        error = cancelled
    if error is None:
        return
    transcript.outcome = Outcome.RAISED
    transcript.error = error
    if isinstance(error, ProtocolViolation):
        # The app used asgiws.WebSocket, which refused the message before the server saw it.
        transcript.findings.append(_from_violation(error))
    elif _applies("raises-while-open", seen):
        states = (seen[0].name, seen[1].name)
        finding = _ending("raises-while-open", None, states)
        transcript.findings.append(Finding(finding.clause, None, states, f"{finding.detail}: {type(error).__name__}: {error}"))


def _applies(name: str, seen: tuple[State, State]) -> bool:
    # Whether the connection ended in states where the ending rule holds.
    rule = ENDING_RULES[name]
    return (not rule.receive_states or seen[0] in rule.receive_states) and (not rule.send_states or seen[1] in rule.send_states)


def _ending(name: str, message_type: str | None, states: tuple[str, str]) -> Finding:
    rule = ENDING_RULES[name]
    return Finding(rule.clauses[0], message_type, states, rule.reason)


def _from_violation(error: ProtocolViolation) -> Finding:
    states = (error.states[0].name, error.states[1].name)
    message_type = error.message_type if isinstance(error.message_type, str) else None
    side = Party.APPLICATION if error.side is Side.SEND else Party.SERVER
    return Finding(error.clause, message_type, states, str(error), side)
