"""The probe application: asgiws's own ASGI app, run inside the server under test.

``asgiws check server`` starts the server with ``asgiws.conformance.probe:app``
(the ``{app}`` in its command). Each WebSocket connection carries its script
in the query string (``?id=...&app=accept,receive&t=2``); the probe acts it
out and records what the server did to it:

* the scope it was given (the keys the checks read);
* every message ``receive()`` returned, or that it blocked until the timeout;
* every ``send()``: whether it returned, blocked or raised, the exception's
  type, and whether it is an ``OSError``;
* how the application ended, and the exception it ended with.

Every wait is bounded by ``t`` seconds. The record is served as JSON over
plain HTTP at ``GET /asgiws/record?id=...&wait=S``, which waits (bounded) for
the connection's application to finish, so the checker needs nothing but
the server's port: it works the same for a server asgiws started and for one
in a container (``--url``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from .scenarios import APP_WORDS, MARK, Step, binary_payload, parse_script, reason_text, text_payload

__all__ = ["PROBE_APP", "RECORD_PATH", "WS_PATH", "ProbeFailure", "app", "decode", "encode"]

#: The import string ``{app}`` is replaced with.
PROBE_APP = "asgiws.conformance.probe:app"
#: Where the probe serves WebSocket connections, and their records.
WS_PATH, RECORD_PATH = "/asgiws/ws", "/asgiws/record"

#: The headers ``accept-headers`` sends: order matters, one name twice.
ACCEPT_HEADERS = [(b"x-asgiws-a", b"1"), (b"x-asgiws-b", b"2"), (b"x-asgiws-a", b"3")]
#: What ``deny`` sends: a header, and a body in two parts.
DENY_HEADERS = [(b"content-type", b"text/plain"), (b"x-asgiws-deny", b"1")]
DENY_BODY = (b"den", b"ied")

Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


class ProbeFailure(RuntimeError):
    """What the probe raises when a script says ``raise``."""


def encode(value: Any) -> Any:
    """A message (or any value) as JSON: bytes become ``{"$bytes": hex}``, tuples lists."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {"$repr": repr(value)}


