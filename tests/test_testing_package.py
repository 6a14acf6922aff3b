"""asgiws.testing stays out of the way: ``import asgiws`` never loads it, and without the extra it says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

import asgiws.testing


def _python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def test_import_asgiws_loads_neither_the_testing_package_nor_its_dependencies() -> None:
    code = "import asgiws, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {'hypothesis', 'transitions'} or m == 'asgiws.testing'))"
    assert _python(code) == "[]"


def test_without_the_extra_the_package_imports_and_every_name_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import asgiws.testing, asgiws.testing.plugin\n"
        "print(asgiws.testing.plugin.__all__)\n"
        "try:\n"
        "    from asgiws.testing import websocket_machine\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert _python(code).splitlines() == [
        "[]",
        "asgiws.testing needs Hypothesis and transitions (hypothesis is missing): pip install 'asgiws[testing]'",
    ]


def test_an_unknown_name_is_an_attribute_error() -> None:
    assert asgiws.testing.MISSING is None
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        asgiws.testing.nothing_here  # noqa: B018 - the attribute access is the test


def test_the_engine_imports_neither_surface_nor_hypothesis() -> None:
    # Layers run one way: asgiws.testing and asgiws.conformance import the engine, never the reverse.
    code = (
        "import asgiws.engine, sys; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in {'hypothesis', 'transitions'} or m.startswith(('asgiws.testing', 'asgiws.conformance'))))"
    )
    assert _python(code) == "[]"
