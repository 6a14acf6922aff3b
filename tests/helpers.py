"""Shared test helpers: every reachable node of a compiled machine, message builders, one judged message."""

from __future__ import annotations

from typing import Any

from asgiws import ConnectionState, Context
from asgiws._machine import Machine, Node
from asgiws.spec import MessageType, Side, State, States

#: One well-formed message of every type, as a server or an application would send it.
VALID: dict[MessageType, dict[str, Any]] = {
    MessageType.CONNECT: {"type": "websocket.connect"},
    MessageType.RECEIVE: {"type": "websocket.receive", "text": "hello"},
    MessageType.DISCONNECT: {"type": "websocket.disconnect", "code": 1000},
    MessageType.ACCEPT: {"type": "websocket.accept"},
    MessageType.SEND: {"type": "websocket.send", "bytes": b"hello"},
    MessageType.CLOSE: {"type": "websocket.close", "code": 1000},
    MessageType.RESPONSE_START: {"type": "websocket.http.response.start", "status": 403},
    MessageType.RESPONSE_BODY: {"type": "websocket.http.response.body", "body": b"no", "more_body": False},
}


def message(kind: MessageType, **fields: Any) -> dict[str, Any]:
    """A valid message of this type, with some fields replaced."""
    return {**VALID[kind], **fields}


def reachable(machine: Machine) -> list[Node]:
    """Every node reachable from the initial one, in breadth-first order."""
    return machine.reachable()


def judged(machine: Machine, side: Side, states: tuple[State, State], message: Any, context: Context) -> States:
    """Where the judge moves a connection in ``states`` of ``machine`` for one message (it raises what the judge raises)."""
    state = ConnectionState({"type": "websocket", "asgi": {"spec_version": machine.version.value}}, version=machine.version)
    state.machine, state.context = machine, context
    state.states = states
    getattr(state, side.value)(message)
    return state.states
