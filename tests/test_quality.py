"""The project's own standards, run as tests so that one `pytest` checks everything.

mypy cannot follow setuptools' default editable install of a remapped package
(``impl/`` -> ``asgiws``), so it checks a symlink farm laid out the way the
wheel is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, env=env)


def test_ruff_lint_is_clean() -> None:
    result = _run(_tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(_tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def _package_farm(target: Path) -> Path:
    package = target / "asgiws"
    package.mkdir(parents=True)
    for source in (ROOT / "impl").iterdir():
        if source.name != "__pycache__":
            (package / source.name).symlink_to(source)
    (package / "spec").symlink_to(ROOT / "spec")
    return target


def test_mypy_strict_passes(tmp_path: Path) -> None:
    farm = _package_farm(tmp_path / "src")
    env = {**os.environ, "MYPYPATH": str(farm)}
    cache = str(ROOT / ".mypy_cache")
    package = _run(_tool("mypy"), "--cache-dir", cache, "-p", "asgiws", env=env)
    assert package.returncode == 0, package.stdout + package.stderr
    checked = [str(p.relative_to(ROOT)) for p in (ROOT / "tests", ROOT / "bench", ROOT / "examples") if any(p.rglob("*.py"))]
    others = _run(_tool("mypy"), "--cache-dir", cache, *checked, env=env)
    assert others.returncode == 0, others.stdout + others.stderr


@pytest.mark.skipif(shutil.which(_tool("mkdocs")) is None, reason="mkdocs is part of the dev extra")
def test_the_docs_build_in_strict_mode(tmp_path: Path) -> None:
    result = _run(_tool("mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site"))
    assert result.returncode == 0, result.stdout + result.stderr
