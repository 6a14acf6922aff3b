"""A checker that always ends and never lies: exits, interrupts, spinning apps, os._exit and handshakes never answered.

``SystemExit`` and ``KeyboardInterrupt`` from the app are findings, as under
uvicorn (``tests/test_app_endings_uvicorn.py`` shows each harm there); an app
that holds the event loop is interrupted by the watchdog and found; one that
ends or holds the whole process is caught by the command line's guard (exit
status 2, one line); a behaviour every connection shows is established after
a few connections, not after every example.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
import time
from typing import Any

import pytest

from asgiws import _check_app_cli
from asgiws._check_app_cli import EXIT_INTERRUPTED, STALL_FACTOR, STALL_MARGIN, _child
from asgiws.cli import _parser, main
from asgiws.conformance import ESTABLISHED, Script, check_app, load_app
from asgiws.conformance.script import run_script
from asgiws.engine import AppExit, Outcome, Stalled, contained, watchdog
from asgiws.engine.watchdog import _stop, waiting_clock

# -- what the app raises or holds: findings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "path", "clause", "cause"),
    [
        ("exits", "/ws", "AW-05", "SystemExit at apps_exits.py"),
        ("exits", "/early", "WS-024", "SystemExit at apps_exits.py"),
        ("interrupts", "/ws", "AW-05", "KeyboardInterrupt at apps_exits.py"),
    ],
)
def test_an_exit_or_interrupt_from_the_app_is_a_finding_not_the_end_of_the_check(app: str, path: str, clause: str, cause: str) -> None:
    report = check_app(f"tests.apps_exits:{app}", paths=[path], max_examples=5, seed=0)
    assert report.verdict == "violations"
    (violation,) = report.violations
    assert violation.clause == clause
    assert violation.cause is not None
    assert violation.cause.startswith(cause)


@pytest.mark.parametrize(("path", "clause"), [("/ws", "WS-021"), ("/early", "WS-024")])
def test_an_app_that_holds_the_event_loop_is_interrupted_and_found(path: str, clause: str) -> None:
    run = asyncio.run(run_script(load_app("tests.apps_exits:spins"), Script(path=path), timeout=0.3))
    assert run.outcome is Outcome.STALLED
    ((found, detail),) = [(f.clause, f.detail) for f in run.findings]
    assert found == clause
    assert "without awaiting" in detail
    report = check_app("tests.apps_exits:spins", paths=[path], timeout=0.3, max_examples=50, seed=0)
    assert report.examples == ESTABLISHED  # established, then stopped
    assert [v.clause for v in report.violations] == [clause]
    assert report.violations[0].detail.endswith(f"every connection ran into the timeout, so the check stopped after {ESTABLISHED}")


async def _never_answers(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    await receive()
    await asyncio.Event().wait()


def test_an_app_that_never_answers_the_handshake_is_found_after_two_connections_with_the_default_options() -> None:
    report = check_app("t:app", app=_never_answers, paths=["/ws"], seed=0)  # max_examples 200, timeout 5
    assert (report.examples, [v.clause for v in report.violations]) == (ESTABLISHED, ["WS-024"])


def test_a_check_that_does_not_always_time_out_keeps_exploring() -> None:
    calls = iter(range(1000))

    async def slow_once(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()
        if next(calls) == 1:
            await asyncio.Event().wait()  # only the second connection hangs
        await send({"type": "websocket.close"})

    report = check_app("t:app", app=slow_once, paths=["/ws"], timeout=0.2, max_examples=10, seed=0)
    assert report.examples > ESTABLISHED
    assert [v.clause for v in report.violations] == ["WS-024"]


async def _lifespan(scope: Any, receive: Any, send: Any, *, exit_: bool) -> None:
    if scope["type"] == "lifespan":
        await receive()
        if exit_:
            raise SystemExit(1)
        while True:
            pass
    await receive()
    await send({"type": "websocket.close"})


def test_a_lifespan_that_holds_the_loop_stops_the_check_and_one_that_exits_is_no_lifespan() -> None:
    held = check_app("t:app", app=lambda s, r, w: _lifespan(s, r, w, exit_=False), timeout=0.3, max_examples=2)
    assert held.error == "the application's lifespan startup ran for more than 0.3s without awaiting"
    exited = check_app("t:app", app=lambda s, r, w: _lifespan(s, r, w, exit_=True), max_examples=2, seed=0)
    assert exited.error is None  # started without lifespan, as uvicorn does when the lifespan raises
    assert exited.examples > 0


def test_contained_carries_what_the_app_raised() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise SystemExit(7)

    async def nothing(*_: Any) -> Any:
        return None

    with pytest.raises(AppExit) as caught:
        asyncio.run(contained(app)({}, nothing, nothing))  # type: ignore[arg-type]
    assert isinstance(caught.value.error, SystemExit)
    assert str(caught.value) == "SystemExit: 7"


async def _hold_the_loop(seconds: float, limit: float, waiting: Any) -> str:
    # Block the loop's thread (a blocking call, then bytecode where the
    # watcher's interruption lands) under a watchdog with the given wait clock.
    try:
        with watchdog(limit, waiting=waiting):
            time.sleep(seconds)
            for _ in range(1000):
                pass
            await asyncio.sleep(0)
    except Stalled:
        return "stalled"
    return "ran"


def test_time_spent_waiting_for_a_cpu_is_not_holding_the_loop() -> None:
    # A thread that is ready to run but waits for a CPU other processes hold
    # is not the application's doing: a loaded CI machine must not make a
    # healthy application a stalling one. Here every second of the block is
    # counted as such waiting, then none is.
    start = time.monotonic()

    def starved() -> float:
        return time.monotonic() - start

    assert asyncio.run(_hold_the_loop(0.6, 0.2, starved)) == "ran"
    assert asyncio.run(_hold_the_loop(0.6, 0.2, lambda: 0.0)) == "stalled"


def test_the_waiting_clock_reads_the_thread_s_wait_for_a_cpu_or_stands_still() -> None:
    waited = waiting_clock(threading.get_native_id())
    first = waited()
    sum(range(200_000))
    assert 0.0 <= first <= waited()
    assert waiting_clock(-1)() == 0.0  # no such thread: wall-clock time alone


def test_the_watchdog_watches_each_loop_once_and_drops_an_interruption_that_comes_as_it_stops() -> None:
    async def nested() -> int:
        with watchdog(1.0), watchdog(1.0):
            return threading.active_count()

    before = threading.active_count()
    assert asyncio.run(nested()) == before + 1

    class Late:
        """A guard whose first entry is where the watcher's interruption lands."""

        entered = 0

        def __enter__(self) -> None:
            self.entered += 1
            if self.entered == 1:
                raise Stalled

        def __exit__(self, *exc: object) -> None:
            return None

    done = threading.Event()
    late = Late()
    _stop(late, done)
    assert done.is_set()
    assert late.entered == 2


