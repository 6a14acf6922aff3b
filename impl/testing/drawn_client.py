"""What a client can do, read off the spec, and a client whose every action Hypothesis draws.

Every message type the server delivers (``MESSAGE_SIDE``) is something the
client did. ``websocket.connect`` is the client connecting,
``websocket.disconnect`` the client leaving with a code and maybe a reason,
and ``websocket.receive`` the client sending data, once per payload of its
exactly-one rule (text or bytes), in both shapes servers use: the other key
absent (uvicorn) or present as None (Hypercorn). The transport signal
(``Signal.SEND_FAILED``) adds the client vanishing: the connection drops, the
server reports a disconnect with 1006 and its ``send()`` raises ``OSError``.

Each is an :class:`ActionKind`: a name, Hypothesis strategies for its
arguments, and how to build the typed action (:mod:`asgiws.engine.actions`).
The state machine turns each kind into a rule; :class:`DrawnClient` draws a
kind and its arguments each time the connection runner
(:func:`asgiws.engine.run_connection`) asks it what it does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from ..engine import DISCONNECT_CODES, ClientAction, SimulatedServer, Vanish, action_for
from ..spec import MESSAGE_SCHEMAS, MESSAGE_SIDE, MESSAGE_TYPES, TRANSITIONS, MessageType, Side, Signal
from . import strategies

__all__ = ["JSON_VALUES", "ActionKind", "DrawnClient", "action_kinds", "kind_name"]

#: JSON documents, for ``send_json`` and for text a client sends.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_VERBS = {MessageType.CONNECT: "connects", MessageType.RECEIVE: "sends", MessageType.DISCONNECT: "disconnects"}
_SIGNAL_VERBS = {Signal.SEND_FAILED: "vanishes"}
_OVERRIDES: dict[tuple[MessageType, str], st.SearchStrategy[Any]] = {
    (MessageType.DISCONNECT, "code"): st.sampled_from(DISCONNECT_CODES),
    # Text a client sends is sometimes JSON, so that receive_json has something to parse.
    (MessageType.RECEIVE, "text"): st.one_of(st.text(max_size=12), JSON_VALUES.map(json.dumps)),
}
_REASONS = st.none() | st.sampled_from(["", "going away"])


@dataclass(frozen=True)
class ActionKind:
    """One kind of thing the client can do (``sends_text``, ``disconnects``, ...), with strategies for its arguments.

    ``build(**arguments)`` is the typed action; ``vanishes`` says the
    transport dies with it (``send()`` raises ``OSError`` from then on).
    """

    name: str
    message_type: MessageType
    arguments: dict[str, st.SearchStrategy[Any]]
    build: Callable[..., ClientAction]
    vanishes: bool = False


def kind_name(message: Mapping[str, Any], *, vanishes: bool = False) -> str:
    """The name of the :class:`ActionKind` whose action makes the server deliver ``message``."""
    if vanishes:
        return _SIGNAL_VERBS[Signal.SEND_FAILED]
    message_type = MESSAGE_TYPES[message["type"]]
    payload = [name for name in _payload_names(message_type) if message.get(name) is not None]
    return "_".join([_VERBS[message_type], *payload])


@cache
def _payload_names(message_type: MessageType) -> tuple[str, ...]:
    # The keys of which a message carries exactly one (text or bytes): one kind each.
    groups = strategies.exactly_one(MESSAGE_SCHEMAS[message_type].constraints)
    return groups[0] if groups else ()


def _payload(message_type: MessageType, others: list[str]) -> Callable[..., ClientAction]:
    def build(other_key_as_none: bool, **payload: Any) -> ClientAction:
        return action_for({"type": message_type.value, **payload, **dict.fromkeys(others if other_key_as_none else ())})

    return build


def _fields(message_type: MessageType) -> Callable[..., ClientAction]:
    def build(**fields: Any) -> ClientAction:
        return action_for({"type": message_type.value, **{k: v for k, v in fields.items() if v is not None}})

    return build


def _values(message_type: MessageType, name: str, nullable: bool) -> st.SearchStrategy[Any]:
    if (message_type, name) in _OVERRIDES:
        return _OVERRIDES[message_type, name]
    if name == "reason":
        return _REASONS
    values = strategies.field_values(message_type, name)
    return st.none() | values if nullable else values


def action_kinds() -> list[ActionKind]:
    """Every kind of client action, in the order of the spec's message types."""
    kinds = []
    for message_type, side in MESSAGE_SIDE.items():
        if side is not Side.RECEIVE:
            continue
        verb = _VERBS[message_type]
        names = _payload_names(message_type)
        if names:
            for name in names:
                arguments = {name: _values(message_type, name, False), "other_key_as_none": st.booleans()}
                kinds.append(ActionKind(f"{verb}_{name}", message_type, arguments, _payload(message_type, [n for n in names if n != name])))
            continue
        arguments = {f.name: _values(message_type, f.name, f.nullable) for f in MESSAGE_SCHEMAS[message_type].fields}
        kinds.append(ActionKind(verb, message_type, arguments, _fields(message_type)))
    signals = sorted({row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)})
    # The server's send() raising OSError: the client vanished, and the server reports it.
    kinds += [ActionKind(_SIGNAL_VERBS[signal], Vanish.message_type, {}, Vanish, vanishes=True) for signal in signals]
    return kinds


@cache
def _kinds() -> tuple[ActionKind, ...]:
    return tuple(action_kinds())


class DrawnClient:
    """A client whose every action Hypothesis draws, among those a conformant server may deliver then.

    Args:
        data: the test's ``st.data()`` object.
        max_actions: how many actions it draws; then it leaves (it disconnects,
            or connects first so that it can), so that every run ends.
    """

    def __init__(self, data: st.DataObject, *, max_actions: int = 10) -> None:
        self.data = data
        self.max_actions = max_actions
        self.drawn = 0

    def act(self, server: SimulatedServer) -> ClientAction | None:
        """Draw the next action; None once the client has gone and nothing can be delivered."""
        choices = [k for k in _kinds() if server.deliverable(k.message_type)]
        if not choices:
            return None
        if self.drawn >= self.max_actions:
            # Out of patience: the client leaves, or connects so that it can.
            by_type = {k.message_type: k for k in choices if not k.vanishes}
            kind = by_type.get(MessageType.DISCONNECT) or by_type[MessageType.CONNECT]
        else:
            kind = self.data.draw(st.sampled_from(choices), label="client action")
        self.drawn += 1
        arguments = self.data.draw(st.fixed_dictionaries(kind.arguments), label=kind.name) if kind.arguments else {}
        return kind.build(**arguments)
