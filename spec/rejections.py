"""Why each message is refused in each state where its side has no row for it.

Together with ``transitions.py`` this covers every (side, state, message type)
pair: a pair has a transition or a rejection, never both and never neither. A
message whose type is unknown, or that belongs to the other side, or to an
extension the server did not advertise, is rejected by ``UNKNOWN_TYPE`` and
``EXTENSION_NOT_ADVERTISED`` below.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .messages import MessageType
from .states import Side, State

__all__ = ["EXTENSION_NOT_ADVERTISED", "REJECTIONS", "UNEXPECTED_DATA", "UNKNOWN_TYPE", "UNREADABLE", "Rejection", "ViolationKind"]


class ViolationKind(enum.Enum):
    """The ways a message can be refused; each maps to one exception family."""

    #: A known message at a time the protocol does not allow it.
    WRONG_STATE = "wrong-state"
    #: A message whose type or fields break its schema.
    INVALID_MESSAGE = "invalid-message"
    #: The other end has already left; nothing can reach it.
    PEER_GONE = "peer-gone"
    #: A valid message, but not the kind of data the caller asked for
    #: (``receive_text()`` given a binary message, AMB-27).
    UNEXPECTED_DATA = "unexpected-data"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A (side, state, message type) pair with no transition, and why."""

    side: Side
    state: State
    message: MessageType
    clauses: tuple[str, ...]
    reason: str
    kind: ViolationKind = ViolationKind.WRONG_STATE


_R, _S = Side.RECEIVE, Side.SEND
_CONNECTING, _CONNECTED, _DISCONNECTED, _RESPONSE = State.CONNECTING, State.CONNECTED, State.DISCONNECTED, State.RESPONSE
_M = MessageType

_CONNECT_FIRST = "websocket.connect is delivered first, before anything else"
_CONNECT_ONCE = "websocket.connect is delivered exactly once"
_AFTER_DISCONNECT = "nothing is delivered after websocket.disconnect"
_REFUSED = "the handshake is being answered with an HTTP response, so no data can arrive"
_AFTER_CLOSE = "nothing may be sent after websocket.close or after the last body of a denial response"
_DENIAL_ONLY = "a denial response can only be followed by the rest of its body"

#: Every refused pair, side by side and state by state.
REJECTIONS: tuple[Rejection, ...] = (
    Rejection(_R, _CONNECTING, _M.RECEIVE, ("J-01", "WS-025"), _CONNECT_FIRST),
    Rejection(_R, _CONNECTING, _M.DISCONNECT, ("J-01", "WS-025"), _CONNECT_FIRST),
    Rejection(_R, _CONNECTED, _M.CONNECT, ("J-01", "WS-025"), _CONNECT_ONCE),
    Rejection(_R, _RESPONSE, _M.CONNECT, ("J-01", "WS-025"), _CONNECT_ONCE),
    Rejection(_R, _RESPONSE, _M.RECEIVE, ("J-05", "WS-049"), _REFUSED),
    Rejection(_R, _DISCONNECTED, _M.CONNECT, ("AMB-17",), _AFTER_DISCONNECT),
    Rejection(_R, _DISCONNECTED, _M.RECEIVE, ("AMB-17",), _AFTER_DISCONNECT),
    Rejection(_R, _DISCONNECTED, _M.DISCONNECT, ("AMB-17",), _AFTER_DISCONNECT),
    Rejection(_S, _CONNECTING, _M.SEND, ("WS-024", "J-02"), "data may be sent only after websocket.accept"),
    Rejection(_S, _CONNECTING, _M.RESPONSE_BODY, ("WS-050a",), "a denial response body needs websocket.http.response.start first"),
    Rejection(_S, _CONNECTED, _M.ACCEPT, ("WS-024", "WS-009"), "the handshake was already accepted"),
    Rejection(_S, _CONNECTED, _M.RESPONSE_START, ("WS-048", "WS-049"), "a denial response is only possible before the handshake is accepted"),
    Rejection(_S, _CONNECTED, _M.RESPONSE_BODY, ("WS-048", "WS-049"), "a denial response is only possible before the handshake is accepted"),
    Rejection(_S, _RESPONSE, _M.ACCEPT, ("WS-049",), _DENIAL_ONLY),
    Rejection(_S, _RESPONSE, _M.SEND, ("WS-049",), _DENIAL_ONLY),
    Rejection(_S, _RESPONSE, _M.CLOSE, ("WS-049",), _DENIAL_ONLY),
    Rejection(_S, _RESPONSE, _M.RESPONSE_START, ("WS-049", "WS-050a"), _DENIAL_ONLY),
    Rejection(_S, _DISCONNECTED, _M.ACCEPT, ("RFC-016", "AMB-16"), _AFTER_CLOSE),
    Rejection(_S, _DISCONNECTED, _M.SEND, ("RFC-016", "AMB-16"), _AFTER_CLOSE),
    Rejection(_S, _DISCONNECTED, _M.CLOSE, ("RFC-016", "AMB-16"), _AFTER_CLOSE),
    Rejection(_S, _DISCONNECTED, _M.RESPONSE_START, ("RFC-016", "AMB-16"), _AFTER_CLOSE),
    Rejection(_S, _DISCONNECTED, _M.RESPONSE_BODY, ("RFC-016", "AMB-16"), _AFTER_CLOSE),
)

#: A ``type`` that is not a WebSocket message of this side: an unknown string,
#: a message of the other direction, or a non-string. Keyed by the side that
#: was handed the message.
UNKNOWN_TYPE: dict[Side, tuple[str, ...]] = {
    _R: ("WS-010", "WS-005"),
    _S: ("WS-009", "WS-005"),
}

#: A message that cannot be read as plain data: a mapping whose lookups
#: raise, or a field value whose own methods raise while it is checked. Such
#: objects are not the serialisable values messages are limited to (WS-007),
#: so the message is invalid. Keyed by the side that was handed the message.
UNREADABLE: dict[Side, tuple[str, ...]] = {
    _R: ("WS-010", "WS-007"),
    _S: ("WS-009", "WS-007"),
}

#: A denial-response message while ``scope["extensions"]`` lacks the extension.
EXTENSION_NOT_ADVERTISED: tuple[str, ...] = ("WS-015", "WS-047")

#: A text message handed to a caller that asked for binary data, or the
#: reverse (``receive_text()`` on a binary message): valid, but not usable.
UNEXPECTED_DATA: tuple[str, ...] = ("AMB-27",)
