"""The fixtures, hooks and Hypothesis profiles of asgiws's pytest plugin.

:mod:`asgiws.testing.plugin` exposes them to pytest when the ``testing``
extra is installed:

* the Hypothesis profiles ``ci`` (derandomized, quick, no example database:
  the same answer on every run and every machine) and ``nightly`` (long,
  saving failures to the example database), each registered only if the
  project has not registered a profile of that name itself;
* ``asgiws_coverage``: one :class:`~asgiws.coverage.Coverage` record for the
  whole session, reported at the end of the run and merged across
  pytest-xdist workers;
* ``fuzz_websocket``: ``fuzz_websocket(factory, **options)`` runs the
  generated state machine against an implementation, counting into that
  record;
* ``asgiws_check`` of :mod:`asgiws.conformance`, which judges the traffic of
  a project's own WebSocket tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import _settings as hypothesis_settings
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import run_state_machine_as_test

from ..conformance.suite import asgiws_check as _asgiws_check
from ..coverage import Coverage
from .coverage_report import coverage_report
from .machine import websocket_machine

#: Judge the traffic of a project's own WebSocket tests (see asgiws.conformance.suite).
asgiws_check = pytest.fixture(_asgiws_check)

__all__ = [
    "PROFILES",
    "asgiws_check",
    "asgiws_coverage",
    "fuzz_websocket",
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_testnodedown",
    "register_profiles",
]

#: The profiles registered unless the project has its own of the same name.
PROFILES: dict[str, dict[str, Any]] = {
    # The same answer on every run and every machine, in seconds.
    "ci": {
        "derandomize": True,
        "database": None,
        "deadline": None,
        "max_examples": 50,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow],
    },
    # Long, and remembering: failures go to the example database and are replayed first.
    "nightly": {"max_examples": 10_000, "stateful_step_count": 100, "deadline": None},
}
_RECORD = pytest.StashKey[Coverage]()
_FIXED = pytest.StashKey[list[str]]()
_WORKER_KEY = "asgiws_coverage"


def register_profiles() -> list[str]:
    """Register the ``ci`` and ``nightly`` profiles the project has not registered; return their names.

    Hypothesis registers a ``ci`` profile of its own when it is imported
    (derandomized, but as long as the default); that one is replaced, a
    project's is not.
    """
    registered = []
    for name, options in PROFILES.items():
        try:
            profile = settings.get_profile(name)
        except InvalidArgument:
            profile = None
        if profile is None or profile is getattr(hypothesis_settings, name.upper(), None):
            settings.register_profile(name, **options)
            registered.append(name)
    return registered


def pytest_configure(config: pytest.Config) -> None:
    """Register the profiles, and start the session's coverage record."""
    register_profiles()
    config.stash[_RECORD] = Coverage()
    config.stash[_FIXED] = []


@pytest.fixture(scope="session")
def asgiws_coverage(pytestconfig: pytest.Config) -> Coverage:
    """The session's coverage record: every pair the generated tests exercised, reported at the end."""
    return pytestconfig.stash[_RECORD]


@pytest.fixture
def fuzz_websocket(asgiws_coverage: Coverage, pytestconfig: pytest.Config) -> Callable[..., None]:
    """Run the generated state machine against an implementation: ``fuzz_websocket(factory, **options)``.

    The options are :func:`~asgiws.testing.websocket_machine`'s, plus
    ``settings`` (a ``hypothesis.settings``; the loaded profile's when
    omitted). ``known`` defaults to ``--asgiws-known``; a known difference
    that no longer occurs is listed at the end of the run. The pairs
    exercised are counted into ``asgiws_coverage``.
    """

    default = pytestconfig.getoption("asgiws_known")

    def run(factory: Any, *, settings: settings | None = None, known: Any = None, **options: Any) -> None:
        machine = websocket_machine(factory, coverage=asgiws_coverage, known=known if known is not None else default, **options)
        chosen = settings or hypothesis_settings.settings()
        # The first draws build the strategies, which can trip the too-slow health check.
        quiet = hypothesis_settings.settings(chosen, suppress_health_check=[*chosen.suppress_health_check, HealthCheck.too_slow])
        run_state_machine_as_test(machine, settings=quiet)
        fixed = machine.fixed()
        if fixed:
            pytestconfig.stash[_FIXED].extend(f"{getattr(factory, '__qualname__', factory)}: {d}" for d in fixed)

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--asgiws-known=NAME_or_PATH``: the baseline of every ``fuzz_websocket`` call that names none."""
    parser.addoption(
        "--asgiws-known",
        dest="asgiws_known",
        default=None,
        metavar="NAME_or_PATH",
        help="asgiws: the known differences fuzz_websocket tolerates (a baseline file, or starlette)",
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand the coverage record to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_KEY] = json.dumps(session.config.stash[_RECORD].to_json())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """On the pytest-xdist controller, merge a worker's coverage record into the session's."""
    data = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
    if data is not None:
        node.config.stash[_RECORD].merge(Coverage.from_json(json.loads(data)))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the coverage report when the generated tests counted anything (on the controller only)."""
    fixed = config.stash[_FIXED]
    if fixed:
        terminalreporter.write_sep("-", "asgiws: known differences that no longer occur (remove them from the baseline)")
        for line in fixed:
            terminalreporter.write_line(line)
    coverage = config.stash[_RECORD]
    if coverage.hit() and not hasattr(config, "workeroutput"):
        terminalreporter.write_sep("-", "asgiws transition coverage")
        terminalreporter.write_line(coverage_report(coverage, misses=10))
