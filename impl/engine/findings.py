"""What is wrong with a run: one :class:`Finding` per refused message or wrong ending, with its clause."""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import Party

__all__ = ["Finding"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a run: a refused message, or the way the application ended.

    Attributes:
        clause: the clause broken.
        message_type: the offending message's type; None when it is how the
            application ended, or when the message had no known type.
        state: the (receive, send) states when it happened, by name.
        detail: what exactly was wrong.
        side: who is at fault: the application, or the server for what it delivered.
        cause: for a finding about an exception, its type and the last frame
            of the application's own code that it went through
            (``KeyError at chat.py:42 in broadcast``); two different causes are
            two findings.
    """

    clause: str
    message_type: str | None
    state: tuple[str, str]
    detail: str
    side: Party = Party.APPLICATION
    cause: str | None = None

    @property
    def key(self) -> tuple[str, str | None, tuple[str, str], str | None]:
        """What makes two findings the same: the clause, the message type, the states and the cause."""
        return (self.clause, self.message_type, self.state, self.cause)
