"""``asgiws check server``: start a server with the probe app, run the scenarios, judge both views.

:func:`check_server` runs a server command (``{app}`` and ``{port}`` filled
in), waits until it answers on 127.0.0.1, plays the scenarios against it in
parallel, and stops it: its whole process group, by the PID it was started
with, and nothing else. :func:`check_url` does the same for a server the user
started with the probe app. Both return a :class:`ServerReport`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .._context import parse_version
from ..spec import DEFAULT_VERSION, LATEST_VERSION, SpecVersion
from ..spec.server import UNIVERSAL_RULES, Verdict
from .probe import PROBE_APP, RECORD_PATH, WS_PATH
from .scenarios import Scenario, catalogue
from .server_report import ScenarioResult, ServerReport
from .verdicts import Check, Evidence, judge, worst
from .wire import run_client

__all__ = ["RunningServer", "ServerStartError", "check_server", "check_url", "free_port", "run_scenarios", "start_server", "stop_server"]

HOST = "127.0.0.1"


class ServerStartError(Exception):
    """The server command could not be started, or did not answer in time."""


def free_port() -> int:
    """A port nothing listens on at the moment, on the loopback interface."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningServer:
    """A server process asgiws started: its PID (also its process group), port and log."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    command: list[str] = field(default_factory=list)


def substitute(command: Sequence[str], port: int, app: str = PROBE_APP) -> list[str]:
    """The command with ``{app}`` and ``{port}`` filled in."""
    return [part.replace("{app}", app).replace("{port}", str(port)) for part in command]


async def _answers(port: int, timeout: float) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        return bool(await asyncio.wait_for(reader.read(12), timeout))
    except (OSError, TimeoutError):
        return False
    finally:
        await _closed(writer)


async def _closed(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


def start_server(command: Sequence[str], *, startup: float = 20.0, log_dir: Path | None = None) -> RunningServer:
    """Start ``command`` in its own process group and wait (bounded) until it answers HTTP on its port.

    Raises:
        ServerStartError: it could not be started, exited, or did not answer within ``startup`` seconds
            (it is stopped then).
    """
    port = free_port()
    argv = substitute(command, port)
    fd, name = tempfile.mkstemp(prefix="asgiws-server-", suffix=".log", dir=log_dir)
    log = Path(name)
    try:
        process = subprocess.Popen(argv, stdout=fd, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        os.close(fd)
        raise ServerStartError(f"cannot start {shlex.join(argv)}: {error}") from None
    os.close(fd)
    server = RunningServer(process, port, log, argv)
    deadline = time.monotonic() + startup
    delay = 0.02
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"{shlex.join(argv)} exited with {process.returncode}; its log:\n{_tail(log)}")
        if asyncio.run(_answers(port, 1.0)):
            return server
        time.sleep(delay)  # nothing to wait on but the port itself; back off, bounded by the deadline
        delay = min(delay * 2, 0.25)
    stop_server(server)
    raise ServerStartError(f"{shlex.join(argv)} did not answer on {HOST}:{port} within {startup} s; its log:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop_server(server: RunningServer, *, grace: float = 5.0) -> None:
    """Stop the server's process group (SIGTERM, then SIGKILL after ``grace`` seconds); only the group it was started in."""
    process = server.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:  # pragma: no cover - only for a server that ignores SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):  # workers left behind in the group
        os.killpg(process.pid, signal.SIGKILL)


