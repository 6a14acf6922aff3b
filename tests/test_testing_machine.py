"""The generated state machine holds asgiws.WebSocket to the spec, and reaches every pair of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from starlette.websockets import WebSocketDisconnect

import asgiws
from asgiws.coverage import Coverage, all_pairs
from asgiws.spec import MESSAGE_SIDE, MessageType, Side, SpecVersion
from asgiws.testing import Divergence, Setup, bad, coverage_report, walks, websocket_machine
from asgiws.testing.machine import _HELPER_CALLS, _SENDING_CALLS, MACHINE_SUBPROTOCOLS, _paths_to_states, helper_deliveries, rule_specs, sweep

#: Enough examples for the derandomized run to reach every pair, with room to spare.
COVERAGE_RUN = settings(settings.default, max_examples=100, stateful_step_count=50)


def test_asgiws_websocket_follows_the_spec_and_every_pair_is_exercised(asgiws_coverage: Coverage, capsys: pytest.CaptureFixture[str]) -> None:
    coverage = Coverage()
    machine = websocket_machine(asgiws.WebSocket, coverage=coverage)
    run_state_machine_as_test(machine, settings=COVERAGE_RUN)
    report = coverage_report(coverage)
    with capsys.disabled():
        print("\n" + report)
    assert coverage.missed() == [], report
    assert len(coverage.hit()) == len(all_pairs()) == 192
    assert report.splitlines()[-1] == "all       192    192"
    asgiws_coverage.merge(coverage)  # and in the session's report, printed at the end of the run


def test_the_rules_are_generated_from_the_tables() -> None:
    names = {spec.name for spec in rule_specs()}
    # One raw send per message type of the send side, one client action per receive-side type and payload.
    sent = {f"app_raw_{m.value.removeprefix('websocket.').replace('.', '_')}" for m, side in MESSAGE_SIDE.items() if side is Side.SEND}
    assert sent <= names
    assert {"client_connects", "client_sends_text", "client_sends_bytes", "client_disconnects", "client_vanishes"} <= names
    assert {"app_accept", "app_close", "app_send_text", "app_send_json", "app_receive_json", "app_iter_bytes", "server_misbehaves"} <= names
    assert "app_raw_unknown_type" not in {spec.name for spec in rule_specs(invalid_calls=False)}
    assert "server_misbehaves" not in {spec.name for spec in rule_specs(misbehaving_server=False)}
    assert "client_vanishes" not in {spec.name for spec in rule_specs(transport_failures=False)}


def test_every_transition_is_one_walk_away() -> None:
    # The empty walk, then one per transition that moves a state; with the extension there are more.
    assert len(walks(denial=True)) == 20
    assert len(walks(denial=False)) == 13
    assert walks(denial=True)[:2] == ((), ({"type": "websocket.connect"},))


def test_a_narrow_machine_runs_one_version_and_one_kind_of_connection() -> None:
    coverage = Coverage()
    machine = websocket_machine(
        asgiws.WebSocket,
        versions=["2.3"],
        denial=False,
        coverage=coverage,
        misbehaving_server=False,
        invalid_calls=False,
        transport_failures=False,
        exclude=["app_iter_json"],
    )
    run_state_machine_as_test(machine, settings=settings(settings.default, max_examples=10))
    assert {pair.version for pair in coverage.hit()} == {"2.3"}
    assert not hasattr(machine, "app_iter_json")


def test_excluding_an_unknown_rule_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"no such rules: \['app_dance'\]"):
        websocket_machine(asgiws.WebSocket, exclude=["app_dance"])


class _ForgetsSubprotocols(asgiws.WebSocket):
    """A broken implementation: it never forwards the subprotocol it accepts."""

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(None, headers)


def test_a_divergence_is_shrunk_to_a_readable_program() -> None:
    kept = {"client_connects", "app_accept", "app_receive"}
    others = [spec.name for spec in rule_specs(misbehaving_server=False, transport_failures=False) if spec.name not in kept]
    machine = websocket_machine(
        _ForgetsSubprotocols,
        versions=["2.5"],
        denial=False,
        misbehaving_server=False,
        transport_failures=False,
        exclude=others,
        sweep_first=False,  # the sweep's accept() would find it without a program to shrink
        name="BrokenMachine",
    )
    with pytest.raises(Divergence) as caught:
        run_state_machine_as_test(machine, settings=settings(settings.default, max_examples=100, phases=[Phase.generate, Phase.shrink]))
    program = "\n".join(getattr(caught.value, "__notes__", []))
    assert "state = BrokenMachine()" in program
    assert re.search(r"^state\.app_accept\(headers=.*, subprotocol=.*\)$", program, flags=re.M), program
    assert str(caught.value).startswith("accept(subprotocol=")


def test_bad_marks_a_value_meant_to_be_refused() -> None:
    assert repr(bad(999)) == "bad(999)"
    assert bad([1]) == bad([1])
    assert bad(1) != 1


def test_a_setup_opens_a_connection_of_its_version() -> None:
    machine = websocket_machine(asgiws.WebSocket)()
    machine.open(Setup("2.3", denial=True, subprotocols=MACHINE_SUBPROTOCOLS, connected=True))
    first = machine.harness
    assert first.version is SpecVersion.V2_3
    assert first.subprotocols == MACHINE_SUBPROTOCOLS
    assert first.server.queued == 1  # the connect, queued up front
    first.receive()  # the application takes it
    machine.open(Setup("2.0", denial=False))
    assert machine.harness is not first
    assert machine.harness.server.queued == 0
    machine.open(Setup("2.4", denial=False, accepted=True))  # the data may flow from the first rule on
    assert [s.name for s in machine.harness.states] == ["CONNECTED", "CONNECTED"]
    assert machine.harness.server.outbox == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]
    machine.teardown()


def test_only_the_data_comes_in_bursts() -> None:
    specs = {spec.name: spec for spec in rule_specs()}
    assert "times" in specs["client_sends_text"].arguments
    assert "times" in specs["client_sends_bytes"].arguments
    assert "times" not in specs["client_disconnects"].arguments
    machine = websocket_machine(asgiws.WebSocket)()
    machine.open(Setup("2.5", denial=False, accepted=True))
    specs["client_sends_bytes"].body(machine.harness, times=3, bytes=b"x", other_key_as_none=True)
    assert machine.harness.server.queued == 3
    machine.teardown()


def test_the_sweep_exercises_every_pair_of_every_version() -> None:
    coverage = Coverage()
    walked = sweep(asgiws.WebSocket, tuple(SpecVersion), (False, True), coverage)
    assert walked == (len(walks(denial=False)) + len(walks(denial=True))) * len(SpecVersion) + helper_walks(False) + helper_walks(True)
    assert coverage.missed() == []
    # In the states that end both sides, every message of both sides is refused, and each was tried.
    assert len({p for p in coverage.refused if p.state == "DISCONNECTED"}) == 8 * 6


class _Counted(asgiws.WebSocket):
    """asgiws.WebSocket, counting the connections opened."""

    opened = 0

    def __init__(self, *args: Any) -> None:
        type(self).opened += 1
        super().__init__(*args)


def test_the_sweep_runs_once_per_class_before_the_first_example() -> None:
    machine = websocket_machine(_Counted, versions=["2.5"], denial=True, name="CountedMachine")
    one_example = settings(settings.default, max_examples=1, stateful_step_count=2, phases=[Phase.generate])
    run_state_machine_as_test(machine, settings=one_example)
    after_one = _Counted.opened
    assert machine.swept
    assert after_one > len(walks(denial=True))  # the sweep, then the example's own connection
    run_state_machine_as_test(machine, settings=one_example)
    assert _Counted.opened - after_one < len(walks(denial=True))  # no second sweep
    assert not hasattr(websocket_machine(asgiws.WebSocket, sweep_first=False), "sweep_every_state")


class _RefusesNothingAfterTheEnd(asgiws.WebSocket):
    """A broken implementation: once both sides are over, a send does nothing instead of raising."""

    async def send(self, message: Any) -> None:
        if self.application_state.name != "DISCONNECTED":
            await super().send(message)


def test_a_divergence_found_by_the_sweep_names_the_walk() -> None:
    machine = websocket_machine(_RefusesNothingAfterTheEnd, versions=["2.4"], denial=False, name="SweptMachine")
    with pytest.raises(Divergence) as caught:
        run_state_machine_as_test(machine, settings=settings(settings.default, max_examples=5, phases=[Phase.generate]))
    notes = getattr(caught.value, "__notes__", [])
    assert any(note.startswith("found by the sweep: spec 2.4, denial False, after websocket.close") for note in notes), notes
    assert not machine.swept


class _DeniesWithoutTheExtension(asgiws.WebSocket):
    """A broken implementation: it forwards a denial response the server never advertised."""

    async def send(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("type") == "websocket.http.response.start" and not self.scope.get("extensions"):
            await self._send(message)
            return
        await super().send(message)


def test_a_narrowed_machine_sweeps_only_with_what_its_rules_could_do() -> None:
    v25 = (SpecVersion.V2_5,)
    with pytest.raises(Divergence):
        sweep(_DeniesWithoutTheExtension, v25, (False,))
    everything = {spec.name for spec in rule_specs()}
    full, narrowed = Coverage(), Coverage()
    sweep(asgiws.WebSocket, v25, (False,), full)
    # Without the extension no walk goes through a denial; the probe leaves the denial out, and so do the helpers.
    denials = {"app_raw_http_response_start", "app_send_denial_response"}
    assert sweep(_DeniesWithoutTheExtension, v25, (False,), narrowed, rules=everything - denials) == len(walks(False)) + helper_walks(False) - len(
        _paths_to_states(False)
    )
    assert {p.message_type for p in set(narrowed.missed(v25)) - set(full.missed(v25))} == {"websocket.http.response.start"}
    # With it, the walks through a denial are left out and the rest is swept.
    assert 0 < sweep(asgiws.WebSocket, v25, (True,), rules=everything - {"app_raw_http_response_start"}) < len(walks(True)) + helper_walks(True)
    machine = websocket_machine(
        _DeniesWithoutTheExtension,
        versions=["2.5"],
        denial=False,
        exclude=["app_raw_http_response_start", "app_send_denial_response"],
        name="Narrowed",
    )
    run_state_machine_as_test(machine, settings=settings(settings.default, max_examples=20))
    assert machine.swept


def helper_walks(denial: bool) -> int:
    """How many walks the sweep makes to call the helpers: one per state and helper call, receiving or sending."""
    return len(_paths_to_states(denial)) * (len(_HELPER_CALLS) + len(_SENDING_CALLS))


class _DropsTheSubprotocol(asgiws.WebSocket):
    """A broken implementation: accept() forgets the subprotocol it was given."""

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(None, headers)


class _DisconnectLosesTheReason(asgiws.WebSocket):
    """A broken implementation: receive_text() raises the client's disconnect without its reason."""

    async def receive_text(self) -> str:
        try:
            return await super().receive_text()
        except WebSocketDisconnect as disconnect:
            raise WebSocketDisconnect(disconnect.code) from None


