"""The documentation tells the truth: generated pages are fresh, and every example runs.

Python examples are written as interactive sessions in ```pycon blocks and run
as doctests; ``$ asgiws ...`` lines in ```console blocks are run and their output
compared. Commands piped into other tools are left to the reader.
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

from asgiws._export import spec_markdown
from asgiws.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]


def test_the_spec_reference_page_matches_the_spec() -> None:
    page = (ROOT / "docs" / "reference" / "spec.md").read_text(encoding="utf-8")
    assert page == spec_markdown(), "docs/reference/spec.md is stale: run `asgiws spec --format markdown --output docs/reference/spec.md`"


def _blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("path", [p for p in PAGES if _blocks(p, "pycon")], ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run_as_shown(path: Path) -> None:
    source = "\n\n".join(_blocks(path, "pycon"))
    test = doctest.DocTestParser().get_doctest(source, {}, path.name, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def _commands() -> list[tuple[Path, str, str]]:
    found = []
    for path in PAGES:
        for block in _blocks(path, "console"):
            for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
                command, _, expected = chunk.partition("\n")
                if command.startswith("asgiws ") and "|" not in command and "--output" not in command:
                    found.append((path, command, expected))
    return found


@pytest.mark.parametrize(("path", "command", "expected"), _commands(), ids=lambda v: v if isinstance(v, str) and v.startswith("asgiws") else "")
def test_console_examples_print_what_they_show(path: Path, command: str, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(shlex.split(command)[1:])
    captured = capsys.readouterr()
    assert (captured.out + captured.err).strip() == expected.strip(), f"{path.relative_to(ROOT)}: {command}"
