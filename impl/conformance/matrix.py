"""``asgiws check server --matrix FILE``: several server setups, one report with a server-by-scenario table.

The file is TOML: a list of named setups, each a command (``{app}``,
``{port}`` and ``{python}``, this interpreter, are filled in) and the
distributions whose versions the report records::

    [[setup]]
    name = "uvicorn (wsproto)"
    command = ["{python}", "-m", "uvicorn", "{app}", "--port", "{port}", "--ws", "wsproto"]
    packages = ["uvicorn", "wsproto"]

Setups run one after the other (each runs its scenarios in parallel); a
setup that does not start is reported with its error and the others still run.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from .scenarios import Scenario
from .server import ServerStartError, check_server
from .server_report import Matrix, ServerReport

__all__ = ["load_setups", "run_matrix"]


def load_setups(path: str | Path) -> list[dict[str, Any]]:
    """The setups of a matrix file, checked.

    Raises:
        ValueError: the file is not TOML, or a setup lacks a name or a command.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"cannot read the matrix {path}: {error}") from None
    setups = data.get("setup")
    if not isinstance(setups, list) or not setups:
        raise ValueError(f"{path}: no [[setup]] entries")
    for setup in setups:
        if not isinstance(setup.get("name"), str) or not isinstance(setup.get("command"), list):
            raise ValueError(f"{path}: every [[setup]] needs a name and a command list")
    return setups


def _versions(packages: Sequence[str]) -> dict[str, str]:
    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def run_matrix(
    path: str | Path,
    *,
    scenarios: Sequence[Scenario] | None = None,
    timeout: float = 2.0,
    jobs: int = 8,
    spec_version: str | None = None,
) -> Matrix:
    """Check every setup in the matrix file; a setup that does not start gets a report with its error."""
    matrix = Matrix()
    for setup in load_setups(path):
        command = [str(part).replace("{python}", sys.executable) for part in setup["command"]]
        versions = _versions(setup.get("packages", []))
        try:
            report = check_server(command, scenarios=scenarios, timeout=timeout, jobs=jobs, spec_version=spec_version)
        except ServerStartError as error:
            report = ServerReport(" ".join(command), {"spec_version": None, "extensions": []}, [], error=str(error).splitlines()[0])
        matrix.setups.append((setup["name"], versions, report))
    return matrix
