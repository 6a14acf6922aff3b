"""Shared test configuration: the Hypothesis profile, no local constants, coverage across xdist workers.

asgiws's pytest plugin registers the ``ci`` profile (derandomized, quick, no
example database) and ``nightly`` (long). The suite runs under ``ci`` unless
``HYPOTHESIS_PROFILE`` names another, so that it gives the same answer on
every run, alone or in the whole suite, in one process or on two workers.

The suite runs as ``coverage run -m pytest -n 2``; the hooks at the end make
the workers' measurements part of the first process's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import coverage
import pytest
from hypothesis import settings
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Hypothesis also draws, now and then, from the literal constants of the local
# modules loaded at the time: the project's own, and the apps and files tests
# write to a temporary folder and import. The suite draws from none of them:
# otherwise a new string anywhere in the code changes what every generated
# test plays (and a baseline of known differences meets new variants), and on
# an xdist worker what it plays depends on which tests ran before on it.
# (A private function of Hypothesis's: if it goes away, this fails loudly
# here, not quietly in a draw.)
_NO_LOCAL_CONSTANTS = Constants()
providers._get_local_constants = lambda: _NO_LOCAL_CONSTANTS


# -- coverage across xdist workers ------------------------------------------------------------
#
# The suite runs as ``coverage run -m pytest -n 2``. ``coverage run`` measures
# the process it starts, which with ``-n`` runs no test: each worker measures
# itself into a folder of this run, and the first process merges the folder
# into its own measurement before it saves it.

_WORKER_DATA = pytest.StashKey[str]()
_MEASUREMENT = pytest.StashKey[coverage.Coverage]()


def pytest_configure(config: pytest.Config) -> None:
    """Start a worker's measurement, or make the folder the workers measure into."""
    if not os.environ.get("COVERAGE_RUN"):
        return
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None:
        if coverage.Coverage.current() is not None:
            config.stash[_WORKER_DATA] = tempfile.mkdtemp(prefix="asgiws-coverage-")
    elif "asgiws_coverage" in workerinput:
        measurement = coverage.Coverage(data_file=os.path.join(workerinput["asgiws_coverage"], ".coverage"), data_suffix=True)
        measurement.start()
        config.stash[_MEASUREMENT] = measurement


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell a worker where to measure into (an xdist hook)."""
    folder = node.config.stash.get(_WORKER_DATA, None)
    if folder is not None:
        node.workerinput["asgiws_coverage"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    """Save a worker's measurement; in the first process, merge the workers' into its own."""
    measurement = config.stash.get(_MEASUREMENT, None)
    if measurement is not None:
        measurement.stop()
        measurement.save()
    folder = config.stash.get(_WORKER_DATA, None)
    if folder is not None:
        current = coverage.Coverage.current()
        parts = sorted(str(path) for path in Path(folder).glob(".coverage.*"))
        if current is not None and parts:
            current.combine(parts, keep=False)
        shutil.rmtree(folder, ignore_errors=True)
