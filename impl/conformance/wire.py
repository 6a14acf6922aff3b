"""asgiws's own WebSocket client, on a raw socket, recording exactly what reached the wire.

A client library refuses to send an invalid close code or a 126-byte Ping,
and hides how the server ended the connection; this one sends what a
scenario says and writes down what came back:

* the HTTP response to the upgrade: status, headers in order and case, body;
* every frame, with its opcode, FIN and RSV bits, mask, length, payload and,
  for a Close, its code and reason (or why its body is malformed);
* whether and when the TCP connection closed, and whether a Close frame came first.

Every wait is bounded by the scenario's timeout and ends as soon as the
awaited bytes arrive (``asyncio.wait_for`` on the stream, no polling).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .scenarios import MARK, Step, binary_payload, reason_text, text_payload

__all__ = ["ACCEPT_GUID", "Frame", "WireRecord", "accept_key", "encode_frame", "parse_close", "run_client"]

#: RFC 6455 §1.3: appended to the key before hashing.
ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OPCODES = {0x0: "cont", 0x1: "text", 0x2: "binary", 0x8: "close", 0x9: "ping", 0xA: "pong"}
_MAX_HEAD = 65536


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer ``key`` with (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + ACCEPT_GUID).encode(), usedforsecurity=False).digest()).decode()


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, mask: bytes | None = b"\x37\xfa\x21\x3d") -> bytes:
    """One frame; ``mask`` None sends it unmasked (as a server does, and a client must not)."""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask is not None else 0
    size = len(payload)
    if size < 126:
        head += bytes([bit | size])
    elif size < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_payload(code: int | None, reason: str = "") -> bytes:
    """A Close frame's body: nothing, or the code and the reason's UTF-8."""
    return b"" if code is None else struct.pack("!H", code) + reason.encode()


def parse_close(payload: bytes) -> tuple[int | None, str | None, str | None]:
    """(code, reason, problem) of a Close body; ``problem`` names what makes it malformed."""
    if not payload:
        return None, None, None
    if len(payload) == 1:
        return None, None, "one-byte body"
    code = struct.unpack("!H", payload[:2])[0]
    try:
        return code, payload[2:].decode(), None
    except UnicodeDecodeError:
        return code, None, "reason is not UTF-8"


@dataclass
class Frame:
    """One frame as it arrived."""

    at_ms: float
    opcode: str
    fin: bool
    rsv: int
    masked: bool
    payload: bytes

    def to_json(self) -> dict[str, Any]:
        """The frame for a report: the payload shortened, a Close decoded."""
        out: dict[str, Any] = {"at_ms": round(self.at_ms, 1), "opcode": self.opcode, "fin": self.fin, "length": len(self.payload)}
        if self.rsv:
            out["rsv"] = self.rsv
        if self.masked:
            out["masked"] = True
        if self.opcode == "close":
            code, reason, problem = parse_close(self.payload)
            out.update(code=code, reason=reason)
            if problem:
                out["problem"] = problem
        elif self.opcode == "text":
            out["text"] = self.payload[:80].decode(errors="replace")
        else:
            out["hex"] = self.payload[:40].hex()
        return out


@dataclass
class WireRecord:
    """Everything the client saw on one connection.

    Attributes:
        status: the HTTP status of the response; None when none came.
        headers: the response headers, as sent (name, value), in order.
        body: the body of a response that was not a 101.
        response: "ok", "closed" (TCP closed without a response) or "timeout".
        frames: every frame from the server, in order.
        messages: the data messages reassembled from them: (kind, payload).
        tcp_closed_ms: when the server closed the TCP connection (None: it did not, within the timeout).
        close_frame_first: whether a Close frame arrived before the TCP connection closed.
        sent: what the client did, step by step, with anything notable.
        key: the Sec-WebSocket-Key sent.
    """

    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    response: str = "timeout"
    frames: list[Frame] = field(default_factory=list)
    tcp_closed_ms: float | None = None
    sent: list[str] = field(default_factory=list)
    key: str = ""
    vanished: bool = False
    sent_close: bool = False

    @property
    def upgraded(self) -> bool:
        """Whether the server answered 101."""
        return self.status == 101

    def header(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def close_frames(self) -> list[Frame]:
        """The Close frames the server sent."""
        return [f for f in self.frames if f.opcode == "close"]

    @property
    def close_frame_first(self) -> bool:
        """Whether the server sent a Close frame (before closing TCP, if it did)."""
        return bool(self.close_frames())

    def messages(self) -> list[tuple[str, bytes]]:
        """The data messages, reassembled from their fragments."""
        out: list[tuple[str, bytes]] = []
        current: tuple[str, bytearray] | None = None
        for frame in self.frames:
            if frame.opcode in {"text", "binary"}:
                current = (frame.opcode, bytearray(frame.payload))
            elif frame.opcode == "cont" and current is not None:
                current[1].extend(frame.payload)
            else:
                continue
            if frame.fin:
                out.append((current[0], bytes(current[1])))
                current = None
        return out

    def to_json(self) -> dict[str, Any]:
        """The client's view for a report."""
        return {
            "response": self.response,
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            **({"body": self.body[:200].decode(errors="replace")} if self.body else {}),
            "frames": [f.to_json() for f in self.frames],
            "tcp_closed_ms": None if self.tcp_closed_ms is None else round(self.tcp_closed_ms, 1),
            "close_frame_first": self.close_frame_first,
            "did": self.sent,
        }


