"""What a client can do, as the server reports it to the application.

Read off the spec: every message type the server delivers (``MESSAGE_SIDE``)
is something the client did. ``websocket.connect`` is the client connecting,
``websocket.disconnect`` the client leaving with a code and maybe a reason,
and ``websocket.receive`` the client sending data, once per payload of its
exactly-one rule (text or bytes), in both shapes servers use: the other key
absent (uvicorn) or present as None (Hypercorn). The transport signal
(``Signal.SEND_FAILED``) adds the client vanishing: the connection drops, the
server reports a disconnect with 1006 and its ``send()`` raises ``OSError``.

The state machine turns each action into a rule. The app driver's engine
(:func:`~asgiws.testing.driver.run_connection`) asks a :class:`Client` what it
does each time the application waits for a message: :class:`DrawnClient`
draws an action at a time with Hypothesis, the app checker's scripted client
plays a script, and a test can bring its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from hypothesis import strategies as st

from ..spec import MESSAGE_SCHEMAS, MESSAGE_SIDE, SEND_FAILED_CLOSE_CODE, TRANSITIONS, MessageType, Side, Signal
from . import strategies

if TYPE_CHECKING:
    from .server import FakeServer

__all__ = ["DISCONNECT_CODES", "JSON_VALUES", "Client", "ClientAction", "ClientEvent", "DrawnClient", "client_actions"]

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


@dataclass(frozen=True)
class ClientEvent:
    """What the client did: the action's name and the message the server delivered for it.

    ``vanishes`` says the transport died with it: from spec 2.4 on the
    server's ``send()`` raises ``OSError`` from then on (before 2.4 it drops
    what the application sends).
    """

    action: str
    message: dict[str, Any]
    vanishes: bool = False

    @classmethod
    def of(cls, message: dict[str, Any], *, vanishes: bool = False) -> ClientEvent:
        """The event that makes the server deliver ``message``, named as :func:`client_actions` names its action."""
        if vanishes:
            return cls(_SIGNAL_VERBS[Signal.SEND_FAILED], message, vanishes=True)
        message_type = MessageType(message["type"])
        payload = [name for name in _payload_names(message_type) if message.get(name) is not None]
        return cls("_".join([_VERBS[message_type], *payload]), message)


class Client(Protocol):
    """Whoever plays the client in :func:`~asgiws.testing.driver.run_connection`."""

    def act(self, server: FakeServer) -> ClientEvent | None:
        """What the client does now that the application waits for a message; None when it has nothing more to do.

        The event's message must be one the server may deliver now
        (``server.deliverable(message_type)``).
        """


def _payload_names(message_type: MessageType) -> tuple[str, ...]:
    # The keys of which a message carries exactly one (text or bytes): one action each.
    groups = strategies.exactly_one(MESSAGE_SCHEMAS[message_type].constraints)
    return groups[0] if groups else ()


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
        verb = _VERBS[message_type]
        names = _payload_names(message_type)
        if names:
            for name in names:
                arguments = {name: _values(message_type, name, False), "other_as_none": st.booleans()}
                actions.append(ClientAction(f"{verb}_{name}", message_type, arguments, _payload(message_type, [n for n in names if n != name])))
            continue
        arguments = {f.name: _values(message_type, f.name, f.nullable) for f in MESSAGE_SCHEMAS[message_type].fields}
        actions.append(ClientAction(verb, message_type, arguments, _fields(message_type)))
    signals = sorted({row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)})
    for signal in signals:
        # The server's send() raising OSError: the client vanished, and the server reports it.
        vanish = {"type": MessageType.DISCONNECT.value, "code": SEND_FAILED_CLOSE_CODE}
        actions.append(ClientAction(_SIGNAL_VERBS[signal], MessageType.DISCONNECT, {}, lambda vanish=vanish: dict(vanish), vanishes=True))
    return actions


@cache
def _actions() -> tuple[ClientAction, ...]:
    return tuple(client_actions())


class DrawnClient:
    """A client whose every action Hypothesis draws, among those a conformant server may deliver then.

    Args:
        data: the test's ``st.data()`` object.
        max_events: how many actions it draws; then it leaves (it disconnects,
            or connects first so that it can), so that every run ends.
    """

    def __init__(self, data: st.DataObject, *, max_events: int = 10) -> None:
        self.data = data
        self.max_events = max_events
        self.events = 0

    def act(self, server: FakeServer) -> ClientEvent | None:
        """Draw the next action; None once the client has gone and nothing can be delivered."""
        choices = [a for a in _actions() if server.deliverable(a.message_type)]
        if not choices:
            return None
        if self.events >= self.max_events:
            # Out of patience: the client leaves, or connects so that it can.
            kinds = {a.message_type: a for a in choices if not a.vanishes}
            action = kinds.get(MessageType.DISCONNECT) or kinds[MessageType.CONNECT]
        else:
            action = self.data.draw(st.sampled_from(choices), label="client action")
        self.events += 1
        arguments = self.data.draw(st.fixed_dictionaries(action.arguments), label=action.name) if action.arguments else {}
        return ClientEvent(action.name, action.message(**arguments), action.vanishes)
