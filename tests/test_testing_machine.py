"""The generated state machine holds asgiws.WebSocket to the spec, and reaches every pair of it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import asgiws
from asgiws.coverage import Coverage, all_pairs
from asgiws.spec import MESSAGE_SIDE, Side, SpecVersion
from asgiws.testing import Divergence, Setup, bad, coverage_report, walks, websocket_machine
from asgiws.testing.machine import MACHINE_SUBPROTOCOLS, rule_specs

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
        _ForgetsSubprotocols, versions=["2.5"], denial=False, misbehaving_server=False, transport_failures=False, exclude=others, name="BrokenMachine"
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


def test_a_walk_probes_every_version_and_goes_on_with_one() -> None:
    coverage = Coverage()
    machine = websocket_machine(asgiws.WebSocket, coverage=coverage)()
    path = ({"type": "websocket.connect"}, {"type": "websocket.close"}, {"type": "websocket.disconnect", "code": 1000})
    machine.open(Setup("2.3", denial=True, subprotocols=MACHINE_SUBPROTOCOLS, connected=True, path=path, probe=True))
    assert machine.harness.version is SpecVersion.V2_3
    assert [s.name for s in machine.harness.states] == ["DISCONNECTED", "DISCONNECTED"]
    # Every message of both sides is refused there, and each was tried, in every version.
    assert len([p for p in coverage.refused if p.state == "DISCONNECTED"]) == 8 * 6
    machine.teardown()
