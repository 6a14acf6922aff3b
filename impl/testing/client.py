"""What a client can do, as the server reports it to the application.

Read off the spec: every message type the server delivers (``MESSAGE_SIDE``)
is something the client did. ``websocket.connect`` is the client connecting,
``websocket.disconnect`` the client leaving with a code and maybe a reason,
and ``websocket.receive`` the client sending data, once per payload of its
exactly-one rule (text or bytes), in both shapes servers use: the other key
absent (uvicorn) or present as None (Hypercorn). The transport signal
(``Signal.SEND_FAILED``) adds the client vanishing: the connection drops, the
server reports a disconnect with 1006 and its ``send()`` raises ``OSError``.

The state machine turns each action into a rule; the app driver draws them
one at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from ..spec import MESSAGE_SCHEMAS, MESSAGE_SIDE, SEND_FAILED_CLOSE_CODE, TRANSITIONS, Check, MessageType, Side, Signal
from . import strategies

__all__ = ["DISCONNECT_CODES", "JSON_VALUES", "ClientAction", "client_actions"]

#: The close codes the client leaves with: normal, going away, no code,
#: abnormal, service restart, and one of the application range.
DISCONNECT_CODES = (1000, 1001, 1005, 1006, 1012, 4000)
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
class ClientAction:
    """One thing the client can do.

    ``message(**arguments)`` is what the server delivers for it; ``vanishes``
    says the transport dies with it (``send()`` raises ``OSError`` from then on).
    """

    name: str
    message_type: MessageType
    arguments: dict[str, st.SearchStrategy[Any]]
    message: Callable[..., dict[str, Any]]
    vanishes: bool = False


def _payload(message_type: MessageType, others: list[str]) -> Callable[..., dict[str, Any]]:
    def build(other_as_none: bool, **payload: Any) -> dict[str, Any]:
        return {"type": message_type.value, **payload, **dict.fromkeys(others if other_as_none else ())}

    return build


def _fields(message_type: MessageType) -> Callable[..., dict[str, Any]]:
    def build(**fields: Any) -> dict[str, Any]:
        return {"type": message_type.value, **{k: v for k, v in fields.items() if v is not None}}

    return build


def _values(message_type: MessageType, name: str, nullable: bool) -> st.SearchStrategy[Any]:
    if (message_type, name) in _OVERRIDES:
        return _OVERRIDES[message_type, name]
    if name == "reason":
        return _REASONS
    values = strategies.field_values(message_type, name)
    return st.none() | values if nullable else values


def client_actions() -> list[ClientAction]:
    """Every action of the client, in the order of the spec's message types."""
    actions = []
    for message_type, side in MESSAGE_SIDE.items():
        if side is not Side.RECEIVE:
            continue
        schema = MESSAGE_SCHEMAS[message_type]
        groups: list[tuple[str, ...]] = [c.param for c in schema.constraints if c.check is Check.EXACTLY_ONE]  # type: ignore[misc]
        verb = _VERBS[message_type]
        if groups:
            (names,) = groups
            for name in names:
                arguments = {name: _values(message_type, name, False), "other_as_none": st.booleans()}
                actions.append(ClientAction(f"{verb}_{name}", message_type, arguments, _payload(message_type, [n for n in names if n != name])))
            continue
        arguments = {f.name: _values(message_type, f.name, f.nullable) for f in schema.fields}
        actions.append(ClientAction(verb, message_type, arguments, _fields(message_type)))
    signals = sorted({row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)})
    for signal in signals:
        # The server's send() raising OSError: the client vanished, and the server reports it.
        vanish = {"type": MessageType.DISCONNECT.value, "code": SEND_FAILED_CLOSE_CODE}
        actions.append(ClientAction(_SIGNAL_VERBS[signal], MessageType.DISCONNECT, {}, lambda vanish=vanish: dict(vanish), vanishes=True))
    return actions
