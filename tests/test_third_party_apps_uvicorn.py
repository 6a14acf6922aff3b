"""Each expected finding of ``tests/apps`` shown under a real server, and each correct app's conversation working.

Every app runs in its own uvicorn process on 127.0.0.1 (a free port), started
the first time a test needs it and reused by that app's other tests, then
ended by its PID. The client is the ``websockets`` library's synchronous one.
Every wait has a deadline. One finding cannot be shown under uvicorn: the
Strawberry crash needs a server that sends ``"text": None`` beside the bytes of
a binary message (allowed by WS-034), so it runs under Hypercorn, which does.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STARTUP_DEADLINE = 20.0
TIMEOUT = 5.0


@dataclass
class Served:
    """One running server process and where its output goes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"ws://{HOST}:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _start(command: list[str], port: int, log: Path) -> Served:
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    served = Served(process, port, log)
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{served.output()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return served
        except OSError:
            time.sleep(0.05)
    _stop(served)
    pytest.fail(f"the server did not listen within {STARTUP_DEADLINE}s:\n{served.output()}")


def _stop(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait(timeout=TIMEOUT)


Serve = Callable[[str], Served]


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """Start (once per app) and return the server of ``tests.apps.NAME``; uvicorn unless the name says otherwise."""
    running: dict[str, Served] = {}
    logs = tmp_path_factory.mktemp("servers")

    def get(name: str) -> Served:
        if name not in running:
            port = _free_port()
            module, _, server = name.partition("@")
            target = f"tests.apps.{module}:app"
            if server == "hypercorn":
                command = [sys.executable, "-m", "hypercorn", target, "--bind", f"{HOST}:{port}"]
            else:
                command = [sys.executable, "-m", "uvicorn", target, "--host", HOST, "--port", str(port), "--log-level", "info"]
            running[name] = _start(command, port, logs / f"{module}-{server or 'uvicorn'}.log")
        return running[name]

    yield get
    for served in running.values():
        _stop(served)


def _open(served: Served, path: str, *, subprotocols: list[str] | None = None, origin: str | None = None) -> ClientConnection:
    offered = [Subprotocol(name) for name in subprotocols] if subprotocols is not None else None
    return connect(served.url(path), subprotocols=offered, origin=origin, open_timeout=TIMEOUT, close_timeout=TIMEOUT)  # type: ignore[arg-type]


def _dropped(client: ClientConnection) -> ConnectionClosed:
    """Wait until the server ends the connection; return how it ended."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            client.recv(timeout=TIMEOUT)
        except ConnectionClosed as ended:
            return ended
    pytest.fail(f"the server kept the connection open for {TIMEOUT}s")


def _wait_for(served: Served, text: str) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if text in (output := served.output()):
            return output
        time.sleep(0.05)
    pytest.fail(f"{text!r} never appeared in the server's log:\n{served.output()}")


# -- the findings: harm under a real server --------------------------------------------------


def test_chat_manager_dead_connection_kills_the_next_clients(serve: Serve) -> None:
    """AW-05: after one client leaves, the next message of any other client kills that client's connection."""
    served = serve("fastapi_chat_manager")
    with _open(served, "/ws/1") as first, _open(served, "/ws/2") as second:
        first.send("hello")
        assert first.recv(timeout=TIMEOUT) == "#1: hello"
        assert second.recv(timeout=TIMEOUT) == "#1: hello"
        first.close()
        time.sleep(0.3)  # the room processes the departure (and leaves the dead socket in the manager)
        second.send("anyone there?")
        ended = _dropped(second)
    assert isinstance(ended, ConnectionClosedError)
    assert ended.rcvd is None  # no Close frame: the app raised while open and uvicorn dropped the TCP connection
    with _open(served, "/ws/3") as third:  # and so on for every later client
        third.send("hi")
        assert _dropped(third).rcvd is None
    assert "WebSocketDisconnected" in _wait_for(served, "Exception in ASGI application")


def test_starlette_json_endpoint_crashes_on_non_utf8_binary(serve: Serve) -> None:
    """AW-05: binary that is not UTF-8 kills the connection without a Close frame; non-JSON text gets the intended 1003."""
    served = serve("starlette_json_endpoint")
    with _open(served, "/json") as client:
        client.send('{"a": 1}')
        assert json.loads(client.recv(timeout=TIMEOUT)) == {"echo": {"a": 1}}
        client.send("not json")
        ended = _dropped(client)
    assert ended.rcvd is not None
    assert ended.rcvd.code == 1003
    with _open(served, "/json") as client:
        client.send(b"\x80")
        ended = _dropped(client)
    assert ended.rcvd is None
    assert "UnicodeDecodeError" in _wait_for(served, "UnicodeDecodeError")


@pytest.mark.parametrize("payload", [b"binary", "[1]"], ids=["binary-frame", "json-array"])
def test_starlette_json_crash_drops_the_connection(serve: Serve, payload: bytes | str) -> None:
    """AW-05, two root causes: a binary frame (KeyError) and a non-object JSON value (AttributeError)."""
    served = serve("starlette_json_crash")
    with _open(served, "/commands") as client:
        client.send('{"op": "add", "a": 1, "b": 2}')
        assert json.loads(client.recv(timeout=TIMEOUT)) == {"result": 3}
        client.send(payload)
        ended = _dropped(client)
    assert ended.rcvd is None  # 1006 at the client: no Close frame
    _wait_for(served, "KeyError" if isinstance(payload, bytes) else "AttributeError")


def test_room_lookup_answers_500_instead_of_403(serve: Serve) -> None:
    """WS-024: the KeyError before the handshake becomes HTTP 500; the known room works."""
    served = serve("starlette_room_lookup")
    with pytest.raises(InvalidStatus) as refused:
        _open(served, "/rooms/unknown")
    assert refused.value.response.status_code == 500
    assert "KeyError" in _wait_for(served, "Exception in ASGI application")
    with _open(served, "/rooms/lobby") as client:
        client.send("hi")
        assert client.recv(timeout=TIMEOUT) == "1 in history"


def test_falcon_subprotocol_not_offered_fails_the_client(serve: Serve) -> None:
    """RFC-018: a client that offered no subprotocol must fail the connection (RFC-020); one that offered it works."""
    served = serve("falcon_subprotocol")
    with pytest.raises(InvalidHandshake, match="subprotocol"):
        _open(served, "/feed")
    with _open(served, "/feed", subprotocols=["wamp.2.json"]) as client:
        assert client.subprotocol == "wamp.2.json"
        client.send("hi")
        assert json.loads(client.recv(timeout=TIMEOUT)) == {"echo": "hi"}


def test_litestar_reserved_close_code_never_reaches_the_client(serve: Serve) -> None:
    """RFC-002: the close with 1006 fails inside the server; the client gets Litestar's 4500 instead of the app's close."""
    served = serve("litestar_reserved_close")
    with _open(served, "/commands") as client:
        client.send("ping")
        assert client.recv(timeout=TIMEOUT) == "pong"
        client.send("bogus")
        ended = _dropped(client)
    assert ended.rcvd is not None  # Litestar caught the server's refusal of 1006 and closed with its own error code
    assert (ended.rcvd.code, ended.rcvd.reason) == (4500, "Internal Server Error")  # not the app's "unknown command"


def test_ariadne_accepts_a_subprotocol_never_offered(serve: Serve) -> None:
    """RFC-018: a client offering nothing is answered with graphql-transport-ws and must fail the connection."""
    served = serve("ariadne_subscriptions")
    with pytest.raises(InvalidHandshake, match="subprotocol"):
        _open(served, "/graphql")


@pytest.mark.parametrize("payload", ["not json", b"\x00binary"], ids=["text", "binary"])
def test_ariadne_crashes_instead_of_closing_4400(serve: Serve, payload: str | bytes) -> None:
    """AW-05: graphql-transport-ws asks for Close 4400 on an invalid message; Ariadne raises and the connection drops."""
    served = serve("ariadne_subscriptions")
    with _open(served, "/graphql", subprotocols=["graphql-transport-ws"]) as client:
        client.send(json.dumps({"type": "connection_init"}))
        assert json.loads(client.recv(timeout=TIMEOUT)) == {"type": "connection_ack"}
        client.send(payload)
        ended = _dropped(client)
    assert ended.rcvd is None
    _wait_for(served, "JSONDecodeError" if isinstance(payload, str) else "KeyError")


def test_strawberry_crashes_on_binary_with_text_none_under_hypercorn(serve: Serve) -> None:
    """AW-05: Hypercorn delivers binary as {"bytes": ..., "text": None}; Strawberry decodes None and raises (1011, not 4400)."""
    served = serve("strawberry_subscriptions@hypercorn")
    with _open(served, "/graphql", subprotocols=["graphql-transport-ws"]) as client:
        client.send(json.dumps({"type": "connection_init"}))
        assert json.loads(client.recv(timeout=TIMEOUT)) == {"type": "connection_ack"}
        client.send(b"\x00binary")
        ended = _dropped(client)
    assert ended.rcvd is not None
    assert ended.rcvd.code == 1011  # Hypercorn's code for an app that raised; the protocol asks for 4400
    _wait_for(served, "TypeError")


# -- the correct apps: the conversation works ------------------------------------------------


def test_fastapi_token_echo(serve: Serve) -> None:
    served = serve("fastapi_token_echo")
    with _open(served, "/ws?token=secret") as client:
        client.send("hi")
        assert client.recv(timeout=TIMEOUT) == "alice: hi"
        client.send(b"\x01")
        assert client.recv(timeout=TIMEOUT) == b"\x01"
    for path in ("/ws?token=wrong", "/ws"):
        with pytest.raises(InvalidStatus) as refused:
            _open(served, path)
        assert refused.value.response.status_code == 403


def test_fastapi_ticker_races_the_disconnect_harmlessly(serve: Serve) -> None:
    served = serve("fastapi_ticker")
    for _ in range(5):  # leave at varied moments of the ticker
        with _open(served, "/ticker") as client:
            assert json.loads(client.recv(timeout=TIMEOUT))["symbol"] == "ACME"
            client.send("XYZ")
            deadline = time.monotonic() + TIMEOUT
            while json.loads(client.recv(timeout=TIMEOUT))["symbol"] != "XYZ":
                assert time.monotonic() < deadline
    time.sleep(0.2)
    assert "Exception" not in served.output()


def test_sanic_feed(serve: Serve) -> None:
    served = serve("sanic_feed")
    with _open(served, "/feed") as client:
        assert client.recv(timeout=TIMEOUT) == "hello"
        client.send("abc")
        assert client.recv(timeout=TIMEOUT) == "abc"
        client.send(b"\x80")
        assert client.recv(timeout=TIMEOUT) == b"\x80"


def test_litestar_echo(serve: Serve) -> None:
    served = serve("litestar_echo")
    with _open(served, "/echo") as client:
        client.send("abc")
        assert client.recv(timeout=TIMEOUT) == "ABC"


def test_quart_echo_works(serve: Serve) -> None:
    served = serve("quart_echo")
    with _open(served, "/ws") as client:
        client.send("abc")
        assert client.recv(timeout=TIMEOUT) == "abc"
        client.send(b"\x80")
        assert client.recv(timeout=TIMEOUT) == b"\x80"


def test_quart_empty_binary_message_kills_the_connection(serve: Serve) -> None:
    """AW-05: uvicorn delivers an empty binary message as {"bytes": b""}; Quart reads ["text"] and raises KeyError."""
    served = serve("quart_echo")
    with _open(served, "/ws") as client:
        client.send(b"")
        ended = _dropped(client)
    assert ended.rcvd is None
    assert "KeyError: 'text'" in _wait_for(served, "KeyError")


def test_quart_empty_binary_message_under_hypercorn_sends_neither_bytes_nor_text(serve: Serve) -> None:
    """WS-036: Hypercorn adds "text": None; Quart hands the app None and its echo is a send with neither key.

    Hypercorn refuses that send with TypeError; Quart logs it and closes with 1000, so the client
    sees a normal closure instead of its echo.
    """
    served = serve("quart_echo@hypercorn")
    with _open(served, "/ws") as client:
        client.send(b"")
        ended = _dropped(client)
    assert ended.rcvd is not None
    assert ended.rcvd.code == 1000  # no echo, and a "normal" closure that hides the failure from the client
    assert "TypeError: None should be a str" in _wait_for(served, "TypeError")  # Hypercorn refused the send


def test_channels_echo_needs_an_allowed_origin(serve: Serve) -> None:
    served = serve("channels_echo")
    with _open(served, "/ws/echo/", origin="http://localhost:8000") as client:
        client.send("abc")
        assert client.recv(timeout=TIMEOUT) == "ABC"
    with pytest.raises(InvalidStatus) as refused:  # the validator's refusal, as intended: 403
        _open(served, "/ws/echo/")
    assert refused.value.response.status_code == 403


def test_strawberry_subscription(serve: Serve) -> None:
    served = serve("strawberry_subscriptions")
    with _open(served, "/graphql", subprotocols=["graphql-transport-ws"]) as client:
        client.send(json.dumps({"type": "connection_init"}))
        assert json.loads(client.recv(timeout=TIMEOUT))["type"] == "connection_ack"
        client.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { count(target: 2) }"}}))
        answers = [json.loads(client.recv(timeout=TIMEOUT)) for _ in range(3)]
    assert [a["type"] for a in answers] == ["next", "next", "complete"]
    assert [a["payload"]["data"]["count"] for a in answers[:2]] == [0, 1]


def test_socketio_chat_works(serve: Serve) -> None:
    served = serve("socketio_chat")
    with _open(served, "/socket.io/?EIO=4&transport=websocket") as client:
        opened = client.recv(timeout=TIMEOUT)
        assert isinstance(opened, str)
        assert opened.startswith("0")  # Engine.IO OPEN with the session id
        client.send("40")  # Socket.IO CONNECT to the default namespace
        assert str(client.recv(timeout=TIMEOUT)).startswith("40")
        client.send('42["chat","hi"]')
        event = str(client.recv(timeout=TIMEOUT))
    assert event.startswith('42["chat"')
    assert json.loads(event[2:])[1]["text"] == "hi"


def test_socketio_empty_message_kills_the_connection(serve: Serve) -> None:
    """AW-05: an empty text message makes python-engineio raise ValueError out of the app; no Close frame."""
    served = serve("socketio_chat")
    with _open(served, "/socket.io/?EIO=4&transport=websocket") as client:
        assert str(client.recv(timeout=TIMEOUT)).startswith("0")
        client.send("")
        ended = _dropped(client)
    assert ended.rcvd is None
    assert "Invalid empty packet received" in _wait_for(served, "ValueError")
