"""``asgiws.check(app)``: judge a live application's WebSocket traffic, in both directions.

Wrap any ASGI application, under any server::

    app = asgiws.check(app, mode="raise")

Every ``websocket`` connection gets its own :class:`~asgiws.ConnectionState`, the judge.
Each message the application sends is judged before it reaches the server, and
each message the server delivers before it reaches the application, so a server
bug surfaces as surely as an application bug. What happens to a violation
depends on ``mode``:

* ``"raise"``: the offending call raises the violation instead of passing the
  message on (a message the application sends never reaches the server; one the
  server delivered is raised to the application, as WS-010 asks);
* ``"warn"``: the violation is logged on the ``asgiws.check`` logger, a
  :class:`ProtocolWarning` is issued the first time each kind of violation is
  seen, and the message passes;
* ``"record"``: the violation is recorded quietly and the message passes.

Nothing is ever dropped or reordered: a message either passes unchanged, in
order, or (in ``"raise"`` mode) its call raises. HTTP and lifespan scopes pass
straight through.

Memory stays bounded however long the app runs and however often it breaks
the protocol: every violation is counted in :attr:`CheckMiddleware.counts`
under its :class:`ViolationKey` (a clause, a side and a message type, of which
there are finitely many), and only the first ``keep`` are kept in detail, each
as a :class:`RecordedViolation`: a summary with a bounded excerpt of the
message, never the message, the exception or its traceback (which holds the
application's local variables). ``on_violation`` sees every one.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, NamedTuple

from ._compiled import wrap
from ._machine import known_type
from ._safe_text import visible
from ._state import ConnectionState
from .coverage import Coverage
from .exceptions import ProtocolViolation
from .spec import Side, States

__all__ = [
    "DEFAULT_KEEP",
    "CheckMiddleware",
    "ProtocolWarning",
    "RecordedViolation",
    "ViolationKey",
    "check",
    "excerpt",
    "logger",
]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Applications type their arguments every which way (dict, MutableMapping,
# Starlette's aliases); any three-argument coroutine function will do.
ASGIApp = Callable[..., Awaitable[None]]
Mode = Literal["raise", "warn", "record"]

#: How many violations a wrapper keeps in detail unless ``keep`` says otherwise.
DEFAULT_KEEP = 100

#: Where ``"warn"`` mode reports every violation, one line each.
logger = logging.getLogger("asgiws.check")

# The bounds of a summary: characters of the error text, of the path, of the
# whole excerpt, of one str or bytes value in it; entries shown per mapping or
# list, and how deep the excerpt looks into nested ones.
_TEXT = 300
_PATH = 200
_EXCERPT = 300
_VALUE = 40
_ENTRIES = 8
_DEPTH = 3
# A larger int is described by its size: its decimal digits could run to
# megabytes, and Python refuses to convert the largest at all.
_BIG_INT_BITS = 64


class ProtocolWarning(UserWarning):
    """A kind of protocol violation seen for the first time by ``asgiws.check(app, mode="warn")``."""


class ViolationKey(NamedTuple):
    """What :attr:`CheckMiddleware.counts` counts violations by.

    ``message_type`` is ``None`` for a message without a type, or with one no
    spec defines: whatever an app or server sends, there are finitely many keys.
    """

    clause: str
    side: Side
    message_type: str | None


@dataclass(frozen=True, slots=True)
class RecordedViolation:
    """A violation seen on one connection: a small summary, safe to keep.

    It holds neither the message nor the exception: ``text`` is the
    violation's text cut at 300 characters, and ``excerpt`` a bounded
    rendering of the message (at most 8 entries per mapping or list, 40
    characters per value, 300 in all), built without calling anything the
    message's objects define.

    Attributes:
        path: the connection's ``scope["path"]`` (at most 200 characters).
        clause: the main clause the message breaks.
        side: the side it travelled on (``Side.SEND``: from the application).
        states: the (receive side, send side) states it was judged in.
        message_type: its ``type``, or ``None`` when it had none that a spec defines.
        text: what was wrong, as the violation's exception said it.
        excerpt: the message, abridged.
    """

    path: str
    clause: str
    side: Side
    states: States
    message_type: str | None
    text: str
    excerpt: str

    @classmethod
    def of(cls, error: ProtocolViolation, path: str) -> RecordedViolation:
        """The summary of ``error``, seen on a connection to ``path``."""
        return cls(
            path=_cut(path, _PATH),
            clause=error.clause,
            side=error.side,
            states=States(*error.states),
            message_type=_known_type(error),
            text=_cut(str(error), _TEXT),
            excerpt=excerpt(error.message),
        )

    @property
    def key(self) -> ViolationKey:
        """What this violation is counted under."""
        return ViolationKey(self.clause, self.side, self.message_type)

    @property
    def direction(self) -> str:
        """``"app -> server"`` or ``"server -> app"``."""
        return "app -> server" if self.side is Side.SEND else "server -> app"

    def __str__(self) -> str:
        # One line, whatever the path holds: it comes from the client's request.
        return visible(f"{self.clause} {self.direction} on {self.path}: {self.text}")


class CheckMiddleware:
    """The wrapper :func:`check` returns. See the module documentation.

    Attributes:
        violations: the first ``keep`` violations, as :class:`RecordedViolation`
            summaries, in the order they were seen (filled in every mode).
        counts: how many violations of each :class:`ViolationKey` were seen, all of them.
        coverage: every judged message, per (spec version, side, state, type).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        mode: Mode = "raise",
        spec_version: str | None = None,
        keep: int = DEFAULT_KEEP,
        on_violation: Callable[[RecordedViolation], object] | None = None,
    ) -> None:
        if mode not in ("raise", "warn", "record"):
            msg = f"mode must be 'raise', 'warn' or 'record', not {mode!r}"
            raise ValueError(msg)
        if type(keep) is not int or keep < 0:
            msg = f"keep must be a whole number of violations, 0 or more, not {keep!r}"
            raise ValueError(msg)
        self.app = app
        self.mode = mode
        self.spec_version = spec_version
        self.keep = keep
        self.on_violation = on_violation
        self.violations: list[RecordedViolation] = []
        self.counts: Counter[ViolationKey] = Counter()
        self.coverage = Coverage()

    @property
    def total(self) -> int:
        """How many violations were seen in all, kept or not."""
        return sum(self.counts.values())

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            await self.app(scope, receive, send)
            return
        state = ConnectionState(scope, version=self.spec_version, coverage=self.coverage)
        path = scope.get("path")
        path = path if type(path) is str else ""

        def violated(error: ProtocolViolation, side: Side, message: Any) -> None:
            self._violated(error, path)

        checked_receive, checked_send = wrap(state, receive, send, on_violation=violated)
        await self.app(scope, checked_receive, checked_send)

    def _violated(self, error: ProtocolViolation, path: str) -> None:
        key = ViolationKey(error.clause, error.side, _known_type(error))
        first = key not in self.counts
        self.counts[key] += 1
        keep = len(self.violations) < self.keep
        # The summary costs an excerpt and a text: built only for whoever reads it.
        if not (keep or self.on_violation is not None or self.mode == "warn"):
            if self.mode == "raise":
                raise error
            return
        violation = RecordedViolation.of(error, path)
        if keep:
            self.violations.append(violation)
        if self.on_violation is not None:
            self.on_violation(violation)
        if self.mode == "raise":
            raise error
        if self.mode == "warn":
            logger.warning("%s", violation)
            if first:  # once per key: the warnings registry keeps every distinct text it has shown
                # Up the stack: here, the callback, the lenient judging, the checked call, then the app's line.
                warnings.warn(str(violation), ProtocolWarning, stacklevel=5)


