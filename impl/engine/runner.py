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
``timeout``, which bounds every wait; it is then cancelled. One that holds
the loop without ever awaiting is interrupted by the
:func:`~asgiws.engine.watchdog.watchdog` after the same ``timeout``, and
``SystemExit`` or ``KeyboardInterrupt`` from the application is one more error
of the application (:func:`~asgiws.engine.watchdog.contained`), as under a
server.

Besides the messages, the way the application ends is judged, by the rules
of ``asgiws.spec.endings``: it must answer the handshake, must not wait for a
message after the disconnect, must not raise while the connection is open,
and must end once the connection has. Everything wrong with a run is a
:class:`~asgiws.engine.findings.Finding`, with its clause.
"""

from __future__ import annotations

import asyncio
import enum
import os
import sysconfig
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .._context import VERSION_RANK
from .._state import ConnectionState
from ..coverage import Coverage
from ..exceptions import PeerGoneError, ProtocolViolation
from ..spec import ENDING_RULES, SEND_RAISES_SINCE, MessageType, Party, Side, State, States
from .actions import ClientAction, Connect, Disconnect, Pause, Vanish
from .client import Client
from .findings import Finding
from .server import AsyncioWaiter, SimulatedServer
from .watchdog import AppExit, Stalled, contained, watchdog

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
    #: The application waited for a message before answering the handshake, when no data can come; it was cancelled.
    WAITED_BEFORE_HANDSHAKE = "waited before the handshake"
    #: The application held the event loop for longer than the timeout without awaiting; it was interrupted.
    STALLED = "held the event loop"


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
    server = SimulatedServer(denial=judge.context.denial, waiter=waiter, judge=judge, strict=True)
    gone_raises = VERSION_RANK[judge.context.version] >= VERSION_RANK[SEND_RAISES_SINCE]
    transcript = Transcript(scope)
    if connected:  # servers queue the connect before they start the application
        _deliver(server, transcript, Connect(), gone_raises)
    with watchdog(timeout):
        seen = await _run(contained(app), scope, client, server, waiter, transcript, gone_raises, timeout)
    transcript.findings = _findings(transcript, server, seen)
    transcript.received = server.inbox[: server.taken]
    transcript.sent = list(server.outbox)
    transcript.failed_sends = list(server.failed_sends)
    transcript.violations = list(server.violations)
    transcript.states = (judge.states[0].name, judge.states[1].name)
    return transcript


async def _run(  # noqa: PLR0917 - the parts of one run, passed on
    app: ASGIApp,
    scope: dict[str, Any],
    client: Client,
    server: SimulatedServer,
    waiter: AsyncioWaiter,
    transcript: Transcript,
    gone_raises: bool,
    timeout: float,
) -> States:
    task: asyncio.Future[None] = asyncio.ensure_future(app(scope, server.receive, server.send))
    try:
        while (waiting := await _until_waiting(task, waiter, server, timeout)) and not task.done():
            if _applies("waits-before-handshake", server.seen_states):
                break  # no client can send data before the accept: a verdict, reached at once
            action = client.act(server)
            if action is None:
                break
            if isinstance(action, Pause):
                await action.wait()
                continue
            _deliver(server, transcript, action, gone_raises)
        seen = server.seen_states
        if task.done():
            _judge_return(task, transcript, seen, server)
        else:
            # What the application sends while it is cancelled below is
            # recorded but is no finding: stopping it is the test's doing.
            transcript.outcome = _why_stopped(waiting, server)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # an application that swallows the cancellation ends here too
    finally:
        server.ended = True  # a send on this connection from now on raises, as on a real server
    return seen


def _findings(transcript: Transcript, server: SimulatedServer, seen: States) -> list[Finding]:
    """What was wrong with the run: its one root cause (AMB-32), or how the application ended."""
    # A send to a client that had gone is not a violation by itself (AMB-33),
    # and the simulated server delivers nothing a server may not.
    refused = [v for v in server.violations if v.side is Side.SEND and not isinstance(v, PeerGoneError)]
    if refused:
        return [_from_violation(refused[0])]
    error = transcript.error
    if isinstance(error, ProtocolViolation) and not isinstance(error, PeerGoneError):
        return [_from_violation(error)]  # the app's own asgiws.WebSocket refused it before the server saw it
    states = (seen.receive.name, seen.send.name)
    if transcript.outcome is Outcome.STALLED:
        return [_ending("stalls-before-handshake" if _applies("stalls-before-handshake", seen) else "stalls", None, states)]
    findings = []
    # Which states make an escaping error a finding is the ending rules' data
    # (after the client has gone it never is: WS-042, AMB-33).
    crash = "raises-before-handshake" if seen.send is State.CONNECTING else "raises-while-open"
    if error is not None and _applies(crash, seen):
        findings.append(_crash(crash, states, error))
    if transcript.outcome is Outcome.TIMED_OUT and not _applies("handshake-unanswered", seen):
        findings.append(_ending("outlives-connection", None, states))
    elif transcript.outcome is Outcome.WAITED_AFTER_DISCONNECT:
        findings.append(_ending("waits-after-disconnect", MessageType.RECEIVE.value, states))
    elif transcript.outcome is Outcome.WAITED_BEFORE_HANDSHAKE:
        return [_ending("waits-before-handshake", MessageType.RECEIVE.value, states)]
    if _applies("handshake-unanswered", seen) and not findings:
        findings.append(_ending("handshake-unanswered", None, states))
    return findings


def _why_stopped(waiting: bool, server: SimulatedServer) -> Outcome:
    if not waiting:
        return Outcome.TIMED_OUT
    if server.client_gone:
        return Outcome.WAITED_AFTER_DISCONNECT
    if _applies("waits-before-handshake", server.seen_states):
        return Outcome.WAITED_BEFORE_HANDSHAKE
    return Outcome.LEFT_WAITING


def _deliver(server: SimulatedServer, transcript: Transcript, action: ClientAction, gone_raises: bool) -> None:
    if isinstance(action, Disconnect | Vanish) and gone_raises:
        server.fail_sends()  # the client has gone: from spec 2.4 the server's send() raises OSError
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


def _judge_return(task: asyncio.Future[None], transcript: Transcript, seen: States, server: SimulatedServer) -> None:
    try:
        error = task.exception()
    except asyncio.CancelledError as cancelled:  # the application cancelled itself
        error = cancelled
    if isinstance(error, Stalled):
        transcript.outcome = Outcome.STALLED
        return
    if isinstance(error, AppExit):
        error = error.error  # judged as what the application raised, as a server sees it
    if error is not None:
        transcript.outcome = Outcome.RAISED
        transcript.error = error


def _crash(name: str, states: tuple[str, str], error: BaseException) -> Finding:
    rule = ENDING_RULES[name]
    cause = f"{type(error).__name__} at {_raised_at(error)}"
    return Finding(rule.clauses[0], None, states, f"{rule.reason}: {type(error).__name__}: {error} ({_raised_at(error)})", cause=cause)


def _raised_at(error: BaseException) -> str:
    """The last frame of the application's own code the exception went through: ``file.py:42 in handler``."""
    frames = traceback.extract_tb(error.__traceback__)
    last = ([f for f in frames if not f.filename.startswith(_NOT_THE_APP)] or frames)[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno} in {last.name}"


# Frames of the standard library, of installed packages and of asgiws are not
# the application's: the cause is named after the code its author wrote.
_NOT_THE_APP = tuple(
    {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], os.path.dirname(os.path.dirname(__file__))}
)


def _applies(name: str, seen: States) -> bool:
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
