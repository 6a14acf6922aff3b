"""The transition tables of the two sides.

Each row says: in this state, this message (or signal) moves the side to that
state, and these clauses say so. Rows are kept in the order the spec presents
them, and that order is what error messages list as "allowed", exactly as
Starlette words them ("websocket.send" or "websocket.close").

A message type that has no row for a state is rejected in that state; the
reason, with its clause, is in ``rejections.py``. Rules that depend on the
other side's state are in ``joint.py``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .messages import MessageType, Signal
from .states import Side, State

__all__ = ["RECEIVE_TRANSITIONS", "SEND_TRANSITIONS", "TRANSITIONS", "Guard", "Transition"]


class Guard(enum.Enum):
    """A condition on the message that picks between two rows with the same trigger.

    The value is the field tested and the truth value it must have; an absent
    field takes its schema default.
    """

    #: ``more_body`` is true: more of the denial response body follows.
    MORE_BODY = ("more_body", True)
    #: ``more_body`` is false or absent: this is the last body message.
    LAST_BODY = ("more_body", False)


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a side's table."""

    side: Side
    source: State
    trigger: MessageType | Signal
    target: State
    clauses: tuple[str, ...]
    guard: Guard | None = None


_R, _S = Side.RECEIVE, Side.SEND
_CONNECTING, _CONNECTED, _DISCONNECTED, _RESPONSE = State.CONNECTING, State.CONNECTED, State.DISCONNECTED, State.RESPONSE

#: What the server may deliver, state by state (Starlette's ``client_state``).
RECEIVE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(_R, _CONNECTING, MessageType.CONNECT, _CONNECTED, ("WS-023", "WS-025", "J-01")),
    Transition(_R, _CONNECTED, MessageType.RECEIVE, _CONNECTED, ("WS-033", "WS-019")),
    Transition(_R, _CONNECTED, MessageType.DISCONNECT, _DISCONNECTED, ("WS-037", "WS-039")),
    Transition(_R, _RESPONSE, MessageType.DISCONNECT, _DISCONNECTED, ("WS-037", "WS-051")),
)

#: What the application may send, state by state (Starlette's ``application_state``).
SEND_TRANSITIONS: tuple[Transition, ...] = (
    Transition(_S, _CONNECTING, MessageType.ACCEPT, _CONNECTED, ("WS-024", "WS-026")),
    Transition(_S, _CONNECTING, MessageType.CLOSE, _DISCONNECTED, ("WS-024", "WS-045", "J-04")),
    Transition(_S, _CONNECTING, MessageType.RESPONSE_START, _RESPONSE, ("WS-048", "J-02")),
    Transition(_S, _CONNECTED, MessageType.SEND, _CONNECTED, ("WS-035",)),
    Transition(_S, _CONNECTED, MessageType.CLOSE, _DISCONNECTED, ("WS-044", "WS-046", "J-06")),
    Transition(_S, _RESPONSE, MessageType.RESPONSE_BODY, _RESPONSE, ("WS-050", "WS-050a"), Guard.MORE_BODY),
    Transition(_S, _RESPONSE, MessageType.RESPONSE_BODY, _DISCONNECTED, ("WS-049", "WS-050e", "J-05"), Guard.LAST_BODY),
    # The server's send() raised OSError (ASGI 2.4): whatever the application
    # was doing, there is nobody left to send to.
    Transition(_S, _CONNECTING, Signal.SEND_FAILED, _DISCONNECTED, ("WS-041", "J-09")),
    Transition(_S, _CONNECTED, Signal.SEND_FAILED, _DISCONNECTED, ("WS-041", "J-09")),
    Transition(_S, _RESPONSE, Signal.SEND_FAILED, _DISCONNECTED, ("WS-041", "J-09")),
)

#: Both tables, keyed by side.
TRANSITIONS: dict[Side, tuple[Transition, ...]] = {_R: RECEIVE_TRANSITIONS, _S: SEND_TRANSITIONS}
