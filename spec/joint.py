"""The rules that couple the two sides.

Starlette tracks ``client_state`` and ``application_state`` independently and
never cross-checks them. The protocol does couple them, and these tables say
how. They come in two forms, both applied by the one interpreter after a side's
own table allowed a message:

* ``JOINT_CONSTRAINTS`` refuse a message that the side's own table allows,
  because of the state of the other side;
* ``JOINT_TRANSITIONS`` move a side because of the state of the other, as h11's
  state-triggered transitions do, and are applied until nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import MessageType
from .rejections import ViolationKind
from .states import Side, State

__all__ = ["JOINT_CONSTRAINTS", "JOINT_TRANSITIONS", "JointConstraint", "JointTransition"]


@dataclass(frozen=True, slots=True)
class JointConstraint:
    """Refuse ``messages`` on ``side`` while the other side is in ``other_states``.

    An empty ``messages`` means every message of that side.
    """

    name: str
    side: Side
    messages: tuple[MessageType, ...]
    other_states: tuple[State, ...]
    kind: ViolationKind
    clauses: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class JointTransition:
    """When the sides are in ``when`` (receive state, send state), move ``side`` to ``target``."""

    name: str
    when: tuple[State, State]
    side: Side
    target: State
    clauses: tuple[str, ...]
    reason: str


JOINT_CONSTRAINTS: tuple[JointConstraint, ...] = (
    JointConstraint(
        "no-data-before-accept",
        Side.RECEIVE,
        (MessageType.RECEIVE,),
        (State.CONNECTING,),
        ViolationKind.WRONG_STATE,
        ("J-03", "WS-024", "RFC-031"),
        "no websocket.receive is delivered before the application accepted",
    ),
    JointConstraint(
        "peer-gone-after-disconnect",
        Side.SEND,
        (),
        (State.DISCONNECTED,),
        ViolationKind.PEER_GONE,
        ("J-09", "WS-038", "WS-041"),
        "after websocket.disconnect there is nobody to send to",
    ),
)

JOINT_TRANSITIONS: tuple[JointTransition, ...] = (
    JointTransition(
        "denial-refuses-data",
        (State.CONNECTED, State.RESPONSE),
        Side.RECEIVE,
        State.RESPONSE,
        ("J-05", "WS-049"),
        "once a denial response starts, only websocket.disconnect can still be delivered",
    ),
)