def check(
    app: ASGIApp,
    mode: Mode = "raise",
    *,
    spec_version: str | None = None,
    keep: int = DEFAULT_KEEP,
    on_violation: Callable[[RecordedViolation], object] | None = None,
) -> CheckMiddleware:
    """Wrap an ASGI application so that its WebSocket traffic is judged against the spec.

    Args:
        app: any ASGI 3 application.
        mode: ``"raise"``, ``"warn"`` or ``"record"`` (see the module documentation).
        spec_version: judge against this version instead of the scope's.
        keep: how many violations to keep in detail in ``.violations``
            (``0``: none); every one is counted in ``.counts`` all the same.
        on_violation: called with every violation's :class:`RecordedViolation`,
            in every mode, before the mode acts; what it raises propagates to
            the call that carried the message.

    Raises:
        ValueError: for an unknown ``mode`` or a negative ``keep``.
    """
    return CheckMiddleware(app, mode=mode, spec_version=spec_version, keep=keep, on_violation=on_violation)


# -- bounded, side-effect-free renderings ---------------------------------------------------


def excerpt(message: object) -> str:
    """A bounded rendering of a message for a summary, whatever the message is.

    Only the built-in types' own methods are called, so an object whose
    ``__repr__``, ``__getitem__`` or ``__iter__`` raises (or is slow, or huge)
    is shown by its type name instead of being asked.
    """
    return _cut(_render(message, _DEPTH), _EXCERPT)


def _render(value: Any, depth: int) -> str:
    # By the real type, never isinstance(): an object can claim any __class__.
    cls = type(value)
    if value is None or value is True or value is False:
        return str(value)
    if issubclass(cls, str):
        return _abridged(str.__getitem__(value, slice(_VALUE)), str.__len__(value), "chars")
    if issubclass(cls, bytes):
        return _abridged(bytes.__getitem__(value, slice(_VALUE)), bytes.__len__(value), "bytes")
    if issubclass(cls, int):
        bits = int.bit_length(value)
        return int.__repr__(value) if bits <= _BIG_INT_BITS else f"<int of {bits} bits>"
    if issubclass(cls, float):
        return float.__repr__(value)
    if issubclass(cls, dict):
        if depth == 0:
            return "{...}"
        # dict's own view of its entries: a subclass's overrides are not called.
        entries = islice(dict.items(value), _ENTRIES)
        shown = [f"{_render(k, depth - 1)}: {_render(v, depth - 1)}" for k, v in entries]
        return "{" + _joined(shown, dict.__len__(value)) + "}"
    if issubclass(cls, list | tuple):
        if depth == 0:
            return "[...]"
        base: Any = list if issubclass(cls, list) else tuple
        items = base.__getitem__(value, slice(_ENTRIES))
        return "[" + _joined([_render(item, depth - 1) for item in items], base.__len__(value)) + "]"
    # type's own __name__: a metaclass may define one that raises.
    return f"<{_cut(type.__dict__['__name__'].__get__(cls), _VALUE)}>"


def _abridged(head: str | bytes, length: int, unit: str) -> str:
    shown = repr(head)
    return shown if length <= _VALUE else f"{shown}...({length} {unit})"


def _joined(shown: list[str], length: int) -> str:
    more = length - len(shown)
    return ", ".join([*shown, f"...({more} more)"] if more > 0 else shown)


def _known_type(error: ProtocolViolation) -> str | None:
    # The message's type when a spec defines it: finitely many keys, whatever is sent.
    known = known_type(error.message_type)
    return None if known is None else known.value


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
