"""Shared test configuration: the Hypothesis profile of the whole suite, and a fixed set of modules.

asgiws's pytest plugin registers the ``ci`` profile (derandomized, quick, no
example database) and ``nightly`` (long). The suite runs under ``ci`` unless
``HYPOTHESIS_PROFILE`` names another, so that it gives the same answer on
every run.

Derandomized is not enough on its own: Hypothesis also draws, now and then,
from the literal constants of the project's own modules that are loaded at
the time (``asgiws`` is one of them in an editable install). Which modules
those are would depend on which tests ran before, so a test could pass alone
and fail in the whole suite, or on one xdist worker and not on the other.
Every module of the package, of ``examples`` and of the suite's own helpers
and apps is therefore imported here, once, before any test: every test draws
from the same pool, alone or not, in one process or two.

The suite runs as ``coverage run -m pytest -n 2``; the hooks at the end make
the workers' measurements part of the first process's.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import tempfile
from pathlib import Path
from typing import Any

import coverage
import pytest
from hypothesis import settings
from hypothesis.internal.conjecture import providers

import asgiws
import examples

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _import_everything(package_name: str, path: list[str], skip: tuple[str, ...] = ()) -> None:
    for module in pkgutil.walk_packages(path, prefix=f"{package_name}."):
        if module.name.endswith("__main__"):
            continue  # running it is what importing a __main__ does
        if module.name.rpartition(".")[2].startswith(skip):
            continue  # what pytest imports itself: this file, and every test module in each worker
        importlib.import_module(module.name)


_import_everything("asgiws", list(asgiws.__path__))
_import_everything("examples", list(examples.__path__))
# The suite's own helpers and the apps it checks, which tests load by name:
# with ``-n 2`` which tests ran before one on its worker depends on timing.
_import_everything("tests", [str(Path(__file__).parent)], skip=("test_", "conftest"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze Hypothesis's pool of local constants once every test module is imported.

    Hypothesis adds the constants of every local module loaded later too: the
    apps and files tests write to a temporary folder and import. In one
    process that is the same on every run; on an xdist worker it depends on
    which tests the worker happened to run before. So the pool is taken here,
    where every process has imported the same modules, and kept. (A private
    function of Hypothesis's: if it goes away, this fails loudly here, not
    quietly in a draw.)
    """
    constants = providers._get_local_constants()
    providers._get_local_constants = lambda: constants


# -- coverage across xdist workers ------------------------------------------------------------
#
# The suite runs as ``coverage run -m pytest -n 2``. ``coverage run`` measures
# the process it starts, which with ``-n`` runs no test: each worker measures
# itself into a folder of this run, and the first process merges the folder
# into its own measurement before it saves it. What runs when a module is
# imported is measured in the first process, which imports every module too.

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
