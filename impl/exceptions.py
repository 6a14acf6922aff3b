"""The errors asgiws raises when a message breaks the protocol.

One family, three kinds, all under :class:`ProtocolViolation`::

    ProtocolViolation
    ├── WrongStateError      (also RuntimeError) a known message at the wrong time
    ├── InvalidMessageError  (also RuntimeError, ValueError) a type or field breaks its schema
    └── PeerGoneError        the other end has left; nothing can reach it

Every violation carries the clause it enforces and the states it was judged in,
so that an ``except`` clause or a report can say exactly what went wrong. The
``RuntimeError`` bases keep Starlette-era ``except RuntimeError`` code working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spec import Side, State, ViolationKind

__all__ = ["InvalidMessageError", "PeerGoneError", "ProtocolViolation", "WrongStateError"]


class ProtocolViolation(Exception):
    """A message refused by the spec.

    Attributes:
        clauses: the IDs of the clauses the message breaks; ``clause`` is the first.
        kind: which of the three kinds this is.
        side: the side the message travelled on (``RECEIVE`` or ``SEND``).
        states: the (receive side, send side) states it was judged in; a refused
            message leaves them unchanged.
        message_type: the message's ``type`` (``None`` when it had none).
        allowed: the message types the side accepted in those states.
        reason: a sentence saying what the rule is.
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
        reason: str,
    ) -> None:
        super().__init__(text)
        self.kind = kind
        self.clauses = clauses
        self.side = side
        self.states = states
        self.message_type = message_type
        self.allowed = allowed
        self.reason = reason

    @property
    def clause(self) -> str:
        """The main clause this violation enforces."""
        return self.clauses[0]


class WrongStateError(ProtocolViolation, RuntimeError):
    """A message that exists, used at a time the protocol does not allow it."""


class InvalidMessageError(ProtocolViolation, RuntimeError, ValueError):
    """A message whose ``type`` is unknown or whose fields break its schema.

    ``field`` names the offending key (``None`` for the type itself or for a
    rule over several keys).
    """

    field: str | None = None


class PeerGoneError(ProtocolViolation):
    """A send after the other end has left.

    ``code`` is the close code the server reported in ``websocket.disconnect``,
    when it did.
    """

    code: int | None = None