async def _fetch_record(port: int, key: str, wait: float, start: float | None = None) -> dict[str, Any] | None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), wait)
    except (OSError, TimeoutError):
        return None
    try:
        query = f"id={key}&wait={wait}&start={wait if start is None else start}"
        writer.write(f"GET {RECORD_PATH}?{query} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        raw = await asyncio.wait_for(reader.read(), wait + 2)
    except (OSError, TimeoutError):
        return None
    finally:
        await _closed(writer)
    _, _, body = raw.partition(b"\r\n\r\n")
    try:
        record: dict[str, Any] = json.loads(body)
    except ValueError:
        return None
    return None if record.get("missing") else record


def _version(record: dict[str, Any] | None, forced: SpecVersion | None) -> SpecVersion:
    if forced is not None:
        return forced
    advertised = ((record or {}).get("scope", {}).get("asgi") or {}).get("spec_version", DEFAULT_VERSION.value)
    try:
        return parse_version(advertised)
    except ValueError:  # newer than asgiws knows: judged by the newest rules
        return LATEST_VERSION


async def _one(port: int, scenario: Scenario, timeout: float, forced: SpecVersion | None) -> tuple[ScenarioResult, dict[str, Any] | None]:
    key = uuid.uuid4().hex
    app_script = ",".join(map(str, scenario.app))
    path = f"{WS_PATH}?id={key}&t={timeout}&app={quote(app_script, safe=':,')}"
    begun = time.monotonic()
    wire = await run_client(HOST, port, path, scenario.client, offer=scenario.offer, timeout=timeout)
    record = await _fetch_record(port, key, timeout * (len(scenario.app) + 2), timeout)
    evidence = Evidence(scenario.app, scenario.client, scenario.offer, wire, record, _version(record, forced))
    checks = judge((*scenario.rules, *UNIVERSAL_RULES), evidence)
    if record is None and not wire.vanished:
        checks.append(Check("record", Verdict.ERROR, "WS-012", "the probe's record never came back: the server did not run the app, or lost it"))
    return ScenarioResult(scenario, worst(checks), checks, wire, record, time.monotonic() - begun), record


async def run_scenarios(
    port: int,
    scenarios: Iterable[Scenario],
    *,
    timeout: float = 2.0,
    jobs: int = 8,
    spec_version: SpecVersion | None = None,
) -> tuple[list[ScenarioResult], dict[str, Any] | None]:
    """Play ``scenarios`` against the server on ``port``, ``jobs`` at a time; their results and one probe record."""
    gate = asyncio.Semaphore(max(1, jobs))

    async def bounded(scenario: Scenario) -> tuple[ScenarioResult, dict[str, Any] | None]:
        async with gate:
            return await _one(port, scenario, timeout, spec_version)

    done = await asyncio.gather(*(bounded(s) for s in scenarios))
    sample = next((record for _, record in done if record is not None), None)
    return [result for result, _ in done], sample


def _server_facts(record: dict[str, Any] | None) -> dict[str, Any]:
    scope = (record or {}).get("scope", {})
    asgi = scope.get("asgi") or {}
    extensions = scope.get("extensions")
    return {"spec_version": asgi.get("spec_version"), "extensions": extensions if isinstance(extensions, list) else []}


async def _preflight(port: int, timeout: float) -> None:
    """One accepted connection: a server that cannot upgrade at all makes every scenario meaningless."""
    wire = await run_client(HOST, port, f"{WS_PATH}?id=preflight-{uuid.uuid4().hex}&t={timeout}&app=accept", (), timeout=timeout)
    if not wire.upgraded:
        got = f"HTTP {wire.status}" if wire.status else wire.response
        msg = f"the server does not upgrade WebSocket connections (an accepting app got {got}); is a WebSocket library installed?"
        raise ServerStartError(msg)


def _run(target: str, port: int, scenarios: Sequence[Scenario], *, timeout: float, jobs: int, spec_version: str | None) -> ServerReport:
    forced = parse_version(spec_version) if spec_version else None
    asyncio.run(_preflight(port, timeout))
    begun = time.monotonic()
    results, sample = asyncio.run(run_scenarios(port, scenarios, timeout=timeout, jobs=jobs, spec_version=forced))
    report = ServerReport(target, _server_facts(sample), results, time.monotonic() - begun)
    if forced is not None:
        report.judged_at = forced.value
    return report


def check_server(
    command: Sequence[str],
    *,
    scenarios: Sequence[Scenario] | None = None,
    timeout: float = 2.0,
    jobs: int = 8,
    spec_version: str | None = None,
    startup: float = 20.0,
    keep_log: Path | None = None,
) -> ServerReport:
    """Start ``command`` with the probe app, run the scenarios (the whole catalogue by default), stop it, judge.

    The server's log is copied to ``keep_log`` when given, and its path is
    kept in the report either way.

    Raises:
        ServerStartError: the server did not start or answer.
    """
    server = start_server(command, startup=startup)
    try:
        report = _run(shlex.join(command), server.port, scenarios or catalogue(), timeout=timeout, jobs=jobs, spec_version=spec_version)
    finally:
        stop_server(server)
    if keep_log is not None:
        keep_log.write_bytes(server.log.read_bytes())
        report.log = str(keep_log)
    else:
        report.log = str(server.log)
    return report


def check_url(
    url: str,
    *,
    scenarios: Sequence[Scenario] | None = None,
    timeout: float = 2.0,
    jobs: int = 8,
    spec_version: str | None = None,
) -> ServerReport:
    """Run the scenarios against a server already running the probe app at ``ws://127.0.0.1:PORT``.

    Raises:
        ServerStartError: the URL is not a loopback ws:// URL with a port, or nothing answers there.
    """
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname not in {"127.0.0.1", "localhost", "::1"} or parts.port is None:
        raise ServerStartError(f"--url takes ws://127.0.0.1:PORT (loopback, with a port), not {url!r}")
    if not asyncio.run(_answers(parts.port, timeout)):
        raise ServerStartError(f"nothing answers HTTP at {HOST}:{parts.port}; start the server with {PROBE_APP}")
    return _run(url, parts.port, scenarios or catalogue(), timeout=timeout, jobs=jobs, spec_version=spec_version)
