"""``ConnectionState``: the one judge of what a message does to a connection.

Everything that checks a message holds one of these and calls it:
``asgiws.WebSocket`` and the live middleware (through the checked calls
generated into ``asgiws._compiled``), the simulated server of the
app checker, and the generated tests. It keeps the connection's node in the
compiled machine (``asgiws._machine``): a message is looked up there, its
fields are checked by the function generated from its schema, and the node
moves where the spec says. A refused message raises and changes nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ._context import context_from_scope
from ._fields import FieldViolation
from ._machine import Machine, Node, Step, compile_machine, known_type
from .coverage import Coverage
from .exceptions import PeerGoneError, ProtocolViolation, UnknownVersionWarning
from .spec import LATEST_VERSION, Side, SpecVersion, State, States

__all__ = ["ConnectionState"]

_RECEIVE, _SEND = Side.RECEIVE, Side.SEND

# What the servers announced that asgiws does not know, so that each is said once.
# Bounded: a server could announce a new version on every connection, and
# past this many the warning has been heard.
_ANNOUNCED: set[str] = set()
_ANNOUNCED_AT_MOST = 32


def _say_once(problem: str) -> None:
    if problem not in _ANNOUNCED and len(_ANNOUNCED) < _ANNOUNCED_AT_MOST:
        _ANNOUNCED.add(problem)
        warnings.warn(f"{problem}; judging against {LATEST_VERSION.value}, the newest asgiws knows", UnknownVersionWarning, stacklevel=3)


class ConnectionState:
    """The protocol state of one connection, advanced message by message.

    In the manner of h11's ``ConnectionState``: feed it what the server
    delivered with :meth:`receive` and what the application sends with
    :meth:`send`. It does no I/O. A refused message raises a
    :class:`~asgiws.ProtocolViolation` naming the clause, the states and what
    was allowed, and leaves the state as it was.

    Args:
        scope: the ``websocket`` scope; it supplies the spec version, the
            extensions and the offered subprotocols. Without one, the latest
            version and no extensions.
        version: judge against this spec version instead of the scope's.
        coverage: count every judged message, allowed or refused, in this record.
        strict: refuse a scope that announces a spec version asgiws does not
            know (``ValueError``); by default such a connection is judged
            against the newest version asgiws knows, with an
            :class:`~asgiws.UnknownVersionWarning` once per announced version.

    Attributes:
        context: the facts the checks depend on (version, extensions, offer).
        coverage: the record judged messages are counted in, if any.
        disconnect: the ``websocket.disconnect`` the server delivered, if any.
    """

    __slots__ = ("context", "coverage", "disconnect", "machine", "node")

    def __init__(
        self,
        scope: Mapping[str, Any] | None = None,
        *,
        version: SpecVersion | str | None = None,
        coverage: Coverage | None = None,
        strict: bool = False,
    ) -> None:
        scope = scope or {}
        try:
            context = context_from_scope(scope, version)
        except ValueError as error:
            if strict or version is not None:  # an explicit version is the caller's mistake
                raise
            context = context_from_scope(scope, LATEST_VERSION)
            _say_once(str(error))
        self.context = context
        self.machine: Machine = compile_machine(context.version, context.denial)
        self.node: Node = self.machine.initial
        self.coverage = coverage
        self.disconnect: Mapping[str, Any] | None = None

    @property
    def states(self) -> States:
        """The state of each side: ``states.receive`` and ``states.send``."""
        return self.node.states

    @states.setter
    def states(self, states: tuple[State, State]) -> None:
        # Starlette lets an application set client_state and application_state.
        self.node = self.machine.node(states)

    @property
    def disconnect_code(self) -> int | None:
        """The code of the ``websocket.disconnect`` the server delivered, if any."""
        return None if self.disconnect is None else self.disconnect.get("code")

    # -- judging -------------------------------------------------------------------

    def receive(self, message: Mapping[str, Any]) -> None:
        """Take a message the server delivered through ``receive()``."""
        self._take(self.node.receive, _RECEIVE, message)

    def send(self, message: Mapping[str, Any]) -> None:
        """Take a message the application passes to ``send()``."""
        self._take(self.node.send, _SEND, message)

    def _take(self, steps: dict[str, Step], side: Side, message: Mapping[str, Any]) -> None:
        # What receive() and send() do; the generated checked calls call it
        # directly, a call less for every message the judge decides.
        try:
            step = steps[message["type"]]
        except Exception:  # no step for it here, or not a message at all
            raise self.explain(side, message) from None
        try:
            if step.check is not None:
                step.check(message, self.context)
            node = step.next if step.guard is None else step.target(message)
        except FieldViolation as problem:
            raise self._invalid(step, side, message, problem) from None
        except Exception as problem:  # a field whose own methods raise: not plain data
            raise self.machine.unreadable(self.node, side, message, problem) from None
        self.node = node
        if side is _RECEIVE and not node.receive:  # that was the disconnect: its code answers later sends
            self.disconnect = message
        if self.coverage is not None:
            self.coverage.allowed[step.pair] += 1

    def _invalid(self, step: Step, side: Side, message: Mapping[str, Any], problem: FieldViolation) -> ProtocolViolation:
        if self.coverage is not None:  # the pair was exercised, and refused
            self.coverage.refused[step.pair] += 1
        return self.machine.invalid(self.node, side, message, problem, step.pair.message_type)

    def follow(self, side: Side, message: Mapping[str, Any]) -> None:
        """Move as a message moves the connection, without judging it.

        For a message that was refused and reached the other end all the same:
        a checker that only watches (``asgiws.check`` in warn or record mode)
        lets it through, and what follows must be judged where the connection
        really is. Its fields are not checked; a message of a type the state
        has no step for moves nothing.
        """
        try:
            step = self.node.steps(side)[message["type"]]
        except Exception:
            return
        self.node = step.target(message)

    def send_failed(self) -> None:
        """Record that the server's ``send()`` raised ``OSError``: the connection is gone (ASGI 2.4)."""
        node = self.node.send_failed
        if node is not None:
            self.node = node

    def allows(self, side: Side, message_type: str) -> bool:
        """Whether a message of this type would be taken now, its fields aside."""
        return message_type in self.node.steps(side)

    # -- explaining ------------------------------------------------------------------

    def explain(self, side: Side, message: object, *, text: str | None = None, cls: type[ProtocolViolation] | None = None) -> ProtocolViolation:
        """The violation a message with no step here raises: its clause, the states, what was allowed.

        ``text`` and ``cls`` rephrase it for a helper that refuses in its own
        terms. The refusal is counted in the coverage record.
        """
        error = self.machine.explain(self.node, side, message, text=text, cls=cls)
        known = known_type(error.message_type)
        if self.coverage is not None and known is not None:
            self.coverage.record(self.context.version, side, self.node.states, known.value, allowed=False)
        if isinstance(error, PeerGoneError):
            self._with_goodbye(error)
        return error

    def exhausted(self, side: Side) -> ProtocolViolation:
        """The violation for calling ``receive()``/``send()`` once that side can take nothing more."""
        return self.machine.exhausted(self.node, side)

    def transport_error(self) -> PeerGoneError:
        """The violation for a ``send()`` the server failed with ``OSError``: a ``WebSocketDisconnect``."""
        return self._with_goodbye(self.machine.transport_failed(self.node))

    def _with_goodbye(self, error: PeerGoneError) -> PeerGoneError:
        # The client's own code and reason beat the server's 1006.
        if self.disconnect is not None:
            error.code = self.disconnect["code"]
            error.reason = self.disconnect.get("reason") or ""
        return error
