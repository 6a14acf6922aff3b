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

from .spec import JOINT_CONSTRAINTS, JOINT_TRANSITIONS, MESSAGE_SCHEMAS, TRANSITIONS, JointConstraint, MessageType, Side, State, Transition

__all__ = ["ReferenceModel"]


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
