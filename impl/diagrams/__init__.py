"""Diagrams of the spec's machines: DOT, Mermaid, SVG and PNG, read from the tables.

``diagram("joint", fmt="svg")`` is the one call most people need; the parts
(:func:`build_graph`, :func:`to_dot`, :func:`to_mermaid`, :func:`render`) are
here for those who want to change something on the way.
"""

from __future__ import annotations

from pathlib import Path

from ..coverage import Coverage
from ..spec import LATEST_VERSION, SpecVersion
from .dot import HEADER, to_dot
from .graph import MACHINES, Edge, EdgeKind, Graph, build_graph
from .mermaid import to_mermaid
from .render import FORMATS, RenderError, render

__all__ = [
    "COMMITTED",
    "FORMATS",
    "MACHINES",
    "SUFFIXES",
    "Edge",
    "EdgeKind",
    "Graph",
    "RenderError",
    "build_graph",
    "diagram",
    "render",
    "to_dot",
    "to_mermaid",
    "write_all",
]


def diagram(
    machine: str = "joint",
    fmt: str = "dot",
    *,
    version: SpecVersion = LATEST_VERSION,
    denial: bool = True,
    clauses: bool = False,
    forbidden: bool = False,
    coverage: Coverage | None = None,
) -> str | bytes:
    """One machine as ``"dot"`` or ``"mermaid"`` text, or as ``"svg"`` or ``"png"`` bytes.

    The arguments after ``fmt`` are those of :func:`build_graph`.

    Raises:
        ValueError: for an unknown machine or format.
        RenderError: for SVG or PNG when no layout engine is installed.
    """
    graph = build_graph(machine, version=version, denial=denial, clauses=clauses, forbidden=forbidden, coverage=coverage)
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "mermaid":
        return to_mermaid(graph)
    image = render(to_dot(graph), fmt)
    if fmt == "svg":
        # Say where the picture comes from, as the text formats do.
        declaration, _, rest = image.partition(b"\n")
        image = declaration + b"\n<!-- " + HEADER.strip("/ \n").encode() + b" -->\n" + rest
    return image


#: Where each file of ``diagrams/`` comes from: (file stem, machine, denial).
COMMITTED = (("receive", "receive", True), ("send", "send", True), ("joint", "joint", True), ("joint-no-denial", "joint", False))
#: The file suffix of each format.
SUFFIXES = {"dot": "dot", "mermaid": "mmd", "svg": "svg", "png": "png"}


def write_all(directory: Path, formats: tuple[str, ...] = ("dot", "mermaid", "svg", "png")) -> list[Path]:
    """Write every committed diagram of the repository's ``diagrams/`` folder into ``directory``."""
    written = []
    for stem, machine, denial in COMMITTED:
        for fmt in formats:
            path = directory / f"{stem}.{SUFFIXES[fmt]}"
            content = diagram(machine, fmt, denial=denial)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)
            written.append(path)
    return written
