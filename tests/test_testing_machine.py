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
from asgiws.testing import Divergence, Setup, bad, coverage_report, pair_paths, websocket_machine
from asgiws.testing.machine import MACHINE_SUBPROTOCOLS, rule_specs

#: Enough examples for the derandomized run to reach every pair, with room to spare.
COVERAGE_RUN = settings(settings.default, max_examples=150, stateful_step_count=50)


def test_asgiws_websocket_follows_the_spec_and_every_pair_is_exercised(capsys: pytest.CaptureFixture[str]) -> None:
    coverage = Coverage()
    machine = websocket_machine(asgiws.WebSocket, coverage=coverage)
    run_state_machine_as_test(machine, settings=COVERAGE_RUN)
    report = coverage_report(coverage)
    with capsys.disabled():
        print("\n" + report)
    assert coverage.missed() == [], report
    assert len(coverage.hit()) == len(all_pairs()) == 192
    assert report.splitlines()[-1] == "all       192    192"


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


def test_every_pair_is_one_walk_away() -> None:
    # With the extension every pair of every side is reachable; without it, those of the denial response are not.
    assert len(pair_paths(denial=True)) == 32
    assert len(pair_paths(denial=False)) == 24
    assert pair_paths(denial=True)[0] == ({"type": "websocket.connect"},)


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
    machine = websocket_machine(_ForgetsSubprotocols, versions=["2.5"], denial=False, name="BrokenMachine")
    with pytest.raises(Divergence) as caught:
        run_state_machine_as_test(machine, settings=settings(settings.default, max_examples=200, phases=[Phase.generate, Phase.shrink]))
    program = "\n".join(getattr(caught.value, "__notes__", []))
    assert "state = BrokenMachine()" in program
    assert re.search(r"state\.app_accept\(.*subprotocol='(super)?chat'", program.replace("\n", " ")), program
    assert "the server was sent" in str(caught.value)


def test_bad_marks_a_value_meant_to_be_refused() -> None:
    assert repr(bad(999)) == "bad(999)"
    assert bad([1]) == bad([1])
    assert bad(1) != 1


def test_a_setup_walks_the_connection_before_the_first_step() -> None:
    machine = websocket_machine(asgiws.WebSocket, versions=[SpecVersion.V2_5])()
    path = ({"type": "websocket.connect"}, {"type": "websocket.accept"}, {"type": "websocket.connect"})
    machine.open(Setup(denial=False, subprotocols=MACHINE_SUBPROTOCOLS, connected=True, path=path))
    (harness,) = machine.harnesses
    assert [s.name for s in harness.states] == ["CONNECTED", "CONNECTED"]
    assert harness.server.taken == 2  # the connect queued up front, then the refused second connect
    machine.teardown()
