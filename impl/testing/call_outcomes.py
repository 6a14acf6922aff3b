"""What the spec says a call does, and how an implementation's result is held to it.

A call's outcome (:data:`CallOutcome`) is either :class:`Returns` (a value) or :class:`Raises` (an
exception family). Families are the ones Starlette code relies on, so that any
implementation with Starlette's API can be judged: ``RuntimeError`` for a call
at the wrong time or with an invalid message, Starlette's
``WebSocketDisconnect`` (with its code and reason) when the peer is gone,
``KeyError`` for text where bytes were asked for (or the reverse),
``ValueError`` for a payload that is not JSON. An exception that also carries
asgiws's ``kind`` (a :class:`~asgiws.spec.ViolationKind`) must carry the
expected one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..spec import MESSAGE_SCHEMAS, MessageType, ValueKind, ViolationKind

__all__ = ["ANY_KIND", "CallOutcome", "Forwarded", "Mismatch", "Raises", "Returns", "same_message"]

#: Do not check the ``kind`` of the exception.
ANY_KIND: Any = object()


@dataclass(frozen=True)
class Returns:
    """The call returns ``value`` (compared with ``==``)."""

    value: Any = None

    def __str__(self) -> str:
        return f"returns {self.value!r}"


@dataclass(frozen=True)
class Raises:
    """The call raises an exception of ``family``.

    ``kind`` is the :class:`~asgiws.spec.ViolationKind` an exception carrying
    one must have (``None``: it must carry none, it is not a protocol
    violation; :data:`ANY_KIND`: not checked). ``code`` and ``reason`` are
    checked on a ``WebSocketDisconnect`` when given.
    """

    family: type[BaseException]
    kind: Any = ANY_KIND
    code: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        text = f"raises {self.family.__name__}"
        if isinstance(self.kind, ViolationKind):
            text += f" ({self.kind.value})"
        if self.code is not None:
            text += f" with code {self.code} and reason {self.reason!r}"
        return text

    def mismatch(self, error: BaseException) -> Mismatch | None:
        """Why ``error`` is not this outcome, or None when it is."""
        if not isinstance(error, self.family):
            return Mismatch(f"it raised {type(error).__name__}, not a {self.family.__name__}")
        kind = getattr(error, "kind", None)
        if isinstance(kind, ViolationKind) and self.kind is not ANY_KIND and kind is not self.kind:
            return Mismatch(f"it raised a {kind.value} violation", "of another kind")
        if self.code is not None and getattr(error, "code", None) != self.code:
            return Mismatch(f"its code is {getattr(error, 'code', None)!r}", "with another code")
        if self.reason is not None and (getattr(error, "reason", None) or "") != self.reason:
            return Mismatch(f"its reason is {getattr(error, 'reason', None)!r}", "with another reason")
        return None


class Mismatch(NamedTuple):
    """Why an exception is not the one the spec expects: in words with its values, and as an outline without them.

    ``outline`` is empty when the family itself is wrong (the family's name says it all).
    """

    text: str
    outline: str = ""


#: What the spec says a call does.
CallOutcome = Returns | Raises


@dataclass(frozen=True)
class Forwarded:
    """A message the spec expects the implementation to hand to the server.

    ``json_payload``: the payload is JSON text, compared as the document it encodes.
    """

    message: Any
    json_payload: bool = False

    def matches(self, actual: Any) -> bool:
        """Whether the implementation forwarded this message."""
        if not self.json_payload:
            return actual is self.message or actual == self.message or same_message(self.message, actual)
        if not isinstance(actual, Mapping) or actual.get("type") != self.message["type"]:
            return False
        key = "text" if "text" in self.message else "bytes"
        payload = actual.get(key)
        if not isinstance(payload, str | bytes) or actual.get("bytes" if key == "text" else "text") is not None:
            return False
        try:
            return bool(json.loads(payload) == json.loads(self.message[key]))
        except ValueError:
            return False


_TYPES: dict[str, MessageType] = {m.value: m for m in MessageType}


def _normal(message: Any) -> Any:
    # Two spellings of one message, per its schema: a nullable key set to
    # None is absent, a key at its default is absent, header pairs are tuples.
    if not isinstance(message, Mapping):
        return message
    name = message.get("type")
    kind = _TYPES.get(name) if isinstance(name, str) else None
    if kind is None:
        return dict(message)
    fields = {f.name: f for f in MESSAGE_SCHEMAS[kind].fields}
    normal: dict[str, Any] = {}
    for key, value in message.items():
        field = fields.get(key)
        shown = value
        if field is not None:
            if value is None and field.nullable:
                continue
            if field.kind is ValueKind.HEADERS and isinstance(value, list | tuple):
                shown = [tuple(pair) if isinstance(pair, list | tuple) else pair for pair in value]
                if not shown:
                    continue
            elif type(value) is type(field.default) and value == field.default:
                continue
        normal[key] = shown
    return normal


def same_message(expected: Any, actual: Any) -> bool:
    """Whether two messages say the same thing: equal once both are in their normal form.

    ``{"type": "websocket.close", "code": 1000, "reason": ""}`` and
    ``{"type": "websocket.close"}`` are the same message; ``reason=None`` and
    no reason are too.
    """
    return bool(_normal(expected) == _normal(actual))
