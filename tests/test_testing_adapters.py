"""Adapters: the machine drives Litestar's WebSocket in Litestar's spelling, and any other class through one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from litestar.connection import WebSocket as LitestarWebSocket
from quart.wrappers import Websocket as QuartWebsocket
from starlette.websockets import WebSocket as StarletteWebSocket

import asgiws
from asgiws.cli import main
from asgiws.testing import Divergence, Harness, known_differences, websocket_machine, websocket_scope
from asgiws.testing.adapters import ADAPTERS, CALLS, LITESTAR, QUART, STARLETTE, Adapter, adapter_named, detect_adapter, rule_call
from asgiws.testing.known import replay, reproducer
from asgiws.testing.machine import rule_specs
from tests.test_testing_known import divergence_of

QUICK = settings(max_examples=20, derandomize=True, database=None, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))


def test_every_rule_of_the_application_is_a_call_of_the_harness() -> None:
    calls = {rule_call(spec.name) for spec in rule_specs()}
    assert calls - {None} == CALLS
    assert rule_call("app_raw_close") == "send"
    assert rule_call("client_sends_text") is None


def test_the_adapter_is_read_from_the_class_package() -> None:
    assert detect_adapter(LitestarWebSocket) is LITESTAR
    assert detect_adapter(StarletteWebSocket) is STARLETTE
    assert detect_adapter(asgiws.WebSocket) is STARLETTE
    assert detect_adapter(lambda scope, receive, send: None) is STARLETTE
    assert adapter_named("litestar") is LITESTAR
    assert set(ADAPTERS) == {"starlette", "litestar", "quart"}
    with pytest.raises(ValueError, match="no adapter named 'nope'; the shipped ones are starlette, litestar, quart"):
        adapter_named("nope")


def test_a_machine_leaves_out_the_calls_a_class_does_not_have() -> None:
    machine = websocket_machine(LitestarWebSocket, adapter="litestar")
    assert "app_send_denial_response" not in machine.rule_names
    assert "app_receive_json" in machine.rule_names
    assert machine.adapter is LITESTAR


def _litestar_divergence(program: Any) -> Any:
    return divergence_of(LitestarWebSocket, program, adapter=LITESTAR)


def test_litestar_drops_the_disconnects_reason() -> None:
    def leaves(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.check()
        h.client({"type": "websocket.disconnect", "code": 4000, "reason": "bye"})
        h.receive_text()

    difference = _litestar_divergence(leaves)
    # Litestar's own WebSocketDisconnect, seen as Starlette's: the code kept, the reason lost.
    assert (difference.clause, difference.call, difference.outcome) == ("WS-037", "receive_text", "raised WebSocketDisconnect with another reason")
    assert difference.key in known_differences("litestar")
    source = reproducer(difference, "WebSocket", "from litestar.connection import WebSocket", "litestar")
    assert "adapter=adapter_named('litestar')" in source
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    with pytest.raises(Divergence):
        namespace["test_ws_037_receive_text"]()
    assert replay(LitestarWebSocket, difference, adapter=LITESTAR) == difference


def test_litestar_keeps_the_receive_sides_state_only() -> None:
    def denied(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.receive()
        h.check()
        h.send({"type": "websocket.close"}, valid=True)
        h.check()
        h.send_text("after the close", valid=True)

    difference = _litestar_divergence(denied)
    # Litestar sends after its own close: it keeps no state of the send side to refuse it with.
    assert (difference.call, difference.receive, difference.send, difference.outcome) == ("send_text", "CONNECTED", "DISCONNECTED", "returned")


def test_litestar_against_its_baseline_finds_nothing_new() -> None:
    machine = websocket_machine(LitestarWebSocket, adapter="litestar", known="litestar")
    run_state_machine_as_test(machine, settings=QUICK)
    assert machine.tally is not None
    assert machine.tally.noted > 0
    assert machine.fixed() == []


class _Renamed:
    """A class of its own: Starlette's WebSocket behind other names."""

    def __init__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.inner = StarletteWebSocket(scope, receive, send)

    async def handshake(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await self.inner.accept(subprotocol, headers)


class _RenamedAdapter(Adapter):
    name = "renamed"
    calls = frozenset({"accept", "close", "send", "receive"})

    def states(self, websocket: Any) -> tuple[str | None, str | None]:
        return super().states(websocket.inner)

    def accept(self, websocket: Any, subprotocol: str | None, headers: Any) -> Any:
        return websocket.handshake(subprotocol, headers)

    def close(self, websocket: Any, code: Any, reason: Any) -> Any:
        return super().close(websocket.inner, code, reason)

    def send(self, websocket: Any, message: Any) -> Any:
        return super().send(websocket.inner, message)

    def receive(self, websocket: Any) -> Any:
        return super().receive(websocket.inner)


def test_an_adapter_of_ones_own_drives_a_class_of_ones_own() -> None:
    machine = websocket_machine(_Renamed, adapter=_RenamedAdapter(), known="starlette")
    assert machine.rule_names >= {"app_accept", "app_close", "app_raw_send", "app_receive"}
    assert not machine.rule_names & {"app_send_text", "app_iter_json"}
    run_state_machine_as_test(machine, settings=QUICK)


def test_fuzz_picks_the_adapter_from_the_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "litestar.connection:WebSocket", "--known", "litestar", "--max-examples", "20"]) == 0
    assert "0 new, 0 fixed" in capsys.readouterr().out
    assert main(["fuzz", "litestar.connection:WebSocket", "--adapter", "nope"]) == 2
    assert "no adapter named 'nope'" in capsys.readouterr().err


