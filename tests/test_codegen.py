"""The generated module ``asgiws/_compiled.py``: fresh, and its hot path agrees with the judge."""

from __future__ import annotations

import asyncio
import runpy
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiws import ConnectionState, ProtocolViolation
from asgiws import _codegen as codegen
from asgiws._compiled import wrap
from asgiws.spec import Field, MessageSchema, MessageType, Side, SpecVersion, State, ValueKind
from asgiws.testing import invalid_messages, messages

SCOPE: dict[str, Any] = {"type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.5"}, "path": "/", "headers": []}
CONNECTED = (State.CONNECTED, State.CONNECTED)


def test_the_committed_module_is_what_the_generator_writes() -> None:
    assert codegen.TARGET.read_text(encoding="utf-8") == codegen.formatted(), "stale: run python -m asgiws._codegen"


def test_the_generator_writes_and_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "_compiled.py"
    monkeypatch.setattr(codegen, "TARGET", target)
    assert codegen.main(["--check"]) == 1
    assert codegen.main([]) == 0
    assert codegen.main(["--check"]) == 0
    assert target.read_text(encoding="utf-8") == codegen.TARGET.read_text(encoding="utf-8")
    assert "stale" in capsys.readouterr().out


def test_the_generator_runs_as_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["python -m asgiws._codegen", "--check"])
    monkeypatch.delitem(sys.modules, "asgiws._codegen")  # run it afresh, as `python -m` does
    with pytest.raises(SystemExit) as exit_status:
        runpy.run_module("asgiws._codegen", run_name="__main__")
    assert exit_status.value.code == 0


def test_a_newer_field_without_rules_of_its_own_is_only_gated() -> None:
    field = Field("note", ValueKind.STR, ("WS-009",), since=SpecVersion.V2_3, nullable=True)
    schema = MessageSchema(MessageType.CLOSE, Side.SEND, (field,))
    lines = codegen._message_check(schema).lines
    assert lines[-3:] == [
        "        if ctx.version in _BEFORE_2_3:",
        "            if carries_value(v_note):",
        "                raise FieldViolation(('WS-052', 'J-12', 'AMB-06'), 'note', "
        "f'was added in spec version 2.3; this connection speaks {ctx.version.value}')",
    ]


def test_each_side_has_one_data_message() -> None:
    assert codegen.data_message(Side.RECEIVE) is MessageType.RECEIVE
    assert codegen.data_message(Side.SEND) is MessageType.SEND


def _connected() -> ConnectionState:
    state = ConnectionState(SCOPE)
    state.states = CONNECTED
    return state


def _outcome(call: Awaitable[Any]) -> type[BaseException] | None:
    try:
        asyncio.run(_awaited(call))
    except ProtocolViolation as error:
        return type(error)
    return None


async def _nothing(message: Any = None) -> Any:
    return message


def _data_messages(kind: MessageType) -> st.SearchStrategy[Any]:
    plain = messages(kind)
    odd: st.SearchStrategy[Any] = st.builds(dict, plain, extra=st.none() | st.integers())
    hostile = st.sampled_from([{"type": kind.value, "text": "\ud800"}, {"type": kind.value}, [("type", kind.value)]])
    return plain | invalid_messages(kind) | odd | hostile


@settings(max_examples=300)
@given(message=_data_messages(MessageType.SEND))
def test_the_inline_test_of_a_send_agrees_with_the_judge(message: Any) -> None:
    judge, wrapped = _connected(), _connected()
    try:
        judge.send(message)
        expected: type[BaseException] | None = None
    except ProtocolViolation as error:
        expected = type(error)
    _, send = wrap(wrapped, _nothing, _nothing)
    assert _outcome(send(message)) is expected
    assert wrapped.states == judge.states


@settings(max_examples=300)
@given(message=_data_messages(MessageType.RECEIVE))
def test_the_inline_test_of_a_receive_agrees_with_the_judge(message: Any) -> None:
    judge, wrapped = _connected(), _connected()
    try:
        judge.receive(message)
        expected: type[BaseException] | None = None
    except ProtocolViolation as error:
        expected = type(error)

    async def deliver() -> Any:
        return message

    receive, _ = wrap(wrapped, deliver, _nothing)
    assert _outcome(receive()) is expected
    assert wrapped.states == judge.states


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (Side.SEND, {"type": "websocket.send", "text": "hello"}),
        (Side.SEND, {"type": "websocket.send", "bytes": b"hello", "text": None}),
        (Side.RECEIVE, {"type": "websocket.receive", "text": "h\u00e9llo"}),
        (Side.RECEIVE, {"type": "websocket.receive", "bytes": b""}),
    ],
)
def test_the_plainest_data_messages_do_not_reach_the_judge(side: Side, message: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    state = _connected()
    state.coverage = None
    calls: list[Any] = []
    monkeypatch.setattr(ConnectionState, side.value, lambda self, m: calls.append(m))

    async def deliver() -> Any:
        return message

    receive, send = wrap(state, deliver, _nothing)
    if side is Side.SEND:
        asyncio.run(_awaited(send(message)))
    else:
        asyncio.run(_awaited(receive()))
    assert calls == []


async def _awaited(call: Awaitable[Any]) -> Any:
    return await call
