"""The fuzzing benchmarks run and print their contract lines (no timing is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_fuzz_benchmark_prints_its_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fuzz.py"), "--quick"], capture_output=True, text=True, timeout=120, check=True, cwd=ROOT
    )
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"steps_ratio=\d+\.\d{3} coverage_s=(\d+\.\d{3}|inf) pairs=\d+/192", last), last


def test_the_mutant_benchmark_kills_most_seeded_bugs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mutants.py"), "--quick"], capture_output=True, text=True, timeout=120, check=True, cwd=ROOT
    )
    last = result.stdout.strip().splitlines()[-1]
    found = re.fullmatch(r"killed=(\d+)/6 median_examples=\d+(\.\d+)?", last)
    assert found, last
    # A derandomized run of 100 examples per mutant: the machine must still find the handshake-side bugs and most data-path ones.
    assert int(found.group(1)) >= 4, result.stdout
