"""Soak: the middleware's memory under an app that breaks the protocol with every message.

Starts a real uvicorn process on 127.0.0.1 (a free port, its own process
group, stopped by its PID at the end), serving this module's ``app``: an echo
wrapped by ``asgiws.check`` that sends every reply with both ``text`` and
``bytes`` set (WS-036, one violation per message; uvicorn sends the bytes).
Each round opens ``--connections`` WebSocket connections, ``--concurrency``
at a time, with the ``websockets`` client; each sends ``--messages`` texts of
``--size`` characters and reads every reply. After each round the server's
resident memory is read from ``/proc/PID/status`` (VmRSS), and the wrapper's
own tally from its ``/stats`` endpoint.

Then the same rounds run against a second server serving the bare app, as
a reference (``--no-bare`` leaves it out). The last line is::

    rss_mib=R1,R2,... kept=K counted=C growth_mib=G bare_mib=B1,B2,...

``kept`` is how many violations the wrapper holds in detail (at most its
``keep``, 100 by default), ``counted`` how many it saw, and ``growth_mib``
the RSS after the last round less the RSS after the first: flat memory after
the first round is the goal, as flat as the bare app's. uvicorn runs with
``--ws wsproto`` by default: its ``websockets`` implementation's own memory
swings by tens of MiB from round to round, which would hide the wrapper's.
In raise mode each connection ends at its first message, as the app's send
raises; the bare app then raises an error of its own at the same point.
``--quick`` is a small run for the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asgiws
from asgiws.conformance.server import HOST, RunningServer, start_server, stop_server

# -- the served app: what runs in the uvicorn process ---------------------------------------

#: The middleware's mode in the server process (the parent passes ``--mode`` here).
MODE_VARIABLE = "ASGIWS_SOAK_MODE"


async def _misbehaving(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await _stats(send)
        return
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while (message := await receive())["type"] == "websocket.receive":
        text = message.get("text") or ""
        await send({"type": "websocket.send", "text": text, "bytes": text.encode()})


async def _stats(send: Any) -> None:
    body = json.dumps({"kept": len(app.violations), "counted": app.total}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = asgiws.check(_misbehaving, mode=os.environ.get(MODE_VARIABLE, "record"))  # type: ignore[arg-type]


async def bare(scope: Any, receive: Any, send: Any) -> None:
    """The same app unwrapped: what the server's memory does on its own.

    In raise mode its data sends raise an error of its own, where the wrapper
    would raise the violation: uvicorn's handling of a failed app is then the
    same on both sides of the comparison.
    """

    async def failing(message: Any) -> None:
        if message["type"] == "websocket.send":
            msg = "the app's own error, where the wrapper raises"
            raise RuntimeError(msg)
        await send(message)

    await _misbehaving(scope, receive, failing if os.environ.get(MODE_VARIABLE) == "raise" else send)


# -- the parent: the server, the clients, the samples ----------------------------------------


def rss_mib(pid: int) -> float:
    """The resident memory of a process, in MiB, from ``/proc/PID/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    msg = f"no VmRSS for process {pid}"
    raise RuntimeError(msg)


@dataclass(frozen=True)
class Load:
    """What one round does: how many connections, how many at once, what each sends."""

    connections: int
    concurrency: int
    messages: int
    payload: str
    timeout: float
    #: In raise mode the app's first send raises and uvicorn closes the connection.
    ends_early: bool


async def _one_connection(port: int, load: Load) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedError

    async with connect(f"ws://{HOST}:{port}/soak", open_timeout=load.timeout, close_timeout=load.timeout, max_size=None) as websocket:
        for _ in range(load.messages):
            await websocket.send(load.payload)
            try:
                await asyncio.wait_for(websocket.recv(), load.timeout)
            except ConnectionClosedError:
                if not load.ends_early:
                    raise
                return


async def _round(port: int, load: Load) -> None:
    slots = asyncio.Semaphore(load.concurrency)

    async def bounded() -> None:
        async with slots:
            await asyncio.wait_for(_one_connection(port, load), load.timeout * (load.messages + 2))

    await asyncio.gather(*(bounded() for _ in range(load.connections)))


async def _tally(port: int, timeout: float) -> dict[str, int]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        writer.write(f"GET /stats HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        response = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    tally: dict[str, int] = json.loads(response.split(b"\r\n\r\n", 1)[1])
    return tally


def soak(server: RunningServer, load: Load, rounds: int) -> tuple[list[float], dict[str, int]]:
    """Run the rounds against a started server: the RSS after each, and the wrapper's last tally."""
    samples: list[float] = []
    tally: dict[str, int] = {}
    for number in range(1, rounds + 1):
        begun = time.monotonic()
        asyncio.run(_round(server.port, load))
        tally = asyncio.run(_tally(server.port, load.timeout))
        samples.append(rss_mib(server.process.pid))
        print(f"round {number}: {load.connections} connections in {time.monotonic() - begun:.1f}s, rss {samples[-1]:.1f} MiB, {tally}", flush=True)
    return samples, tally


def main(argv: list[str] | None = None) -> None:
    """Start the server, soak it, stop it, print the contract line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=1000, help="per round (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections open at once (default %(default)s)")
    parser.add_argument("--messages", type=int, default=50, help="per connection (default %(default)s)")
    parser.add_argument("--size", type=int, default=1000, help="characters per message (default %(default)s)")
    parser.add_argument("--mode", choices=("raise", "warn", "record"), default="record", help="the middleware's (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="bound on every wait, in seconds (default %(default)s)")
    parser.add_argument("--ws", default="wsproto", help="uvicorn's --ws (default %(default)s)")
    parser.add_argument("--no-bare", action="store_true", help="leave out the run of the bare app")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 50 connections of 5 messages, for the test suite")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.connections, args.messages = 2, 50, 5
    if args.mode == "raise":
        args.messages = 1  # the first violation ends the connection: the app's send raises
    os.environ[MODE_VARIABLE] = args.mode  # the server process inherits it
    load = Load(args.connections, args.concurrency, args.messages, "x" * args.size, args.timeout, ends_early=args.mode == "raise")
    samples, tally = run_server("app", load, args.rounds, args.ws)
    rss = ",".join(f"{sample:.1f}" for sample in samples)
    line = f"rss_mib={rss} kept={tally['kept']} counted={tally['counted']} growth_mib={samples[-1] - samples[0]:.1f}"
    if not args.no_bare:
        print("the same app, unwrapped:", flush=True)
        reference, _ = run_server("bare", load, args.rounds, args.ws)
        line += " bare_mib=" + ",".join(f"{sample:.1f}" for sample in reference)
    print(line)


def run_server(name: str, load: Load, rounds: int, ws: str) -> tuple[list[float], dict[str, int]]:
    """Start uvicorn on ``soak:NAME``, soak it, and stop it (by its PID's process group)."""
    here = Path(__file__).resolve().parent
    command = [sys.executable, "-m", "uvicorn", f"soak:{name}", "--app-dir", str(here), "--host", HOST, "--port", "{port}", "--ws", ws]
    with tempfile.TemporaryDirectory(prefix="asgiws-soak-") as logs:  # warn mode logs every violation there
        server = start_server([*command, "--log-level", "critical"], log_dir=Path(logs))
        try:
            print(f"uvicorn --ws {ws} (PID {server.process.pid}) on port {server.port}: {rss_mib(server.process.pid):.1f} MiB at rest", flush=True)
            return soak(server, load, rounds)
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