class _Conn:
    """One connection's streams, clock and deadline-bounded reads."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: WireRecord, timeout: float) -> None:
        self.reader, self.writer, self.record, self.timeout = reader, writer, record, timeout
        self.start = time.monotonic()
        self.eof = False

    def now(self) -> float:
        return (time.monotonic() - self.start) * 1000

    async def read_exactly(self, size: int) -> bytes | None:
        """``size`` bytes; None at EOF or after the timeout (the EOF is noted)."""
        try:
            return await asyncio.wait_for(self.reader.readexactly(size), self.timeout)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed()
        except TimeoutError:
            pass
        return None

    def closed(self) -> None:
        if not self.eof:
            self.eof = True
            self.record.tcp_closed_ms = self.now()

    async def read_frame(self) -> Frame | None:
        """The next frame; None at EOF or after the timeout."""
        head = await self.read_exactly(2)
        if head is None:
            return None
        size = head[1] & 0x7F
        extra = {126: 2, 127: 8}.get(size, 0)
        if extra:
            more = await self.read_exactly(extra)
            if more is None:
                return None
            size = int.from_bytes(more, "big")
        masked = bool(head[1] & 0x80)
        key = await self.read_exactly(4) if masked else b""
        payload = await self.read_exactly(size) if size else b""
        if key is None or payload is None:
            return None
        if masked:
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        opcode = OPCODES.get(head[0] & 0x0F, f"op{head[0] & 0x0F:x}")
        frame = Frame(self.now(), opcode, bool(head[0] & 0x80), (head[0] >> 4) & 0x7, masked, payload)
        self.record.frames.append(frame)
        return frame

    async def answer(self, frame: Frame) -> None:
        """What a well-behaved client does with a control frame: Pong a Ping, echo a Close once."""
        if frame.opcode == "ping":
            await self.send(encode_frame(0xA, frame.payload), "pong")
        elif frame.opcode == "close" and not self.record.sent_close:
            code, _, _ = parse_close(frame.payload)
            await self.send(encode_frame(0x8, close_payload(code)), "close echo")
            self.record.sent_close = True

    async def send(self, data: bytes, what: str) -> None:
        self.record.sent.append(f"{what} @{self.now():.0f}ms")
        if self.eof:
            return
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.timeout)
        except (ConnectionError, TimeoutError):
            self.record.sent[-1] += " (failed)"


def _request(host: str, port: int, path: str, key: str, offer: Sequence[Sequence[str]]) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"Sec-WebSocket-Protocol: {', '.join(values)}" for values in offer),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_response(conn: _Conn) -> None:
    record = conn.record
    try:
        head = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), conn.timeout)
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        record.response = "closed"
        conn.closed()
        return
    except TimeoutError:
        return
    record.response = "ok"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    record.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    for line in filter(None, header_lines):
        name, _, value = line.partition(":")
        record.headers.append((name.strip(), value.strip()))
    if record.status == 101:
        return
    await _read_body(conn)


async def _read_body(conn: _Conn) -> None:
    record = conn.record
    length = record.header("content-length")
    if length:
        record.body = await conn.read_exactly(int(length[0])) or b""
        return
    if "chunked" in ",".join(record.header("transfer-encoding")).lower():
        while (line := await _read_line(conn)) is not None:
            size = int(line.split(b";")[0].strip() or b"0", 16)
            chunk = await conn.read_exactly(size + 2) if size else None
            if chunk is None:
                return
            record.body += chunk[:-2]
        return
    with contextlib.suppress(ConnectionError, TimeoutError):
        record.body = await asyncio.wait_for(conn.reader.read(_MAX_HEAD), conn.timeout)


async def _read_line(conn: _Conn) -> bytes | None:
    try:
        return await asyncio.wait_for(conn.reader.readuntil(b"\r\n"), conn.timeout)
    except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, asyncio.LimitOverrunError):
        return None


_BAD: dict[str, tuple[int, bytes, dict[str, Any]]] = {
    "unmasked": (0x1, b"bad", {"mask": None}),
    "rsv1": (0x1, b"bad", {"rsv": 4}),
    "opcode3": (0x3, b"bad", {}),
    "bigping": (0x9, b"p" * 126, {}),
    "fragping": (0x9, b"p", {"fin": False}),
    "utf8": (0x1, b"\xff\xfe", {}),
    "orphan": (0x0, b"bad", {}),
    "close1byte": (0x8, b"\x03", {}),
    "close1005": (0x8, struct.pack("!H", 1005), {}),
    "close999": (0x8, struct.pack("!H", 999), {}),
}


async def _play(conn: _Conn, step: Step) -> None:
    name = step.name
    if name == "text":
        await conn.send(encode_frame(0x1, text_payload(step.int_arg(0)).encode()), str(step))
    elif name == "binary":
        await conn.send(encode_frame(0x2, binary_payload(step.int_arg(0))), str(step))
    elif name == "frag":
        data = text_payload(step.int_arg(0)).encode()
        parts = step.int_arg(1)
        cut = max(1, len(data) // parts)
        pieces = [data[i * cut : (i + 1) * cut] for i in range(parts - 1)] + [data[(parts - 1) * cut :]]
        frames = b"".join(encode_frame(0x1 if i == 0 else 0x0, piece, fin=i == parts - 1) for i, piece in enumerate(pieces))
        await conn.send(frames, str(step))
    elif name == "ping":
        await conn.send(encode_frame(0x9, binary_payload(step.int_arg(0))), str(step))
    elif name in {"close", "close-empty"}:
        code = step.int_arg(0) if step.args else None
        await conn.send(encode_frame(0x8, close_payload(code, reason_text(step.int_arg(1, 0)))), str(step))
        conn.record.sent_close = True
    elif name == "bad":
        opcode, payload, options = _BAD[step.args[0]]
        await conn.send(encode_frame(opcode, payload, **options), str(step))
        conn.record.sent_close = opcode == 0x8
    elif name == "read":
        frame = await conn.read_frame()
        conn.record.sent.append(f"read {frame.opcode if frame else 'nothing'} @{conn.now():.0f}ms")
    else:  # mark
        while (frame := await conn.read_frame()) is not None:
            await conn.answer(frame)
            if frame.opcode == "binary" and frame.payload == MARK:
                break
        conn.record.sent.append(f"mark {'seen' if frame else 'missing'} @{conn.now():.0f}ms")


async def _drain(conn: _Conn) -> None:
    """Read until the server closes the connection, answering as a good client does.

    The client waits twice as long as the probe does, so that a server which
    closes only once the application has given up is seen doing so.
    """
    conn.timeout *= 2
    while not conn.eof and (frame := await conn.read_frame()) is not None:
        await conn.answer(frame)


async def run_client(
    host: str,
    port: int,
    path: str,
    steps: Sequence[Step],
    *,
    offer: Sequence[Sequence[str]] = (),
    timeout: float = 2.0,
) -> WireRecord:
    """Connect, send the upgrade for ``path``, play ``steps``, read until the server closes; return what was seen."""
    record = WireRecord(key=base64.b64encode(os.urandom(16)).decode())
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as error:
        record.response = f"connect failed: {type(error).__name__}"
        return record
    conn = _Conn(reader, writer, record, timeout)
    try:
        await conn.send(_request(host, port, quote(path, safe="/?=&:,;%"), record.key, offer), "upgrade request")
        steps = list(steps)
        if steps and steps[0].name == "vanish":
            record.vanished = True
            record.sent.append(f"vanish @{conn.now():.0f}ms")
            return record
        await _read_response(conn)
        if record.upgraded:
            for step in steps:
                if step.name == "vanish":
                    record.vanished = True
                    record.sent.append(f"vanish @{conn.now():.0f}ms")
                    return record
                if step.name != "upgrade":
                    await _play(conn, step)
            await _drain(conn)
        elif not conn.eof:
            await _drain_http(conn)
        return record
    finally:
        if record.vanished:
            writer.transport.abort()
        else:
            writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout)


async def _drain_http(conn: _Conn) -> None:
    # After a refusal the server should close; wait for it (bounded, and longer than the probe waits) to know whether it did.
    conn.timeout *= 2
    try:
        rest = await asyncio.wait_for(conn.reader.read(_MAX_HEAD), conn.timeout)
    except (ConnectionError, TimeoutError):
        return
    if not rest:
        conn.closed()
