"""The transitions reference model agrees with the compiled interpreter, pair by pair."""

from __future__ import annotations

import itertools
import sys

import pytest

from asgiws import Context, ProtocolViolation
from asgiws._machine import compile_machine
from asgiws.model import ReferenceModel
from asgiws.spec import MESSAGE_SIDE, MessageType, Side, Signal, SpecVersion, State

from .helpers import judged, message


@pytest.mark.parametrize("denial", [False, True], ids=["plain", "denial"])
@pytest.mark.parametrize("version", list(SpecVersion), ids=lambda v: v.value)
def test_the_reference_model_agrees_on_every_state_pair_and_message(version: SpecVersion, denial: bool) -> None:
    machine = compile_machine(version, denial)
    model = ReferenceModel(denial=denial)
    context = Context(version, denial, ())
    compared = 0
    for states in itertools.product(State, State):
        for kind, more_body in itertools.product(MessageType, (False, True)):
            side = MESSAGE_SIDE[kind]
            sent = message(kind, more_body=more_body) if kind is MessageType.RESPONSE_BODY else message(kind)
            try:
                ours: tuple[State, State] | None = judged(machine, side, states, sent, context)
            except ProtocolViolation:
                ours = None
            model.set_states(states)
            theirs = model.states if model.fire(side, kind.value, sent) else None
            if theirs is None:
                assert model.states == states, "a refused trigger moved the reference model"
            assert ours == theirs, (states, kind.value, more_body)
            compared += 1
        model.set_states(states)
        failed = model.states if model.fire(Side.SEND, Signal.SEND_FAILED.value) else states
        node = machine.node(states)
        assert (node.send_failed or node).states == failed
    assert compared == 16 * 8 * 2


def test_the_reference_model_refuses_triggers_it_does_not_know() -> None:
    model = ReferenceModel(denial=False)
    assert not model.fire(Side.SEND, "websocket.http.response.start")
    assert not model.fire(Side.RECEIVE, "websocket.send")
    assert model.states == (State.CONNECTING, State.CONNECTING)


def test_import_asgiws_stays_light() -> None:
    import subprocess

    code = "import asgiws, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {'hypothesis', 'transitions', 'graphviz', 'pygraphviz'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
