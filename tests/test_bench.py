"""The benchmarks still run and print their contract line (no timing is asserted here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_runtime_benchmark_prints_its_ratio_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "runtime.py"), "--quick", "--rounds", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"receive=\d+\.\d{3} send=\d+\.\d{3} connection=\d+\.\d{3} import_ms=\d+\.\d", last), last


def test_the_middleware_benchmark_prints_its_ratio_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "middleware.py"), "--quick", "--rounds", "1", "--no-asgion"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    lines = result.stdout.strip().splitlines()
    assert "asgion: skipped: left out (--no-asgion)" in lines
    assert re.fullmatch(r"overhead_us=\d+\.\d{3} asgion_us=nan ratio=nan examples_per_s=\d+", lines[-1]), lines[-1]


def test_the_server_benchmark_prints_its_contract_line() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "server.py"), "--quick"], capture_output=True, text=True, timeout=120, check=True)
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"scenarios=10 seconds=\d+\.\d{2} per_scenario_ms=\d+\.\d jobs=8", last), last


def test_the_soak_benchmark_keeps_a_bounded_number_of_violations() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--quick"], capture_output=True, text=True, timeout=120, check=True)
    last = result.stdout.strip().splitlines()[-1]
    found = re.fullmatch(r"rss_mib=[\d.]+,[\d.]+ kept=(\d+) counted=(\d+) growth_mib=-?\d+\.\d bare_mib=[\d.]+,[\d.]+", last)
    assert found, last
    assert (int(found[1]), int(found[2])) == (100, 2 * 50 * 5)  # the default keep, of one violation per message
