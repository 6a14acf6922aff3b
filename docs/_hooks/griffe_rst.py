"""griffe extension: read the reST conventions of asgiws's docstrings as Markdown.

The docstrings are Google style, but they name other objects with Sphinx roles
(``:func:`check_app```, ``:class:`~asgiws.ConnectionState```), introduce code
blocks with a trailing ``::``, and document attributes in ``#:`` comments above
them. Markdown and griffe know none of these, so the API reference would show
the first two verbatim and miss the third. This extension turns a role into
inline code (the last component only, for ``~``), ``text::`` into ``text:``, and
a ``#:`` comment block into the docstring of the attribute below it.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj|const):`(~?)([^`]+)`")
_LITERAL_BLOCK = re.compile(r"(?<=\S)::$", re.M)
_DOC_COMMENT = re.compile(r"^\s*#:(?: (.*)|$)")


def _role(match: re.Match[str]) -> str:
    target = match[2]
    return f"`{target.rsplit('.', 1)[-1] if match[1] else target}`"


def _doc_comment(attribute: griffe.Attribute, agent: object) -> griffe.Docstring | None:
    if not isinstance(agent, griffe.Visitor) or attribute.lineno is None:
        return None
    filepath = attribute.filepath
    if isinstance(filepath, list) or filepath not in agent.lines_collection:
        return None
    lines = agent.lines_collection[filepath]
    found: list[str] = []
    index = attribute.lineno - 2
    while index >= 0 and (match := _DOC_COMMENT.match(lines[index])):
        found.insert(0, match[1] or "")
        index -= 1
    if not found:
        return None
    return griffe.Docstring("\n".join(found), lineno=index + 2, endlineno=attribute.lineno - 1, parent=attribute)


class ReSTConventions(griffe.Extension):
    """Rewrite Sphinx roles and literal-block markers, and read ``#:`` attribute comments."""

    def on_instance(self, *, obj: griffe.Object, agent: object = None, **kwargs: Any) -> None:
        if obj.docstring is None and isinstance(obj, griffe.Attribute):
            obj.docstring = _doc_comment(obj, agent)
        if obj.docstring is not None:
            obj.docstring.value = _LITERAL_BLOCK.sub(":", _ROLE.sub(_role, obj.docstring.value))
