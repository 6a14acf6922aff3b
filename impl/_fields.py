"""What the generated field checks (``asgiws._compiled``) call: value tests too long to inline.

The checks themselves are generated from the schemas by ``asgiws._codegen``;
this module holds the few tests they share, and the error they raise. A check
raises :class:`FieldViolation` with the clauses of the rule that was broken;
the judge adds the states and turns it into ``InvalidMessageError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._context import Context

__all__ = [
    "ABSENT",
    "Checker",
    "FieldViolation",
    "bad_token",
    "carries_value",
    "is_address",
    "is_headers",
    "is_str_list",
    "plain_copy",
    "utf8",
]

#: A compiled check: returns None or raises FieldViolation.
Checker = Callable[[Mapping[str, Any], "Context"], None]

#: What a missing key reads as, where None is a value of its own.
ABSENT: Any = object()


class FieldViolation(Exception):
    """A field broke a rule: which clauses, which field, and what is wrong with it."""

    def __init__(self, clauses: tuple[str, ...], field: str | None, detail: str) -> None:
        super().__init__(detail)
        self.clauses = clauses
        self.field = field
        self.detail = detail


def plain_copy(message: Any) -> Any:
    """A mapping as a plain dict (a shallow copy); anything else, or a mapping that cannot be read, as it is.

    What is judged is then what is passed on: an application (or a server)
    cannot change the message between the check and its delivery, and a dict
    subclass's own lookups run once, here, not in the middle of a check. What
    cannot be copied is left to the judge, which refuses it with a typed error.
    """
    if isinstance(message, Mapping):
        try:
            return dict(message)
        except Exception:  # its own lookups raise: the judge says so
            return message
    return message


def _reiterable(value: Any) -> bool:
    # An iterator would be used up by the check and reach the server empty.
    if value.__class__ is list or value.__class__ is tuple:
        return True  # the usual case, without the cost of the ABC checks below
    return isinstance(value, Iterable) and not isinstance(value, Iterator | str | bytes | Mapping)


def _is_pair(value: Any) -> bool:
    # Pairs are read by position, so they must be sequences: a set has no order (AMB-05).
    return isinstance(value, list | tuple) and len(value) == 2


def is_headers(value: Any) -> bool:
    """Whether ``value`` is an iterable of ``[name, value]`` pairs of bytes."""
    if not _reiterable(value):
        return False
    for pair in value:
        if not _is_pair(pair):
            return False
        name, val = pair
        if not (isinstance(name, bytes) and isinstance(val, bytes)):
            return False
    return True


def is_str_list(value: Any) -> bool:
    """Whether ``value`` is an iterable of str (and not a str itself)."""
    return _reiterable(value) and all(isinstance(item, str) for item in value)


def is_address(value: Any, port_may_be_none: bool) -> bool:
    """Whether ``value`` is ``[host, port]``, or ``[path, None]`` where that is allowed."""
    if not _is_pair(value):
        return False
    host, port = value
    if port is None:
        return port_may_be_none and isinstance(host, str)
    return isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool)


def utf8(text: str) -> bool:
    """Whether ``text`` encodes to UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bad_token(values: Iterable[str]) -> str | None:
    """What is wrong with a list of subprotocol names, or None (RFC 6455 §4.1: tokens, no repeats)."""
    seen: set[str] = set()
    for value in values:
        if not value or any(not ("!" <= ch <= "~") or ch in '()<>@,;:\\"/[]?={}' for ch in value):
            return f"{value!r} is not a token"
        if value in seen:
            return f"{value!r} is offered twice"
        seen.add(value)
    return None


def carries_value(value: object) -> bool:
    """Whether a field holds something a server would act on (not None and not empty)."""
    return value is not None and not (isinstance(value, str | bytes | list | tuple) and len(value) == 0)