def decode(value: Any) -> Any:
    """The inverse of :func:`encode` (a ``$repr`` stays a dict)."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return bytes.fromhex(value["$bytes"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


class _Records:
    """Finished and running records by connection id, safe across threads and event loops."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: dict[str, dict[str, Any]] = {}
        self.waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]] = {}

    def start(self, key: str, record: dict[str, Any]) -> None:
        with self.lock:
            self.records[key] = record

    def finish(self, key: str) -> None:
        with self.lock:
            self.records[key]["done"] = True
            waiters = self.waiters.pop(key, [])
        for loop, future in waiters:
            loop.call_soon_threadsafe(_settle, future)

    async def wait(self, key: str, timeout: float, start: float) -> dict[str, Any] | None:
        """The finished record, waiting up to ``timeout``; a record not even started gets ``start`` seconds."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self.lock:
            record = self.records.get(key)
            if record is not None and record.get("done"):
                return self.records.pop(key)
            self.waiters.setdefault(key, []).append((loop, future))
            started = record is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(future), timeout if started else start)
        with self.lock:
            started = key in self.records
        if not future.done() and started:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, timeout)
        with self.lock:
            record = self.records.get(key)
            if record is not None and record.get("done"):
                self.records.pop(key)
            return record


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


RECORDS = _Records()


def _scope_view(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    keep = ("type", "asgi", "http_version", "scheme", "path", "raw_path", "query_string", "root_path", "headers", "client", "server", "subprotocols")
    view = {key: encode(scope[key]) for key in keep if key in scope}
    extensions = scope.get("extensions")
    view["extensions"] = sorted(extensions) if isinstance(extensions, dict) else encode(extensions)
    return view


def _error(error: BaseException) -> dict[str, Any]:
    return {"raised": type(error).__name__, "module": type(error).__module__, "oserror": isinstance(error, OSError), "text": str(error)[:200]}


async def _send(record: dict[str, Any], step: Step, send: Send, message: dict[str, Any], timeout: float) -> None:
    entry: dict[str, Any] = {"step": str(step), "sent": encode(message)}
    record["steps"].append(entry)
    begun = time.monotonic()
    try:
        await asyncio.wait_for(send(message), timeout)
    except TimeoutError:
        entry["blocked"] = True
    except Exception as error:
        entry.update(_error(error))
    else:
        entry["returned"] = True
    entry["ms"] = round((time.monotonic() - begun) * 1000, 1)


def _message(step: Step, denial: bool) -> dict[str, Any] | None:
    name = step.name
    if name == "accept":
        return {"type": "websocket.accept", **({"subprotocol": step.args[0]} if step.args else {})}
    if name == "accept-headers":
        return {"type": "websocket.accept", "headers": ACCEPT_HEADERS}
    if name == "send-text":
        return {"type": "websocket.send", "text": text_payload(step.int_arg(0))}
    if name == "send-bytes":
        return {"type": "websocket.send", "bytes": binary_payload(step.int_arg(0))}
    if name == "send-both":
        return {"type": "websocket.send", "bytes": b"both", "text": "both"}
    if name == "send-neither":
        return {"type": "websocket.send"}
    if name == "mark":
        return {"type": "websocket.send", "bytes": MARK}
    if name == "close":
        message: dict[str, Any] = {"type": "websocket.close"}
        if step.args:
            message["code"] = step.int_arg(0)
        if len(step.args) > 1:
            message["reason"] = reason_text(step.int_arg(1))
        return message
    if name == "close-none":
        return {"type": "websocket.close", "code": None}
    if name == "deny" and denial:
        return {"type": "websocket.http.response.start", "status": step.int_arg(0), "headers": DENY_HEADERS}
    return None


async def _act(scope: MutableMapping[str, Any], receive: Receive, send: Send, *, key: str, script: str, timeout: float) -> None:
    record: dict[str, Any] = {"id": key, "scope": _scope_view(scope), "steps": [], "done": False}
    RECORDS.start(key, record)
    denial = isinstance(scope.get("extensions"), dict) and "websocket.http.response" in scope["extensions"]
    try:
        await _receive(record, Step("receive"), receive, timeout)  # websocket.connect, as every app does first
        for step in parse_script(script, APP_WORDS):
            if step.name == "receive":
                if record.get("disconnected"):  # an application stops receiving at the disconnect (AMB-17)
                    record["steps"].append({"step": "receive", "skipped": "after the disconnect"})
                else:
                    await _receive(record, step, receive, timeout)
            elif step.name == "raise":
                record["steps"].append({"step": "raise"})
                raise ProbeFailure("asgiws probe: the scenario raises here")
            elif step.name == "return":
                break
            elif (message := _message(step, denial)) is not None:
                await _send(record, step, send, message, timeout)
                if step.name == "deny":
                    for part, more in zip(DENY_BODY, (True, False), strict=True):
                        body = {"type": "websocket.http.response.body", "body": part, "more_body": more}
                        await _send(record, Step("deny-body"), send, body, timeout)
            else:  # a denial without the extension: refuse the plain way instead
                record["steps"].append({"step": str(step), "skipped": "the server does not advertise websocket.http.response"})
                await _send(record, Step("close"), send, {"type": "websocket.close"}, timeout)
        record["ended"] = "returned"
    except ProbeFailure:
        record["ended"] = "raised"
        raise
    except asyncio.CancelledError:
        record["ended"] = "cancelled"
        raise
    finally:
        RECORDS.finish(key)


async def _receive(record: dict[str, Any], step: Step, receive: Receive, timeout: float) -> None:
    entry: dict[str, Any] = {"step": str(step)}
    record["steps"].append(entry)
    begun = time.monotonic()
    try:
        message = await asyncio.wait_for(receive(), timeout)
        entry["got"] = encode(message)
        if isinstance(message, dict) and message.get("type") == "websocket.disconnect":
            record["disconnected"] = True
    except TimeoutError:
        entry["blocked"] = True
    except Exception as error:
        entry.update(_error(error))
    entry["ms"] = round((time.monotonic() - begun) * 1000, 1)


async def _http(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    query = parse_qs(scope.get("query_string", b"").decode())
    status, body = 404, b'{"error": "not found"}'
    if scope.get("path") == RECORD_PATH and "id" in query:
        wait = float(query.get("wait", ["2"])[0])
        record = await RECORDS.wait(query["id"][0], wait, float(query.get("start", [wait])[0]))
        status, body = 200, json.dumps(record if record is not None else {"missing": True}).encode()
    elif scope.get("path") == "/":
        status, body = 200, b'{"probe": "asgiws"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    """The probe: acts out the script in a WebSocket connection's query string, serves records over HTTP."""
    if scope["type"] == "http":
        await _http(scope, receive, send)
        return
    if scope["type"] == "lifespan":  # nothing to set up
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    query = parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True)
    key = query.get("id", ["anonymous"])[0]
    await _act(scope, receive, send, key=key, script=query.get("app", [""])[0], timeout=float(query.get("t", ["2"])[0]))
