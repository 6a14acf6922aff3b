"""The simulated server: the ``receive``/``send`` pair of one connection, played honestly.

The server side of the spec, played by a test double that tells the truth:

* it delivers what the client does, in order, through ``receive()``, and only
  what a conformant server may deliver at that point (no data before the
  accept, nothing after the disconnect; see :meth:`SimulatedServer.deliverable`),
  unless a test asks it to misbehave with :meth:`SimulatedServer.inject`;
* it records every message the application hands to ``send()``;
* once the client has gone it drops what the application sends, as a server
  before ASGI 2.4 does (WS-013), or raises ``OSError`` as ASGI 2.4 asks
  (WS-041, J-09) after :meth:`SimulatedServer.fail_sends`;
* it never hangs: a ``receive()`` with nothing queued waits through a
  :class:`Waiter`. The default one suspends the coroutine with a marker
  :func:`drive` recognises, so a test that drives coroutines by hand sees at
  once that the implementation waits for a message the client never sent;
  the connection runner's waiter is an ``asyncio`` event with a timeout.

What the server may deliver follows from what it has seen, the messages it
delivered and was sent, as the one judge reads them: a
:class:`~asgiws.ConnectionState` that follows every message's type (its fields
aside), kept apart from the ``judge`` that rules on what the application
received and sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from .._state import ConnectionState
from ..exceptions import PeerGoneError, ProtocolViolation
from ..spec import Extension, MessageType, Side, State, States

__all__ = ["SUSPENDED", "AsyncioWaiter", "SimulatedServer", "SuspendingWaiter", "Waiter", "drive"]

Message = dict[str, Any]

#: What the default waiter yields to whoever drives the coroutine: the
#: application is waiting for a message and nothing is queued.
SUSPENDED = object()


class _Suspend:
    def __await__(self) -> Generator[object, None, None]:
        yield SUSPENDED


class Waiter:
    """How a ``receive()`` with nothing queued waits, and how it is woken."""

    async def wait(self) -> None:
        """Wait until :meth:`wake` is called (or the driver resumes the coroutine)."""
        raise NotImplementedError

    def wake(self) -> None:
        """A message was queued."""

    async def checkpoint(self) -> None:
        """Called after every ``send()``: a chance for the client to act."""


class SuspendingWaiter(Waiter):
    """Suspend the coroutine with :data:`SUSPENDED`; the driver resumes it by hand.

    No event loop is involved: a test drives the application's coroutine with
    ``coro.send(None)`` and sees :data:`SUSPENDED` come out when it waits.
    """

    async def wait(self) -> None:
        await _Suspend()


class AsyncioWaiter(Waiter):
    """Wait on an ``asyncio.Event``; ``waiting`` counts the receivers parked on it."""

    def __init__(self) -> None:
        self.waiting = 0
        self.arrived = asyncio.Event()
        #: Set whenever a receiver starts waiting, so that the runner can wait for that.
        self.parked = asyncio.Event()

    async def wait(self) -> None:
        self.arrived.clear()
        self.waiting += 1
        self.parked.set()
        try:
            await self.arrived.wait()
        finally:
            self.waiting -= 1

    def wake(self) -> None:
        self.arrived.set()

    async def checkpoint(self) -> None:
        # Let the runner's task run between two sends, so that a chatty
        # application cannot starve the client or the timeout.
        await asyncio.sleep(0)


class SimulatedServer:
    """The ``receive``/``send`` pair of one connection, played honestly.

    Args:
        denial: whether the scope advertises the Denial Response extension
            (it decides which messages exist).
        waiter: how an empty ``receive()`` waits; :class:`SuspendingWaiter` by default.
        judge: a ``ConnectionState`` that judges every message in both
            directions; what it refuses is kept in :attr:`violations`.
        strict: refuse what the judge refuses, as a strict real server does
            (AMB-32): the message takes no effect and ``send()`` raises
            ``RuntimeError``. Otherwise every message is recorded and followed,
            which is what the generated tests need to see what an
            implementation let through.

    Attributes:
        inbox: every message queued for the application, in order.
        valid: for each inbox entry, whether the message itself is valid (an
            injected one may not be).
        taken: how many inbox entries the application has received.
        outbox: every message the application passed to ``send()``.
        failed_sends: for each outbox entry, whether ``send()`` raised ``OSError``.
        failing: whether ``send()`` raises ``OSError`` (the transport is gone).
        violations: what the judge refused.
        ended: the connection is over: every ``send()`` raises, as a real
            server's does on a connection it has closed.
    """

    def __init__(self, *, denial: bool, waiter: Waiter | None = None, judge: ConnectionState | None = None, strict: bool = False) -> None:
        self.waiter = waiter or SuspendingWaiter()
        self.judge = judge
        self.strict = strict
        self.ended = False
        self.inbox: list[Any] = []
        self.valid: list[bool] = []
        self.taken = 0
        self.outbox: list[Any] = []
        self.failed_sends: list[bool] = []
        self.failing = False
        self.violations: list[ProtocolViolation] = []
        self._accepted = False
        # The connection as the server has seen it: every message's type followed.
        self._seen = ConnectionState({"type": "websocket", "extensions": {Extension.DENIAL_RESPONSE.value: {}} if denial else {}})
        # deliverable()'s answers in the node they were given in, started again
        # whenever the node moves: the generated machine asks before every step
        # (its preconditions). Whether the handshake was accepted changes only
        # with the node.
        self._deliverable: dict[MessageType, bool] = {}
        self._deliverable_in = self._seen.node

    # -- what the server has seen -----------------------------------------------------------

    @property
    def seen_states(self) -> States:
        """The (receive, send) states of the connection by what the server delivered and was sent.

        A message the judge refuses still reached the server; it counts here
        as far as the spec lets its type move the states.
        """
        return self._seen.states

    def deliverable(self, message_type: MessageType) -> bool:
        """Whether a conformant server may deliver a message of this type now."""
        # Data needs an accepted handshake: after a close or a denial before the
        # accept no data ever comes (J-04, J-05), which the state pair alone
        # cannot tell from a close after it (AMB-31); the server remembers.
        if self._seen.node is not self._deliverable_in:
            self._deliverable, self._deliverable_in = {}, self._seen.node
        found = self._deliverable.get(message_type)
        if found is None:
            found = (message_type is not MessageType.RECEIVE or self._accepted) and self._seen.allows(Side.RECEIVE, message_type.value)
            self._deliverable[message_type] = found
        return found

    @property
    def client_gone(self) -> bool:
        """Whether the server has delivered the disconnect: nothing more can be delivered."""
        return not self._seen.node.receive

    # -- what the client does ---------------------------------------------------------------

    def deliver(self, message: Message) -> None:
        """Queue a message the client's behaviour produced; it must be :meth:`deliverable`."""
        assert self._seen.allows(Side.RECEIVE, message["type"]), f"a conformant server cannot deliver {message['type']!r} now"
        self._seen.follow(Side.RECEIVE, message)
        self._queue(message, valid=True)

    def inject(self, message: Any, *, valid: bool) -> None:
        """Queue anything, as a broken server would; ``valid`` says whether its fields are valid."""
        self._queue(message, valid=valid)

    def withdraw(self) -> list[Any]:
        """Take back the queued messages the application has not received, and return them."""
        left = self.inbox[self.taken :]
        del self.inbox[self.taken :], self.valid[self.taken :]
        return left

    def fail_sends(self) -> None:
        """From now on ``send()`` raises ``OSError``: the transport is gone (WS-041)."""
        self.failing = True

    def _queue(self, message: Any, *, valid: bool) -> None:
        self.inbox.append(message)
        self.valid.append(valid)
        self.waiter.wake()

    @property
    def queued(self) -> int:
        """How many messages wait to be received."""
        return len(self.inbox) - self.taken

    # -- the ASGI callables -----------------------------------------------------------------

    async def receive(self) -> Any:
        """The ASGI ``receive`` callable: the next queued message, or wait for one."""
        while self.taken == len(self.inbox):
            await self.waiter.wait()
        message = self.inbox[self.taken]
        self.taken += 1
        if self.judge is not None:
            self._judged(self.judge.receive, message)
        return message

    async def send(self, message: Any) -> None:
        """The ASGI ``send`` callable: record the message; raise ``OSError`` once the transport is gone."""
        if self.ended:
            msg = "the connection has ended"
            raise ConnectionResetError(msg)
        self.outbox.append(message)
        self.failed_sends.append(self.failing)
        refused = self._judged(self.judge.send, message) if self.judge is not None else None
        # A send to a client that has gone is not refused but failed, or
        # dropped before spec 2.4, as real servers do (AMB-33).
        if self.strict and refused is not None and not isinstance(refused, PeerGoneError):
            msg = f"the server refused the message: {refused}"
            raise RuntimeError(msg)
        self._seen.follow(Side.SEND, message)
        self._accepted = self._accepted or self._seen.states.send is State.CONNECTED
        if self.failing:
            self._seen.send_failed()
            if self.judge is not None:
                self.judge.send_failed()
            msg = "the client has gone"
            raise ConnectionResetError(msg)
        await self.waiter.checkpoint()

    def _judged(self, judge: Callable[[Any], None], message: Any) -> ProtocolViolation | None:
        try:
            judge(message)
        except ProtocolViolation as violation:
            self.violations.append(violation)
            return violation
        return None


def drive(awaitable: Awaitable[Any], *, limit: int = 1000) -> tuple[bool, Any, BaseException | None]:
    """Run a coroutine by hand until it finishes or waits in :class:`SuspendingWaiter`.

    Returns:
        ``(done, value, error)``: ``done`` is False when the coroutine is
        suspended (call again to resume it); otherwise ``value`` is what it
        returned or ``error`` what it raised.

    Raises:
        RuntimeError: the coroutine awaited something other than the
            simulated server (a future of an event loop), which cannot be driven by hand.
    """
    coroutine: Any = awaitable
    for _ in range(limit):
        try:
            yielded = coroutine.send(None)
        except StopIteration as stop:
            return True, stop.value, None
        except Exception as error:
            return True, None, error
        if yielded is SUSPENDED:
            return False, None, None
        if yielded is not None:
            coroutine.close()
            msg = f"the implementation awaited {yielded!r}, not the simulated server; drive it on an event loop instead"
            raise RuntimeError(msg)
    coroutine.close()
    msg = f"the implementation yielded {limit} times without finishing or waiting for a message"
    raise RuntimeError(msg)
