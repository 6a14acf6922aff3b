"""asgiws: the ASGI WebSocket protocol as one executable specification.

The spec lives in :mod:`asgiws.spec` as data; this package interprets it.
Importing ``asgiws`` loads neither hypothesis, transitions nor graphviz.
"""

from __future__ import annotations

from ._context import Context, context_from_scope, parse_version
from ._machine import ConnectionState, Machine, compile_machine
from ._version import __version__
from .exceptions import InvalidMessageError, PeerGoneError, ProtocolViolation, WrongStateError

__all__ = [
    "ConnectionState",
    "Context",
    "InvalidMessageError",
    "Machine",
    "PeerGoneError",
    "ProtocolViolation",
    "WrongStateError",
    "__version__",
    "compile_machine",
    "context_from_scope",
    "parse_version",
]
