"""The examples under real ASGI servers, driven by a real WebSocket client over TCP.

Each server runs as a subprocess bound to 127.0.0.1 on a free port, started
once per module and terminated at the end (only the processes started here).
The client is the ``websockets`` library's synchronous one. Every wait has a
deadline, so a hung server fails the test instead of hanging it.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STARTUP_DEADLINE = 15.0
TIMEOUT = 5.0


@dataclass(frozen=True)
class Server:
    """A running server: where to reach it."""

    name: str
    port: int

    @property
    def ws(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def http(self) -> str:
        return f"http://{HOST}:{self.port}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"the server did not listen on {HOST}:{port} within {STARTUP_DEADLINE} s:\n{log.read_text(errors='replace')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - only for a server that ignores SIGTERM
        process.kill()
        process.wait(timeout=10)


def _commands(target: str) -> dict[str, list[str]]:
    def uvicorn(ws: str) -> list[str]:
        return ["-m", "uvicorn", target, "--host", HOST, "--ws", ws, "--log-level", "warning"]

    commands = {"uvicorn-websockets": uvicorn("websockets"), "uvicorn-websockets-sansio": uvicorn("websockets-sansio")}
    if importlib.util.find_spec("wsproto") is not None:
        commands["uvicorn-wsproto"] = uvicorn("wsproto")
    commands["hypercorn"] = ["-m", "hypercorn", target, "--log-level", "warning"]
    return commands


@pytest.fixture(scope="module", params=list(_commands("examples.fastapi_chat:app")))
def chat_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    name: str = request.param
    with _ServerProcess(name, _commands("examples.fastapi_chat:app")[name], tmp_path_factory) as server:
        yield server


class _ServerProcess:
    """Start one server subprocess; stop it (and only it) on exit."""

    def __init__(self, name: str, argv: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
        self.name = name
        self.argv = argv
        self.log = tmp_path_factory.mktemp(name) / "server.log"

    def __enter__(self) -> Server:
        port = _free_port()
        bind = ["--bind", f"{HOST}:{port}"] if self.name == "hypercorn" else ["--port", str(port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, *self.argv, *bind], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_listening(self.process, port, self.log)
        except BaseException:
            _stop(self.process)
            raise
        return Server(self.name, port)

    def __exit__(self, *exc_info: object) -> None:
        _stop(self.process)
        # An error the client could not see (an exception in the app after the
        # response, say) still shows in the server's log.
        log = self.log.read_text(errors="replace")
        assert "Traceback" not in log, f"{self.name} logged an error:\n{log}"


def _connect(url: str, subprotocols: list[str] | None = None) -> ClientConnection:
    offered = None if subprotocols is None else [Subprotocol(name) for name in subprotocols]
    return connect(url, subprotocols=offered, open_timeout=TIMEOUT, close_timeout=TIMEOUT)


def _stats(server: Server) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"{server.http}/stats", timeout=TIMEOUT).json()
    return stats


# -- the FastAPI chat example -----------------------------------------------------------------


def test_plain_http_is_served_alongside(chat_server: Server) -> None:
    assert httpx.get(f"{chat_server.http}/", timeout=TIMEOUT).json()["subprotocol"] == "chat.v1"


def test_text_is_echoed_after_a_greeting_with_the_path_and_query_parameters(chat_server: Server) -> None:
    with _connect(f"{chat_server.ws}/ws/room1?name=ada") as ws:
        assert ws.recv(timeout=TIMEOUT) == "welcome to room1, ada"
        for text in ("hello", "héllo ✓", ""):
            ws.send(text)
            assert ws.recv(timeout=TIMEOUT) == text


def test_binary_is_answered_with_its_length(chat_server: Server) -> None:
    with _connect(f"{chat_server.ws}/ws/room1") as ws:
        ws.recv(timeout=TIMEOUT)
        ws.send(bytes(range(10)))
        assert ws.recv(timeout=TIMEOUT) == "10 bytes"


@pytest.mark.parametrize(("offered", "accepted"), [(["chat.v1"], "chat.v1"), (["chat.v0", "chat.v1"], "chat.v1"), (None, None)])
def test_the_subprotocol_is_negotiated(chat_server: Server, offered: list[str] | None, accepted: str | None) -> None:
    with _connect(f"{chat_server.ws}/ws/room1", subprotocols=offered) as ws:
        assert ws.subprotocol == accepted
        assert ws.recv(timeout=TIMEOUT) == "welcome to room1, guest"


def test_bye_gets_the_servers_close_code_and_reason(chat_server: Server) -> None:
    with _connect(f"{chat_server.ws}/ws/room1") as ws:
        ws.recv(timeout=TIMEOUT)
        ws.send("bye")
        with pytest.raises(ConnectionClosedOK) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1000, "goodbye")


def test_the_app_sees_the_code_the_client_closed_with(chat_server: Server) -> None:
    before = len(_stats(chat_server)["disconnects"])
    with _connect(f"{chat_server.ws}/ws/room1") as ws:
        ws.recv(timeout=TIMEOUT)
        ws.close(code=1001, reason="going away")
    deadline = time.monotonic() + TIMEOUT
    while (seen := _stats(chat_server)["disconnects"][before:]) == [] and time.monotonic() < deadline:
        time.sleep(0.02)
    # Hypercorn 0.18 answers the client's Close frame and then reports the end of
    # the stream to the app as 1006 (abnormal closure), whatever code the frame
    # carried (hypercorn/protocol/ws_stream.py, StreamClosed); RFC 6455 keeps 1006
    # for a connection that ended without a Close frame. Pinned, not hidden.
    assert seen == [1006 if chat_server.name == "hypercorn" else 1001]


def test_a_room_that_fails_validation_refuses_the_handshake(chat_server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        _connect(f"{chat_server.ws}/ws/Not%20A%20Room")
    assert refused.value.response.status_code == 403


# -- a decorated endpoint as the whole application --------------------------------------------


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # --lifespan on: uvicorn exits if the app does not complete the lifespan startup.
    argv = ["-m", "uvicorn", "examples.starlette_echo:echo", "--host", HOST, "--lifespan", "on", "--log-level", "warning"]
    with _ServerProcess("uvicorn-endpoint", argv, tmp_path_factory) as server:
        yield server


def test_a_decorated_endpoint_is_an_asgi_app_of_its_own(echo_server: Server) -> None:
    with _connect(f"{echo_server.ws}/any/path") as ws:
        for data in ("ping", b"\x00pong"):
            ws.send(data)
            assert ws.recv(timeout=TIMEOUT) == data
    response = httpx.get(f"{echo_server.http}/", timeout=TIMEOUT)
    assert (response.status_code, response.headers["upgrade"]) == (426, "websocket")
