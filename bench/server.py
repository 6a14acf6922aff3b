"""The whole server-check catalogue against uvicorn: how long it takes, and how long per scenario.

Starts uvicorn (``--ws`` as given, default wsproto) with the probe app on a
free loopback port, runs every scenario ``--jobs`` at a time, stops it, and
prints the tally and, last, the contract line::

    scenarios=N seconds=S per_scenario_ms=P jobs=J

``seconds`` is the wall time of the scenarios alone (the server's start-up
is printed apart). The goal is the catalogue in 30 s or less on 2 cores.
``--quick`` runs the first ten scenarios only (the test suite uses it).
"""

from __future__ import annotations

import argparse
import sys
import time

from asgiws.conformance.scenarios import catalogue
from asgiws.conformance.server import check_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ws", default="wsproto", help="uvicorn's --ws (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=8, help="scenarios at once (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=1.0, help="bound on every wait (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="the first ten scenarios only")
    args = parser.parse_args()
    scenarios = catalogue()[:10] if args.quick else catalogue()
    command = [sys.executable, "-m", "uvicorn", "{app}", "--port", "{port}", "--ws", args.ws, "--log-level", "warning"]
    begun = time.monotonic()
    report = check_server(command, scenarios=scenarios, timeout=args.timeout, jobs=args.jobs)
    total = time.monotonic() - begun
    print(f"uvicorn --ws {args.ws}: {', '.join(f'{n} {v}' for v, n in report.counts().items() if n)}")
    print(f"start and stop of the server: {total - report.duration_s:.2f}s")
    seconds = report.duration_s
    print(f"scenarios={len(report.results)} seconds={seconds:.2f} per_scenario_ms={seconds * 1000 / len(report.results):.1f} jobs={args.jobs}")


if __name__ == "__main__":
    main()
