"""The harness tells every way an implementation can depart from the spec, and never hangs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

import asgiws
from asgiws.engine import SUSPENDED, SimulatedServer, drive
from asgiws.spec import State, ViolationKind
from asgiws.testing import Divergence, Harness, websocket_scope
from asgiws.testing.call_outcomes import ANY_KIND, Forwarded, Raises, Returns, same_message
from asgiws.testing.oracle import oracle

CONNECT = {"type": "websocket.connect"}


def harness(factory: Any = asgiws.WebSocket, **scope: Any) -> Harness:
    return Harness(factory, websocket_scope(**scope))


def connected(factory: Any = asgiws.WebSocket, **scope: Any) -> Harness:
    h = harness(factory, **scope)
    h.client(CONNECT)
    h.accept(None, None, valid=True)
    h.check()
    return h


def diverges(action: Callable[[], None], match: str) -> None:
    with pytest.raises(Divergence, match=match):
        action()


# -- implementations with one bug each ------------------------------------------------------------


class WrongState(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        await super().send_text(data)
        self.application_state = asgiws.WebSocketState.DISCONNECTED


class SendsTwice(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        await super().send_text(data)
        await self._send({"type": "websocket.send", "text": data})


class SendsSomethingElse(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        await self._send({"type": "websocket.send", "text": data + "!"})


class ReceivesTooMuch(asgiws.WebSocket):
    async def receive_text(self) -> str:
        text = await super().receive_text()
        await self._receive()  # and the next one, behind the state's back
        return text


class WaitsInClose(asgiws.WebSocket):
    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._receive()


class NeverWaits(asgiws.WebSocket):
    async def receive_text(self) -> str:
        return "made up"


class RaisesOnSend(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        raise RuntimeError("no")


class ReturnsTheWrongText(asgiws.WebSocket):
    async def receive_text(self) -> str:
        return (await super().receive_text()).upper()


class ForwardsInvalidCodes(asgiws.WebSocket):
    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._send({"type": "websocket.close", "code": code})
        self.application_state = asgiws.WebSocketState.DISCONNECTED


class RaisesKeyError(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        raise KeyError("text")


class WrongKind(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        raise asgiws.InvalidMessageError(
            "no", kind=ViolationKind.WRONG_STATE, clauses=("WS-024",), side=asgiws.spec.Side.SEND, states=self._connection_state.states,
            message_type="websocket.send", allowed=(), rule="",
        )  # fmt: skip


class WrongCode(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        raise WebSocketDisconnect(4999, "going away")


class WrongReason(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        raise WebSocketDisconnect(1001, "elsewhere")


class AwaitsAFuture(asgiws.WebSocket):
    loop: asyncio.AbstractEventLoop

    async def send_text(self, data: str) -> None:
        await self.loop.create_future()


class SpinsForever(asgiws.WebSocket):
    async def send_text(self, data: str) -> None:
        while True:
            await asyncio.sleep(0)


class KeepsWaitingWhenAbandoned(asgiws.WebSocket):
    async def receive_text(self) -> str:
        try:
            return await super().receive_text()
        except BaseException:  # this implementation misbehaves on purpose: it waits once more
            return await super().receive_text()


# -- the tests ------------------------------------------------------------------------------------------


def test_states_that_differ_are_reported() -> None:
    h = connected(WrongState)
    h.send_text("x", valid=True)
    diverges(h.check, "the states are receive CONNECTED / send DISCONNECTED; the spec says receive CONNECTED / send CONNECTED")


def test_a_message_too_many_is_reported() -> None:
    h = connected(SendsTwice)
    h.send_text("x", valid=True)
    diverges(h.check, r"the server was sent \[.*\]; the spec says \[.*\]")


def test_a_different_message_is_reported() -> None:
    h = connected(SendsSomethingElse)
    h.send_text("x", valid=True)
    diverges(h.check, r"the server was sent \{'type': 'websocket.send', 'text': 'x!'\}")


def test_a_message_taken_too_many_is_reported() -> None:
    h = connected(ReceivesTooMuch)
    h.client({"type": "websocket.receive", "text": "a"})
    h.client({"type": "websocket.receive", "text": "b"})
    h.receive_text()
    diverges(h.check, r"took 3 message\(s\) from the server; the spec says 2")


def test_a_wait_the_spec_does_not_allow_is_reported_not_hung() -> None:
    h = connected(WaitsInClose)
    diverges(
        lambda: h.close(1000, None, valid=True),
        r"close\(code=1000, reason=None\) waits for a message the client never sent; the spec says it returns None",
    )


def test_not_waiting_when_the_spec_says_wait_is_reported() -> None:
    h = connected(NeverWaits)
    diverges(h.receive_text, r"receive_text\(\) returned 'made up'; the spec says it waits for the client's next message")


def test_raising_when_the_spec_says_return_is_reported() -> None:
    h = connected(RaisesOnSend)
    diverges(lambda: h.send_text("x", valid=True), r"send_text\('x'\) raised RuntimeError: no; the spec says it returns None")


def test_a_wrong_value_is_reported() -> None:
    h = connected(ReturnsTheWrongText)
    h.client({"type": "websocket.receive", "text": "a"})
    diverges(h.receive_text, r"receive_text\(\) returned 'A'; the spec says it returns 'a'")


def test_returning_when_the_spec_says_raise_is_reported() -> None:
    h = connected(ForwardsInvalidCodes)
    diverges(lambda: h.close(999, None, valid=False), r"returned None; the spec says it raises RuntimeError \(invalid-message\)")


def test_another_family_is_reported() -> None:
    h = connected(RaisesKeyError)
    h.client({"type": "websocket.disconnect", "code": 1001})
    h.receive()
    diverges(lambda: h.send_text("x", valid=True), r"raised KeyError.*but it raised KeyError, not a WebSocketDisconnect")


def test_another_kind_code_and_reason_are_reported() -> None:
    h = connected(WrongKind)
    diverges(lambda: h.send_text("x", valid=False), "but it raised a wrong-state violation")
    for cls, problem in ((WrongCode, "its code is 4999"), (WrongReason, "its reason is 'elsewhere'")):
        h = connected(cls)
        h.client({"type": "websocket.disconnect", "code": 1001, "reason": "going away"})
        h.receive()
        diverges(partial(h.send_text, "x", valid=True), problem)


def test_an_implementation_that_needs_an_event_loop_is_refused_clearly() -> None:
    AwaitsAFuture.loop = asyncio.new_event_loop()
    h = connected(AwaitsAFuture)
    with pytest.raises(RuntimeError, match=r"awaited .*Future.*not the simulated server"):
        h.send_text("x", valid=True)
    AwaitsAFuture.loop.close()
    h = connected(SpinsForever)
    with pytest.raises(RuntimeError, match="yielded 1000 times"):
        h.send_text("x", valid=True)


def test_a_call_left_waiting_is_abandoned_at_the_end() -> None:
    h = connected()
    h.receive_text()
    assert h.pending is not None
    h.close_pending()
    assert h.pending is None
    stubborn = connected(KeepsWaitingWhenAbandoned)
    stubborn.receive_text()
    stubborn.close_pending()


def test_an_iterator_waiting_for_the_client_resumes_and_is_closed() -> None:
    h = connected()
    h.iterate("iter_text", 3)
    assert h.pending is not None
    h.client({"type": "websocket.receive", "text": "a"})
    h.check()
    assert h.pending is None
    h.iterate("iter_json", 2)
    h.close_pending()
    h.client({"type": "websocket.receive", "text": "[1]"})
    h.iterate("iter_json", 1)
    h.iterate("iter_bytes", 2)  # a text message: the iterator raises, and stops
    h.client({"type": "websocket.disconnect", "code": 1000})
    h.iterate("iter_text", 2)  # ends at the disconnect
    h.check()


def test_receive_json_refuses_an_unknown_mode_and_reports_bad_json() -> None:
    h = connected()
    h.receive_json("xml")
    h.client({"type": "websocket.receive", "text": "{not json"})
    h.receive_json("text")
    h.client({"type": "websocket.receive", "bytes": b'{"a": 1}'})
    h.receive_json("binary")
    h.check()


def test_drive_runs_bare_yields_and_reports_suspension() -> None:
    async def nap() -> int:
        await asyncio.sleep(0)
        return 3

    assert drive(nap()) == (True, 3, None)
    server = SimulatedServer(denial=False)
    receive = server.receive()
    assert drive(receive) == (False, None, None)
    server.inject({"type": "websocket.connect"}, valid=True)
    assert drive(receive) == (True, {"type": "websocket.connect"}, None)
    assert SUSPENDED is not None


def test_forwarded_json_is_compared_as_a_document() -> None:
    expected = Forwarded({"type": "websocket.send", "text": json.dumps({"a": [1, 2]})}, json_payload=True)
    assert expected.matches({"type": "websocket.send", "text": '{"a": [1,2]}'})
    assert not expected.matches({"type": "websocket.send", "text": '{"a": [2]}'})
    assert not expected.matches({"type": "websocket.send", "text": "{not json"})
    assert not expected.matches({"type": "websocket.send", "bytes": b'{"a": [1, 2]}'})
    assert not expected.matches({"type": "websocket.close"})
    assert not expected.matches(["websocket.send"])
    binary = Forwarded({"type": "websocket.send", "bytes": b"[]"}, json_payload=True)
    assert binary.matches({"type": "websocket.send", "bytes": b"[ ]", "text": None})


def test_messages_are_compared_in_their_normal_form() -> None:
    assert same_message({"type": "websocket.close", "code": 1000, "reason": ""}, {"type": "websocket.close"})
    assert same_message({"type": "websocket.accept", "headers": [(b"a", b"b")]}, {"type": "websocket.accept", "headers": [[b"a", b"b"]]})
    assert same_message({"type": "websocket.accept", "headers": []}, {"type": "websocket.accept", "subprotocol": None})
    assert not same_message({"type": "websocket.close", "code": 1001}, {"type": "websocket.close"})
    assert same_message({"type": "not.a.message", "x": 1}, {"type": "not.a.message", "x": 1})
    assert same_message(["a"], ["a"])
    assert not same_message({"type": "websocket.accept", "headers": [1]}, {"type": "websocket.accept", "headers": [2]})


def test_outcomes_say_what_they_expect() -> None:
    assert str(Returns(None)) == "returns None"
    assert str(Raises(RuntimeError, ViolationKind.WRONG_STATE)) == "raises RuntimeError (wrong-state)"
    assert str(Raises(WebSocketDisconnect, code=1001, reason="")) == "raises WebSocketDisconnect with code 1001 and reason ''"
    assert Raises(RuntimeError, ANY_KIND).mismatch(RuntimeError()) is None
    assert Raises(RuntimeError, None).mismatch(asgiws.InvalidMessageError(
        "x", kind=ViolationKind.INVALID_MESSAGE, clauses=("WS-009",), side=asgiws.spec.Side.SEND, states=(asgiws.spec.State.CONNECTING,) * 2,
        message_type=None, allowed=(), rule="",
    )) == ("it raised a invalid-message violation", "of another kind")  # fmt: skip
    assert Raises(ValueError).mismatch(KeyError()) == ("it raised KeyError, not a ValueError", "")
    disconnect = WebSocketDisconnect(1000, "bye")
    assert Raises(WebSocketDisconnect, code=1001, reason="bye").mismatch(disconnect) == ("its code is 1000", "with another code")
    assert Raises(WebSocketDisconnect, code=1000, reason="").mismatch(disconnect) == ("its reason is 'bye'", "with another reason")


def test_a_harness_exposes_the_pairs_it_exercised() -> None:
    h = connected()
    assert {p.key() for p in h.pairs} == {"2.5|receive|CONNECTING|websocket.connect", "2.5|send|CONNECTING|websocket.accept"}
    assert h.states == (asgiws.spec.State.CONNECTED, asgiws.spec.State.CONNECTED)


class IteratorWithCleanup(asgiws.WebSocket):
    async def iter_text(self) -> Any:
        try:
            yield await self.receive_text()
        finally:
            await self.receive()  # a cleanup that waits for the client


def test_an_iterator_whose_cleanup_waits_is_abandoned_too() -> None:
    h = connected(IteratorWithCleanup)
    h.client({"type": "websocket.receive", "text": "a"})
    h.iterate("iter_text", 1)
    assert h.pending is None


def test_the_server_records_what_is_not_a_message_and_the_model_nodes_say_where_they_are() -> None:
    server = SimulatedServer(denial=False)
    assert drive(server.send(["websocket.send"])) == (True, None, None)
    assert server.outbox == [["websocket.send"]]
    assert server.seen_states == (State.CONNECTING, State.CONNECTING)
    assert repr(oracle(denial=False).initial) == "<ModelNode receive=CONNECTING send=CONNECTING>"
    assert server.withdraw() == []


def test_a_denial_response_forwards_its_start_and_its_body() -> None:
    h = harness(denial=True)
    h.client(CONNECT)
    h.receive()
    h.send_denial_response(403, b"go away", valid=True)
    h.check()
    assert [m["type"] for m in h.server.outbox] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert h.server.outbox[1]["body"] == b"go away"
    assert [s.name for s in h.states] == ["RESPONSE", "DISCONNECTED"]


def test_close_during_a_denial_response_is_refused() -> None:
    h = harness(denial=True)
    h.client(CONNECT)
    h.receive()
    h.send({"type": "websocket.http.response.start", "status": 403}, valid=True)
    h.close(1000, None, valid=True)  # refused: the response must be finished with its body
    h.check()
    assert [m["type"] for m in h.server.outbox] == ["websocket.http.response.start"]
    assert h.exercised >= {("2.5", "send", "RESPONSE", "websocket.close")}