# -- the guard: the app's process is not the checker's ------------------------------------------------


def test_an_app_that_ends_the_process_gets_exit_2_not_a_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "tests.apps_exits:app", "--path", "/ws", "--max-examples", "3", "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "asgiws check app: the application ended the checker's process (os._exit, a signal or a crash; exit status 0) "
        "before it could report; no verdict\n"
    )


def test_an_app_that_cannot_be_interrupted_is_ended_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "tests.apps_exits:holds", "--path", "/ws", "--timeout", "0.3", "--max-examples", "3"]) == 2
    stall = STALL_FACTOR * 0.3 + STALL_MARGIN
    assert capsys.readouterr().err == (
        f"asgiws check app: no example finished for {stall:.0f}s: the application holds the checker's process and cannot be "
        "interrupted; it was ended; no verdict\n"
    )


def test_the_guarded_child_beats_once_per_example_then_gives_its_status(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["check", "app", "examples.apps.echo:app", "--path", "/ws", "--max-examples", "4", "--format", "json"])
    beats, beat_end = os.pipe()
    options = {name: value for name, value in vars(args).items() if name != "run"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"args": options, "bar": True, "beat": beat_end})))
    try:
        assert _child() == 0
        os.close(beat_end)
        received = os.read(beats, 1024)
    finally:
        os.close(beats)
    assert received == b"." * 4 + b"=0\n"
    captured = capsys.readouterr()
    assert json.loads(captured.out)["conformant"] is True
    assert "4/200 examples" not in captured.err
    assert "4/4 examples" in captured.err  # the bar, drawn for the terminal of the process that watches


def test_a_ctrl_c_ends_the_child_too_without_a_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(beats: int, stall: float) -> tuple[int | None, bool]:
        raise KeyboardInterrupt  # as the user's Ctrl-C reaches the watching process

    monkeypatch.setattr(_check_app_cli, "_watch", interrupted)
    assert main(["check", "app", "examples.apps.echo:app", "--path", "/ws"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "asgiws check app: interrupted; no verdict\n"
