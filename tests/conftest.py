"""Shared test configuration: the Hypothesis profile of the whole suite, and a fixed set of modules.

asgiws's pytest plugin registers the ``ci`` profile (derandomized, quick, no
example database) and ``nightly`` (long). The suite runs under ``ci`` unless
``HYPOTHESIS_PROFILE`` names another, so that it gives the same answer on
every run.

Derandomized is not enough on its own: Hypothesis also draws, now and then,
from the literal constants of the project's own modules that are loaded at
the time (``asgiws`` is one of them in an editable install). Which modules
those are would depend on which tests ran before, so a test could pass alone
and fail in the whole suite. Every module of the package and of ``examples``
is therefore imported here, once, before any test: every test draws from the
same pool, alone or not.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from hypothesis import settings

import asgiws
import examples

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _import_everything(package_name: str, path: list[str]) -> None:
    for module in pkgutil.walk_packages(path, prefix=f"{package_name}."):
        if module.name.endswith("__main__"):
            continue  # running it is what importing a __main__ does
        importlib.import_module(module.name)


_import_everything("asgiws", list(asgiws.__path__))
_import_everything("examples", list(examples.__path__))
