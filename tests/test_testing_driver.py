"""The app driver runs an ASGI app against the honest fake server, judges every message and the ending, and never hangs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asgiws
from asgiws.coverage import Coverage
from asgiws.testing import AppDriver, ClientEvent, FakeServer, Finding, run_connection, websocket_scope
from asgiws.testing.client import client_actions

QUICK = settings(settings.default, max_examples=20)


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """A correct app: accept, echo text and bytes, stop at the disconnect."""
    websocket = asgiws.WebSocket(scope, receive, send)
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


async def sends_before_accepting(scope: Any, receive: Any, send: Any) -> None:
    """A broken app: data before the accept."""
    await receive()
    await send({"type": "websocket.send", "text": "too early"})
    await send({"type": "websocket.close", "code": 1000})


async def sleeps(scope: Any, receive: Any, send: Any) -> None:
    """An app that neither finishes nor waits for a message."""
    await asyncio.sleep(60)


async def keeps_waiting(scope: Any, receive: Any, send: Any) -> None:
    """An app that waits for messages after the disconnect."""
    await send({"type": "websocket.accept"})
    while True:
        await receive()


async def crashes(scope: Any, receive: Any, send: Any) -> None:
    """An app that raises."""
    await receive()
    raise ValueError("boom")


async def ignores_the_cancellation(scope: Any, receive: Any, send: Any) -> None:
    """An app that swallows its cancellation, once."""
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        return


@QUICK
@given(data=st.data())
def test_a_correct_app_breaks_no_rule_and_the_pairs_are_counted(data: st.DataObject) -> None:
    coverage = Coverage()
    transcript = AppDriver(echo, coverage=coverage, max_events=4).run(data)
    assert transcript.violations == []
    assert transcript.findings == []
    assert transcript.outcome == "returned"
    assert transcript.client[-1].message["type"] == "websocket.disconnect"
    assert transcript.states[0] == "DISCONNECTED"
    assert transcript.received[:1] == [{"type": "websocket.connect"}]
    assert len(transcript.sent) == len(transcript.failed_sends)
    assert coverage.hit()


@QUICK
@given(data=st.data())
def test_a_violation_is_judged_and_kept_with_its_clause(data: st.DataObject) -> None:
    transcript = AppDriver(sends_before_accepting, websocket_scope("2.3")).run(data)
    assert [v.clause for v in transcript.violations][:1] == ["WS-024"]
    assert transcript.sent[0] == {"type": "websocket.send", "text": "too early"}
    assert transcript.findings[0] == Finding("WS-024", "websocket.send", ("CONNECTED", "CONNECTING"), str(transcript.violations[0]))


@settings(QUICK, max_examples=2)
@given(data=st.data())
def test_an_app_that_neither_finishes_nor_waits_is_cancelled_after_the_timeout(data: st.DataObject) -> None:
    transcript = AppDriver(sleeps, timeout=0.01).run(data)
    assert transcript.outcome == "timed out"
    assert [(f.clause, f.message_type) for f in transcript.findings] == [("WS-021", None), ("WS-024", None)]
    assert AppDriver(ignores_the_cancellation, timeout=0.01).run(data).outcome == "timed out"


@settings(QUICK, max_examples=5)
@given(data=st.data())
def test_an_app_that_waits_after_the_disconnect_is_stopped(data: st.DataObject) -> None:
    transcript = AppDriver(keeps_waiting, max_events=2).run(data)
    assert transcript.outcome == "waited after the disconnect"
    assert transcript.client[-1].message["type"] == "websocket.disconnect"
    assert [(f.clause, f.message_type, f.state) for f in transcript.findings] == [("AMB-17", "websocket.receive", ("DISCONNECTED", "CONNECTED"))]


@settings(QUICK, max_examples=5)
@given(data=st.data())
def test_what_the_app_raises_is_kept(data: st.DataObject) -> None:
    transcript = AppDriver(crashes).run(data)
    assert transcript.outcome == "raised"
    assert isinstance(transcript.error, ValueError)
    assert [f.clause for f in transcript.findings] == ["WS-024"]  # it raised before answering the handshake


@settings(QUICK, max_examples=30)
@given(data=st.data())
def test_a_vanishing_client_leaves_with_1006(data: st.DataObject) -> None:
    transcript = AppDriver(echo, max_events=6).run(data)
    if any(event.action == "vanishes" for event in transcript.client):
        assert transcript.client[-1] == ClientEvent("vanishes", {"type": "websocket.disconnect", "code": 1006}, vanishes=True)
    assert transcript.violations == []


async def talks_after_the_end(scope: Any, receive: Any, send: Any) -> None:
    """A raw app that sends once more after the client has gone."""
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass
    await send({"type": "websocket.send", "text": "bye"})


@settings(QUICK, max_examples=60)
@given(data=st.data(), version=st.sampled_from(["2.0", "2.3", "2.4", "2.5"]))
def test_a_send_after_the_client_vanished_raises_from_2_4_on_and_is_judged(data: st.DataObject, version: str) -> None:
    transcript = AppDriver(talks_after_the_end, websocket_scope(version), max_events=3).run(data)
    raises = version >= "2.4"
    if transcript.client[-1].vanishes:
        assert transcript.failed_sends[-1] is raises
        assert isinstance(transcript.error, OSError) is raises
        assert transcript.outcome == ("raised" if raises else "returned")
    else:  # a Close frame: the server drops the message, whatever the version (WS-013)
        assert transcript.failed_sends[-1] is False
    assert transcript.violations[-1].clause == "J-09"
    assert transcript.findings[-1].clause == "J-09"


# -- the engine, with any client -----------------------------------------------------------------


class Plays:
    """A hand-written client: these events, one each time the application waits, then nothing."""

    def __init__(self, *events: ClientEvent) -> None:
        self.events = list(events)

    def act(self, server: FakeServer) -> ClientEvent | None:
        return self.events.pop(0) if self.events else None


HI = ClientEvent.of({"type": "websocket.receive", "text": "hi"})
BYE = ClientEvent.of({"type": "websocket.disconnect", "code": 1000})
VANISH = ClientEvent.of({"type": "websocket.disconnect", "code": 1006}, vanishes=True)


def _run(app: Any, *events: ClientEvent, version: str = "2.5", timeout: float = 1.0) -> Any:
    return asyncio.run(run_connection(app, websocket_scope(version), Plays(*events), timeout=timeout))


def test_the_engine_queues_the_connect_and_plays_any_client() -> None:
    transcript = _run(echo, HI, BYE)
    assert [event.action for event in transcript.client] == ["connects", "sends_text", "disconnects"]
    assert transcript.received == [event.message for event in transcript.client]
    assert [m["type"] for m in transcript.sent] == ["websocket.accept", "websocket.send"]
    assert transcript.sent[-1] == {"type": "websocket.send", "text": "hi"}
    assert (transcript.outcome, transcript.findings, transcript.states) == ("returned", [], ("DISCONNECTED", "CONNECTED"))


def test_a_client_with_nothing_more_to_do_leaves_the_app_waiting_without_blame() -> None:
    transcript = _run(echo, HI)
    assert transcript.outcome == "left waiting"
    assert transcript.findings == []


@pytest.mark.parametrize(("version", "raises"), [("2.0", False), ("2.3", False), ("2.4", True), ("2.5", True)])
def test_a_vanishing_client_makes_send_raise_from_2_4_on(version: str, raises: bool) -> None:
    transcript = _run(talks_after_the_end, VANISH, version=version)
    assert transcript.failed_sends == [False, raises]
    assert isinstance(transcript.error, ConnectionResetError) is raises
    assert [f.clause for f in transcript.findings] == ["J-09"]


async def accepts_then_crashes(scope: Any, receive: Any, send: Any) -> None:
    """An app that raises while the connection is open."""
    await receive()
    await send({"type": "websocket.accept"})
    raise ValueError("boom")


async def ends_silently(scope: Any, receive: Any, send: Any) -> None:
    """An app that returns without answering the handshake."""
    await receive()


async def closes_with_1006(scope: Any, receive: Any, send: Any) -> None:
    """An app whose asgiws.WebSocket refuses its close before the server sees it."""
    websocket = asgiws.WebSocket(scope, receive, send)
    await websocket.accept()
    await websocket.close(code=1006)


async def cancels_itself(scope: Any, receive: Any, send: Any) -> None:
    """An app that raises CancelledError of its own accord."""
    await receive()
    await send({"type": "websocket.accept"})
    raise asyncio.CancelledError


@pytest.mark.parametrize(
    ("app", "outcome", "finding"),
    [
        (accepts_then_crashes, "raised", ("AW-05", None)),
        (ends_silently, "returned", ("WS-024", None)),
        (closes_with_1006, "raised", ("RFC-002", "websocket.close")),
        (cancels_itself, "raised", ("AW-05", None)),
        (keeps_waiting, "waited after the disconnect", ("AMB-17", "websocket.receive")),
    ],
    ids=["raises-while-open", "handshake-unanswered", "refused-inside-asgiws", "cancels-itself", "waits-after-disconnect"],
)
def test_how_the_app_ended_is_a_finding_with_its_clause(app: Any, outcome: str, finding: tuple[str, str | None]) -> None:
    transcript = _run(app, BYE)
    assert transcript.outcome == outcome
    assert [(f.clause, f.message_type) for f in transcript.findings] == [finding]
    assert transcript.violations == []  # nothing the server saw was refused


def test_raising_while_open_names_the_error() -> None:
    (finding,) = _run(accepts_then_crashes, BYE).findings
    assert finding.detail.endswith("leaving the close code to the server: ValueError: boom")
    assert finding.state == ("CONNECTED", "CONNECTED")


@settings(QUICK, max_examples=40)
@given(data=st.data())
def test_an_event_is_named_after_the_action_that_delivers_it(data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(client_actions()))
    message = action.message(**data.draw(st.fixed_dictionaries(action.arguments)))
    assert ClientEvent.of(message, vanishes=action.vanishes) == ClientEvent(action.name, message, action.vanishes)
