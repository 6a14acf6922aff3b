"""What watching costs: the live middleware against the bare app, and against asgion.

Three measurements, side by side in one run:

* the overhead per ASGI message of ``asgiws.check(app)`` over the bare app;
* the same for asgion's ``Inspector`` (asgion needs Python 3.12; the benchmark
  finds or builds a 3.12 environment for it, and prints why when it cannot);
* the app checker's throughput: examples per second of ``asgiws check app`` on
  the FastAPI echo example.

Every measurement runs in a fresh worker process, interleaved round by round;
each overhead is taken against a bare run in the same interpreter, and the
figures are medians over rounds. The app is an echo over an in-memory
transport (``examples/apps/echo.py``), so what is measured is the middleware.

Run: ``python bench/middleware.py [--rounds N] [--quick]``. The last line is
``overhead_us=O asgion_us=A ratio=R examples_per_s=E``.
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "asgiws-bench"


# -- the worker: one measurement in a fresh interpreter ------------------------------------


def _wrap(kind: str, app: Any) -> Any:
    if kind == "asgiws":
        import asgiws

        return asgiws.check(app)
    if kind == "asgion":
        from asgion import Inspector  # type: ignore[import-not-found]

        return Inspector(app)
    return app


def worker(kind: str, echoes: int, repeat: int) -> float:
    """Nanoseconds per ASGI message of one connection of ``echoes`` echoes, best of ``repeat``."""
    import asyncio
    import gc

    from examples.apps.echo import app as echo  # importable under any interpreter: it needs nothing

    app = _wrap(kind, echo)
    scope = {"type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.4"}, "path": "/ws", "headers": [], "query_string": b""}
    conversation = (
        [{"type": "websocket.connect"}] + [{"type": "websocket.receive", "text": "hello"}] * echoes + [{"type": "websocket.disconnect", "code": 1000}]
    )
    messages = len(conversation) + echoes + 1  # what the server delivers, plus the accept and every echo

    async def one() -> int:
        inbox = iter(conversation)

        async def receive() -> Any:
            return next(inbox)

        async def send(message: Any) -> None:
            return None

        start = time.perf_counter_ns()
        await app(dict(scope), receive, send)
        return time.perf_counter_ns() - start

    gc.disable()
    best = min(asyncio.run(one()) for _ in range(repeat))
    return best / messages


# -- the parent: interleaved rounds ---------------------------------------------------------


def _python312() -> tuple[str | None, str]:
    """An interpreter with asgion, or None and why not."""
    target = CACHE / "py312"
    python = target / "bin" / "python"
    if python.exists():
        return str(python), "cached"
    candidates = [*sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.12*/bin/python"))), "python3.12"]
    for candidate in candidates:
        try:
            subprocess.run([candidate, "-m", "venv", str(target)], check=True, capture_output=True, timeout=120)
            subprocess.run([str(python), "-m", "pip", "install", "-q", "asgion"], check=True, capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as error:
            last = f"{candidate}: {error}"
            continue
        return str(python), "built"
    return None, f"no Python 3.12 with asgion could be set up ({last if candidates else 'none found'})"


def _run(python: str, kind: str, echoes: int, repeat: int) -> float:
    out = subprocess.run(
        [python, __file__, "--worker", kind, "--echoes", str(echoes), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return float(out.stdout.strip())


def checker_throughput(examples: int) -> float:
    """Examples per second of the app checker on the FastAPI echo example."""
    from asgiws.conformance import check_app

    start = time.perf_counter()
    report = check_app("examples.fastapi_chat:app", paths=["/ws/lobby"], max_examples=examples, seed=0)
    elapsed = time.perf_counter() - start
    return report.examples / elapsed


def main(argv: list[str] | None = None) -> None:
    """Measure, print the table, then the contract line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small batches, for a smoke test")
    parser.add_argument("--no-asgion", action="store_true", help="leave the asgion column out")
    parser.add_argument("--worker", choices=("bare", "asgiws", "asgion"), help=argparse.SUPPRESS)
    parser.add_argument("--echoes", type=int, default=2000, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(worker(args.worker, args.echoes, args.repeat))
        return

    echoes, repeat, examples = (200, 2, 50) if args.quick else (2000, 5, 500)
    py312, why = (None, "left out (--no-asgion)") if args.no_asgion else _python312()
    results: dict[str, list[float]] = {"bare": [], "asgiws": [], "bare312": [], "asgion": []}
    for index in range(args.rounds):
        jobs = [("bare", sys.executable, "bare"), ("asgiws", sys.executable, "asgiws")]
        if py312:
            jobs += [("bare312", py312, "bare"), ("asgion", py312, "asgion")]
        for name, python, kind in jobs if index % 2 == 0 else list(reversed(jobs)):
            results[name].append(_run(python, kind, echoes, repeat))
    ours = statistics.median(a - b for a, b in zip(results["asgiws"], results["bare"], strict=True)) / 1000
    theirs = statistics.median(a - b for a, b in zip(results["asgion"], results["bare312"], strict=True)) / 1000 if py312 else float("nan")
    throughput = checker_throughput(examples)

    print(f"Python {sys.version.split()[0]}; asgion on {py312 or '-'} ({why}); {args.rounds} rounds, medians")
    print(f"{'':<30}{'per message':>14}")
    print(f"{'bare app':<30}{statistics.median(results['bare']):>11.0f} ns")
    print(f"{'asgiws.check(app)':<30}{statistics.median(results['asgiws']):>11.0f} ns   overhead {ours:.3f} µs")
    if py312:
        print(f"{'bare app (3.12)':<30}{statistics.median(results['bare312']):>11.0f} ns")
        print(f"{'asgion Inspector(app)':<30}{statistics.median(results['asgion']):>11.0f} ns   overhead {theirs:.3f} µs")
    else:
        print(f"asgion: skipped: {why}")
    print(f"app checker on the FastAPI echo: {examples} examples, {throughput:.0f} examples/s")
    ratio = ours / theirs if py312 else float("nan")
    print(f"overhead_us={ours:.3f} asgion_us={theirs:.3f} ratio={ratio:.3f} examples_per_s={throughput:.0f}")


if __name__ == "__main__":
    main()
