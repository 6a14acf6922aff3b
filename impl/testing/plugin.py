"""The pytest plugin of asgiws: the ``asgiws`` entry point of ``pytest11``.

pytest loads it on its own once asgiws is installed. With the ``testing``
extra it brings the fixtures, hooks and Hypothesis profiles of
:mod:`asgiws.testing.fixtures`; without it, nothing, so that installing
asgiws never breaks a test suite.
"""

from __future__ import annotations

from . import MISSING

__all__: list[str] = []

if MISSING is None:  # pragma: no branch - the dev install has the extra; tested in a subprocess
    from .fixtures import (
        asgiws_check,
        asgiws_coverage,
        fuzz_websocket,
        pytest_addoption,
        pytest_configure,
        pytest_sessionfinish,
        pytest_terminal_summary,
        pytest_testnodedown,
    )

    __all__ += [
        "asgiws_check",
        "asgiws_coverage",
        "fuzz_websocket",
        "pytest_addoption",
        "pytest_configure",
        "pytest_sessionfinish",
        "pytest_terminal_summary",
        "pytest_testnodedown",
    ]
