"""The reference model: one ``transitions.Machine`` per side, built from the spec tables.

This is the independent second reading of the spec. The runtime interpreter
(``asgiws._machine``) compiles the tables into dicts; this module hands the same
rows to the transitions library, which has its own engine, conditions and
callbacks. The generated tests compare the two, so a bug in how either one reads
the tables shows up as a disagreement.

transitions costs microseconds per trigger, so it never runs inside
``receive()``/``send()``: it lives in the ``testing`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .spec import (
    JOINT_CONSTRAINTS,
    JOINT_TRANSITIONS,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    REJECTIONS,
    TRANSITIONS,
    JointConstraint,
    MessageType,
    Side,
    State,
    Transition,
    ViolationKind,
)

__all__ = ["ReferenceModel"]

_TYPES: dict[str, MessageType] = {m.value: m for m in MessageType}


def _import_transitions() -> Any:
    try:
        import transitions
    except ImportError as error:  # pragma: no cover - the dev install always has it
        msg = "the reference model needs the 'transitions' package: pip install 'asgiws[testing]'"
        raise ImportError(msg) from error
    return transitions


class _SideModel:
    """The model object transitions drives for one side; ``state`` is a state name."""

    state: str

    def __init__(self, side: Side) -> None:
        self.side = side
        self.peer: _SideModel


class ReferenceModel:
    """Both sides of one connection, each a ``transitions.Machine`` over the spec rows.

    Args:
        denial: whether the server advertised the Denial Response extension.
    """

    def __init__(self, *, denial: bool) -> None:
        transitions = _import_transitions()
        self.denial = denial
        self.sides = {side: _SideModel(side) for side in Side}
        self.sides[Side.RECEIVE].peer = self.sides[Side.SEND]
        self.sides[Side.SEND].peer = self.sides[Side.RECEIVE]
        self.machines: dict[Side, Any] = {}
        for side, model in self.sides.items():
            machine = transitions.Machine(
                model=model,
                states=[state.name for state in State],
                initial=State.CONNECTING.name,
                auto_transitions=False,
                send_event=True,
            )
            for row in TRANSITIONS[side]:
                trigger = row.trigger
                if isinstance(trigger, MessageType) and MESSAGE_SCHEMAS[trigger].extension is not None and not denial:
                    continue
                machine.add_transition(
                    trigger.value,
                    row.source.name,
                    row.target.name,
                    conditions=[self._guard(row), self._joint(side, trigger)],
                    after=self._settle,
                )
            self.machines[side] = machine

    @staticmethod
    def _guard(row: Transition) -> Any:
        def holds(event: Any) -> bool:
            if row.guard is None:
                return True
            field, truth = row.guard.value
            return bool(event.kwargs["message"].get(field, False)) is truth

        return holds

    def _joint(self, side: Side, trigger: object) -> Any:
        # Joint constraints restrict messages; a signal reports what already happened.
        def allowed(event: Any) -> bool:
            if not isinstance(trigger, MessageType):
                return True
            return self.constraint(side, trigger, State[self.sides[side].peer.state]) is None

        return allowed

    @staticmethod
    def constraint(side: Side, message: MessageType, other: State) -> JointConstraint | None:
        """The joint constraint that refuses ``message`` on ``side`` while the other side is in ``other``, if any."""
        for constraint in JOINT_CONSTRAINTS:
            if constraint.side is side and (not constraint.messages or message in constraint.messages) and other in constraint.other_states:
                return constraint
        return None

    def refusal(self, side: Side, states: tuple[State, State], message_type: object) -> ViolationKind:
        """Why the spec refuses a message of this type on ``side`` in ``states`` (ask only about a refused one).

        In the order ``joint.py`` documents: a message that is not one of the
        side's, or belongs to an extension that was not advertised, is invalid;
        a joint constraint refuses only a message the side's own table allows;
        every other refused pair has its row in ``REJECTIONS``.
        """
        known = _TYPES.get(message_type) if isinstance(message_type, str) else None
        if known is None or MESSAGE_SIDE[known] is not side:
            return ViolationKind.INVALID_MESSAGE
        if MESSAGE_SCHEMAS[known].extension is not None and not self.denial:
            return ViolationKind.INVALID_MESSAGE
        own, other = (states[0], states[1]) if side is Side.RECEIVE else (states[1], states[0])
        if known.value in self.machines[side].get_triggers(own.name):
            constraint = self.constraint(side, known, other)
            assert constraint is not None, (side, states, known)
            return constraint.kind
        return next(r.kind for r in REJECTIONS if r.side is side and r.state is own and r.message is known)

    def _settle(self, event: Any) -> None:
        changed = True
        while changed:
            changed = False
            for joint in JOINT_TRANSITIONS:
                if self.states == joint.when:
                    self.sides[joint.side].state = joint.target.name
                    changed = True

    @property
    def states(self) -> tuple[State, State]:
        """The (receive side, send side) states."""
        return State[self.sides[Side.RECEIVE].state], State[self.sides[Side.SEND].state]

    def set_states(self, states: tuple[State, State]) -> None:
        """Put both sides in the given states."""
        self.sides[Side.RECEIVE].state = states[0].name
        self.sides[Side.SEND].state = states[1].name

    def fire(self, side: Side, trigger: str, message: Mapping[str, Any] | None = None) -> bool:
        """Fire a message type (or signal) on one side; True when a transition was taken.

        A trigger with no row in the current state, or whose conditions fail,
        changes nothing and returns False.
        """
        model = self.sides[side]
        if trigger not in self.machines[side].get_triggers(model.state):
            return False
        taken: bool = model.trigger(trigger, message=message or {})  # type: ignore[attr-defined]
        return taken
