"""Known differences as data: the baseline file, matching on meaning, replay, and the machine going on past a known one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from starlette.websockets import WebSocket as StarletteWebSocket

import asgiws
from asgiws._context import Context
from asgiws.spec import Side, State
from asgiws.testing import (
    Baseline,
    BaselineError,
    Difference,
    Divergence,
    Harness,
    Tally,
    known_differences,
    websocket_machine,
    websocket_scope,
)
from asgiws.testing.adapters import STARLETTE, Adapter
from asgiws.testing.known import (
    NO_CLAUSE,
    decode,
    describe,
    encode,
    field_clauses,
    read_program,
    refusal_clauses,
    replay,
    reproducer,
    transition_clauses,
    write_program,
)

QUICK = settings(max_examples=10, derandomize=True, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def divergence_of(factory: Any, program: Any, *, version: str = "2.5", denial: bool = False, adapter: Adapter = STARLETTE) -> Difference:
    harness = Harness(factory, websocket_scope(version, denial=denial), adapter=adapter)

    def run() -> None:
        program(harness)
        harness.check()

    with pytest.raises(Divergence) as caught:
        run()
    harness.close_pending()
    assert caught.value.difference is not None
    return caught.value.difference


def close_999(h: Harness) -> None:
    h.client({"type": "websocket.connect"})
    h.accept(None, None, valid=True)
    h.close(999, None, valid=False)


class DropsTheCode(StarletteWebSocket):
    """One injected bug: close() always sends 1000."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await super().close(1000, reason)


# -- a divergence means something ------------------------------------------------------------------


def test_a_divergence_is_named_by_clause_call_states_expected_and_outcome() -> None:
    difference = divergence_of(StarletteWebSocket, close_999)
    # A schema rule holds in every state.
    assert difference.key == ("RFC-008", "close", "any", "any", "raises RuntimeError (invalid-message)", "returned")
    assert difference.message == "websocket.close"
    assert difference.happened == "returned"
    assert difference.connection == {"spec_version": "2.5", "denial": False, "subprotocols": []}
    assert [step[0] for step in difference.program or ()] == ["client", "accept", "close"]
    assert "RFC-008 close [websocket.close] in receive any / send any" in str(difference)


