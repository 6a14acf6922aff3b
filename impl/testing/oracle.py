"""The reference model as a graph: what the spec says each message does.

The generated tests ask the ``transitions`` reference model
(:class:`asgiws.model.ReferenceModel`) what a message does in a pair of states,
never the compiled interpreter, which is what the tests test when the
implementation is ``asgiws.WebSocket``: the model is their independent oracle.
Importing this module does not import transitions (the model does, when it is
built). The model's answer depends only on the
states, the message type and the fields its guards read, so each question is
asked once and its answer kept in a :class:`ModelNode`, one per pair of
states, found again by following the answers. A transitions trigger costs
microseconds and a fuzzing run asks the same few hundred questions again and
again; following a kept answer is a dict lookup.

Why a message is refused is asked of the model too
(:meth:`~asgiws.model.ReferenceModel.refusal`), once per node.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from ..model import ReferenceModel
from ..spec import MESSAGE_SIDE, Guard, MessageType, Side, Signal, State, ViolationKind

__all__ = ["ModelNode", "Oracle", "States", "oracle"]

States = tuple[State, State]

#: The one field the model's guards read; besides the type, the only part of
#: a message that can change where it leads.
(_GUARD_FIELD,) = {guard.value[0] for guard in Guard}
_TYPES: dict[str, MessageType] = {m.value: m for m in MessageType}
_UNANSWERED: Any = object()


class ModelNode:
    """One pair of (receive, send) states, with the model's answers found so far.

    Attributes:
        states: the (receive, send) states.
        names: their names, as Starlette's ``WebSocketState`` spells them.
    """

    __slots__ = ("_answers", "_failed", "_open", "_oracle", "_refusals", "names", "states")

    def __init__(self, oracle: Oracle, states: States) -> None:
        self._oracle = oracle
        self.states = states
        self.names = (states[0].name, states[1].name)
        self._answers: tuple[dict[tuple[object, bool], ModelNode | None], dict[tuple[object, bool], ModelNode | None]] = ({}, {})
        # Per side (receive, send), as step's answers are: the harness asks these at every call,
        # and a key of the side's enum would cost a hash in Python each time.
        self._refusals: tuple[dict[object, ViolationKind], dict[object, ViolationKind]] = ({}, {})
        self._open: list[bool | None] = [None, None]
        self._failed: ModelNode | None = None

    def __repr__(self) -> str:
        return f"<ModelNode receive={self.names[0]} send={self.names[1]}>"

    def step(self, side: Side, message_type: object, message: Mapping[str, Any] | None = None) -> ModelNode | None:
        """Where a message of this type leads, or None when the spec refuses it here.

        Only the type and the guarded field (``more_body``) are read: the
        fields themselves are judged elsewhere.
        """
        key = (message_type, bool(message.get(_GUARD_FIELD, False)) if message else False)
        answers = self._answers[side is Side.SEND]
        found = answers.get(key, _UNANSWERED)
        if found is _UNANSWERED:
            found = answers[key] = self._oracle.ask(side, self.states, message_type, {_GUARD_FIELD: key[1]})
        return found  # type: ignore[no-any-return]

    def send_failed(self) -> ModelNode:
        """Where the server's ``send()`` raising ``OSError`` leads (ASGI 2.4)."""
        if self._failed is None:
            self._failed = self._oracle.signal(self.states, Signal.SEND_FAILED)
        return self._failed

    def open(self, side: Side) -> bool:
        """Whether ``side`` can still take any message at all."""
        index = side is Side.SEND
        found = self._open[index]
        if found is None:
            found = self._open[index] = any(self.step(side, m.value) is not None for m, s in MESSAGE_SIDE.items() if s is side)
        return found

    def refusal(self, side: Side, message_type: object) -> ViolationKind:
        """Why the spec refuses a message of this type here (ask only about a refused one)."""
        refusals = self._refusals[side is Side.SEND]
        found = refusals.get(message_type)
        if found is None:
            found = refusals[message_type] = self._oracle.model.refusal(side, self.states, message_type)
        return found


class Oracle:
    """The reference model of one connection kind, asked through :class:`ModelNode` graphs.

    Args:
        denial: whether the server advertised the Denial Response extension.
    """

    def __init__(self, *, denial: bool) -> None:
        self.denial = denial
        #: The reference model the questions are asked of.
        self.model = ReferenceModel(denial=denial)
        self._nodes: dict[States, ModelNode] = {}
        self.initial = self.node((State.CONNECTING, State.CONNECTING))

    def node(self, states: States) -> ModelNode:
        """The node of a pair of states."""
        if states not in self._nodes:
            self._nodes[states] = ModelNode(self, states)
        return self._nodes[states]

    def ask(self, side: Side, states: States, message_type: object, message: Mapping[str, Any]) -> ModelNode | None:
        """Fire the message on the model, put back in ``states``; None when no transition is taken."""
        if message_type not in _TYPES:  # not a message type (a signal's name is a trigger too)
            return None
        self.model.set_states(states)  # a type of the other side is no trigger of this side's machine
        return self.node(self.model.states) if self.model.fire(side, message_type, message) else None

    def signal(self, states: States, signal: Signal) -> ModelNode:
        """The node after a transport signal; the same node when the signal moves nothing."""
        self.model.set_states(states)
        self.model.fire(Side.SEND, signal.value)
        return self.node(self.model.states)


@cache
def oracle(denial: bool) -> Oracle:
    """The shared oracle for connections with (or without) the Denial Response extension."""
    return Oracle(denial=denial)
