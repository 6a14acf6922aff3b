"""asgiws's pytest plugin: profiles, fixtures, and a coverage report merged across xdist workers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import _settings as hypothesis_settings
from hypothesis import settings

import asgiws
from asgiws.coverage import Coverage
from asgiws.spec import Side, SpecVersion, State
from asgiws.testing import fixtures

PROJECT_TEST = """
import asgiws
from hypothesis import settings


def test_fuzz(fuzz_websocket, asgiws_coverage):
    fuzz_websocket(asgiws.WebSocket, versions=["2.4"], settings=settings(max_examples=3))
    assert asgiws_coverage.hit()


def test_profiles():
    assert settings.get_profile("nightly").max_examples == 7  # the project's own
    assert settings.get_profile("ci").derandomize


def test_check(asgiws_check):
    assert callable(asgiws_check)


def test_known(fuzz_websocket):
    from starlette.websockets import WebSocket

    fuzz_websocket(WebSocket, settings=settings(max_examples=3, database=None))  # --asgiws-known=starlette


def test_fixed(fuzz_websocket):
    fuzz_websocket(asgiws.WebSocket, settings=settings(max_examples=3, database=None))  # nothing of Starlette's is left
"""
PROJECT_CONFTEST = """
from hypothesis import settings

settings.register_profile("nightly", max_examples=7)
"""


def test_a_project_gets_the_fixtures_and_a_merged_coverage_report_under_xdist(tmp_path: Path) -> None:
    (tmp_path / "test_project.py").write_text(PROJECT_TEST)
    (tmp_path / "conftest.py").write_text(PROJECT_CONFTEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--asgiws-known=starlette", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "asgiws transition coverage" in result.stdout
    assert "(side, state, message type) pairs exercised" in result.stdout


def test_profiles_are_registered_unless_the_project_has_its_own() -> None:
    profiles, current = dict(settings._profiles), settings._current_profile  # restored below: the suite runs under these
    assert current is not None
    settings.load_profile("default")
    try:
        settings._profiles["ci"] = hypothesis_settings.CI  # the one Hypothesis registers itself
        settings.register_profile("nightly", max_examples=3)  # the project's own
        assert fixtures.register_profiles() == ["ci"]
        assert settings.get_profile("nightly").max_examples == 3
        assert settings.get_profile("ci").max_examples == 50
        del settings._profiles["nightly"]
        settings.register_profile("ci", max_examples=5)  # the project's own
        assert fixtures.register_profiles() == ["nightly"]
        assert settings.get_profile("nightly").max_examples == 10_000
        assert settings.get_profile("ci").max_examples == 5
    finally:
        settings._profiles.clear()
        settings._profiles.update(profiles)
        settings.load_profile(current)


def _record() -> Coverage:
    coverage = Coverage()
    coverage.record(SpecVersion.V2_5, Side.SEND, (State.CONNECTED, State.CONNECTED), "websocket.send", allowed=True)
    return coverage


def test_a_worker_hands_its_record_to_the_controller_which_merges_and_reports_it() -> None:
    worker = SimpleNamespace(stash=pytest.Stash(), workeroutput={})
    fixtures.pytest_configure(worker)  # type: ignore[arg-type]
    worker.stash[fixtures._RECORD].merge(_record())
    fixtures.pytest_sessionfinish(SimpleNamespace(config=worker))  # type: ignore[arg-type]
    assert json.loads(worker.workeroutput["asgiws_coverage"])["allowed"] == {"2.5|send|CONNECTED|websocket.send": 1}

    controller = SimpleNamespace(stash=pytest.Stash())
    fixtures.pytest_configure(controller)  # type: ignore[arg-type]
    fixtures.pytest_sessionfinish(SimpleNamespace(config=controller))  # type: ignore[arg-type]
    fixtures.pytest_testnodedown(SimpleNamespace(config=controller, workeroutput=worker.workeroutput), None)
    fixtures.pytest_testnodedown(SimpleNamespace(config=controller), None)  # a worker that sent nothing
    lines: list[str] = []
    reporter = SimpleNamespace(write_sep=lambda sep, title: lines.append(title), write_line=lines.append)
    fixtures.pytest_terminal_summary(reporter, worker)  # type: ignore[arg-type]
    assert lines == []  # workers do not report
    fixtures.pytest_terminal_summary(reporter, controller)  # type: ignore[arg-type]
    assert lines[0] == "asgiws transition coverage"
    assert "2.5         1     32        1        0" in lines[1]
    assert lines[1].endswith("... and 181 more")


def test_fixed_differences_are_listed_at_the_end(pytestconfig: pytest.Config) -> None:
    config = SimpleNamespace(stash=pytest.Stash())
    fixtures.pytest_configure(config)  # type: ignore[arg-type]
    config.stash[fixtures._FIXED].append("WebSocket: RFC-008 close ...")
    lines: list[str] = []
    reporter = SimpleNamespace(write_sep=lambda sep, title: lines.append(title), write_line=lines.append)
    fixtures.pytest_terminal_summary(reporter, config)  # type: ignore[arg-type]
    assert lines == ["asgiws: known differences that no longer occur (remove them from the baseline)", "WebSocket: RFC-008 close ..."]


def test_the_fixture_lists_the_known_differences_that_no_longer_occur(fuzz_websocket: Any, pytestconfig: pytest.Config) -> None:
    before = len(pytestconfig.stash[fixtures._FIXED])
    fuzz_websocket(asgiws.WebSocket, known="starlette", versions=["2.5"], settings=settings(settings.default, max_examples=2, database=None))
    listed = pytestconfig.stash[fixtures._FIXED][before:]
    del pytestconfig.stash[fixtures._FIXED][before:]  # asgiws.WebSocket is not what the baseline is for
    assert listed
    assert all(line.startswith("WebSocket: ") for line in listed)


def test_the_fixtures_count_into_the_session_record(fuzz_websocket: Any, asgiws_coverage: Coverage) -> None:
    fuzz_websocket(asgiws.WebSocket, versions=["2.2"], denial=True, settings=settings(settings.default, max_examples=2))
    assert any(pair.version == "2.2" for pair in asgiws_coverage.hit())
