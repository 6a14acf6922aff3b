"""The interpreter: the spec tables compiled into dict lookups.

For one spec version and one set of extensions, every pair of (receive state,
send state) becomes a :class:`Node` holding, for each side, a dict from message
type to the :class:`Step` it takes. Joint constraints are already applied (a
refused message has no entry) and joint transitions already followed to their
fixed point (a step leads straight to the settled node), so checking a message
costs one dict lookup plus its compiled field check. Everything refused is
explained from a second dict built from ``REJECTIONS`` and ``JOINT_CONSTRAINTS``,
off the hot path.

Nothing in this module knows a message type, a state or a clause by name: it
reads ``asgiws.spec`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ._context import Context, context_from_scope, parse_version
from ._hotpath import build_judges
from ._validate import Checker, FieldViolation, compile_message_check
from .coverage import Coverage, Pair
from .exceptions import InvalidMessageError, NotConnectedError, PeerGoneError, ProtocolViolation, UnexpectedDataError, WrongStateError
from .spec import (
    EXTENSION_NOT_ADVERTISED,
    JOINT_CONSTRAINTS,
    JOINT_TRANSITIONS,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    REJECTIONS,
    SEND_FAILED_CLOSE_CODE,
    TRANSITIONS,
    UNKNOWN_TYPE,
    MessageType,
    Side,
    Signal,
    SpecVersion,
    State,
    Transition,
    ViolationKind,
)

__all__ = ["ConnectionState", "Machine", "Node", "Refusal", "Step", "compile_machine"]

States = tuple[State, State]

_VIOLATIONS: dict[ViolationKind, type[ProtocolViolation]] = {
    ViolationKind.WRONG_STATE: WrongStateError,
    ViolationKind.INVALID_MESSAGE: InvalidMessageError,
    ViolationKind.PEER_GONE: PeerGoneError,
    ViolationKind.UNEXPECTED_DATA: UnexpectedDataError,
}

# Starlette's wording when a side can take nothing at all any more.
_EXHAUSTED = {
    Side.RECEIVE: 'Cannot call "receive" once a disconnect message has been received.',
    Side.SEND: 'Cannot call "send" once a close message has been sent.',
}


_BY_VALUE: dict[str, MessageType] = {message.value: message for message in MessageType}


class Refusal(NamedTuple):
    """Why a message type is refused in a node, before any exception is built.

    ``joint`` is set when the side's own table allows the message and a joint
    constraint (the other side's state) refuses it.
    """

    kind: ViolationKind
    clauses: tuple[str, ...]
    reason: str
    joint: bool = False


class Step:
    """Where an allowed message leads, and the check its fields must pass.

    ``guard`` names a field whose truth picks ``next`` (true) or ``alternative``
    (false); ``rows`` are the spec transitions the step takes. ``hot`` marks a
    step that leaves its side where it was with no guard (data flowing): the
    runtime decides those inline.
    """

    __slots__ = ("alternative", "check", "default", "guard", "hot", "next", "pair", "rows")

    def __init__(self, check: Checker | None, rows: tuple[Transition, ...], pair: Pair) -> None:
        self.check = check
        self.rows = rows
        #: The coverage pair this step counts as, computed once.
        self.pair = pair
        self.hot = all(row.source is row.target and row.guard is None for row in rows)
        self.guard: str | None = None
        self.default: object = None
        self.next: Node
        self.alternative: Node

    def target(self, message: Mapping[str, Any]) -> Node:
        """The node this message leads to."""
        if self.guard is None or message.get(self.guard, self.default):
            return self.next
        return self.alternative


class Node:
    """One pair of (receive state, send state) with everything each side may do there."""

    __slots__ = ("allowed", "own_allowed", "receive", "refusals", "send", "send_failed", "states")

    def __init__(self, states: States) -> None:
        self.states = states
        self.receive: dict[str, Step] = {}
        self.send: dict[str, Step] = {}
        self.send_failed: Node | None = None
        self.refusals: dict[Side, dict[MessageType, Refusal]] = {Side.RECEIVE: {}, Side.SEND: {}}
        self.allowed: dict[Side, tuple[str, ...]] = {}
        #: What each side's own table allows, before the joint constraints.
        self.own_allowed: dict[Side, tuple[str, ...]] = {}

    def steps(self, side: Side) -> dict[str, Step]:
        """The steps of one side."""
        return self.receive if side is Side.RECEIVE else self.send

    def __repr__(self) -> str:
        receive, send = self.states
        return f"<Node receive={receive.name} send={send.name}>"


def _settle(states: States) -> States:
    # Follow the joint transitions until none applies (h11's fixed point).
    changed = True
    while changed:
        changed = False
        for joint in JOINT_TRANSITIONS:
            if states == joint.when:
                index = 0 if joint.side is Side.RECEIVE else 1
                states = (joint.target, states[1]) if index == 0 else (states[0], joint.target)
                changed = True
    return states


def _moved(states: States, side: Side, target: State) -> States:
    return (target, states[1]) if side is Side.RECEIVE else (states[0], target)


class Machine:
    """The spec compiled for one spec version, with or without the denial extension.

    Get one with :func:`compile_machine`; machines are immutable and shared.
    """

    def __init__(self, version: SpecVersion, denial: bool) -> None:
        self.version = version
        self.denial = denial
        self.checks: dict[MessageType, Checker | None] = {
            message: compile_message_check(schema, version) for message, schema in MESSAGE_SCHEMAS.items()
        }
        self.nodes: dict[States, Node] = {(r, s): Node((r, s)) for r in State for s in State}
        for node in self.nodes.values():
            self._fill(node)
        self.initial = self.nodes[State.CONNECTING, State.CONNECTING]

    def _exists(self, message: MessageType) -> bool:
        return MESSAGE_SCHEMAS[message].extension is None or self.denial

    def _fill(self, node: Node) -> None:
        for side in Side:
            own = node.states[0 if side is Side.RECEIVE else 1]
            other = node.states[1 if side is Side.RECEIVE else 0]
            rows: dict[MessageType, list[Transition]] = {}
            for row in TRANSITIONS[side]:
                if row.source is own and isinstance(row.trigger, MessageType) and self._exists(row.trigger):
                    rows.setdefault(row.trigger, []).append(row)
                elif row.source is own and row.trigger is Signal.SEND_FAILED:
                    node.send_failed = self.nodes[_settle(_moved(node.states, side, row.target))]
            node.own_allowed[side] = tuple(message.value for message in rows)
            refusals = node.refusals[side]
            for rejection in REJECTIONS:
                if rejection.side is side and rejection.state is own and self._exists(rejection.message):
                    refusals[rejection.message] = Refusal(rejection.kind, rejection.clauses, rejection.reason)
            for message in list(rows):
                for constraint in JOINT_CONSTRAINTS:
                    applies = constraint.side is side and (not constraint.messages or message in constraint.messages)
                    if applies and other in constraint.other_states:
                        refusals[message] = Refusal(constraint.kind, constraint.clauses, constraint.reason, joint=True)
                        del rows[message]
                        break
            steps = node.steps(side)
            for message, matching in rows.items():
                step = Step(self.checks[message], tuple(matching), Pair(self.version.value, side.value, own.name, message.value))
                for row in matching:
                    target = self.nodes[_settle(_moved(node.states, side, row.target))]
                    if row.guard is None:
                        step.next = target
                        continue
                    field, truth = row.guard.value
                    step.guard = field
                    step.default = next(f.default for f in MESSAGE_SCHEMAS[message].fields if f.name == field)
                    if truth:
                        step.next = target
                    else:
                        step.alternative = target
                steps[message.value] = step
            node.allowed[side] = tuple(steps)

    # -- the public, pure interface -------------------------------------------------

    def reachable(self) -> list[Node]:
        """Every node reachable from the initial one, breadth first: the joint machine."""
        seen = [self.initial]
        for node in seen:  # grows while we walk it
            for steps in (node.receive, node.send):
                for step in steps.values():
                    for target in (step.next, step.alternative) if step.guard is not None else (step.next,):
                        if target not in seen:
                            seen.append(target)
            if node.send_failed is not None and node.send_failed not in seen:
                seen.append(node.send_failed)
        return seen

    def node(self, states: States) -> Node:
        """The node for a pair of (receive state, send state)."""
        return self.nodes[states]

    def step(self, side: Side, states: States, message: Mapping[str, Any], context: Context) -> States:
        """Judge one message and return the states it leads to.

        Args:
            side: ``RECEIVE`` for what the server delivered, ``SEND`` for what the
                application sends.
            states: the current (receive state, send state).
            message: the ASGI message.
            context: the connection's facts (subprotocols offered, ...).

        Raises:
            ProtocolViolation: a ``WrongStateError``, ``InvalidMessageError`` or
                ``PeerGoneError`` naming the clause, the states, the message type
                and the allowed ones. Nothing changes when it is raised.
        """
        node = self.nodes[states]
        try:
            step = node.steps(side)[message["type"]]
        except (KeyError, TypeError):
            raise self.refuse(node, side, message) from None
        if step.check is not None:
            try:
                step.check(message, context)
            except FieldViolation as problem:
                raise self.invalid(node, side, message, problem) from None
        return step.target(message).states

    def fail_send(self, states: States) -> States:
        """The states after the server's ``send()`` raised ``OSError`` (ASGI 2.4)."""
        node = self.nodes[states].send_failed
        return states if node is None else node.states

    # -- explaining refusals (off the hot path) ------------------------------------

    def refuse(
        self,
        node: Node,
        side: Side,
        message: object,
        *,
        text: str | None = None,
        cls: type[ProtocolViolation] | None = None,
    ) -> ProtocolViolation:
        """Build the violation for a message that has no step in ``node``.

        ``text`` and ``cls`` replace the message and the exception class, for
        callers that phrase a refusal in their own terms (a helper method).
        """
        error = self._refusal(node, side, message)
        if text is None and cls is None:
            return error
        return self._violation(node, side, error.message_type, Refusal(error.kind, error.clauses, error.rule), text or str(error), message, cls)

    def exhausted(self, node: Node, side: Side) -> ProtocolViolation:
        """The violation for calling ``receive()``/``send()`` on a side that can take nothing more."""
        refusal = next(iter(node.refusals[side].values()))
        return self._violation(node, side, None, refusal, _EXHAUSTED[side], None)

    def transport_failed(self, node: Node) -> PeerGoneError:
        """The violation for a ``send()`` that the server failed with ``OSError``."""
        rows = [row for row in TRANSITIONS[Side.SEND] if row.trigger is Signal.SEND_FAILED]
        refusal = Refusal(ViolationKind.PEER_GONE, rows[0].clauses, "the server's send() raised OSError: the connection is gone")
        error = self._violation(
            node, Side.SEND, None, refusal, f"The connection is gone: the server's send() raised OSError [{refusal.clauses[0]}]", None
        )
        assert isinstance(error, PeerGoneError)
        error.code = SEND_FAILED_CLOSE_CODE
        return error

    def _refusal(self, node: Node, side: Side, message: object) -> ProtocolViolation:
        if not isinstance(message, Mapping):
            clauses = UNKNOWN_TYPE[side]
            text = f"ASGI messages are dicts, not {type(message).__name__} [{clauses[0]}]"
            return self._violation(node, side, None, Refusal(ViolationKind.INVALID_MESSAGE, clauses, "a message is a dict"), text, message)
        message_type = message.get("type")
        known = _BY_VALUE.get(message_type) if isinstance(message_type, str) else None
        if known is None or MESSAGE_SIDE[known] is not side:
            clauses = UNKNOWN_TYPE[side]
            refusal = Refusal(ViolationKind.INVALID_MESSAGE, clauses, f"not a {side.value}-side WebSocket message type")
            text = f"Unexpected ASGI message type {message_type!r} on the {side.value} side [{clauses[0]}]"
            return self._violation(node, side, message_type, refusal, text, message)
        if not self._exists(known):
            refusal = Refusal(ViolationKind.INVALID_MESSAGE, EXTENSION_NOT_ADVERTISED, "the server did not advertise this extension")
            text = f"{known.value!r} needs the {MESSAGE_SCHEMAS[known].extension} extension, which the server did not advertise"
            return self._violation(node, side, message_type, refusal, f"{text} [{refusal.clauses[0]}]", message)
        refusal = node.refusals[side][known]
        own = node.own_allowed[side]
        if refusal.kind is ViolationKind.PEER_GONE:
            text = f"Cannot send {known.value!r}: the client has disconnected [{refusal.clauses[0]}]"
        elif refusal.joint:
            text = f"Unexpected ASGI message {known.value!r}: {refusal.reason} [{refusal.clauses[0]}]"
        elif own:
            # Starlette's wording, from what this side's own state takes.
            text = f"Expected ASGI message {_quote(own)}, but got {known.value!r}"
        else:
            text = _EXHAUSTED[side]
        return self._violation(node, side, message_type, refusal, text, message)

    def invalid(self, node: Node, side: Side, message: Mapping[str, Any], problem: FieldViolation) -> InvalidMessageError:
        """Build the violation for a message whose fields broke a rule."""
        where = f"{problem.field!r} " if problem.field else ""
        text = f"Invalid {message['type']!r} message: {where}{problem.detail} [{problem.clauses[0]}]"
        refusal = Refusal(ViolationKind.INVALID_MESSAGE, problem.clauses, f"{where}{problem.detail}")
        error = self._violation(node, side, message["type"], refusal, text, message)
        assert isinstance(error, InvalidMessageError)
        error.field = problem.field
        return error

    def _violation(  # noqa: PLR0917 - every part of the report
        self,
        node: Node,
        side: Side,
        message_type: object,
        refusal: Refusal,
        text: str,
        message: object,
        cls: type[ProtocolViolation] | None = None,
    ) -> ProtocolViolation:
        receive, send = node.states
        if cls is None:
            cls = _VIOLATIONS[refusal.kind]
            if cls is WrongStateError and not node.own_allowed[side]:
                cls = NotConnectedError  # Starlette's WebSocketDisconnected: this side takes nothing more
        error = cls(
            text,
            kind=refusal.kind,
            clauses=refusal.clauses,
            side=side,
            states=node.states,
            message_type=message_type,
            allowed=node.allowed[side],
            rule=refusal.reason,
            message=message,
        )
        error.add_note(
            f"{refusal.clauses[0]}: {refusal.reason} (receive side {receive.name}, send side {send.name}; see `asgiws explain {refusal.clauses[0]}`)"
        )
        return error


def _quote(types: tuple[str, ...]) -> str:
    # Starlette's wording: "a", "b" or "c".
    quoted = [f'"{t}"' for t in types]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


_MACHINES: dict[tuple[str, bool], Machine] = {}


def compile_machine(version: SpecVersion | str, denial: bool) -> Machine:
    """The compiled machine for a spec version (``"2.3"`` or ``SpecVersion``), with or without the denial extension.

    Machines are built once per (version, denial) and shared.
    """
    # Keyed by the version's string: a plain Enum hashes (and reads .value) in
    # Python, and this runs once per connection.
    key = (version if isinstance(version, str) else version._value_, denial)
    try:
        return _MACHINES[key]
    except KeyError:
        machine = _MACHINES[key] = Machine(parse_version(version), denial)
        return machine


class ConnectionState:
    """The protocol state of one connection, advanced message by message.

    This is the interpreter's stateful face, in the manner of h11's
    ``ConnectionState``: feed it what the server delivered with
    :meth:`receive` and what the application sends with :meth:`send`. A
    refused message raises and leaves the state as it was.

    Args:
        scope: the ``websocket`` scope; it supplies the spec version, the
            extensions and the offered subprotocols. Without one, the latest
            version and no extensions.
        version: judge against this spec version instead of the scope's.
        coverage: count every judged message, allowed or refused, in this record.
    """

    def __init__(
        self,
        scope: Mapping[str, Any] | None = None,
        *,
        version: SpecVersion | str | None = None,
        coverage: Coverage | None = None,
    ) -> None:
        self.context = context_from_scope(scope or {}, version)
        self.machine = compile_machine(self.context.version, self.context.denial)
        self.node = self.machine.initial
        self.coverage = coverage
        #: The code of the ``websocket.disconnect`` the server delivered, if any.
        self.disconnect_code: int | None = None

    @property
    def states(self) -> States:
        """The (receive side, send side) states."""
        return self.node.states

    # receive() and send() are generated (asgiws._hotpath): the common case is
    # decided inline, the rest comes down to _check and _refused below.
    if TYPE_CHECKING:

        def receive(self, message: Mapping[str, Any]) -> None:
            """Take a message the server delivered through ``receive()``."""

        def send(self, message: Mapping[str, Any]) -> None:
            """Take a message the application passes to ``send()``."""

    else:
        receive, send = build_judges()

    def _check(self, node: Node, step: Step, side: Side, message: Mapping[str, Any]) -> None:
        if step.check is not None:
            try:
                step.check(message, self.context)
            except FieldViolation as problem:
                if self.coverage is not None:  # the pair was exercised, and refused
                    self.coverage.refused[step.pair] += 1
                raise self.machine.invalid(node, side, message, problem) from None

    def _refused(self, side: Side, message: object) -> ProtocolViolation:
        node = self.node
        error = self.machine.refuse(node, side, message)
        if self.coverage is not None:
            self.coverage.record(self.context.version, side, node.states, error.message_type, allowed=False)
        if isinstance(error, PeerGoneError) and self.disconnect_code is not None:
            error.code = self.disconnect_code
        return error

    def passed_anyway(self, side: Side, message: Mapping[str, Any]) -> None:
        """Record that a refused message reached the other end all the same.

        A checker that only watches (``asgiws.check`` in warn or record mode)
        lets refused messages through; the connection then moves as the tables
        say such a message moves it, fields aside, so that what follows is
        judged where the connection really is. A message of a type the state
        has no step for moves nothing.
        """
        try:
            step = self.node.steps(side)[message["type"]]
        except (KeyError, TypeError):
            return
        self.node = step.target(message)

    def send_failed(self) -> None:
        """Record that the server's ``send()`` raised ``OSError``."""
        node = self.node.send_failed
        if node is not None:
            self.node = node
