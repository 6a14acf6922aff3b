"""`asgiws fuzz` and the rounds behind it: new and fixed differences, reports, exit statuses, argument checks."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from starlette.websockets import WebSocket as StarletteWebSocket

import asgiws
from asgiws.cli import main
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
