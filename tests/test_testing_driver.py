"""The connection runner and the app driver: an ASGI app against the honest simulated server, every message and the ending judged, no hang."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asgiws
from asgiws.coverage import Coverage
from asgiws.engine import (
    ClientAction,
    Connect,
    Disconnect,
    Finding,
    Outcome,
    SendBytes,
    SendText,
    SimulatedServer,
    Vanish,
    action_for,
    run_connection,
    websocket_scope,
)
from asgiws.testing import AppDriver
from asgiws.testing.drawn_client import action_kinds, kind_name

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
    transcript = AppDriver(echo, coverage=coverage, max_actions=4).run(data)
    assert transcript.violations == []
    assert transcript.findings == []
    assert transcript.outcome is Outcome.RETURNED
    assert isinstance(transcript.client_actions[-1], Disconnect | Vanish)
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
    assert transcript.outcome is Outcome.TIMED_OUT
    # One root cause: it never answered the handshake (WS-024); the client has not gone, so WS-021 does not apply.
    assert [(f.clause, f.message_type) for f in transcript.findings] == [("WS-024", None)]
    assert AppDriver(ignores_the_cancellation, timeout=0.01).run(data).outcome is Outcome.TIMED_OUT


@settings(QUICK, max_examples=5)
@given(data=st.data())
def test_an_app_that_waits_after_the_disconnect_is_stopped(data: st.DataObject) -> None:
    transcript = AppDriver(keeps_waiting, max_actions=2).run(data)
    assert transcript.outcome is Outcome.WAITED_AFTER_DISCONNECT
    assert isinstance(transcript.client_actions[-1], Disconnect | Vanish)
    assert [(f.clause, f.message_type, f.state) for f in transcript.findings] == [("AMB-17", "websocket.receive", ("DISCONNECTED", "CONNECTED"))]


@settings(QUICK, max_examples=5)
@given(data=st.data())
def test_what_the_app_raises_is_kept(data: st.DataObject) -> None:
    transcript = AppDriver(crashes).run(data)
    assert transcript.outcome is Outcome.RAISED
    assert isinstance(transcript.error, ValueError)
    assert [f.clause for f in transcript.findings] == ["WS-024"]  # it raised before answering the handshake
    assert transcript.findings[0].cause is not None


@settings(QUICK, max_examples=30)
@given(data=st.data())
def test_a_vanishing_client_leaves_with_1006(data: st.DataObject) -> None:
    transcript = AppDriver(echo, max_actions=6).run(data)
    if Vanish() in transcript.client_actions:
        assert transcript.client_actions[-1] == Vanish()
        assert transcript.received[-1] == {"type": "websocket.disconnect", "code": 1006}
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
    transcript = AppDriver(talks_after_the_end, websocket_scope(version), max_actions=3).run(data)
    raises = version >= "2.4"
    # Whether the client closed or vanished, the server raises from 2.4 on (WS-041) and drops the message before (WS-013).
    assert transcript.failed_sends[-1] is raises
    assert isinstance(transcript.error, OSError) is raises
    assert transcript.outcome is (Outcome.RAISED if raises else Outcome.RETURNED)
    assert transcript.violations[-1].clause == "J-09"
    # The send is no violation of the application's, and its error may escape (AMB-33, WS-042).
    assert transcript.findings == []


# -- the engine, with any client -----------------------------------------------------------------


class Plays:
    """A hand-written client: these actions, one each time the application waits, then nothing."""

    def __init__(self, *actions: ClientAction) -> None:
        self.actions = list(actions)

    def act(self, server: SimulatedServer) -> ClientAction | None:
        return self.actions.pop(0) if self.actions else None


HI = SendText("hi")
BYE = Disconnect(1000)


def _run(app: Any, *actions: ClientAction, version: str = "2.5", timeout: float = 1.0) -> Any:
    return asyncio.run(run_connection(app, websocket_scope(version), Plays(*actions), timeout=timeout))


def test_the_engine_queues_the_connect_and_plays_any_client() -> None:
    transcript = _run(echo, HI, BYE)
    assert transcript.client_actions == [Connect(), HI, BYE]
    assert transcript.received == [action.message() for action in transcript.client_actions]
    assert [m["type"] for m in transcript.sent] == ["websocket.accept", "websocket.send"]
    assert transcript.sent[-1] == {"type": "websocket.send", "text": "hi"}
    assert (transcript.outcome, transcript.findings, transcript.states) == (Outcome.RETURNED, [], ("DISCONNECTED", "CONNECTED"))


def test_a_client_with_nothing_more_to_do_leaves_the_app_waiting_without_blame() -> None:
    transcript = _run(echo, HI)
    assert transcript.outcome is Outcome.LEFT_WAITING
    assert transcript.findings == []


@pytest.mark.parametrize(("version", "raises"), [("2.0", False), ("2.3", False), ("2.4", True), ("2.5", True)])
def test_a_vanishing_client_makes_send_raise_from_2_4_on(version: str, raises: bool) -> None:
    transcript = _run(talks_after_the_end, Vanish(), version=version)
    assert transcript.failed_sends == [False, raises]
    assert isinstance(transcript.error, ConnectionResetError) is raises
    # The send is no violation, and its error may escape (AMB-33, WS-042).
    assert transcript.findings == []
    assert [v.clause for v in transcript.violations] == ["J-09"]


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
        (accepts_then_crashes, Outcome.RAISED, ("AW-05", None)),
        (ends_silently, Outcome.RETURNED, ("WS-024", None)),
        (closes_with_1006, Outcome.RAISED, ("RFC-002", "websocket.close")),
        (cancels_itself, Outcome.RAISED, ("AW-05", None)),
        (keeps_waiting, Outcome.WAITED_AFTER_DISCONNECT, ("AMB-17", "websocket.receive")),
    ],
    ids=["raises-while-open", "handshake-unanswered", "refused-inside-asgiws", "cancels-itself", "waits-after-disconnect"],
)
def test_how_the_app_ended_is_a_finding_with_its_clause(app: Any, outcome: Outcome, finding: tuple[str, str | None]) -> None:
    transcript = _run(app, BYE)
    assert transcript.outcome is outcome
    assert [(f.clause, f.message_type) for f in transcript.findings] == [finding]
    assert transcript.violations == []  # nothing the server saw was refused


def test_raising_while_open_names_the_error() -> None:
    (finding,) = _run(accepts_then_crashes, BYE).findings
    assert finding.detail.startswith("the application raised while the connection was open, leaving the close code to the server: ValueError: boom (")
    assert finding.cause == f"ValueError at test_testing_driver.py:{accepts_then_crashes.__code__.co_firstlineno + 4} in accepts_then_crashes"
    assert finding.state == ("CONNECTED", "CONNECTED")


@settings(QUICK, max_examples=40)
@given(data=st.data())
def test_every_kind_of_action_builds_an_action_read_back_from_its_message(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(action_kinds()))
    action = kind.build(**data.draw(st.fixed_dictionaries(kind.arguments)))
    message = action.message()
    assert action_for(message, vanishes=kind.vanishes) == action
    assert kind_name(message, vanishes=kind.vanishes) == kind.name
    assert message["type"] == kind.message_type.value


def test_an_action_is_delivered_in_the_shape_it_names() -> None:
    assert Connect().message() == {"type": "websocket.connect"}
    assert SendText("hi", other_key_as_none=True).message() == {"type": "websocket.receive", "text": "hi", "bytes": None}
    assert SendBytes(b"hi").message() == {"type": "websocket.receive", "bytes": b"hi"}
    assert SendBytes(b"", other_key_as_none=True).message() == {"type": "websocket.receive", "bytes": b"", "text": None}
    assert Disconnect(1001, "bye").message() == {"type": "websocket.disconnect", "code": 1001, "reason": "bye"}
    assert Vanish().message() == {"type": "websocket.disconnect", "code": 1006}
    with pytest.raises(ValueError, match=r"no client action makes a server deliver 'websocket\.accept'"):
        action_for({"type": "websocket.accept"})
