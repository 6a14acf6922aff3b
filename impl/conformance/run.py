"""One checked connection: run the application against a scripted client, and judge it.

The application runs on an event loop behind the honest fake server of
``asgiws.testing`` (:class:`~asgiws.testing.server.FakeServer`), which judges
every message in both directions with a :class:`~asgiws.ConnectionState`. The
client acts only when the application waits for it, so a run never sleeps: an
application that waits for something the client cannot give (data before it
accepted, anything after the disconnect) is blocked for good, and that is a
verdict reached at once. Only an application that stays busy runs into the
timeout.

Besides the messages, the way the application ends is judged, by the rules of
``asgiws.spec.endings``: it must answer the handshake, must not wait for a
message after the disconnect, and must end once the connection has.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .._context import VERSION_RANK, parse_version
from .._machine import ConnectionState
from ..coverage import Coverage
from ..exceptions import ProtocolViolation
from ..spec import ENDING_RULES, SEND_RAISES_SINCE, MessageType, Side, State
from ..testing.server import AsyncioWaiter, FakeServer, websocket_scope
from .client import Script

__all__ = ["Finding", "Run", "run_async", "run_script"]

_CONNECT = {"type": MessageType.CONNECT.value}


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a run, before it becomes a reported violation."""

    clause: str
    message_type: str | None
    state: tuple[str, str]
    detail: str
    #: Who is at fault: "application", or "server" for what it delivered.
    side: str = "application"


@dataclass
class Run:
    """What happened in one run."""

    findings: list[Finding] = field(default_factory=list)
    outbox: list[Any] = field(default_factory=list)


async def _until_waiting(task: asyncio.Future[None], waiter: AsyncioWaiter, server: FakeServer, timeout: float) -> bool:
    """Let the app run until it ends or waits with nothing queued; False on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        if waiter.waiting and not server.queued:
            return True
        waiter.parked.clear()
        parked: asyncio.Future[Any] = asyncio.ensure_future(waiter.parked.wait())
        racing: set[asyncio.Future[Any]] = {task, parked}
        remaining = deadline - loop.time()
        done, _ = await asyncio.wait(racing, timeout=max(remaining, 0), return_when=asyncio.FIRST_COMPLETED)
        parked.cancel()
        if not done:
            return False
    return True


async def run_async(app: Any, script: Script, *, timeout: float, coverage: Coverage, state: dict[str, Any] | None = None) -> Run:
    """Run ``app`` against one scripted client on the running event loop and judge it.

    ``state`` is the lifespan state; each connection gets a shallow copy (WS-056).
    """
    scope = websocket_scope(script.spec_version, subprotocols=script.offered, denial=script.denial, path=script.path)
    if state is not None:
        scope["state"] = dict(state)
    judge = ConnectionState(scope, coverage=coverage)
    waiter = AsyncioWaiter()
    server = FakeServer(denial=script.denial, waiter=waiter, judge=judge)
    server.deliver(dict(_CONNECT))  # servers queue the connect before starting the app
    task: asyncio.Future[None] = asyncio.ensure_future(app(scope, server.receive, server.send))
    run = Run(outbox=server.outbox)
    goodbye = script.goodbye()
    pending = [*script.deliveries(), goodbye]
    timed_out = False
    while True:
        if not await _until_waiting(task, waiter, server, timeout):
            timed_out = True
            break
        if task.done() or not pending:
            break
        if not server.deliverable(MessageType(pending[0]["type"])):
            # No data can go before the handshake is answered, nor after a
            # denial: the client gives up and leaves, as a real one times out.
            # (Its goodbye can always go: the app waits, so it took the connect.)
            assert pending[0] is not goodbye, "the disconnect is deliverable once the connect was taken"
            pending = [goodbye]
            continue
        if (
            pending[0] is goodbye
            and script.leave[0] == "vanish"
            and VERSION_RANK[parse_version(script.spec_version)] >= VERSION_RANK[SEND_RAISES_SINCE]
        ):
            server.fail_sends()  # the transport went first: sends now raise OSError
        server.deliver(pending.pop(0))
    # What happened, by the reference model's account: a message the judge
    # refused still reached the fake server, and the ending is judged on that.
    view = server.view.states
    states = (view[0].name, view[1].name)
    run.findings += [_from_violation(v) for v in server.violations]
    if task.done():
        error = task.exception() if not task.cancelled() else None
        if isinstance(error, ProtocolViolation):
            # The app used asgiws.WebSocket, which refused the message before the server saw it.
            run.findings.append(_from_violation(error))
        elif error is not None and view[1] in ENDING_RULES["raises-while-open"].send_states and view[0] is not State.DISCONNECTED:
            finding = _ending("raises-while-open", None, states)
            run.findings.append(Finding(finding.clause, None, states, f"{finding.detail}: {type(error).__name__}: {error}"))
    else:
        if timed_out:
            run.findings.append(_ending("outlives-connection", None, states))
        else:  # the client has said everything, goodbye included, and the app still waits
            run.findings.append(_ending("waits-after-disconnect", MessageType.RECEIVE.value, states))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if view[1] in ENDING_RULES["handshake-unanswered"].send_states:
        run.findings.append(_ending("handshake-unanswered", None, states))
    return run


def _ending(name: str, message_type: str | None, states: tuple[str, str]) -> Finding:
    rule = ENDING_RULES[name]
    return Finding(rule.clauses[0], message_type, states, rule.reason)


def _from_violation(error: ProtocolViolation) -> Finding:
    states = (error.states[0].name, error.states[1].name)
    message_type = error.message_type if isinstance(error.message_type, str) else None
    side = "application" if error.side is Side.SEND else "server"
    return Finding(error.clause, message_type, states, str(error), side)


def run_script(app: Any, script: Script, *, timeout: float = 5.0) -> Run:
    """Run ``app`` against one scripted client on a fresh event loop and judge it (no lifespan)."""
    return asyncio.run(run_async(app, script, timeout=timeout, coverage=Coverage()))
