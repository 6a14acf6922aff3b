"""How each kind of edge looks, shared by every format.

Mid-tone colours read on both a light and a dark page; nodes are filled light
grey with dark text so that they stay legible on a transparent background.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import EdgeKind

__all__ = ["NODE", "STYLES", "Style"]


@dataclass(frozen=True)
class Style:
    """The look of one edge kind."""

    color: str
    line: str  # "solid", "dashed" or "dotted"
    width: float = 1.2


STYLES: dict[EdgeKind, Style] = {
    EdgeKind.RECEIVE: Style("#1f77b4", "solid"),
    EdgeKind.SEND: Style("#e07b00", "solid"),
    EdgeKind.JOINT: Style("#9467bd", "dashed"),
    EdgeKind.SIGNAL: Style("#7f7f7f", "dotted"),
    EdgeKind.REFUSED: Style("#d62728", "dotted"),
    EdgeKind.EXERCISED: Style("#2ca02c", "solid", 2.2),
    EdgeKind.MISSED: Style("#d62728", "dashed"),
}

#: Node fill, border and text colours.
NODE = {"fill": "#f4f4f4", "border": "#555555", "text": "#222222"}
