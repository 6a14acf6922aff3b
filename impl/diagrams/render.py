"""Laying DOT out as SVG or PNG: pygraphviz's bundled engine, else a ``dot`` on PATH.

pygraphviz's Linux wheels carry Graphviz's layout library, so ``pip install
'asgiws[diagrams]'`` is all a fresh machine needs. Without it, the ``graphviz``
package can still run a system ``dot``. Without either, the error says what to
install; DOT and Mermaid text never need an engine.
"""

from __future__ import annotations

import shutil

__all__ = ["FORMATS", "RenderError", "render"]

#: Formats that need a layout engine.
FORMATS = ("svg", "png")


class RenderError(RuntimeError):
    """No layout engine is available to turn DOT into SVG or PNG."""


def render(dot: str, fmt: str) -> bytes:
    """Lay ``dot`` out and return it as ``fmt`` (``"svg"`` or ``"png"``).

    Raises:
        RenderError: when neither pygraphviz nor a ``dot`` executable is available.
    """
    if fmt not in FORMATS:
        msg = f"cannot render {fmt!r}; choose one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    try:
        import pygraphviz
    except ImportError:
        return _render_with_dot(dot, fmt)
    data: bytes = pygraphviz.AGraph(string=dot).draw(format=fmt, prog="dot")
    return data


def _render_with_dot(dot: str, fmt: str) -> bytes:
    if shutil.which("dot") is None:
        msg = "rendering SVG or PNG needs a layout engine: pip install 'asgiws[diagrams]' (or install Graphviz's `dot`)"
        raise RenderError(msg)
    try:
        import graphviz
    except ImportError as error:
        msg = "a `dot` was found but the `graphviz` package is missing: pip install 'asgiws[diagrams]'"
        raise RenderError(msg) from error
    data: bytes = graphviz.Source(dot).pipe(format=fmt)
    return data
