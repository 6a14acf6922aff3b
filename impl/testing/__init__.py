"""asgiws.testing: Hypothesis tests generated from the spec.

* :func:`websocket_machine` holds any implementation of Starlette's
  ``WebSocket`` API to the spec with a generated ``RuleBasedStateMachine``,
  which first sweeps every state of the spec (:func:`sweep`);
* :mod:`~asgiws.testing.strategies` draws valid and invalid messages and
  scopes, per schema and per spec version;
* :class:`AppDriver` runs an ASGI application against the honest simulated
  server of :mod:`asgiws.engine` while Hypothesis plays the client
  (:class:`DrawnClient`), and judges every message and how the application
  ended;
* :func:`known_differences` loads a reviewed baseline of the differences a
  class already has (:class:`Baseline`); a machine run with it
  (``websocket_machine(factory, known=...)``) fails only on a new one;
* :func:`exhaustive_check` tries every message sequence of the joint machine
  up to a depth;
* the pytest plugin (``asgiws.testing.plugin``, registered as an entry point)
  adds fixtures and the ``ci`` and ``nightly`` Hypothesis profiles.

This package needs the ``testing`` extra (Hypothesis and transitions). Without
it, ``import asgiws.testing`` still works (the pytest plugin lives here and
must load anywhere), and using any name from it raises an ``ImportError``
that says what to install. ``import asgiws`` never imports this package.
"""

from __future__ import annotations

#: Why the ``testing`` extra cannot be used here (the ImportError), or None when it can.
MISSING: ImportError | None
try:
    import hypothesis  # noqa: F401
    import transitions  # noqa: F401
except ImportError as error:  # pragma: no cover - the dev install has both; tested in a subprocess
    MISSING = error
else:
    MISSING = None
    from ..coverage import Coverage, Pair, all_pairs

    # The engine's names documented as asgiws.testing's before the engine had its package.
    from ..engine import Client, Finding, Transcript, run_connection, websocket_scope
    from .coverage_report import coverage_report
    from .drawn_client import DrawnClient
    from .driver import AppDriver
    from .exhaustive import ExhaustiveReport, exhaustive_check
    from .harness import Divergence, Harness
    from .known import Baseline, BaselineError, Difference, Tally, known_differences
    from .machine import GeneratedMachine, Setup, sweep, walks, websocket_machine
    from .strategies import Bad, bad, field_values, invalid_messages, invalid_scopes, messages, scopes, still_valid, unknown_messages

__all__ = [
    "MISSING",
    "AppDriver",
    "Bad",
    "Baseline",
    "BaselineError",
    "Client",
    "Coverage",
    "Difference",
    "Divergence",
    "DrawnClient",
    "ExhaustiveReport",
    "Finding",
    "GeneratedMachine",
    "Harness",
    "Pair",
    "Setup",
    "Tally",
    "Transcript",
    "all_pairs",
    "bad",
    "coverage_report",
    "exhaustive_check",
    "field_values",
    "invalid_messages",
    "invalid_scopes",
    "known_differences",
    "messages",
    "run_connection",
    "scopes",
    "still_valid",
    "sweep",
    "unknown_messages",
    "walks",
    "websocket_machine",
    "websocket_scope",
]


def __getattr__(name: str) -> object:
    # Only reached for a name the imports above did not bind.
    if name in __all__ and MISSING is not None:  # pragma: no cover - tested in a subprocess
        msg = f"asgiws.testing needs Hypothesis and transitions ({MISSING.name} is missing): pip install 'asgiws[testing]'"
        raise ImportError(msg) from MISSING
    msg = f"module 'asgiws.testing' has no attribute {name!r}"
    raise AttributeError(msg)
