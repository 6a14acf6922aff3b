"""The FastAPI tutorial, followed step by step exactly as the page writes it.

``docs/tutorial/check-a-fastapi-app.md`` is read from top to bottom, block by
block, in a fresh directory:

- a ```python block that is a whole module becomes ``main.py``; a shorter one
  is an edit, replacing the lines of ``main.py`` that start where it starts, or
  else must appear as it is in the next whole module;
- a ```bash block is run, each line in turn; ``pip install`` lines are only
  checked to install asgiws from a clone, since the environment already has it;
- a ```text block that opens with ``$ COMMAND`` runs the command and compares
  its output; one without is the output of the ```bash command before it;
- the reproducer the first report shows is copied into ``test_sum_protocol.py``,
  as the page says to.

Outputs are compared line by line after removing trailing spaces. Only what is
random from run to run is masked: the example count and the duration on the
report's first line, the connection and message counts on each route's line,
and pytest's time on its last line. A ``...`` line in an expected block stands for any number of lines.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "tutorial" / "check-a-fastapi-app.md"
FRAMEWORKS = ROOT / "docs" / "how-to" / "check-other-frameworks.md"
BIN = Path(sys.executable).parent

pytest.importorskip("fastapi")
pytest.importorskip("hypothesis")

_VARYING = [
    (re.compile(r"^(asgiws check app \S+ \(spec [\d.]+\)): \d+ examples in \d+\.\ds$"), r"\1: N examples in T"),
    (re.compile(r"^(/\S*): \d+ connections, \d+ accepted, \d+ data messages; "), r"\1: N connections, N accepted, N data messages; "),
    (re.compile(r"^(=+ \d+ (?:passed|failed) in )\d+\.\d+s( =+)$"), r"\1Ts\2"),
]


def _normalise(text: str) -> list[str]:
    lines = []
    for raw in text.strip("\n").splitlines():
        line = raw.rstrip()
        for pattern, replacement in _VARYING:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return lines


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected``, each ``...`` line standing for any run of lines."""
    if not expected:
        return not actual
    head, *rest = expected
    if head.strip() == "...":
        return any(_matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == head and _matches(rest, actual[1:])


def _blocks(page: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```", page, flags=re.S | re.M)


def _run(command: str, cwd: Path, *, stderr: bool = True) -> tuple[int, str]:
    argv = shlex.split(command)
    script = BIN / "asgiws"
    tools = {"asgiws": [str(script)] if script.exists() else [sys.executable, "-m", "asgiws"], "python": [sys.executable]}
    argv[:1] = tools[argv[0]]
    env = {**os.environ, "COLUMNS": "80", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    # A reader's terminal, not CI: pytest prints longer failures when CI or BUILD_NUMBER is set.
    env.pop("CI", None)
    env.pop("BUILD_NUMBER", None)
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=240, check=False, env=env)
    return result.returncode, result.stdout + (result.stderr if stderr else "")


def _reproducer(report: str) -> str:
    """The first reproducer in a text report, as the reader would copy it."""
    lines = report.splitlines()
    start = lines.index("   reproducer:") + 1
    body = []
    for line in lines[start:]:
        if line and not line.startswith("     "):
            break
        body.append(line)
    return textwrap.dedent("\n".join(body)).strip() + "\n"


def _edit(module: str, fragment: str) -> str | None:
    """``module`` with the lines that start like ``fragment`` replaced by it, or None."""
    lines, new = module.splitlines(), fragment.rstrip("\n").splitlines()
    for i, line in enumerate(lines):
        if line == new[0]:
            return "\n".join([*lines[:i], *new, *lines[i + len(new) :]]) + "\n"
    return None


def test_the_fastapi_tutorial_runs_as_written(tmp_path: Path) -> None:
    blocks = _blocks(PAGE.read_text(encoding="utf-8"))
    modules = [body for language, body in blocks if language == "python" and body.startswith("from ")]
    main = tmp_path / "main.py"
    last: tuple[str, int, str] | None = None  # the last ```bash command, its status and output
    statuses: list[tuple[str, int]] = []
    for language, body in blocks:
        if language == "python":
            if body.startswith("from "):
                main.write_text(body, encoding="utf-8")
                modules.pop(0)
            else:
                edited = _edit(main.read_text(encoding="utf-8"), body)
                if edited is not None:
                    main.write_text(edited, encoding="utf-8")
                else:
                    assert modules, f"no main.py follows this fragment:\n{body}"
                    assert body in modules[0], f"this fragment is not in the next main.py:\n{body}"
        elif language == "bash":
            for command in body.strip().splitlines():
                if command.startswith("pip install"):
                    assert re.search(r"""pip install (-e )?"[^"]*\[testing\]" fastapi pytest$""", command), command
                    assert not command.startswith('pip install "asgiws['), "asgiws is on no package index: install from a clone"
                    continue
                status, output = _run(command, tmp_path)
                last = (command, status, output)
                statuses.append((command, status))
        elif language == "text":
            expected = body
            if body.startswith("$ "):
                command, _, expected = body[2:].partition("\n")
                status, output = _run(command, tmp_path)
                statuses.append((command, status))
            else:
                assert last is not None, f"output shown for no command:\n{body}"
                command, status, output = last
                last = None
            assert _matches(_normalise(expected), _normalise(output)), f"$ {command}\n{output}"
            if command.startswith("asgiws check app") and not (tmp_path / "test_sum_protocol.py").exists():
                (tmp_path / "test_sum_protocol.py").write_text(_reproducer(output), encoding="utf-8")
            if command.startswith("asgiws check app") and "RFC-002" not in expected:
                # "The test passes now": the replayed test passes once the bug it replays is fixed.
                passed, replayed = _run("python -m pytest -p no:cacheprovider test_sum_protocol.py", tmp_path)
                assert passed == 0, replayed
                assert "1 passed" in replayed, replayed
    checks = [status for command, status in statuses if command.startswith("asgiws check app")]
    # Two bugs, then one, then none: exit status 1, 1 and 0, as the page says.
    assert checks == [1, 1, 0], statuses
    assert ("python -m pytest test_sum_protocol.py", 1) in statuses


def _sample_outputs() -> list[tuple[str, str]]:
    """Each ```bash ``asgiws check app`` command of the how-to with the ```text output after it."""
    blocks = _blocks(FRAMEWORKS.read_text(encoding="utf-8"))
    return [
        (command.strip(), output)
        for (language, command), (after, output) in pairwise(blocks)
        if language == "bash" and after == "text" and command.startswith("asgiws check app ")
    ]


def test_the_frameworks_how_to_shows_every_command_with_its_output() -> None:
    assert len(_sample_outputs()) >= 8


@pytest.mark.parametrize(("command", "expected"), _sample_outputs(), ids=[c for c, _ in _sample_outputs()])
def test_the_frameworks_how_to_shows_what_its_commands_print(command: str, expected: str) -> None:
    """Run from the top of the clone, as the page says; with ``--seed`` only the duration varies."""
    pytest.importorskip("channels")
    pytest.importorskip("litestar")
    pytest.importorskip("quart")
    pytest.importorskip("socketio")
    pytest.importorskip("strawberry")
    assert "--seed" in command
    status, output = _run(command, ROOT, stderr=False)
    assert _matches(_normalise(expected), _normalise(output)), f"$ {command}\n{output}"
    verdict = output.strip().splitlines()[-1]
    expected_status = 0 if verdict.startswith("conformant") else 3 if verdict.startswith("inconclusive") else 1
    assert status == expected_status, f"$ {command}\n{output}"