def test_the_sweep_calls_every_helper_in_every_state() -> None:
    assert [sorted(m) for m in helper_deliveries()] == [
        ["bytes", "type"],
        ["bytes", "text", "type"],
        ["text", "type"],
        ["bytes", "text", "type"],
        ["code", "reason", "type"],
    ]
    assert helper_deliveries()[-1]["reason"]  # a helper that drops a field shows
    with pytest.raises(Divergence) as caught:
        sweep(_DisconnectLosesTheReason, (SpecVersion.V2_5,), (False,))
    assert caught.value.difference is not None
    assert caught.value.difference.key[:2] == ("WS-037", "receive_text")
    assert caught.value.difference.outcome == "raised WebSocketDisconnect with another reason"
    # A machine without the helper's rule does not call it; one without the client's data rules delivers no data.
    helpers = {name for name, _ in _HELPER_CALLS}
    everything = {spec.name for spec in rule_specs()}
    v25 = (SpecVersion.V2_5,)
    assert sweep(asgiws.WebSocket, v25, (False,), rules=everything - {"app_receive_text"}) == len(walks(False)) + helper_walks(False) - len(
        _paths_to_states(False)
    )
    # The sending helpers, each once in every state, on a connection that offers subprotocols.
    assert sweep(_DropsTheSubprotocol, v25, (False,), rules=everything - {"app_accept"}) > 0
    with pytest.raises(Divergence) as dropped:
        sweep(_DropsTheSubprotocol, v25, (False,))
    assert dropped.value.difference is not None
    assert dropped.value.difference.key[:2] == ("WS-024", "accept")
    senders = {name for name, _ in _SENDING_CALLS}
    assert sweep(asgiws.WebSocket, v25, (False,), rules=everything - (helpers - {"app_receive"}) - senders) == len(walks(False)) + len(
        _paths_to_states(False)
    )
    # Without the raw receive(), no walk can take what the server delivers: only those of the application's messages are left.
    assert sweep(asgiws.WebSocket, v25, (False,), rules=everything - helpers - senders) == sum(
        all(MESSAGE_SIDE[MessageType(m["type"])] is Side.SEND for m in path) for path in walks(False)
    )
    data = {"client_sends_text", "client_sends_bytes", "server_misbehaves"}
    assert sweep(asgiws.WebSocket, v25, (False,), rules=everything - data) > len(walks(False))
