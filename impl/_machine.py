"""The spec tables compiled into dict lookups, and the explanation of every refusal.

For one spec version and one set of extensions, every pair of (receive state,
send state) becomes a :class:`Node` holding, for each side, a dict from message
type to the :class:`Step` it takes. Joint constraints are already applied (a
refused message has no step) and joint transitions already followed to their
fixed point (a step leads straight to the settled node), so judging a message
costs one dict lookup plus its field check (``asgiws._compiled``). Why
anything is refused is kept beside the steps, in :attr:`Node.reasons`, and
turned into an exception only when needed.

Nothing in this module knows a message type, a state or a clause by name: it
reads ``asgiws.spec`` and nothing else. The tables are read when the first
machine is compiled, not at import: ``import asgiws`` needs only the
vocabulary (``asgiws.spec`` explains why).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from . import spec
from ._compiled import MESSAGE_CHECKS
from ._context import parse_version
from .coverage import Pair
from .exceptions import InvalidMessageError, NotConnectedError, PeerGoneError, ProtocolViolation, UnexpectedDataError, WrongStateError
from .spec import INITIAL_STATES, MESSAGE_SIDE, MESSAGE_TYPES, SEND_FAILED_CLOSE_CODE, MessageType, Side, Signal, SpecVersion, State, States

if TYPE_CHECKING:
    from ._fields import Checker, FieldViolation
    from .spec import Transition, ViolationKind

__all__ = ["Machine", "Node", "Reason", "Step", "compile_machine", "known_type", "shown"]

# Starlette's wording when a side can take nothing at all any more.
_EXHAUSTED = {
    Side.RECEIVE: 'Cannot call "receive" once a disconnect message has been received.',
    Side.SEND: 'Cannot call "send" once a close message has been sent.',
}


class Reason(NamedTuple):
    """Why a message type is refused in a node, before any exception is built.

    ``joint`` is set when the side's own table allows the message and a joint
    constraint (the other side's state) refuses it.
    """

    kind: ViolationKind
    clauses: tuple[str, ...]
    rule: str
    joint: bool = False


class Step:
    """Where an allowed message leads, and the check its fields must pass.

    ``guard`` names a field whose truth picks ``next`` (true) or ``alternative``
    (false); ``rows`` are the spec transitions the step takes. ``stays`` marks a
    step that leaves the connection where it was with no guard (data flowing):
    the checked ``receive``/``send`` accept the plainest of those inline.
    """

    __slots__ = ("alternative", "check", "default", "guard", "next", "pair", "rows", "stays")

    def __init__(self, check: Checker | None, rows: tuple[Transition, ...], pair: Pair) -> None:
        self.check = check
        self.rows = rows
        #: The coverage pair this step counts as, computed once.
        self.pair = pair
        self.stays = all(row.source is row.target and row.guard is None for row in rows)
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

    __slots__ = ("allowed", "own_allowed", "reasons", "receive", "send", "send_failed", "states")

    def __init__(self, states: States) -> None:
        self.states = states
        self.receive: dict[str, Step] = {}
        self.send: dict[str, Step] = {}
        #: Where the server's ``send()`` raising ``OSError`` leads (None: nowhere new).
        self.send_failed: Node | None = None
        #: Why each message type without a step is refused, per side.
        self.reasons: dict[Side, dict[MessageType, Reason]] = {Side.RECEIVE: {}, Side.SEND: {}}
        #: The message types each side takes here, in the order of the tables.
        self.allowed: dict[Side, tuple[str, ...]] = {}
        #: What each side's own table allows, before the joint constraints.
        self.own_allowed: dict[Side, tuple[str, ...]] = {}

    def steps(self, side: Side) -> dict[str, Step]:
        """The steps of one side."""
        return self.receive if side is Side.RECEIVE else self.send

    def __repr__(self) -> str:
        return f"<Node receive={self.states.receive.name} send={self.states.send.name}>"


def _moved(states: States, side: Side, target: State) -> States:
    # The states once ``side`` moved to ``target``, joint transitions followed
    # until none applies (h11's fixed point).
    moved = states._replace(**{side.value: target})
    changed = True
    while changed:
        changed = False
        for joint in spec.JOINT_TRANSITIONS:
            if moved == joint.when:
                moved = moved._replace(**{joint.side.value: joint.target})
                changed = True
    return moved


@cache
def _exception_classes() -> dict[ViolationKind, type[ProtocolViolation]]:
    kinds = spec.ViolationKind
    return {
        kinds.WRONG_STATE: WrongStateError,
        kinds.INVALID_MESSAGE: InvalidMessageError,
        kinds.PEER_GONE: PeerGoneError,
        kinds.UNEXPECTED_DATA: UnexpectedDataError,
    }


class Machine:
    """The spec compiled for one spec version, with or without the denial extension.

    Get one with :func:`compile_machine`; machines are immutable and shared.
    """

    def __init__(self, version: SpecVersion, denial: bool) -> None:
        self.version = version
        self.denial = denial
        self.nodes: dict[States, Node] = {States(r, s): Node(States(r, s)) for r in State for s in State}
        for node in self.nodes.values():
            self._fill(node)
        self.initial = self.nodes[INITIAL_STATES]

    def exists(self, message: MessageType) -> bool:
        """Whether the message type exists on this connection (its extension, if any, was advertised)."""
        return spec.MESSAGE_SCHEMAS[message].extension is None or self.denial

    def _fill(self, node: Node) -> None:
        for side in Side:
            own = getattr(node.states, side.value)
            other = node.states.send if side is Side.RECEIVE else node.states.receive
            rows: dict[MessageType, list[Transition]] = {}
            for row in spec.TRANSITIONS[side]:
                if row.source is not own:
                    continue
                if isinstance(row.trigger, MessageType) and self.exists(row.trigger):
                    rows.setdefault(row.trigger, []).append(row)
                elif row.trigger is Signal.SEND_FAILED:
                    node.send_failed = self.nodes[_moved(node.states, side, row.target)]
            node.own_allowed[side] = tuple(message.value for message in rows)
            reasons = node.reasons[side]
            for rejection in spec.REJECTIONS:
                if rejection.side is side and rejection.state is own and self.exists(rejection.message):
                    reasons[rejection.message] = Reason(rejection.kind, rejection.clauses, rejection.reason)
            for message in list(rows):
                for constraint in spec.JOINT_CONSTRAINTS:
                    applies = constraint.side is side and (not constraint.messages or message in constraint.messages)
                    if applies and other in constraint.other_states:
                        reasons[message] = Reason(constraint.kind, constraint.clauses, constraint.reason, joint=True)
                        del rows[message]
                        break
            steps = node.steps(side)
            for message, matching in rows.items():
                step = Step(MESSAGE_CHECKS[message.value], tuple(matching), Pair(self.version.value, side.value, own.name, message.value))
                for row in matching:
                    target = self.nodes[_moved(node.states, side, row.target)]
                    if row.guard is None:
                        step.next = target
                        continue
                    field, truth = row.guard.value
                    step.guard = field
                    step.default = next(f.default for f in spec.MESSAGE_SCHEMAS[message].fields if f.name == field)
                    if truth:
                        step.next = target
                    else:
                        step.alternative = target
                steps[message.value] = step
            node.allowed[side] = tuple(steps)

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

    def node(self, states: tuple[State, State]) -> Node:
        """The node for a pair of (receive state, send state)."""
        return self.nodes[States(*states)]

    # -- explaining refusals (off the hot path) ------------------------------------

    def explain(
        self,
        node: Node,
        side: Side,
        message: object,
        *,
        text: str | None = None,
        cls: type[ProtocolViolation] | None = None,
    ) -> ProtocolViolation:
        """The violation for a message that has no step in ``node``: why it is refused.

        ``text`` and ``cls`` replace the message and the exception class, for
        callers that phrase a refusal in their own terms (a helper method).
        """
        error = self._explained(node, side, message)
        if text is None and cls is None:
            return error
        reason = Reason(error.kind, error.clauses, error.rule)
        return self._violation(node, side, error.message_type, reason, text or str(error), message, cls)

    def exhausted(self, node: Node, side: Side) -> ProtocolViolation:
        """The violation for calling ``receive()``/``send()`` on a side that can take nothing more."""
        reason = next(iter(node.reasons[side].values()))
        return self._violation(node, side, None, reason, _EXHAUSTED[side], None)

    def transport_failed(self, node: Node) -> PeerGoneError:
        """The violation for a ``send()`` that the server failed with ``OSError``."""
        rows = [row for row in spec.TRANSITIONS[Side.SEND] if row.trigger is Signal.SEND_FAILED]
        reason = Reason(spec.ViolationKind.PEER_GONE, rows[0].clauses, "the server's send() raised OSError: the connection is gone")
        text = f"The connection is gone: the server's send() raised OSError [{reason.clauses[0]}]"
        error = self._violation(node, Side.SEND, None, reason, text, None)
        assert isinstance(error, PeerGoneError)
        error.code = SEND_FAILED_CLOSE_CODE
        return error

    def invalid(self, node: Node, side: Side, message: Mapping[str, Any], problem: FieldViolation, message_type: str) -> InvalidMessageError:
        """The violation for a message of ``message_type`` whose fields broke a rule."""
        where = f"{problem.field!r} " if problem.field else ""
        text = f"Invalid {shown(message_type)} message: {where}{problem.detail} [{problem.clauses[0]}]"
        reason = Reason(spec.ViolationKind.INVALID_MESSAGE, problem.clauses, f"{where}{problem.detail}")
        error = self._violation(node, side, message_type, reason, text, message)
        assert isinstance(error, InvalidMessageError)
        error.field = problem.field
        return error

    def unreadable(self, node: Node, side: Side, message: object, problem: BaseException | None) -> InvalidMessageError:
        """The violation for a message that could not be read as plain data: its lookups or a field's methods raised."""
        clauses = spec.UNREADABLE[side]
        rule = "a message is plain data: reading it must not raise"
        how = f" raised {type(problem).__name__}" if problem is not None else " failed"
        text = f"Invalid message: reading the {type(message).__name__}{how} [{clauses[0]}]"
        error = self._violation(node, side, None, Reason(spec.ViolationKind.INVALID_MESSAGE, clauses, rule), text, message)
        assert isinstance(error, InvalidMessageError)
        return error

    def _explained(self, node: Node, side: Side, message: object) -> ProtocolViolation:
        unknown = spec.UNKNOWN_TYPE[side]
        if not isinstance(message, Mapping):
            text = f"ASGI messages are dicts, not {type(message).__name__} [{unknown[0]}]"
            reason = Reason(spec.ViolationKind.INVALID_MESSAGE, unknown, "a message is a dict")
            return self._violation(node, side, None, reason, text, message)
        try:
            message_type = message.get("type")
        except Exception as problem:  # a mapping whose lookups raise
            return self.unreadable(node, side, message, problem)
        known = known_type(message_type)
        if known is None or MESSAGE_SIDE[known] is not side:
            reason = Reason(spec.ViolationKind.INVALID_MESSAGE, unknown, f"not a {side.value}-side WebSocket message type")
            text = f"Unexpected ASGI message type {shown(message_type)} on the {side.value} side [{unknown[0]}]"
            return self._violation(node, side, message_type, reason, text, message)
        if not self.exists(known):
            clauses = spec.EXTENSION_NOT_ADVERTISED
            reason = Reason(spec.ViolationKind.INVALID_MESSAGE, clauses, "the server did not advertise this extension")
            text = f"{known.value!r} needs the {spec.MESSAGE_SCHEMAS[known].extension} extension, which the server did not advertise"
            return self._violation(node, side, message_type, reason, f"{text} [{clauses[0]}]", message)
        if known not in node.reasons[side]:  # the type is taken here: what failed was reading the message
            return self.unreadable(node, side, message, None)
        reason = node.reasons[side][known]
        own = node.own_allowed[side]
        if reason.kind is spec.ViolationKind.PEER_GONE:
            text = f"Cannot send {known.value!r}: the client has disconnected [{reason.clauses[0]}]"
        elif reason.joint:
            text = f"Unexpected ASGI message {known.value!r}: {reason.rule} [{reason.clauses[0]}]"
        elif own:
            # Starlette's wording, from what this side's own state takes.
            text = f"Expected ASGI message {_quote(own)}, but got {known.value!r}"
        else:
            text = _EXHAUSTED[side]
        return self._violation(node, side, message_type, reason, text, message)

    def _violation(  # noqa: PLR0917 - every part of the report
        self,
        node: Node,
        side: Side,
        message_type: object,
        reason: Reason,
        text: str,
        message: object,
        cls: type[ProtocolViolation] | None = None,
    ) -> ProtocolViolation:
        if cls is None:
            cls = _exception_classes()[reason.kind]
            if cls is WrongStateError and not node.own_allowed[side]:
                cls = NotConnectedError  # Starlette's WebSocketDisconnected: this side takes nothing more
        error = cls(
            text,
            kind=reason.kind,
            clauses=reason.clauses,
            side=side,
            states=node.states,
            message_type=message_type,
            allowed=node.allowed[side],
            rule=reason.rule,
            message=message,
        )
        receive, send = node.states
        error.add_note(
            f"{reason.clauses[0]}: {reason.rule} (receive side {receive.name}, send side {send.name}; see `asgiws explain {reason.clauses[0]}`)"
        )
        return error


def known_type(value: object) -> MessageType | None:
    """The message type ``value`` names, or None; it never raises, whatever ``value`` is.

    A str subclass (an enum member) is read as the plain string it holds, so
    that its own ``__hash__`` and ``__eq__``, which may raise, are never called.
    """
    if not issubclass(type(value), str):  # type(), not isinstance(): __class__ may lie
        return None
    return MESSAGE_TYPES.get(str.__str__(value))


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` for an error message: bounded, and never raising (an app's ``__repr__`` may)."""
    try:
        text = repr(value)
    except Exception:  # a __repr__ of the app's own that raises must not replace the violation
        return f"<{type(value).__name__} object>"
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


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
