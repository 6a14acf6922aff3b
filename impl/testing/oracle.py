"""The reference model as a pure function: what the spec says each message does.

The generated tests ask the ``transitions`` reference model
(:class:`asgiws.model.ReferenceModel`) what a message does in a pair of states,
never the compiled interpreter, which is what they test when the
implementation is ``asgiws.WebSocket``. The model's answer depends only on the
states, the message type and the fields its guards read, so each question is
asked once and remembered: a transitions trigger costs microseconds, a dict
lookup nanoseconds, and a fuzzing run asks the same few hundred questions
again and again.

Why a message is refused is not the model's business (it only says whether a
transition was taken); :meth:`Oracle.refusal` reads the kind from the same
tables the model was built from, in the order ``joint.py`` documents: a joint
constraint refuses only a message the side's own table allows, and every
other refused pair has its row in ``REJECTIONS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from ..model import ReferenceModel
from ..spec import (
    JOINT_CONSTRAINTS,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    REJECTIONS,
    Guard,
    MessageType,
    Side,
    Signal,
    State,
    ViolationKind,
)

__all__ = ["Oracle", "States", "oracle"]

States = tuple[State, State]

#: The fields the model's guards read; the only part of a message, besides its
#: type, that can change where it leads.
_GUARD_FIELDS = tuple(sorted({guard.value[0] for guard in Guard}))
_TYPES: dict[str, MessageType] = {m.value: m for m in MessageType}


class Oracle:
    """The reference model's verdicts for one connection kind, remembered.

    Args:
        denial: whether the server advertised the Denial Response extension.
    """

    def __init__(self, *, denial: bool) -> None:
        self.denial = denial
        self._model = ReferenceModel(denial=denial)
        self._steps: dict[tuple[Any, ...], States | None] = {}
        self._refusals: dict[tuple[Side, States, object], ViolationKind] = {}
        self._open: dict[tuple[Side, States], bool] = {}

    def step(self, side: Side, states: States, message_type: object, message: Mapping[str, Any] | None = None) -> States | None:
        """The states after ``side`` takes a message of this type, or None when the spec refuses it.

        Only the type and the guarded fields (``more_body``) are read: the
        fields themselves are judged elsewhere.
        """
        message = message or {}
        guards = tuple(bool(message.get(field, False)) for field in _GUARD_FIELDS)
        key = (side, states, message_type, guards)
        try:
            return self._steps[key]
        except KeyError:
            pass
        known = _TYPES.get(message_type) if isinstance(message_type, str) else None
        target = None
        if known is not None and MESSAGE_SIDE[known] is side:
            self._model.set_states(states)
            if self._model.fire(side, known.value, {field: value for field, value in zip(_GUARD_FIELDS, guards, strict=True)}):
                target = self._model.states
        self._steps[key] = target
        return target

    def signal(self, states: States, signal: Signal) -> States:
        """The states after a transport signal (the server's ``send()`` raised ``OSError``)."""
        key = (Side.SEND, states, signal, ())
        if key not in self._steps:
            self._model.set_states(states)
            self._steps[key] = self._model.states if self._model.fire(Side.SEND, signal.value) else states
        target = self._steps[key]
        assert target is not None
        return target

    def open(self, side: Side, states: States) -> bool:
        """Whether ``side`` can still take any message at all in these states."""
        key = (side, states)
        if key not in self._open:
            self._open[key] = any(self.step(side, states, m.value) is not None for m, s in MESSAGE_SIDE.items() if s is side)
        return self._open[key]

    def refusal(self, side: Side, states: States, message_type: object) -> ViolationKind:
        """Why the spec refuses a message of this type in these states (call it only for a refused one)."""
        key = (side, states, message_type)
        if key not in self._refusals:
            self._refusals[key] = self._why(side, states, message_type)
        return self._refusals[key]

    def _why(self, side: Side, states: States, message_type: object) -> ViolationKind:
        known = _TYPES.get(message_type) if isinstance(message_type, str) else None
        if known is None or MESSAGE_SIDE[known] is not side:
            return ViolationKind.INVALID_MESSAGE  # not a message of this side at all
        if MESSAGE_SCHEMAS[known].extension is not None and not self.denial:
            return ViolationKind.INVALID_MESSAGE  # the extension was not advertised
        own, other = (states[0], states[1]) if side is Side.RECEIVE else (states[1], states[0])
        machine = self._model.machines[side]
        if known.value in machine.get_triggers(own.name):
            # The side's own table has a row: a joint constraint refused it.
            return next(c.kind for c in JOINT_CONSTRAINTS if c.side is side and (not c.messages or known in c.messages) and other in c.other_states)
        return next(r.kind for r in REJECTIONS if r.side is side and r.state is own and r.message is known)


@cache
def oracle(denial: bool) -> Oracle:
    """The shared oracle for connections with (or without) the Denial Response extension."""
    return Oracle(denial=denial)
