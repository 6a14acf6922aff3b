"""The command line: `asgiws spec`, `asgiws explain`, `--version`, `python -m asgiws`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from asgiws import __version__
from asgiws.cli import main
from asgiws.spec import CLAUSES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_spec_json_holds_the_whole_machine(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "spec", "--format", "json")
    assert status == 0
    spec = json.loads(out)
    assert [m["type"] for m in spec["messages"]] == [
        "websocket.connect",
        "websocket.receive",
        "websocket.disconnect",
        "websocket.accept",
        "websocket.send",
        "websocket.close",
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert {side: [s["name"] for s in states] for side, states in spec["states"].items()} == {
        "receive": ["CONNECTING", "CONNECTED", "DISCONNECTED", "RESPONSE"],
        "send": ["CONNECTING", "CONNECTED", "DISCONNECTED", "RESPONSE"],
    }
    assert len(spec["clauses"]) == len(CLAUSES) >= 50
    assert [v["version"] for v in spec["spec_versions"]] == ["2.0", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert spec["transitions"]
    assert all(t["clauses"] for t in spec["transitions"])
    assert all(r["clauses"] for r in spec["rejections"])
    ws024 = next(c for c in spec["clauses"] if c["id"] == "WS-024")
    assert ws024["enforced_by"]
    body = next(m for m in spec["messages"] if m["type"] == "websocket.http.response.body")
    assert body["fields"][0]["default"] == {"bytes": ""}
    assert spec["scope"]["fields"][0]["name"] == "type"


def test_spec_markdown_and_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "spec.md"
    status, out, _ = run(capsys, "spec", "--format", "markdown", "--output", str(target))
    assert (status, out) == (0, "")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# The specification, table by table")
    assert "| CONNECTING | `websocket.accept` |  | CONNECTED | WS-024, WS-026 |" in text
    assert "Do not edit" in text


def test_explain_prints_the_clause_its_source_and_where_it_is_enforced(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "WS-024")
    assert status == 0
    clause = next(c for c in CLAUSES if c.id == "WS-024")
    assert out.startswith("WS-024  MUST  binds server and application")
    assert clause.summary in out
    assert clause.source in out
    assert "Enforced by:" in out
    assert "transition send side: CONNECTING --websocket.accept--> CONNECTED" in out


def test_explain_is_case_insensitive_and_knows_sub_clauses(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "ws-050a")
    assert status == 0
    assert out.startswith("WS-050a")


def test_explain_says_why_an_unchecked_clause_is_not_checked(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "WS-002")
    assert status == 0
    assert "Not checked:" in out
    assert "Enforced by" not in out


def test_explain_shows_where_the_server_checker_enforces_a_server_clause(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "AW-10")
    assert status == 0
    assert out.startswith("AW-10  MUST  binds the server")
    assert "server checker: rule app-close-invalid-code" in out


def test_explain_prints_an_ambiguity_and_its_resolution(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "AMB-16")
    assert status == 0
    assert out.startswith("AMB-16  ambiguity")
    assert "asgiws:" in out
    assert "Enforced by:" in out
    status, out, _ = run(capsys, "explain", "AMB-19")
    assert "Affects:    no check" in out


def test_explain_refuses_unknown_clauses_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "explain", "WS-999")
    assert (status, out) == (2, "")
    assert "unknown clause 'WS-999'" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["spec", "--format", "yaml"])
    assert caught.value.code == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"asgiws {__version__}"


def test_python_dash_m_runs_the_same_command() -> None:
    out = subprocess.run([sys.executable, "-m", "asgiws", "explain", "WS-024"], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0
    assert out.stdout.startswith("WS-024")
    bad = subprocess.run([sys.executable, "-m", "asgiws", "explain", "nope"], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2


def test_the_module_entry_point_exits_with_the_status(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Imported, not run with runpy: pytest's assertion rewriting loads asgiws
    # (it is a pytest plugin), and runpy cannot run modules through that loader.
    import importlib

    monkeypatch.setattr(sys, "argv", ["asgiws", "explain", "J-03"])
    monkeypatch.delitem(sys.modules, "asgiws.__main__", raising=False)
    with pytest.raises(SystemExit) as caught:
        importlib.import_module("asgiws.__main__")
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("J-03")


# -- every bad command line answered in one line, exit 2 (issue 12, item 7) ---------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--spec-version", "9.9"], "asgiws diagram: unknown ASGI WebSocket spec version '9.9'"),
        (["--coverage", "/nonexistent/coverage.json"], "asgiws diagram: --coverage /nonexistent/coverage.json: No such file or directory"),
        (["--output", "/nonexistent/machine.dot"], "asgiws diagram: --output /nonexistent/machine.dot: no such directory"),
    ],
)
def test_diagram_refuses_a_bad_argument_in_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "diagram", *argv)
    assert (status, out) == (2, "")
    assert err.startswith(message)
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "content", ["not json", '["a list"]', '{"allowed": {"no-bars": 1}}', '{"allowed": {"send|CONNECTING|websocket.accept": "x"}}']
)
def test_diagram_refuses_a_coverage_file_that_is_not_a_record(content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "coverage.json"
    path.write_text(content, encoding="utf-8")
    status, _, err = run(capsys, "diagram", "--coverage", str(path))
    assert status == 2
    assert err.startswith(f"asgiws diagram: --coverage {path}: not a coverage record (JSON")
    assert err.count("\n") == 1


@pytest.mark.parametrize(("source", "raised"), [("import sys\nsys.exit(0)\n", "SystemExit: 0"), ("raise KeyboardInterrupt\n", "KeyboardInterrupt: ")])
def test_an_app_module_that_exits_or_is_interrupted_at_import_is_answered_in_one_line(
    source: str, raised: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "leaves_at_import.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the guarded check imports from the current directory, as uvicorn does
    status, out, err = run(capsys, "check", "app", "leaves_at_import:app")
    assert (status, out) == (2, "")
    assert err == f"asgiws check app: could not import 'leaves_at_import': {raised}\n"
