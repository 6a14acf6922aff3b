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
    """

    clause: str
    message_type: str | None
    state: tuple[str, str]
    detail: str
    side: Party = Party.APPLICATION
