"""The app driver runs an ASGI app against the honest fake server, judges every message, and never hangs."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import asgiws
from asgiws.coverage import Coverage
from asgiws.testing import AppDriver, websocket_scope

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


@settings(QUICK, max_examples=2)
@given(data=st.data())
def test_an_app_that_neither_finishes_nor_waits_is_cancelled_after_the_timeout(data: st.DataObject) -> None:
    assert AppDriver(sleeps, timeout=0.01).run(data).outcome == "timed out"
    assert AppDriver(ignores_the_cancellation, timeout=0.01).run(data).outcome == "timed out"


@settings(QUICK, max_examples=5)
@given(data=st.data())
def test_an_app_that_waits_after_the_disconnect_is_stopped(data: st.DataObject) -> None:
    transcript = AppDriver(keeps_waiting, max_events=2).run(data)
    assert transcript.outcome == "waited after the disconnect"
    assert transcript.client[-1].message["type"] == "websocket.disconnect"


@settings(QUICK, max_examples=5)
@given(data=st.data())
def test_what_the_app_raises_is_kept(data: st.DataObject) -> None:
    transcript = AppDriver(crashes).run(data)
    assert transcript.outcome == "raised"
    assert isinstance(transcript.error, ValueError)


@settings(QUICK, max_examples=30)
@given(data=st.data())
def test_a_vanishing_client_makes_send_raise_oserror(data: st.DataObject) -> None:
    transcript = AppDriver(echo, max_events=6).run(data)
    if any(event.action == "vanishes" for event in transcript.client):
        assert transcript.client[-1].message == {"type": "websocket.disconnect", "code": 1006}
    assert transcript.violations == []


async def talks_after_the_end(scope: Any, receive: Any, send: Any) -> None:
    """A raw app that sends once more after the client has gone."""
    await receive()
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        pass
    await send({"type": "websocket.send", "text": "bye"})


@settings(QUICK, max_examples=40)
@given(data=st.data())
def test_a_send_after_the_client_vanished_raises_and_is_judged(data: st.DataObject) -> None:
    transcript = AppDriver(talks_after_the_end, max_events=3).run(data)
    if transcript.client[-1].action == "vanishes":
        assert transcript.failed_sends[-1]
        assert isinstance(transcript.error, OSError)
    assert transcript.violations[-1].clause == "J-09"
