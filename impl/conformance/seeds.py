"""Example client messages for ``asgiws check app``: what a protocol's clients really send.

Random text never gets past the first message of a GraphQL, RPC or Socket.IO
server, so without examples only their error paths are tested. A seed file
gives them: one message per line, a JSON document sent as text, or
``text: ...`` for other text, or ``bytes: BASE64`` for binary. Lines under
``[opening]`` are what clients send first, in order (a protocol's greeting);
lines under ``[messages]`` (or before any section) are examples, which the
exploration mixes with random data and mutates. Blank lines and lines starting
with ``#`` are comments.

asgiws ships seeds for the common subprotocols, by name: ``graphql-transport-ws``
and ``graphql-ws``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..engine import SendBytes, SendText

__all__ = ["SHIPPED_SEEDS", "SeedError", "Seeds", "load_seeds"]

#: The seed sets asgiws ships, by name.
SHIPPED_SEEDS = ("graphql-transport-ws", "graphql-ws")


class SeedError(ValueError):
    """A seed file that cannot be read, or a line in it that is not a message."""


@dataclass(frozen=True)
class Seeds:
    """What a seed file holds: the opening clients send first, and example messages."""

    opening: tuple[SendText | SendBytes, ...] = ()
    messages: tuple[SendText | SendBytes, ...] = ()


def load_seeds(source: str) -> Seeds:
    """Read a seed file, or one of :data:`SHIPPED_SEEDS` by name.

    Raises:
        SeedError: the file is missing or a line is not a message; the error names the line.
    """
    if source in SHIPPED_SEEDS:
        text = resources.files(__package__).joinpath("seeds", f"{source}.txt").read_text(encoding="utf-8")
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            msg = f"cannot read the seed file {source!r} ({error}); shipped seeds: {', '.join(SHIPPED_SEEDS)}"
            raise SeedError(msg) from None
    sections: dict[str, list[SendText | SendBytes]] = {"opening": [], "messages": []}
    section = "messages"
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("[opening]", "[messages]"):
            section = line[1:-1]
            continue
        sections[section].append(_message(line, f"{source}:{number}"))
    return Seeds(tuple(sections["opening"]), tuple(sections["messages"]))


def _message(line: str, where: str) -> SendText | SendBytes:
    if line.startswith("text:"):
        return SendText(line.removeprefix("text:").removeprefix(" "))
    if line.startswith("bytes:"):
        try:
            return SendBytes(base64.b64decode(line.removeprefix("bytes:").strip(), validate=True))
        except binascii.Error:
            msg = f"{where}: 'bytes:' takes base64"
            raise SeedError(msg) from None
    try:
        json.loads(line)
    except ValueError:
        msg = f"{where}: not a JSON document; write 'text: ...' for other text or 'bytes: BASE64' for binary"
        raise SeedError(msg) from None
    return SendText(line)
