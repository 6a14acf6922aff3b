"""asgiws.testing: Hypothesis tests generated from the spec.

* :func:`websocket_machine` holds any implementation of Starlette's
  ``WebSocket`` API to the spec with a generated ``RuleBasedStateMachine``;
* :mod:`~asgiws.testing.strategies` draws valid and invalid messages and
  scopes, per schema and per spec version;
* :class:`AppDriver` runs an ASGI application against an honest fake server
  while Hypothesis plays the client;
* :func:`exhaustive_check` tries every message sequence of the joint machine
  up to a depth;
* the pytest plugin (``asgiws.testing.plugin``, registered as an entry point)
  adds fixtures and the ``ci`` and ``nightly`` Hypothesis profiles.

This package needs the ``testing`` extra (Hypothesis and transitions);
``import asgiws`` never imports it.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
    import transitions  # noqa: F401
except ImportError as error:  # pragma: no cover - the dev install has both
    msg = f"asgiws.testing needs Hypothesis and transitions ({error.name} is missing): pip install 'asgiws[testing]'"
    raise ImportError(msg) from error

from ..coverage import Coverage, Pair, all_pairs
from .driver import AppDriver, ClientEvent, Transcript
from .exhaustive import ExhaustiveReport, exhaustive_check
from .harness import Divergence, Harness
from .machine import Setup, pair_paths, websocket_machine
from .report import coverage_report
from .server import FakeServer, websocket_scope
from .strategies import Bad, bad, field_values, invalid_messages, invalid_scopes, messages, scopes, still_valid, unknown_messages

__all__ = [
    "AppDriver",
    "Bad",
    "ClientEvent",
    "Coverage",
    "Divergence",
    "ExhaustiveReport",
    "FakeServer",
    "Harness",
    "Pair",
    "Setup",
    "Transcript",
    "all_pairs",
    "bad",
    "coverage_report",
    "exhaustive_check",
    "field_values",
    "invalid_messages",
    "invalid_scopes",
    "messages",
    "pair_paths",
    "scopes",
    "still_valid",
    "unknown_messages",
    "websocket_machine",
    "websocket_scope",
]