# -- Quart ---------------------------------------------------------------------------------------


def _quart_divergence(program: Any) -> Any:
    return divergence_of(QuartWebsocket, program, adapter=QUART)


def test_quarts_reader_takes_the_connect_as_quart_does() -> None:
    harness = Harness(QuartWebsocket, websocket_scope("2.5"), adapter=QUART)
    harness.client({"type": "websocket.connect"})
    harness.accept(None, [(b"x-a", b"b")], valid=True)
    harness.check()  # the reader took websocket.connect, as the spec's accept does
    assert harness.server.outbox == [{"type": "websocket.accept", "subprotocol": None, "headers": [(b"x-a", b"b")]}]
    harness.client({"type": "websocket.receive", "text": "hello"})
    harness.receive_text()
    harness.check()
    harness.client({"type": "websocket.disconnect", "code": 1001, "reason": "bye"})
    harness.receive_text()  # the cancellation, as Starlette's WebSocketDisconnect
    harness.check()


def test_quart_receives_bytes_where_text_was_asked_for() -> None:
    def binary(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.client({"type": "websocket.receive", "bytes": b"\x00"})
        h.receive_text()

    difference = _quart_divergence(binary)
    assert (difference.clause, difference.call, difference.outcome) == ("AMB-27", "receive_text", "returned")
    assert difference.key in known_differences("quart")


def test_quarts_reader_reads_ahead_of_the_application() -> None:
    def ahead(h: Harness) -> None:
        h.client({"type": "websocket.connect"})
        h.accept(None, None, valid=True)
        h.client({"type": "websocket.receive", "text": "a"})
        h.client({"type": "websocket.receive", "text": "b"})
        h.send_text("c", valid=True)

    assert _quart_divergence(ahead).outcome == "took more"


def test_quart_against_its_baseline_finds_nothing_new() -> None:
    machine = websocket_machine(QuartWebsocket, adapter="quart", known="quart")
    assert machine.rule_names.isdisjoint({"app_raw_send", "app_receive", "app_iter_text", "app_send_denial_response"})
    run_state_machine_as_test(machine, settings=QUICK)
    assert machine.fixed() == []
    assert detect_adapter(QuartWebsocket) is QUART


# -- the docs ------------------------------------------------------------------------------------

PAGE = Path(__file__).resolve().parent.parent / "docs" / "how-to" / "write-an-adapter.md"


def differences_table(name: str) -> str:
    """A shipped baseline as the how-to lists it: one row per clause, with the calls and the kinds of outcome."""
    baseline = known_differences(name)
    rows: dict[str, list[Any]] = {}
    for difference in baseline:
        rows.setdefault(difference.clause, []).append(difference)
    lines = [f"{len(baseline)} entries.", "", "| clause | entries | calls | the spec expects → the class |", "|---|---|---|---|"]
    for clause, entries in sorted(rows.items()):
        calls = ", ".join(sorted({f"`{d.call}`" for d in entries}))
        outcomes = "; ".join(sorted({f"{d.expected} → {d.outcome}" for d in entries}))
        lines.append(f"| `{clause}` | {len(entries)} | {calls} | {outcomes} |")
    return "\n".join(lines)


def _section(text: str, name: str) -> str:
    found = re.search(rf"<!-- {name} differences: generated by tests/test_testing_adapters.py -->\n(.*?)<!-- end -->", text, re.S)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("name", ["litestar", "quart"])
def test_the_how_to_lists_each_shipped_baselines_differences(name: str) -> None:
    assert _section(PAGE.read_text(encoding="utf-8"), name).strip() == differences_table(name), (
        f"run `python -m tests.test_testing_adapters` to list the {name} baseline in {PAGE.name}"
    )


def test_the_how_tos_adapter_example_runs() -> None:
    (block,) = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)
    namespace: dict[str, Any] = {}
    exec(block, namespace)
    run_state_machine_as_test(namespace["ConnectionSpec"], settings=QUICK)
    assert namespace["ConnectionSpec"].rule_names >= {"app_accept", "app_send_text", "app_close"}


def _write_tables() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name in ("litestar", "quart"):
        head = f"<!-- {name} differences: generated by tests/test_testing_adapters.py -->\n"
        start = text.index(head) + len(head)
        text = text[:start] + differences_table(name) + "\n" + text[text.index("<!-- end -->", start) :]
    PAGE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _write_tables()
