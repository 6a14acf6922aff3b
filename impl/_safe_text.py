"""What a report may show of text the application or the server chose: every character a reader's tool would act on, written out.

An app under check controls much of what its report says: message types,
payloads, exception texts, what it printed, close reasons; a server under
check controls its log and what it sends. None of that may act on the
reader. Every format read by people (text, HTML, JUnit, SARIF) shows such
text through :func:`visible`:

* control characters (C0, DEL and C1: ``ESC`` starts a terminal's CSI and OSC
  sequences, NUL ends C strings, ``CR`` rewrites a line) are written as
  Python writes them, ``\\x1b``;
* the bidirectional controls (U+202A to U+202E, U+2066 to U+2069, U+200E,
  U+200F, U+061C), which reorder what is shown (a "Trojan Source" line), and
  the line and paragraph separators U+2028 and U+2029 likewise, ``\\u202e``;
* lone surrogates and the non-characters U+FFFE and U+FFFF, which are not
  text at all and which XML 1.0 forbids, likewise.

Everything else is kept, so that a report still quotes what the app did.
The result is valid in XML 1.0 and holds nothing a terminal interprets.
JSON is data, and keeps the app's text exactly (:func:`json_document`): it is
written in ASCII, every other character as a ``\\u`` escape, and only lone
surrogates, which some JSON parsers refuse, are written out.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_document", "visible", "well_formed"]

# Cc is C0, DEL and C1; then the bidirectional controls, the separators, the
# surrogates and the two non-characters of the Basic Multilingual Plane.
_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_ANY_ACTIVE = re.compile(f"[\x00-\x1f{_OTHERS}]")
_ACTIVE_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # tab and line feed kept
_SURROGATES = re.compile("[\ud800-\udfff]")


def _written(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with every active character written as an escape (``\\x1b``, ``\\u202e``).

    Args:
        text: text that came from the application or the server.
        lines: keep line feeds and tabs, for a block of several lines (what an
            app printed); by default they are written out too, so that one
            field cannot start a line of its own in the report.
    """
    return (_ACTIVE_BUT_LINES if lines else _ANY_ACTIVE).sub(_written, text)


def well_formed(text: str) -> str:
    """``text`` with lone surrogates written as escapes: the one change JSON needs for every parser to read it."""
    return _SURROGATES.sub(_written, text)


def json_document(document: Any) -> str:
    """``document`` as indented JSON in ASCII, every string (keys too) :func:`well_formed`, ending with a newline."""
    return json.dumps(_well_formed_strings(document), indent=2, ensure_ascii=True) + "\n"


def _well_formed_strings(value: Any) -> Any:
    if isinstance(value, str):
        return well_formed(value)
    if isinstance(value, dict):
        return {_well_formed_strings(key): _well_formed_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_well_formed_strings(item) for item in value]
    return value
