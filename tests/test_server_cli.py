"""``asgiws check server`` on the command line: targets, exit statuses, the matrix and the exploration."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from asgiws.cli import main
from asgiws.conformance import probe
from asgiws.conformance.matrix import load_setups
from asgiws.conformance.scenarios import parse_scenario
from asgiws.conformance.server import start_server

from .server_harness import InProcessServer, broken

UVICORN = [sys.executable, "-m", "uvicorn", "{app}", "--port", "{port}", "--log-level", "warning"]


def test_list_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "server", "--list"]) == 0
    out = capsys.readouterr().out
    assert "close-before-accept  app=close,receive;client=;offer=" in out


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--scenario", "nope", "--url", "ws://127.0.0.1:1"], "no scenario named"),
        (["--spec-version", "9.9", "--url", "ws://127.0.0.1:1"], "9.9"),
        ([], "exactly one of"),
        (["--url", "ws://127.0.0.1:1", "--", "x"], "exactly one of"),
        (["--url", "ws://example.com:80"], "loopback"),
        (["--", sys.executable, "-c", "raise SystemExit(3)"], "exited with 3"),
        (["--", "/nonexistent/asgiws-server"], "cannot start"),
        (["--matrix", "/nonexistent.toml"], "cannot read the matrix"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], error: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "server", *argv]) == 2
    assert error in capsys.readouterr().err


def test_a_server_that_never_answers_is_stopped(tmp_path: Path) -> None:
    from asgiws.conformance.server import ServerStartError

    with pytest.raises(ServerStartError, match="did not answer"):
        start_server([sys.executable, "-c", "import time; time.sleep(30)"], startup=0.5)


def test_a_conformant_scenario_exits_0_and_keeps_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "server.log"
    assert main(["check", "server", "--scenario", "ping", "--log", str(log), "--", *UVICORN]) == 0
    out = capsys.readouterr().out
    assert "ping" in out
    assert "conformant (1 ok)" in out
    assert f"server log: {log}" in out
    assert log.exists()


def test_a_single_string_command_and_a_deviation_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "server", "--scenario", "app-raises-after-accept", "--format", "sarif", "--", *UVICORN]) == 1
    assert json.loads(capsys.readouterr().out)["runs"][0]["results"][0]["ruleId"] == "AW-07"


def test_url_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with InProcessServer(probe.app) as server:
        assert main(["check", "server", "--url", server.url, "--scenario", "accept", "--format", "junit"]) == 0
    assert "<testsuite" in capsys.readouterr().out


def test_the_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    matrix = tmp_path / "matrix.toml"
    matrix.write_text(
        "[[setup]]\n"
        'name = "uvicorn"\n'
        'command = ["{python}", "-m", "uvicorn", "{app}", "--port", "{port}", "--log-level", "warning"]\n'
        'packages = ["uvicorn", "not-a-package-asgiws"]\n'
        "[[setup]]\n"
        'name = "broken"\n'
        'command = ["{python}", "-c", "raise SystemExit(4)"]\n'
    )
    argv = ["check", "server", "--matrix", str(matrix), "--scenario", "ping", "--scenario", "app-raises-after-accept"]
    assert main([*argv, "--format", "text"]) == 1
    text = capsys.readouterr().out
    assert "DEVIATION" in text
    assert "error: " in text
    assert "not installed" in text
    assert main([*argv, "--format", "html"]) == 1
    assert "<table>" in capsys.readouterr().out
    assert main([*argv, "--format", "json"]) == 1
    setups = json.loads(capsys.readouterr().out)["setups"]
    assert [s["name"] for s in setups] == ["uvicorn", "broken"]
    assert main([*argv, "--format", "junit"]) == 1
    assert capsys.readouterr().out.count("<testsuite") == 2


@pytest.mark.parametrize(("text", "error"), [("x = 1", "no \\[\\[setup"), ("[[setup]]\nname = 1", "needs a name"), ("[[", "cannot read")])
def test_a_wrong_matrix_is_refused(text: str, error: str, tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=error):
        load_setups(path)


def test_exploration_shrinks_a_deviation_to_a_replayable_line(capsys: pytest.CaptureFixture[str]) -> None:
    with InProcessServer(broken(probe.app, "drop-empty")) as server:
        status = main(["check", "server", "--url", server.url, "--explore", "60", "--timeout", "0.3"])
    out = capsys.readouterr().out
    assert status == 1
    assert "explored-1" in out
    line = next(x for x in out.splitlines() if "replay: --scenario" in x).split("'")[1]
    scenario = parse_scenario(line)
    assert len(scenario.app) + len(scenario.client) <= 4  # shrunk: a handful of steps at most


def test_exploration_of_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["check", "server", "--explore", "4", "--timeout", "0.3", "--", *UVICORN])
    assert status in {0, 1}
    assert "scenarios in" in capsys.readouterr().out


def test_exploration_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "server", "--explore", "4", "--", sys.executable, "-c", "raise SystemExit(3)"]) == 2
    assert "exited with 3" in capsys.readouterr().err


MATRIX = Path(__file__).resolve().parent.parent / "docs" / "reference" / "server-matrix.toml"


def test_the_committed_matrix_runs_every_installed_setup(tmp_path: Path) -> None:
    from importlib.util import find_spec

    from asgiws.conformance.matrix import run_matrix
    from asgiws.conformance.scenarios import parse_scenario

    matrix = run_matrix(MATRIX, scenarios=[parse_scenario("accept"), parse_scenario("ping")], timeout=1.0)
    assert len(matrix.setups) == 8
    for name, versions, report in matrix.setups:
        if all(find_spec(package) is not None for package in versions if package not in {"twisted", "autobahn", "anyio"}):
            assert report.error is None, (name, report.error)
            assert [r.scenario.name for r in report.results] == ["accept", "ping"]
    page = (MATRIX.parent / "server-matrix.md").read_text(encoding="utf-8")
    assert all(f"## {name}\n" in page for name, _, _ in matrix.setups)
    assert "## uvicorn (wsproto)" in matrix.to_markdown()


def test_the_matrix_page_command(tmp_path: Path) -> None:
    from asgiws.conformance.matrix import main as matrix_main

    assert matrix_main([]) == 2
    small = tmp_path / "m.toml"
    small.write_text('[[setup]]\nname = "broken"\ncommand = ["{python}", "-c", "raise SystemExit(4)"]\n')
    page = tmp_path / "page.md"
    page.write_text("hand-written\n<!-- generated by python -m asgiws.conformance.matrix; edit above this line only -->\nold")
    assert matrix_main([str(small), str(page)]) == 0
    text = page.read_text()
    assert text.startswith("hand-written\n")
    assert "Did not start" in text
    assert "old" not in text
    fresh = tmp_path / "fresh.md"
    assert matrix_main([str(small), str(fresh)]) == 0
    assert "No deviation." in fresh.read_text()
