"""The errors asgiws raises when a message breaks the protocol.

One family, all under :class:`ProtocolViolation`, each kind also a subclass of
what Starlette raises for the same situation, so ``except`` clauses written for
Starlette and FastAPI keep working, and of nothing else::

    ProtocolViolation
    ├── WrongStateError        RuntimeError            a known message at the wrong time
    │   └── NotConnectedError  WebSocketDisconnected   ...because that direction is not (or no longer) open
    ├── InvalidMessageError    RuntimeError            a type or field breaks its schema
    ├── PeerGoneError          WebSocketDisconnect     the other end has left
    └── UnexpectedDataError    KeyError                text where bytes were asked for, or the reverse

Each base is there because Starlette raises that class in that situation:
``RuntimeError`` for a message at the wrong time or of the wrong type,
``WebSocketDisconnected`` for a direction that is closed,
``WebSocketDisconnect`` when the peer has gone, and ``KeyError('text')`` from
``receive_text()`` on a binary message. No other base is added: a user's
``except ValueError`` around ``json.dumps`` or ``except TypeError`` around their
own code must not catch a protocol violation.

``WebSocketDisconnect`` and ``WebSocketDisconnected`` are Starlette's own
classes (FastAPI re-exports the first), not copies.

Every violation carries the clause it enforces and the states it was judged in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocketDisconnect, WebSocketDisconnected

if TYPE_CHECKING:
    from .spec import Side, State, ViolationKind

__all__ = [
    "InvalidMessageError",
    "NotConnectedError",
    "PeerGoneError",
    "ProtocolViolation",
    "UnexpectedDataError",
    "UnknownVersionWarning",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WrongStateError",
]


class ProtocolViolation(Exception):
    """A message refused by the spec.

    Attributes:
        clauses: the IDs of the clauses the message breaks; ``clause`` is the first.
        kind: which kind of violation this is.
        side: the side the message travelled on (``RECEIVE`` or ``SEND``).
        states: the (receive side, send side) states it was judged in; a refused
            message leaves them unchanged.
        message_type: the message's ``type`` (``None`` when it had none).
        allowed: the message types the side accepted in those states.
        rule: a sentence saying what the rule is.
        message: the offending message itself, when there was one; a message
            the server delivered has been consumed, so it is kept here.
    """

    def __init__(
        self,
        text: str,
        *,
        kind: ViolationKind,
        clauses: tuple[str, ...],
        side: Side,
        states: tuple[State, State],
        message_type: object,
        allowed: tuple[str, ...],
        rule: str,
        message: Any = None,
    ) -> None:
        Exception.__init__(self, text)
        self.kind = kind
        self.clauses = clauses
        self.side = side
        self.states = states
        self.message_type = message_type
        self.allowed = allowed
        self.rule = rule
        self.message = message

    @property
    def clause(self) -> str:
        """The main clause this violation enforces."""
        return self.clauses[0]

    def __str__(self) -> str:
        # Starlette's WebSocketDisconnect keeps no args; ours always has a text.
        return str(self.args[0])


class WrongStateError(ProtocolViolation, RuntimeError):
    """A message that exists, used at a time the protocol does not allow it."""


class NotConnectedError(WrongStateError, WebSocketDisconnected):
    """A use of a direction that is not open: sending after the close, receiving
    after the disconnect, or waiting for data before the accept.

    Also Starlette's ``WebSocketDisconnected``, which Starlette raises in the
    same situations.
    """


class InvalidMessageError(ProtocolViolation, RuntimeError):
    """A message whose ``type`` is unknown or whose fields break its schema.

    ``field`` names the offending key (``None`` for the type itself or for a
    rule over several keys).
    """

    field: str | None = None


class PeerGoneError(ProtocolViolation, WebSocketDisconnect):
    """A send after the other end has left.

    It is a ``WebSocketDisconnect``: ``code`` is the close code the server
    reported in ``websocket.disconnect``, or 1006 when the server's ``send()``
    raised ``OSError`` (the connection was closed abnormally), and ``reason``
    the reason it gave.
    """

    code: int = 1006
    reason: str = ""


class UnexpectedDataError(ProtocolViolation, KeyError):
    """``receive_text()`` got a binary message, or ``receive_bytes()`` a text one.

    The message was valid and has been consumed; it is in ``message`` so that
    nothing is lost. It is a ``KeyError`` because that is what Starlette raised
    here (``KeyError('text')``).
    """


class UnknownVersionWarning(UserWarning):
    """The server announced a spec version asgiws does not know; the connection is judged against the newest it knows.

    Issued once per announced version. Pass ``strict=True`` to
    ``asgiws.WebSocket`` to refuse such a connection instead.
    """
