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
* ``"warn"``: a :class:`ProtocolWarning` is issued and the message passes;
* ``"record"``: the violation is kept in :attr:`CheckMiddleware.violations` and
  the message passes.

Nothing is ever dropped or reordered: a message either passes unchanged, in
order, or (in ``"raise"`` mode) its call raises. HTTP and lifespan scopes pass
straight through.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from ._compiled import wrap
from ._state import ConnectionState
from .coverage import Coverage
from .exceptions import ProtocolViolation
from .spec import Side

__all__ = ["CheckMiddleware", "ProtocolWarning", "RecordedViolation", "check"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Applications type their arguments every which way (dict, MutableMapping,
# Starlette's aliases); any three-argument coroutine function will do.
ASGIApp = Callable[..., Awaitable[None]]
Mode = Literal["raise", "warn", "record"]


class ProtocolWarning(UserWarning):
    """A protocol violation seen by ``asgiws.check(app, mode="warn")``."""


@dataclass(frozen=True)
class RecordedViolation:
    """A violation seen on one connection, with where it happened."""

    path: str
    error: ProtocolViolation

    @property
    def direction(self) -> str:
        """``"app -> server"`` or ``"server -> app"``."""
        return "app -> server" if self.error.side is Side.SEND else "server -> app"


class CheckMiddleware:
    """The wrapper :func:`check` returns. See the module documentation.

    Attributes:
        violations: what ``"record"`` mode kept (also filled in the other modes).
        coverage: every judged message, per (spec version, side, state, type).
    """

    def __init__(self, app: ASGIApp, *, mode: Mode = "raise", spec_version: str | None = None) -> None:
        if mode not in ("raise", "warn", "record"):
            msg = f"mode must be 'raise', 'warn' or 'record', not {mode!r}"
            raise ValueError(msg)
        self.app = app
        self.mode = mode
        self.spec_version = spec_version
        self.violations: list[RecordedViolation] = []
        self.coverage = Coverage()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope.get("type") != "websocket":
            await self.app(scope, receive, send)
            return
        state = ConnectionState(scope, version=self.spec_version, coverage=self.coverage)
        path = str(scope.get("path", ""))

        def violated(error: ProtocolViolation, side: Side, message: Any) -> None:
            self._violated(error, path)

        checked_receive, checked_send = wrap(state, receive, send, on_violation=violated)
        await self.app(scope, checked_receive, checked_send)

    def _violated(self, error: ProtocolViolation, path: str) -> None:
        self.violations.append(RecordedViolation(path, error))
        if self.mode == "raise":
            raise error
        if self.mode == "warn":
            warnings.warn(f"{error} (on {path})", ProtocolWarning, stacklevel=3)


def check(app: ASGIApp, mode: Mode = "raise", *, spec_version: str | None = None) -> CheckMiddleware:
    """Wrap an ASGI application so that its WebSocket traffic is judged against the spec.

    Args:
        app: any ASGI 3 application.
        mode: ``"raise"``, ``"warn"`` or ``"record"`` (see the module documentation).
        spec_version: judge against this version instead of the scope's.
    """
    return CheckMiddleware(app, mode=mode, spec_version=spec_version)
