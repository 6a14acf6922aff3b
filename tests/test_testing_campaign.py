"""`asgiws fuzz` and the rounds behind it: new and fixed differences, reports, exit statuses, argument checks."""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.websockets import WebSocket as StarletteWebSocket

import asgiws
from asgiws.cli import main
from asgiws.coverage import Coverage
from asgiws.testing import Baseline, Difference, known_differences
from asgiws.testing.campaign import FuzzReport, TargetError, fuzz, load_target, progress_bar

TARGET = "starlette.websockets:WebSocket"
MUTANT = "tests.test_testing_campaign:DropsTheCloseReason"


class DropsTheCloseReason(StarletteWebSocket):
    """One injected bug: close() never sends its reason."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await super().close(code, None)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_load_target() -> None:
    assert load_target(TARGET) is StarletteWebSocket
    assert load_target("asgiws:WebSocket") is asgiws.WebSocket
    for bad, message in [
        ("starlette", "expected MODULE:ATTRIBUTE"),
        ("no_such_module_here:X", "could not import"),
        ("starlette.websockets:Nope", "no attribute"),
        ("asgiws:__version__", "not a class or a factory"),
    ]:
        with pytest.raises(TargetError, match=message):
            load_target(bad)


def test_rounds_find_every_new_difference_then_stop() -> None:
    report = fuzz(asgiws.WebSocket, target="asgiws:WebSocket", max_examples=5)
    assert report.ok
    assert report.new == []
    assert report.fixed == []
    mutant = fuzz(DropsTheCloseReason, target=MUTANT, known=known_differences("starlette"), known_name="starlette", max_examples=100)
    assert not mutant.ok
    assert any(d.call == "close" for d, _ in mutant.new)
    difference, text = mutant.new[0]
    assert "from tests.test_testing_campaign import DropsTheCloseReason" in text
    assert f"NEW {difference}" in mutant.render("text")


def test_a_fixed_difference_is_reported() -> None:
    baseline = Baseline()
    recorded = fuzz(StarletteWebSocket, target=TARGET, record=True, max_examples=5)
    assert recorded.recorded is not None
    assert f"recorded {len(recorded.recorded)} distinct difference(s)" in recorded.render("text")
    assert "NEW" not in recorded.render("text")  # a recording lists them in its file
    for difference in list(recorded.recorded)[:3]:
        baseline.add(difference)
    report = fuzz(asgiws.WebSocket, target="asgiws:WebSocket", known=baseline, known_name="mine", max_examples=5)
    assert report.ok
    assert len(report.fixed) == 3
    text = report.render("text")
    assert "FIXED" in text
    assert "0 new, 3 fixed" in text


def test_reports_in_every_format() -> None:
    difference = Difference("WS-044", "close", "websocket.close", "CONNECTED", "CONNECTED", "forwards", "forwarded", clauses=("WS-044",))
    report = FuzzReport(target=TARGET, known="starlette", baseline_size=1, new=[(difference, "def test_x(): <&>\n")], fixed=[difference], examples=3)
    data = json.loads(report.render("json"))
    assert data["ok"] is False
    assert data["new"][0]["reproducer"].startswith("def test_x")
    assert data["fixed"][0]["clause"] == "WS-044"
    suite = ET.fromstring(report.render("junit"))
    assert (suite.get("failures"), suite.get("skipped"), suite.get("tests")) == ("1", "1", "3")
    assert "known differences met: 0/1" in report.render("text")


def test_the_progress_bar() -> None:
    stream = io.StringIO()
    progress_bar(stream)(5, 10, 1)
    assert stream.getvalue() == "\r  [###############...............] 5/10 examples, 1 new"
    assert progress_bar() is not None


# -- the command -------------------------------------------------------------------------------------


def test_fuzz_starlette_against_its_baseline_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "fuzz", TARGET, "--known", "starlette", "--max-examples", "20")
    assert status == 0, out
    assert "0 new, 0 fixed" in out
    assert err == ""  # no progress bar on a pipe


def test_fuzz_an_injected_bug_exits_1_naming_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    status, out, _ = run(
        capsys, "fuzz", MUTANT, "--known", "starlette", "--max-examples", "300", "--seed", "1", "--format", "json", "--output", str(output)
    )
    assert (status, out) == (1, "")
    report = json.loads(output.read_text(encoding="utf-8"))
    # The injected close bug, from CONNECTING or CONNECTED, is among what is new.
    assert any(new["clause"] in {"WS-024", "WS-044"} and "harness.close(" in new["reproducer"] for new in report["new"])


def test_fuzz_records_a_baseline_that_the_next_run_accepts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    baseline = tmp_path / "known.json"
    status, out, _ = run(capsys, "fuzz", TARGET, "--record", str(baseline), "--max-examples", "5", "--format", "junit")
    assert status == 0
    assert out.startswith("<?xml")
    assert len(known_differences(baseline)) > 10
    assert known_differences(baseline).subject == TARGET
    status, out, _ = run(capsys, "fuzz", TARGET, "--known", str(baseline), "--max-examples", "5")
    assert status == 0, out


def test_fuzz_draws_a_progress_bar_on_a_terminal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    status = main(["fuzz", "asgiws:WebSocket", "--max-examples", "3"])
    assert status == 0
    assert "examples, 0 new" in terminal.getvalue()
    assert terminal.getvalue().endswith("\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no_such_module_here:X"], "could not import"),
        ([TARGET, "--known", "nothing-of-the-kind.json"], "cannot read the baseline"),
        ([TARGET, "--max-examples", "0"], "--max-examples must be at least 1"),
        ([TARGET, "--seed", "-1"], "--seed must not be negative"),
        ([TARGET, "--record", "/no/such/dir/known.json"], "no such directory"),
        ([TARGET, "--output", "/no/such/dir/report.txt"], "no such directory"),
        ([TARGET, "--max-examples", "many"], "invalid int value"),
        ([TARGET, "--format", "html"], "invalid choice"),
    ],
)
def test_fuzz_checks_every_argument_first_in_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    try:
        status = main(["fuzz", *argv])
    except SystemExit as exit_:
        status = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


# -- campaigns: workers sharing one example database -------------------------------------------------

WORKER = Path(__file__).with_name("campaign_worker.py")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for this test only, stopped by its PID."""
    executable = shutil.which("redis-server")
    assert executable is not None, "redis-server is not installed: .ci/run installs it"
    port = _free_port()
    server = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - redis-server stops on SIGTERM at once
            server.kill()
            server.wait(timeout=10)


