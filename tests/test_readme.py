"""The README's promises: its two opening commands, and what CI runs."""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path

import pytest

from asgiws.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _opening_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)[:2]


def test_the_readme_opens_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    main_job, tests = _opening_commands()
    assert text.index(main_job) < text.index("## ")
    assert 'pip install ".[testing,diagrams]"' in main_job
    assert "asgiws check app examples." in main_job
    assert 'pip install -e ".[dev]"' in tests


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").rstrip().splitlines()
    steps = _opening_commands()[1].split(" && ")
    after_install = steps[steps.index('pip install -e ".[dev]"') + 1 :]
    assert ci[-len(after_install) :] == after_install
    assert 'python -m pip install --quiet -e ".[dev]"' in ci


def test_the_main_job_finds_the_bundled_bug(capsys: pytest.CaptureFixture[str]) -> None:
    command = shlex.split(_opening_commands()[0].split(" && ")[-1])
    assert main([*command[1:], "--seed", "0"]) == 1
    out = capsys.readouterr().out
    assert "1. WS-036 [MUST] websocket.send on /ws" in out
    assert "def test_ws_036_websocket_send() -> None:" in out


def test_the_judge_trace_example_finds_every_planted_bug(capsys: pytest.CaptureFixture[str]) -> None:
    namespace = runpy.run_path(str(ROOT / "examples" / "judge_trace.py"))
    assert namespace["main"]() == 4
    out = capsys.readouterr().out
    assert [line.split()[3] for line in out.splitlines() if line.startswith("✗")] == ["WS-024", "RFC-018", "RFC-002", "J-09"]


def test_the_explain_output_quoted_in_the_readme_is_real(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = re.search(r"```console\n\$ asgiws explain (\S+)\n(.+?)```", text, re.DOTALL)
    assert quoted is not None
    main(["explain", quoted.group(1)])
    assert capsys.readouterr().out == quoted.group(2)
