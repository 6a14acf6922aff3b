"""What the checks cost: asgiws.WebSocket against Starlette's, side by side.

Both classes run on the same in-memory transport (``receive``/``send`` are
coroutines that return at once), so the difference is the cost of the checks
themselves. asgiws validates every message against the spec; Starlette checks
only the message type.

Each round times every case once, alternating which class goes first, and the
ratio asgiws/Starlette is taken within the round; the reported figure is the
median over rounds, which shrugs off a noisy neighbour better than a ratio of
two medians would. Import time is measured in fresh interpreters: what
``import asgiws`` adds to ``import starlette.websockets``, in milliseconds.

``send`` hands the class a dict the caller keeps, so asgiws copies it before
judging it (what is judged is then what the server reads); ``send_text`` and
``receive_text``, the helpers applications mostly call, are in the table too,
for the path where asgiws builds the message itself. The ``send floor`` row
is what a checked ``send()`` pays before any check (its coroutine, the copy,
the server's coroutine), measured in the same rounds: the goal for ``send``
minus the floor is the room left for the checks themselves.

Run: ``python bench/runtime.py [--rounds N] [--quick]``. The last line is
``receive=R send=S connection=C import_ms=M`` (ratios, and milliseconds; lower
is better). The goals: ``receive`` and ``send`` at most 0.75, ``connection``
at most 0.90, ``import_ms`` at most 10.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from starlette.websockets import WebSocket as StarletteWebSocket
from starlette.websockets import WebSocketState

import asgiws

SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "path": "/ws",
    "headers": [(b"host", b"localhost")],
    "query_string": b"",
    "subprotocols": [],
}
RECEIVED = {"type": "websocket.receive", "text": "hello, world"}
SENT = {"type": "websocket.send", "text": "hello, world"}
CLASSES: dict[str, type[StarletteWebSocket]] = {"starlette": StarletteWebSocket, "asgiws": asgiws.WebSocket}

Loop = Callable[[int], Awaitable[None]]

#: The issue's goal for ``send``, against which the floor's room is shown.
SEND_GOAL = 0.75


async def _deliver() -> dict[str, Any]:
    return RECEIVED


async def _swallow(message: MutableMapping[str, Any]) -> None:
    return None


def _connected(cls: type[StarletteWebSocket]) -> StarletteWebSocket:
    # Both sides CONNECTED, through the public state setters both classes have.
    websocket = cls(SCOPE, _deliver, _swallow)
    websocket.client_state = WebSocketState.CONNECTED
    websocket.application_state = WebSocketState.CONNECTED
    return websocket


def receive_loop(cls: type[StarletteWebSocket]) -> Loop:
    async def run(n: int) -> None:
        receive = _connected(cls).receive
        for _ in range(n):
            await receive()

    return run


def send_loop(cls: type[StarletteWebSocket]) -> Loop:
    async def run(n: int) -> None:
        send, message = _connected(cls).send, SENT
        for _ in range(n):
            await send(message)

    return run


def send_text_loop(cls: type[StarletteWebSocket]) -> Loop:
    async def run(n: int) -> None:
        send_text, text = _connected(cls).send_text, SENT["text"]
        for _ in range(n):
            await send_text(text)

    return run


def receive_text_loop(cls: type[StarletteWebSocket]) -> Loop:
    async def run(n: int) -> None:
        receive_text = _connected(cls).receive_text
        for _ in range(n):
            await receive_text()

    return run


class SendFloor:
    """What a checked ``send()`` costs before it checks anything.

    Its own coroutine, the shallow copy (what is judged must be what the
    server reads), and the server's coroutine: no check can make ``send``
    cheaper than this, so the room a goal leaves for the checks is the goal
    minus this floor.
    """

    def __init__(self, send: Callable[[Any], Awaitable[None]]) -> None:
        self._send = send

    async def send(self, message: dict[str, Any]) -> None:
        """Copy the message and hand it to the server, unchecked."""
        await self._send(message.copy())


def send_floor_loop() -> Loop:
    async def run(n: int) -> None:
        send, message = SendFloor(_swallow).send, SENT
        for _ in range(n):
            await send(message)

    return run


CONVERSATION = [{"type": "websocket.connect"}] + [RECEIVED] * 8 + [{"type": "websocket.disconnect", "code": 1000}]


def _replay(inbox: Iterator[dict[str, Any]]) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def receive() -> dict[str, Any]:
        return next(inbox)

    return receive


def connection_loop(cls: type[StarletteWebSocket]) -> Loop:
    # A whole connection as an app writes it: accept, eight echoes, close,
    # then the disconnect; 20 messages in all, constructor included.
    async def run(n: int) -> None:
        for _ in range(n):
            websocket = cls(SCOPE, _replay(iter(CONVERSATION)), _swallow)
            await websocket.accept()
            for _ in range(8):
                await websocket.send_text(await websocket.receive_text())
            await websocket.close()
            await websocket.receive()

    return run


async def _time(loop: Loop, n: int) -> float:
    # CPU time of this process: time spent waiting for a core that another
    # process holds (the machines are shared) is not the code's cost.
    start = time.process_time_ns()
    await loop(n)
    return (time.process_time_ns() - start) / n


def measure(rounds: int, sizes: dict[str, int]) -> dict[str, dict[str, list[float]]]:
    """Per case and class, the time per operation (ns) of every round; ``send`` also has its ``floor``."""
    cases = {
        "receive": receive_loop,
        "send": send_loop,
        "receive_text": receive_text_loop,
        "send_text": send_text_loop,
        "connection": connection_loop,
    }
    results: dict[str, dict[str, list[float]]] = {case: {name: [] for name in CLASSES} for case in cases}
    results["send"]["floor"] = []

    async def run() -> None:
        for index in range(rounds):
            for case, make in cases.items():
                order = list(CLASSES.items()) if index % 2 == 0 else list(reversed(CLASSES.items()))
                for name, cls in order:
                    results[case][name].append(await _time(make(cls), sizes[case]))
            results["send"]["floor"].append(await _time(send_floor_loop(), sizes["send"]))

    gc.disable()
    try:
        asyncio.run(run())
    finally:
        gc.enable()
    return results


def import_times(rounds: int) -> dict[str, list[float]]:
    """Milliseconds to import ``starlette.websockets``, then ``asgiws`` on top of it, in fresh interpreters.

    The second figure is what ``import asgiws`` adds for an application that
    already uses Starlette. Bytecode caching is on, as in an installed package
    (``pip install`` compiles it); the first interpreter warms the cache.
    """
    code = (
        "import time; t = time.perf_counter(); import starlette.websockets; s = time.perf_counter(); "
        "import asgiws; e = time.perf_counter(); print(s - t, e - s)"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=60, env=env)
    times: dict[str, list[float]] = {"starlette": [], "asgiws": []}
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, env=env)
        starlette, asgiws_on_top = (float(x) * 1000 for x in out.stdout.split())
        times["starlette"].append(starlette)
        times["asgiws"].append(asgiws_on_top)
    return times


def paired_ratio(ours: list[float], theirs: list[float]) -> float:
    """The median over rounds of the ratio within each round."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def main(argv: list[str] | None = None) -> None:
    """Measure, print a table of medians, then the ratio line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of every case (default 15)")
    parser.add_argument("--quick", action="store_true", help="small batches, for a smoke test")
    args = parser.parse_args(argv)
    scale = 20 if args.quick else 1
    per_message = 100_000 // scale
    sizes = {"receive": per_message, "send": per_message, "receive_text": per_message, "send_text": per_message, "connection": 5_000 // scale}
    results = measure(args.rounds, sizes)
    imports = import_times(max(5, args.rounds // 2))

    print(f"asgiws {asgiws.__version__}, Python {sys.version.split()[0]}, {args.rounds} rounds, medians")
    print(f"{'case':<12}{'starlette':>14}{'asgiws':>14}{'ratio':>10}")
    ratios: dict[str, float] = {}
    for case, by_class in results.items():
        ratios[case] = paired_ratio(by_class["asgiws"], by_class["starlette"])
        unit = "µs" if case == "connection" else "ns"
        scale_to = 1000 if case == "connection" else 1
        starlette, ours = (statistics.median(by_class[name]) / scale_to for name in ("starlette", "asgiws"))
        print(f"{case:<12}{starlette:>11.1f} {unit}{ours:>11.1f} {unit}{ratios[case]:>10.3f}")
    floor = paired_ratio(results["send"]["floor"], results["send"]["starlette"])
    room = (SEND_GOAL - floor) * statistics.median(results["send"]["starlette"])
    print(
        f"{'send floor':<12}{'':>14}{statistics.median(results['send']['floor']):>11.1f} ns{floor:>10.3f}"
        f"   (copy + two coroutines, no check: the goal {SEND_GOAL} leaves {room:.0f} ns for the checks)"
    )
    starlette_ms, asgiws_ms = (statistics.median(imports[name]) for name in ("starlette", "asgiws"))
    print(f"{'import':<12}{starlette_ms:>11.1f} ms{asgiws_ms:>11.1f} ms   (asgiws: what it adds on top of starlette.websockets)")
    print(f"receive={ratios['receive']:.3f} send={ratios['send']:.3f} connection={ratios['connection']:.3f} import_ms={asgiws_ms:.1f}")


if __name__ == "__main__":
    main()
