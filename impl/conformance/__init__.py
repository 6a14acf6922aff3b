"""Conformance checking of ASGI WebSocket applications.

* :func:`check_app` explores client behaviour with Hypothesis against an
  application and returns a :class:`Report` of every distinct violation, each
  with a minimal reproducer (``asgiws check app`` on the command line);
* :func:`replay` runs one client :class:`Script` again, for those reproducers;
* :func:`conformance_test` adds such a check to a project's test suite in one
  line (and the ``asgiws_check`` pytest fixture judges existing tests' traffic).

It needs the ``testing`` extra (Hypothesis). The live middleware that judges
real traffic is :func:`asgiws.check`.
"""

from __future__ import annotations

from ..engine import Handshake
from .check import ESTABLISHED, Progress, check_app, replay, reproducer
from .report import Report, Route, Violation
from .script import Script
from .seeds import SHIPPED_SEEDS, SeedError, Seeds, load_seeds
from .suite import conformance_test
from .target import TargetError, load_app

__all__ = [
    "ESTABLISHED",
    "SHIPPED_SEEDS",
    "Handshake",
    "Progress",
    "Report",
    "Route",
    "Script",
    "SeedError",
    "Seeds",
    "TargetError",
    "Violation",
    "check_app",
    "conformance_test",
    "load_app",
    "load_seeds",
    "replay",
    "reproducer",
]
