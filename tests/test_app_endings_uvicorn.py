"""What the checker's new findings cost under a real server: the apps of ``tests/apps_exits.py`` in uvicorn on 127.0.0.1.

An application that holds the event loop (``stalls``, ``stalls-before-handshake``)
freezes the whole server: no other client gets its handshake answered. A
``SystemExit`` or ``KeyboardInterrupt`` from the app is, to uvicorn, one more
exception of the application: the connection drops without a Close frame
(HTTP 500 before the accept), and the server goes on serving. Each uvicorn
process is started for one test, and ended by its PID; every wait has a
deadline.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from asgiws.spec import ENDING_RULES

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEADLINE = 20.0
WAIT = 3.0

Serve = Callable[[str], int]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start uvicorn on ``tests.apps_exits:NAME``; the port. Every process started is killed by its PID at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> int:
        port = _free_port()
        command = [sys.executable, "-m", "uvicorn", f"tests.apps_exits:{name}", "--host", HOST, "--port", str(port), "--lifespan", "off"]
        with (tmp_path / f"{name}.log").open("wb") as log:
            started.append(subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            assert started[-1].poll() is None, (tmp_path / f"{name}.log").read_text()
            try:
                with socket.create_connection((HOST, port), timeout=0.2):
                    return port
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"uvicorn did not listen within {DEADLINE}s")

    yield start
    for process in started:
        process.kill()  # a server whose loop is held answers no polite signal
        process.wait(timeout=DEADLINE)


def _answered(port: int, path: str) -> bool:
    """Whether uvicorn answers a handshake on ``path`` within WAIT seconds."""
    try:
        with connect(f"ws://{HOST}:{port}{path}", open_timeout=WAIT, close_timeout=WAIT):
            return True
    except TimeoutError:
        return False


def _open_then_dropped(port: int, path: str) -> ConnectionClosed:
    with connect(f"ws://{HOST}:{port}{path}", open_timeout=WAIT, close_timeout=WAIT) as client:
        try:
            client.recv(timeout=WAIT)
        except ConnectionClosed as ended:
            return ended
    pytest.fail("the connection stayed open")


def test_stalls_after_the_accept_freeze_every_other_connection(serve: Serve) -> None:
    """stalls (WS-021): once one connection's app holds the loop, no other client is answered."""
    port = serve("spins")
    first = connect(f"ws://{HOST}:{port}/ws", open_timeout=WAIT, close_timeout=WAIT)  # accepted, then the app spins
    try:
        assert not _answered(port, "/ws")
    finally:
        first.socket.close()


def test_stalls_before_the_handshake_answer_nobody(serve: Serve) -> None:
    """stalls-before-handshake (WS-024): the client that started it and every later one wait in vain."""
    port = serve("spins")
    assert not _answered(port, "/early")
    assert not _answered(port, "/ws")


@pytest.mark.parametrize("name", ["exits", "interrupts"])
def test_an_exit_or_interrupt_in_the_app_drops_the_connection_and_the_server_lives_on(serve: Serve, name: str) -> None:
    """raises-while-open (AW-05) with SystemExit or KeyboardInterrupt: no Close frame; the next client is served."""
    port = serve(name)
    for _ in range(2):  # the server survived the first
        ended = _open_then_dropped(port, "/ws")
        assert ended.rcvd is None  # no Close frame: the close code was left to the server, which sent none


def test_an_exit_before_the_accept_answers_500(serve: Serve) -> None:
    """raises-before-handshake (WS-024) with SystemExit: HTTP 500 instead of an answer, and the server lives on."""
    port = serve("exits")
    for _ in range(2):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://{HOST}:{port}/early", open_timeout=WAIT, close_timeout=WAIT)
        assert refused.value.response.status_code == 500


HARM_SHOWN = {
    "stalls": test_stalls_after_the_accept_freeze_every_other_connection,
    "stalls-before-handshake": test_stalls_before_the_handshake_answer_nobody,
    "raises-while-open": test_an_exit_or_interrupt_in_the_app_drops_the_connection_and_the_server_lives_on,
    "raises-before-handshake": test_an_exit_before_the_accept_answers_500,
}


def test_each_ending_this_checker_added_has_its_harm_shown_here() -> None:
    # The endings the watchdog and the exit handling made findings of; the
    # older ones are shown in tests/test_third_party_apps_uvicorn.py.
    assert {"stalls", "stalls-before-handshake"} <= set(HARM_SHOWN) <= set(ENDING_RULES)