def _worker(database: str, seed_value: int, coverage: Path) -> dict[str, Any]:
    argv = [sys.executable, str(WORKER), database, str(seed_value), str(coverage)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _one_finds_the_other_replays(database: str, records: Path) -> None:
    records.mkdir()
    found = _worker(database, 1, records / "worker-1.json")
    # The first worker finds the bug by generating examples, after a few that passed.
    assert found["key"] is not None
    assert found["first_failing_example"] > 1
    replayed = _worker(database, 2, records / "worker-2.json")
    # The second worker, with another seed, fails on its very first example: the one the database holds.
    assert replayed == {"first_failing_example": 1, "key": found["key"]}
    # The workers' coverage records add up, as the how-to on long campaigns shows.
    parts = [Coverage.from_json(json.loads(path.read_text(encoding="utf-8"))) for path in sorted(records.glob("*.json"))]
    total = Coverage()
    for part in parts:
        total.merge(part)
    assert total.hit() == parts[0].hit() | parts[1].hit()
    assert total.allowed == parts[0].allowed + parts[1].allowed
    assert total.refused == parts[0].refused + parts[1].refused


def test_two_workers_share_a_redis_example_database(redis_url: str, tmp_path: Path) -> None:
    from redis import Redis

    _one_finds_the_other_replays(redis_url, tmp_path / "coverage")
    assert Redis.from_url(redis_url).dbsize() > 0  # what the first one found went to the server


def test_two_workers_share_a_directory_example_database(tmp_path: Path) -> None:
    shared = tmp_path / "examples"
    _one_finds_the_other_replays(str(shared), tmp_path / "coverage")
    assert any(shared.rglob("*"))


def test_the_campaign_how_tos_redis_profile_works_against_a_real_server(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from hypothesis import settings

    page = (Path(__file__).resolve().parent.parent / "docs" / "how-to" / "long-fuzzing-campaigns.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"^```python\n(.*?)^```", page, flags=re.S | re.M) if "RedisExampleDatabase" in b]
    monkeypatch.setenv("FUZZ_REDIS_URL", redis_url)
    exec(block, {})
    database = settings.get_profile("campaign").database
    assert database is not None
    database.save(b"key", b"value")
    assert list(database.fetch(b"key")) == [b"value"]