def test_a_state_rule_keeps_its_states() -> None:
    def send_after_disconnect(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.client({"type": "websocket.disconnect", "code": 1001})
        h.receive()
        h.send_text("anyone?", valid=True)

    difference = divergence_of(StarletteWebSocket, send_after_disconnect)
    assert tuple(difference.key[:4]) == ("J-09", "send_text", "DISCONNECTED", "CONNECTED")
    assert difference.message == "websocket.send"


def test_the_payload_shape_is_shown_but_not_matched_on() -> None:
    class NoneOnBinary(asgiws.WebSocket):
        async def receive_text(self) -> str:
            message = await self.receive()
            return cast(str, message.get("text"))  # None for binary data: the slip under test

    def binary_as_text(extra: dict[str, Any]) -> Any:
        def program(h: Harness) -> None:
            h.client({"type": "websocket.connect"})
            h.accept(None, None, valid=True)
            h.client({"type": "websocket.receive", "bytes": b"\x00", **extra})
            h.receive_text()

        return program

    with_none = divergence_of(NoneOnBinary, binary_as_text({"text": None}))
    alone = divergence_of(NoneOnBinary, binary_as_text({}))
    assert with_none.key == alone.key == ("AMB-27", "receive_text", "CONNECTED", "CONNECTED", "raises KeyError (unexpected-data)", "returned")
    assert (with_none.message, alone.message) == ("websocket.receive(bytes, text=None)", "websocket.receive(bytes)")
    # Starlette returns None for the shape with text=None, and raises KeyError (the spec's answer) for the other.
    assert divergence_of(StarletteWebSocket, binary_as_text({"text": None})).key == with_none.key


def test_the_json_decoding_and_the_mode_have_no_clause() -> None:
    class ModeLess(asgiws.WebSocket):
        async def receive_json(self, mode: str = "text") -> Any:
            return None

    def bad_mode(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.receive_json("xml")

    assert divergence_of(ModeLess, bad_mode).clause == NO_CLAUSE


def test_a_state_divergence_and_a_forwarded_one_are_named_after_the_last_verdict() -> None:
    class StaysConnected(asgiws.WebSocket):
        async def close(self, code: int = 1000, reason: str | None = None) -> None:
            await super().close(code, reason)
            self.application_state = asgiws.WebSocketState.CONNECTED

    def close(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.close(1000, None, valid=True)

    stays = divergence_of(StaysConnected, close)
    assert (stays.clause, stays.call, stays.receive, stays.send) == ("WS-044", "close", "CONNECTED", "CONNECTED")
    assert stays.expected == "leaves receive CONNECTED / send DISCONNECTED"
    assert stays.outcome == "left another send state"

    def close_twice(h: Harness) -> None:
        close(h)
        h.close(4000, "x", valid=True)

    def close_4000(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.close(4000, None, valid=True)

    dropped = divergence_of(DropsTheCode, close_twice)
    assert dropped.key.clause == "RFC-016"  # the second close is where it diverged: Starlette's own way
    code = divergence_of(DropsTheCode, close_4000)
    assert (code.clause, code.expected, code.happened, code.outcome) == (
        "WS-044",
        "forwards websocket.close as the call asked",
        "forwarded websocket.close with other fields",
        "forwarded other fields",
    )


def test_forwarding_too_much_and_taking_too_much() -> None:
    class Chatty(asgiws.WebSocket):
        async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
            await super().accept(subprotocol, headers)
            await self._send({"type": "websocket.send", "text": "hi"})

    class Greedy(asgiws.WebSocket):
        async def send_text(self, data: str) -> None:
            await self._receive()
            await super().send_text(data)

    def accept(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)

    chatty = divergence_of(Chatty, accept)
    assert (chatty.happened, chatty.outcome) == ("forwarded websocket.accept, websocket.send", "forwarded other messages")

    def greedy(h: Harness) -> None:
        accept(h)
        h.client({"type": "websocket.receive", "text": "x"})
        h.send_text("y", valid=True)

    assert divergence_of(Greedy, greedy).outcome == "took more"


def test_clauses_are_read_off_the_tables() -> None:
    assert transition_clauses(Side.SEND, State.RESPONSE, "websocket.http.response.body", {"more_body": True}) == ("WS-050", "WS-050a")
    assert transition_clauses(Side.SEND, State.CONNECTED, "websocket.accept") == ()
    assert refusal_clauses(Side.SEND, (State.CONNECTED, State.CONNECTING), "websocket.send", denial=False) == ("WS-024", "J-02")
    assert refusal_clauses(Side.SEND, (State.CONNECTED, State.CONNECTING), "websocket.http.response.start", denial=False) == ("WS-015", "WS-047")
    assert refusal_clauses(Side.RECEIVE, (State.CONNECTED, State.CONNECTING), "websocket.send", denial=False) == ("WS-010", "WS-005")
    assert refusal_clauses(Side.RECEIVE, (State.CONNECTED, State.CONNECTING), "websocket.receive", denial=False)[0] == "J-03"


def test_only_a_message_of_a_known_type_breaks_a_schema_rule() -> None:
    context = Context()
    assert field_clauses(["websocket.send"], context) == ()
    assert field_clauses({"type": "websocket.close", "code": 1000}, context) == ()
    assert field_clauses({"type": "websocket.close", "code": 999}, context)[0] == "RFC-008"


def test_describe() -> None:
    assert describe(["websocket.send"]) == "not a message"
    assert describe({"type": "websocket.ping"}) == "unknown type"
    assert describe({"type": "websocket.send", "text": "a", "bytes": b"a"}, payload=True) == "websocket.send(bytes, text)"
    assert describe({"type": "websocket.close"}, payload=True) == "websocket.close"


# -- programs and files ------------------------------------------------------------------------------


def test_programs_round_trip_every_value_a_strategy_draws() -> None:
    values = [None, True, 3, 1.5, "\ud800", b"\xff", bytearray(b"x"), [1, (2, b"3")], {b"x-a": b"b"}, {"$type": 1}, {"type": "a"}, {b"a", b"b"}]
    for value in values:
        assert decode(json.loads(json.dumps(encode(value)))) == value
    program = write_program([("close", (1000, None), {"valid": True})])
    assert program is not None
    assert list(read_program(json.loads(json.dumps(program)))) == [("close", (1000, None), {"valid": True})]
    assert write_program([("accept", (None, iter([])), {"valid": True})]) is None


def test_a_reproducer_is_a_test_that_replays_the_program() -> None:
    difference = divergence_of(StarletteWebSocket, close_999)
    source = reproducer(difference, "WebSocket", "from starlette.websockets import WebSocket")
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(Divergence):
        namespace["test_rfc_008_close"]()
    assert "cannot be written down" in reproducer(Difference("WS-009", "send", "unknown type", "any", "any", "raises", "returned", "returned"))


def test_replay_shows_the_difference_while_it_remains() -> None:
    difference = divergence_of(StarletteWebSocket, close_999)
    assert replay(StarletteWebSocket, difference) == difference
    assert replay(asgiws.WebSocket, difference) is None
    assert replay(StarletteWebSocket, Difference("X", "c", "m", "any", "any", "e", "h", "h")) is None


def test_a_baseline_file_is_stable_and_reads_back(tmp_path: Path) -> None:
    first = divergence_of(StarletteWebSocket, close_999)
    baseline = Baseline(subject="starlette.websockets:WebSocket", covers={"starlette": "1.10"})
    baseline.add(first)
    longer = Difference(**{**first.__dict__, "program": (*(first.program or ()), ["check", [], {}])})
    baseline.add(longer)  # the shorter program is kept
    baseline.add(Difference("WS-009", "send", "unknown type", "any", "any", "raises", "returned", "returned"))
    assert len(baseline) == 2
    assert baseline.differences[first.key].program == first.program
    path = tmp_path / "known.json"
    baseline.dump(path)
    text = path.read_text(encoding="utf-8")
    assert text == known_differences(path).to_text()
    assert '"program": null' in text
    assert [d.clause for d in known_differences(path)] == ["RFC-008", "WS-009"]


def test_unreadable_baselines_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read"):
        known_differences(tmp_path / "missing.json")
    (tmp_path / "a.json").write_text("{", encoding="utf-8")
    with pytest.raises(BaselineError, match="not JSON"):
        known_differences(tmp_path / "a.json")
    (tmp_path / "b.json").write_text("[]", encoding="utf-8")
    with pytest.raises(BaselineError, match="not an asgiws baseline"):
        known_differences(tmp_path / "b.json")
    (tmp_path / "old.json").write_text('{"asgiws_baseline": 1, "differences": []}', encoding="utf-8")
    with pytest.raises(BaselineError, match="of format 2; record it again"):
        known_differences(tmp_path / "old.json")
    (tmp_path / "c.json").write_text('{"asgiws_baseline": 2, "differences": [{"clause": "X"}]}', encoding="utf-8")
    with pytest.raises(BaselineError, match="entry without"):
        known_differences(tmp_path / "c.json")


def test_the_shipped_baselines() -> None:
    starlette = known_differences("starlette")
    assert starlette.subject == "starlette.websockets:WebSocket"
    assert len(starlette) >= 100
    # Nearly every entry has the program that replays it; one met only after an accept with an iterator for headers has none.
    assert sum(d.program is None for d in starlette) < len(starlette) // 100


# -- the tally and the machine -----------------------------------------------------------------------


def test_a_tally_notes_only_what_it_may() -> None:
    difference = divergence_of(StarletteWebSocket, close_999)
    checking = Tally(Baseline())
    assert not checking.tolerates(difference)
    recording = Tally(record=True)
    assert recording.tolerates(difference)
    assert recording.new == [difference]
    assert recording.noted == 1
    known = Baseline()
    known.add(difference)
    unknowable = Difference("WS-009", "send", "unknown type", "any", "any", "raises", "returned", "returned")
    known.add(unknowable)
    gone = replace(difference, clause="RFC-999", program=(["client", [{"type": "websocket.connect"}], {}],))
    known.add(gone)
    tally = Tally(known)
    # The first replays and still shows; the second has no program to replay; the third's program no longer diverges.
    assert tally.fixed(StarletteWebSocket) == [gone]
    assert difference.key in tally.seen


def test_the_machine_goes_on_past_a_known_divergence_and_fails_on_a_new_one() -> None:
    recorder = websocket_machine(StarletteWebSocket, record=True)
    run_state_machine_as_test(recorder, settings=QUICK)
    assert recorder.tally is not None
    assert len(recorder.tally.seen) > 20
    assert recorder.fixed() == []
    checker = websocket_machine(StarletteWebSocket, known=recorder.tally.seen)
    run_state_machine_as_test(checker, settings=QUICK)
    assert checker.tally is not None
    assert checker.tally.noted > 0
    with pytest.raises(Divergence):
        run_state_machine_as_test(websocket_machine(StarletteWebSocket), settings=QUICK)
    assert websocket_machine(asgiws.WebSocket).fixed() == []


def test_the_machine_takes_a_baseline_by_name() -> None:
    machine = websocket_machine(StarletteWebSocket, known="starlette")
    assert machine.tally is not None
    assert len(machine.tally.baseline) == len(known_differences("starlette"))


def test_a_known_divergence_in_the_setups_accept_starts_before_it() -> None:
    class AcceptForgets(asgiws.WebSocket):
        async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
            await super().accept(subprotocol, headers)
            self.application_state = asgiws.WebSocketState.CONNECTING

    machine = websocket_machine(AcceptForgets, record=True, sweep_first=False)
    run_state_machine_as_test(machine, settings=QUICK)
    assert machine.tally is not None
    assert any(d.call == "accept" for d in machine.tally.seen)
