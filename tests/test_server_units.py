"""The server checker's parts one by one: the raw client against scripted bytes, the probe driven by hand,
the process helpers, the reports, and every verdict read from evidence built by hand."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from asgiws.conformance import explore as explore_module
from asgiws.conformance import probe, server
from asgiws.conformance.scenarios import CLIENT_WORDS, Scenario, Step, binary_payload, parse_scenario, parse_script
from asgiws.conformance.server_report import ScenarioResult, ServerReport, clause_text
from asgiws.conformance.verdicts import Check, Evidence, judge
from asgiws.conformance.wire import Frame, WireRecord, accept_key, encode_frame, parse_close, run_client
from asgiws.spec import SpecVersion
from asgiws.spec.server import SERVER_RULES, Exercise, Expect, ServerRule, Verdict

# -- the raw client against a scripted TCP server ------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def scripted(handler: Handler) -> AsyncIterator[int]:
    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:  # even when cancelled at the end of the test's event loop
            writer.transport.abort()

    served = await asyncio.start_server(closing, "127.0.0.1", 0)
    port = served.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        served.close()
        await served.wait_closed()


async def _upgrade(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    key = next(line.split(": ")[1] for line in head.split("\r\n") if line.lower().startswith("sec-websocket-key"))
    writer.write(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept_key(key)}\r\n\r\n".encode())


def _client(handler: Handler, client: str = "", timeout: float = 0.3) -> WireRecord:
    async def go() -> WireRecord:
        async with scripted(handler) as port:
            return await run_client("127.0.0.1", port, "/", parse_script(client, CLIENT_WORDS), timeout=timeout)

    return asyncio.run(go())


def test_a_masked_ping_and_a_partial_frame_from_the_server() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _upgrade(reader, writer)
        writer.write(encode_frame(0x9, b"hi") + encode_frame(0x2, b"x" * 70000, mask=None) + b"\x82\x7e\x00")
        await writer.drain()
        await reader.read(100)  # the pong
        writer.close()

    record = _client(handler)
    assert [f.opcode for f in record.frames] == ["ping", "binary"]
    assert record.frames[0].masked
    assert record.frames[0].payload == b"hi"
    assert any(d.startswith("pong") for d in record.sent)
    assert record.tcp_closed_ms is not None


def test_a_frame_cut_inside_its_length_or_mask() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _upgrade(reader, writer)
        writer.write(b"\x81\x85\x01")  # masked, five bytes, a mask cut short
        writer.close()

    assert _client(handler).frames == []


@pytest.mark.parametrize(
    ("response", "body"),
    [
        (b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nden\r\n3\r\nied\r\n0\r\n\r\n", b"denied"),
        (b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nden\r\n", b"den"),
        (b"HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nde", b""),
        (b"HTTP/1.1 500 Oops\r\n\r\nno length", b"no length"),
        (b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno", b"no"),
    ],
)
def test_refusal_bodies(response: bytes, body: bytes) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(response)
        await writer.drain()
        if b"Content-Length" not in response:
            writer.close()
        else:
            await asyncio.sleep(1)  # stays open: the client's wait for the close is bounded

    record = _client(handler, timeout=0.2)
    assert record.status in {403, 500}
    assert record.body == body


def test_nothing_listening() -> None:
    record = asyncio.run(run_client("127.0.0.1", server.free_port(), "/", ()))
    assert record.response.startswith("connect failed")


def test_frame_helpers() -> None:
    assert parse_close(b"\x03") == (None, None, "one-byte body")
    assert parse_close(b"\x03\xe8\xff") == (1000, None, "reason is not UTF-8")
    assert len(encode_frame(0x2, b"x" * 70000, mask=None)) == 70000 + 10
    frame = Frame(1.0, "close", False, 4, True, b"\x03")
    assert frame.to_json()["problem"] == "one-byte body"
    assert frame.to_json()["rsv"] == 4
    assert frame.to_json()["masked"]
    record = WireRecord(
        frames=[Frame(0, "text", False, 0, False, b"a"), Frame(0, "ping", True, 0, False, b""), Frame(0, "cont", True, 0, False, b"b")]
    )
    assert record.messages() == [("text", b"ab")]


# -- the probe driven by hand ----------------------------------------------------------------


def _drive(scope: dict[str, Any], messages: list[Any], *, hang: bool = False) -> tuple[list[Any], dict[str, Any] | None]:
    sent: list[Any] = []

    async def receive() -> Any:
        if messages:
            item = messages.pop(0)
            if isinstance(item, BaseException):
                raise item
            return item
        await asyncio.Event().wait()

    async def send(message: Any) -> None:
        if hang:
            await asyncio.Event().wait()
        sent.append(message)

    async def go() -> dict[str, Any] | None:
        task = asyncio.ensure_future(probe.app(scope, receive, send))
        if scope.get("query_string", b"").startswith(b"id=cancel"):
            await asyncio.sleep(0.01)
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return await probe.RECORDS.wait(scope.get("query_string", b"").decode().split("&")[0][3:], 0.01, 0.01)

    return sent, asyncio.run(go())


def _ws(query: str, **extra: Any) -> dict[str, Any]:
    return {"type": "websocket", "asgi": {"version": "3.0"}, "path": "/asgiws/ws", "query_string": query.encode(), "headers": [], **extra}


def test_a_denial_without_the_extension_falls_back_to_close() -> None:
    sent, record = _drive(_ws("id=deny&app=deny:404&t=0.1"), [{"type": "websocket.connect"}])
    assert sent == [{"type": "websocket.close"}]
    assert record is not None
    assert "skipped" in record["steps"][1]


def test_the_probe_records_a_blocked_send_an_error_and_a_cancellation() -> None:
    _, record = _drive(_ws("id=hang&app=accept&t=0.01"), [{"type": "websocket.connect"}], hang=True)
    assert record is not None
    assert record["steps"][1]["blocked"]
    _, record = _drive(_ws("id=oops&app=receive&t=0.1"), [{"type": "websocket.connect"}, OSError("gone")])
    assert record is not None
    assert record["steps"][1]["oserror"]
    _, record = _drive(_ws("id=cancel&app=receive&t=5"), [{"type": "websocket.connect"}])
    assert record is not None
    assert record["ended"] == "cancelled"


def test_the_probe_serves_http_and_lifespan() -> None:
    sent, _ = _drive({"type": "http", "path": "/elsewhere", "query_string": b""}, [])
    assert sent[0]["status"] == 404
    sent, _ = _drive({"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_settling_twice_is_harmless() -> None:
    async def go() -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        probe._settle(future)
        probe._settle(future)

    asyncio.run(go())


# -- the process and HTTP helpers ------------------------------------------------------------


def test_a_silent_listener_is_not_an_answer_and_gives_no_record() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not asyncio.run(server._answers(port, 0.1))
        assert asyncio.run(server._fetch_record(port, "x", 0.1)) is None
    assert asyncio.run(server._fetch_record(server.free_port(), "x", 0.1)) is None


def test_a_record_that_is_not_json() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n\r\nnot json")
        writer.close()
        await writer.wait_closed()

    async def go() -> object:
        async with scripted(handler) as port:
            return await server._fetch_record(port, "x", 0.5)

    assert asyncio.run(go()) is None


def test_stopping_a_server_that_already_exited() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    process.wait(timeout=10)
    server.stop_server(server.RunningServer(process, 0, Path("/dev/null")))


def test_an_unknown_spec_version_is_judged_by_the_newest_rules() -> None:
    assert server._version({"scope": {"asgi": {"spec_version": "2.9"}}}, None) is SpecVersion.V2_5
    assert server._version(None, None) is SpecVersion.V2_0


def test_a_server_that_loses_the_record() -> None:
    from .server_harness import InProcessServer

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await probe.app(scope, receive, send)
        else:
            await receive()
            await send({"type": "websocket.accept"})

    with InProcessServer(app) as running:
        report = server.check_url(running.url, scenarios=[parse_scenario("ping")], timeout=0.2)
    assert Verdict.ERROR in {c.verdict for c in report.results[0].checks}


# -- the reports -----------------------------------------------------------------------------


def test_report_corners() -> None:
    assert "asgiws:" in clause_text("AMB-15")
    empty = ScenarioResult(Scenario("s", (), ()), Verdict.OK, [], WireRecord(), None)
    assert empty.summary == "nothing to judge"
    assert empty.app_saw() is None
    failed = ScenarioResult(Scenario("e", (), ()), Verdict.ERROR, [Check("x", Verdict.ERROR, "WS-012", "lost")], WireRecord(), None)
    assert 'errors="1"' in ServerReport("t", {}, [failed]).render("junit")
    report = ServerReport("t", {}, [empty], error="boom")
    assert "error: boom" in report.to_text()
    assert not report.conformant


# -- the verdicts from evidence built by hand ------------------------------------------------


def _rule(expect: Expect, clauses: tuple[str, ...] = ("AW-07",)) -> ServerRule:
    return ServerRule("r", clauses, expect, (Exercise(""),))


def _ev(app: str, client: str = "", *, wire: WireRecord | None = None, steps: list[dict[str, Any]] | None = None, **kw: Any) -> Evidence:
    from asgiws.conformance.scenarios import APP_WORDS

    record = (
        None
        if steps is None
        else {"scope": kw.pop("scope", {"type": "websocket", "asgi": {"version": "3.0"}}), "steps": [{"step": "receive"}, *steps]}
    )
    return Evidence(
        parse_script(app, APP_WORDS),
        parse_script(client, CLIENT_WORDS),
        kw.pop("offer", ()),
        wire or WireRecord(),
        record,
        kw.pop("version", SpecVersion.V2_5),
    )


def _close(code: int | None, reason: str = "", **kw: Any) -> Frame:
    payload = b"" if code is None else struct.pack("!H", code) + reason.encode()
    return Frame(0, "close", kw.get("fin", True), 0, False, payload)


ACCEPTED: dict[str, Any] = {"step": "accept", "sent": {"type": "websocket.accept"}, "returned": True}
UP: dict[str, Any] = {"status": 101, "response": "ok"}


def _one(expect: Expect, ev: Evidence, clauses: tuple[str, ...] = ("AW-07",)) -> Check:
    (check,) = judge((_rule(expect, clauses),), ev)
    return check


@pytest.mark.parametrize(
    ("expect", "evidence", "verdict", "words"),
    [
        (Expect.ERROR_RESPONSE, _ev("return", wire=WireRecord(response="closed")), Verdict.DEVIATION, "TCP close without"),
        (Expect.UPGRADED, _ev("accept", steps=[ACCEPTED], wire=WireRecord(response="timeout")), Verdict.DEVIATION, "no response"),
        (Expect.UPGRADED, _ev("accept", steps=[ACCEPTED], wire=WireRecord(**UP, key="k")), Verdict.DEVIATION, "Sec-WebSocket-Accept is []"),
        (Expect.SUBPROTOCOL_CHOSEN, _ev("accept:a", steps=[ACCEPTED], wire=WireRecord(**UP), offer=(("a",),)), Verdict.DEVIATION, "carried"),
        (Expect.DENIAL_RESPONSE, _ev("deny:404", steps=[]), Verdict.INFO, "does not advertise"),
        (
            Expect.SCOPE_VALID,
            _ev("accept", steps=[], scope={"type": "websocket", "asgi": {"version": "3.0"}, "path": "/", "headers": [], "extensions": ["tls"]}),
            Verdict.DEVIATION,
            "tls",
        ),
        (
            Expect.CLOSE_REASON_BOUNDED,
            _ev(
                "accept,close:1000:124",
                steps=[ACCEPTED, {"step": "close:1000:124", "returned": True, "sent": {}}],
                wire=WireRecord(**UP, frames=[_close(1000, "é" * 62)]),
            ),
            Verdict.DEVIATION,
            "went out whole",
        ),
        (
            Expect.CLOSE_NONE,
            _ev("accept,close-none", steps=[ACCEPTED, {"step": "close-none", "raised": "TypeError", "sent": {}}]),
            Verdict.OK,
            "raised TypeError",
        ),
        (Expect.CLOSE_ANSWERED, _ev("accept", "close:1000", wire=WireRecord(**UP, frames=[_close(1000)])), Verdict.DEVIATION, "left the TCP"),
        (
            Expect.DISCONNECT_MIRRORS_CLOSE,
            _ev(
                "accept,receive",
                "close:1000:8",
                steps=[ACCEPTED, {"step": "receive", "got": {"type": "websocket.disconnect", "code": 1000, "reason": ""}}],
                wire=WireRecord(**UP),
            ),
            Verdict.DEVIATION,
            "reason",
        ),
        (
            Expect.SEND_AFTER_DISCONNECT,
            _ev(
                "accept,receive,send-text:1",
                "close:1000",
                steps=[
                    ACCEPTED,
                    {"step": "receive", "got": {"type": "websocket.disconnect", "code": 1000}},
                    {"step": "send-text:1", "sent": {}, "raised": "RuntimeError", "oserror": False},
                ],
                version=SpecVersion.V2_3,
            ),
            Verdict.DEVIATION,
            "before 2.4",
        ),
        (
            # Not every real server does this on every run: the case is built here so that it is always judged.
            Expect.DISCONNECT_ON_LOSS,
            _ev(
                "accept,receive",
                "vanish",
                steps=[ACCEPTED, {"step": "receive", "got": {"type": "websocket.receive", "text": "x"}}],
                wire=WireRecord(**UP),
            ),
            Verdict.DEVIATION,
            "the client vanished; receive() gave",
        ),
        (Expect.CLOSED_AFTER_RETURN, _ev("accept,return", wire=WireRecord(**UP)), Verdict.DEVIATION, "still open"),
        (Expect.CLOSED_AFTER_RAISE, _ev("accept,raise", wire=WireRecord(**UP)), Verdict.DEVIATION, "still open"),
        (Expect.CLOSED_AFTER_RAISE, _ev("accept,raise", wire=WireRecord(**UP, frames=[_close(1000)], tcp_closed_ms=1.0)), Verdict.LENIENT, "1011 is"),
        (
            Expect.MESSAGE_DELIVERED,
            _ev("accept,receive", "text:1", steps=[ACCEPTED, {"step": "receive", "blocked": True}], wire=WireRecord(**UP)),
            Verdict.DEVIATION,
            "nothing before the timeout",
        ),
        (
            Expect.CLOSE_NONE,
            _ev(
                "accept,close-none",
                steps=[ACCEPTED, {"step": "close-none", "returned": True, "sent": {}}],
                wire=WireRecord(**UP, frames=[_close(None)]),
            ),
            Verdict.LENIENT,
            "empty Close",
        ),
        (
            Expect.CLOSE_NONE,
            _ev(
                "accept,close-none",
                steps=[ACCEPTED, {"step": "close-none", "returned": True, "sent": {}}],
                wire=WireRecord(**UP, frames=[_close(1000)]),
            ),
            Verdict.OK,
            "Close frame 1000",
        ),
        (
            Expect.CLOSE_CODE_SENT,
            _ev(
                "accept,close:4000",
                steps=[ACCEPTED, {"step": "close:4000", "returned": True, "sent": {}}],
                wire=WireRecord(**UP, frames=[_close(1000)]),
            ),
            Verdict.DEVIATION,
            "closed with 4000",
        ),
        (
            Expect.INVALID_SEND_REFUSED,
            _ev("accept,send-both", steps=[ACCEPTED, {"step": "send-both", "blocked": True, "sent": {}}], wire=WireRecord(**UP)),
            Verdict.DEVIATION,
            "blocked",
        ),
        (
            Expect.SCOPE_VALID,
            _ev("accept", steps=[], scope={"type": "websocket", "asgi": {"version": "3.0"}, "path": "/", "headers": []}),
            Verdict.OK,
            "valid scope",
        ),
        (
            Expect.DELIVERED_MESSAGES_VALID,
            _ev("accept", steps=[], scope={"type": "websocket", "asgi": {"version": "3.0"}, "path": "/", "headers": []}),
            Verdict.OK,
            "allowed",
        ),
    ],
)
def test_a_verdict_read_from_evidence(expect: Expect, evidence: Evidence, verdict: Verdict, words: str) -> None:
    check = _one(expect, evidence)
    assert check.verdict is verdict, check
    assert words in check.detail


@pytest.mark.parametrize(
    ("frames", "problem"),
    [
        ([Frame(0, "text", True, 0, True, b"a")], "masked"),
        ([Frame(0, "text", True, 2, False, b"a")], "RSV"),
        ([Frame(0, "op3", True, 0, False, b"a")], "reserved opcode"),
        ([Frame(0, "ping", True, 0, False, b"p" * 126)], "126 bytes"),
        ([Frame(0, "ping", False, 0, False, b"p")], "fragmented"),
        ([Frame(0, "close", True, 0, False, b"\x03")], "one-byte"),
        ([_close(1000), Frame(0, "text", True, 0, False, b"late")], "after the server's Close"),
        ([Frame(0, "text", True, 0, False, b"\xff")], "not UTF-8"),
    ],
)
def test_malformed_frames_from_the_server(frames: list[Frame], problem: str) -> None:
    check = _one(Expect.FRAMES_WELL_FORMED, _ev("accept", wire=WireRecord(**UP, frames=frames)))
    assert check.verdict is Verdict.DEVIATION
    assert problem in check.detail


def test_a_deviation_under_a_clause_that_does_not_bind_the_server_is_info() -> None:
    check = _one(Expect.ERROR_RESPONSE, _ev("return", wire=WireRecord(response="closed")), ("WS-035",))
    assert check.verdict is Verdict.INFO


def test_checks_that_do_not_apply() -> None:
    nothing = _ev("accept")
    assert judge((_rule(Expect.SCOPE_VALID), _rule(Expect.DELIVERED_MESSAGES_VALID), _rule(Expect.FRAMES_WELL_FORMED)), nothing) == []
    blocked = _ev("accept,receive", "close:1000", steps=[ACCEPTED, {"step": "receive", "blocked": True}], wire=WireRecord(**UP))
    assert _one(Expect.SEND_AFTER_DISCONNECT, blocked) if False else judge((_rule(Expect.SEND_AFTER_DISCONNECT),), blocked) == []
    outcome = _ev("accept,send-both", steps=[ACCEPTED, {"step": "send-both", "sent": {}}], wire=WireRecord(**UP))
    assert "was not reached" in _one(Expect.INVALID_SEND_REFUSED, outcome).detail
    listed = _ev("accept", steps=[], scope={"type": "websocket", "asgi": {"version": "3.0"}, "path": "/", "headers": [], "extensions": ["x"]})
    assert _one(Expect.DELIVERED_MESSAGES_VALID, listed).verdict is Verdict.OK
    assert binary_payload(3) == b"\x00\x01\x02"


def test_exploration_survives_flaky_and_stale_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    import hypothesis
    from hypothesis.errors import FlakyFailure, NoSuchExample

    from .server_harness import InProcessServer

    calls = iter(["flaky", "stale", "none"])
    replay = parse_scenario("accept")

    def fake_find(strategy: object, condition: Callable[[Scenario], bool], settings: object) -> Scenario:
        del strategy, settings
        what = next(calls)
        if what == "flaky":
            raise FlakyFailure("timing", [ValueError("x")])
        if what == "stale":
            condition(replay)
            return replay
        raise NoSuchExample("none")

    monkeypatch.setattr(hypothesis, "find", fake_find)
    with InProcessServer(probe.app) as running:
        report = explore_module.explore([], url=running.url, examples=3, timeout=0.3)
    assert report.results == []
    assert {r.name for r in SERVER_RULES} >= {"accept"}
    assert Step("x").int_arg(0, 7) == 7
