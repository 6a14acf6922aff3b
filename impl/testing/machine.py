"""The Hypothesis state machine, generated from the spec tables.

:func:`websocket_machine` builds a ``RuleBasedStateMachine`` subclass with
``type()``. Its rules come from the tables, not from a list written here:

* every message type the server delivers (``MESSAGE_SIDE``) becomes a client
  event: ``client_connects()``, ``client_sends_text(...)`` and
  ``client_sends_bytes(...)`` (one per payload of the exactly-one rule),
  ``client_disconnects(code=..., reason=...)``; each is enabled only when a
  conformant server may deliver it (the reference model says when);
* the transport signal (``Signal.SEND_FAILED`` in ``TRANSITIONS``) becomes
  ``client_vanishes()`` and ``server_send_fails()``;
* a misbehaving server delivers any message, valid or not, at any time:
  ``server_misbehaves(message=...)``;
* every message type the application sends becomes a raw ``send()`` rule,
  valid and invalid (``app_raw_close(message=...)``,
  ``app_raw_close_invalid(message=...)``), and every helper of Starlette's
  API that sends it becomes a rule whose arguments are drawn from the
  message's schema: ``app_close(code=..., reason=...)`` and, for each of its
  fields that can be broken, ``app_close_bad_code(...)``;
* the receiving helpers: ``app_receive()``, ``app_receive_text()``, ...,
  ``app_iter_json(count=...)``.

Whether a call is allowed is never written here: the harness asks the
reference model at every step, so each rule runs in every state and the
forbidden cases are tested as much as the allowed ones.

Each example is one connection, opened by ``connection(spec_version=...,
denial=..., subprotocols=...)``. Rule arguments are drawn for the widest
connection (the latest version, the subprotocols offered) and re-judged for
the one drawn (:func:`~asgiws.testing.strategies.still_valid`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st
from hypothesis import target
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ..coverage import Coverage, Pair
from ..spec import (
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    TRANSITIONS,
    Check,
    MessageType,
    Side,
    Signal,
    SpecVersion,
)
from . import strategies
from .harness import JSON_MODES, Factory, Harness
from .strategies import Bad, bad
from .server import websocket_scope

__all__ = ["DISCONNECT_CODES", "MACHINE_SUBPROTOCOLS", "RuleSpec", "rule_specs", "websocket_machine"]

#: What the client offers when the drawn connection offers subprotocols.
MACHINE_SUBPROTOCOLS = ("chat", "superchat")
#: The close codes the client disconnects with: normal, going away, no code,
#: abnormal, service restart, and one of the application range.
DISCONNECT_CODES = (1000, 1001, 1005, 1006, 1012, 4000)

_CLIENT_VERBS = {MessageType.CONNECT: "connects", MessageType.RECEIVE: "sends", MessageType.DISCONNECT: "disconnects"}
_REASONS = st.none() | st.sampled_from(["", "going away"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
#: Text a client sends: sometimes JSON, so that ``receive_json`` has something to parse.
_CLIENT_TEXT = st.one_of(st.text(max_size=12), _JSON.map(json.dumps))


def _maybe_bad(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any], odds: int) -> st.SearchStrategy[Any]:
    # One draw in ``odds`` is invalid, marked bad(...); a plain one_of would
    # weigh every branch of both sides alike, and invalid ones have many.
    return st.integers(1, odds).flatmap(lambda n: invalid.map(bad) if n == 1 else valid)


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the generated machine, before it becomes a method.

    ``body(harness, **arguments)`` runs the step on one connection. With
    ``everywhere`` the rule runs on every connection of the example and is
    enabled when ``enabled`` holds for all of them; otherwise it runs on the
    connections where ``enabled`` holds, and is enabled when there is one.
    """

    name: str
    arguments: dict[str, st.SearchStrategy[Any]]
    body: Callable[..., None]
    enabled: Callable[[Harness], bool] | None = None
    everywhere: bool = True


@dataclass(frozen=True)
class _Helper:
    """A method of Starlette's API that sends one message type, and which field each parameter fills."""

    method: str
    message: MessageType
    params: dict[str, str]
    #: What the method does to a parameter before it reaches the message.
    transforms: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    #: The values a parameter must have for the method to build a message at all.
    domains: dict[str, Callable[[Any], bool]] = field(default_factory=dict)


_SEND_HELPERS = (
    _Helper("accept", MessageType.ACCEPT, {"subprotocol": "subprotocol", "headers": "headers"}, {"headers": lambda h: list(h or ())}),
    _Helper("close", MessageType.CLOSE, {"code": "code", "reason": "reason"}, {"reason": lambda r: r or ""}),
    _Helper("send_text", MessageType.SEND, {"data": "text"}),
    _Helper("send_bytes", MessageType.SEND, {"data": "bytes"}),
    # Starlette's Response needs an int status to build its headers.
    _Helper("send_denial_response", MessageType.RESPONSE_START, {"status": "status"}, domains={"status": lambda s: type(s) is int}),
)

# The receiving helpers, with the harness call each one is.
_RECEIVE_HELPERS: dict[str, tuple[dict[str, st.SearchStrategy[Any]], Callable[..., None]]] = {
    "receive": ({}, Harness.receive),
    "receive_text": ({}, Harness.receive_text),
    "receive_bytes": ({}, Harness.receive_bytes),
    "receive_json": ({"mode": st.sampled_from([*JSON_MODES, "xml"])}, Harness.receive_json),
    "iter_text": ({"count": st.integers(1, 3)}, lambda h, count: h.iterate("iter_text", count)),
    "iter_bytes": ({"count": st.integers(1, 3)}, lambda h, count: h.iterate("iter_bytes", count)),
    "iter_json": ({"count": st.integers(1, 3)}, lambda h, count: h.iterate("iter_json", count)),
}


def _short(message: MessageType) -> str:
    return message.value.removeprefix("websocket.").replace(".", "_")


def _no_pending(harness: Harness) -> bool:
    return harness.pending is None


def _exactly_one_groups(message: MessageType) -> list[tuple[str, ...]]:
    return [c.param for c in MESSAGE_SCHEMAS[message].constraints if c.check is Check.EXACTLY_ONE]  # type: ignore[misc]


# -- the server's side ---------------------------------------------------------------------------


def _client_rules() -> list[RuleSpec]:
    specs = []
    for message, side in MESSAGE_SIDE.items():
        if side is not Side.RECEIVE:
            continue
        enabled = _deliverable(message)
        payloads = _exactly_one_groups(message)
        if payloads:
            (names,) = payloads
            for name in names:
                values = _CLIENT_TEXT if name == "text" else strategies.field_values(message, name)
                others = [n for n in names if n != name]
                arguments = {name: values, "other_as_none": st.booleans()}
                specs.append(RuleSpec(f"client_{_CLIENT_VERBS[message]}_{name}", arguments, _payload_body(message, others), enabled, everywhere=False))
            continue
        arguments = {f.name: _client_values(message, f.name, f.nullable) for f in MESSAGE_SCHEMAS[message].fields}
        specs.append(RuleSpec(f"client_{_CLIENT_VERBS[message]}", arguments, _fields_body(message), enabled, everywhere=False))
    return specs


def _client_values(message: MessageType, name: str, nullable: bool) -> st.SearchStrategy[Any]:
    if message is MessageType.DISCONNECT and name == "code":
        return st.sampled_from(DISCONNECT_CODES)
    if name == "reason":
        return _REASONS
    values = strategies.field_values(message, name)
    return st.none() | values if nullable else values


def _deliverable(message: MessageType) -> Callable[[Harness], bool]:
    return lambda harness: harness.server.deliverable(message)


def _payload_body(message: MessageType, others: list[str]) -> Callable[..., None]:
    def body(harness: Harness, other_as_none: bool, **payload: Any) -> None:
        # Both shapes servers use: the other key absent (uvicorn) or None (Hypercorn).
        harness.client({"type": message.value, **payload, **dict.fromkeys(others if other_as_none else ())})

    return body


def _fields_body(message: MessageType) -> Callable[..., None]:
    def body(harness: Harness, **fields: Any) -> None:
        harness.client({"type": message.value, **{k: v for k, v in fields.items() if v is not None}})

    return body


def _signal_rules() -> list[RuleSpec]:
    signals = {row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)}
    specs = []
    if Signal.SEND_FAILED in signals:
        # The transport dies: at any point, taking the client with it, or
        # after the client's disconnect, as ASGI 2.4 lets a server do (J-09).
        vanishes = RuleSpec("client_vanishes", {}, Harness.vanish, lambda h: h.server.deliverable(MessageType.DISCONNECT) and not h.server.failing)
        fails = RuleSpec("server_send_fails", {}, Harness.fail_sends, lambda h: h.server.client_gone and not h.server.failing)
        specs += [replace(vanishes, everywhere=False), replace(fails, everywhere=False)]
    return specs


def _misbehaving_rules() -> list[RuleSpec]:
    kinds = [m for m, s in MESSAGE_SIDE.items() if s is Side.RECEIVE]
    valid = st.one_of([strategies.messages(m) for m in kinds])
    invalid = st.one_of([strategies.invalid_messages(m) for m in kinds] + [strategies.unknown_messages(Side.RECEIVE)])
    return [RuleSpec("server_misbehaves", {"message": _maybe_bad(valid, invalid, 3)}, _misbehave_body)]


def _misbehave_body(harness: Harness, message: Any) -> None:
    if isinstance(message, Bad):
        harness.misbehave(message.value, valid=False)
    else:
        harness.misbehave(message, valid=True)


# -- the application's side ----------------------------------------------------------------------


def _raw_rules(invalid: bool) -> list[RuleSpec]:
    specs = []
    for message, side in MESSAGE_SIDE.items():
        if side is not Side.SEND:
            continue
        drawn = strategies.messages(message, subprotocols=MACHINE_SUBPROTOCOLS)
        if invalid:
            drawn = _maybe_bad(drawn, strategies.invalid_messages(message, subprotocols=MACHINE_SUBPROTOCOLS), 3)
        specs.append(RuleSpec(f"app_raw_{_short(message)}", {"message": drawn}, _raw_body(message)))
    if invalid:
        unknown = strategies.unknown_messages(Side.SEND).map(bad)
        specs.append(RuleSpec("app_raw_unknown_type", {"message": unknown}, _raw_body(None)))
    return specs


def _raw_body(message_type: MessageType | None) -> Callable[..., None]:
    def body(harness: Harness, message: Any) -> None:
        if isinstance(message, Bad):
            harness.send(message.value, valid=False)
            return
        assert message_type is not None
        harness.send(message, valid=strategies.still_valid(message_type, message, harness.version, harness.subprotocols))

    return body


def _helper_values(helper: _Helper, param: str, *, invalid: bool) -> st.SearchStrategy[Any]:
    name = helper.params[param]
    schema = MESSAGE_SCHEMAS[helper.message]
    spec_field = next(f for f in schema.fields if f.name == name)
    # The only key of an exactly-one rule that this method sets (send_text's
    # text): None there means neither is set.
    others = set(helper.params.values()) - {name}
    alone = any(name in names and not others & set(names) for names in _exactly_one_groups(helper.message))
    valid = strategies.field_values(helper.message, name, subprotocols=MACHINE_SUBPROTOCOLS)
    if spec_field.nullable and not alone:
        valid = st.none() | valid
    if not invalid:
        return valid
    broken = strategies.field_values(helper.message, name, valid=False, subprotocols=MACHINE_SUBPROTOCOLS)
    # A value the method would turn into a valid one is no test of the invalid case.
    transform = helper.transforms.get(param)
    if transform is not None:
        broken = broken.filter(lambda v: type(transform(v)) is type(v) and transform(v) == v)
    domain = helper.domains.get(param)
    if domain is not None:
        broken = broken.filter(domain)
    if alone:
        broken = broken | st.none()
    return _maybe_bad(valid, broken, 4)


def _helper_rules(invalid: bool) -> list[RuleSpec]:
    specs = []
    for helper in _SEND_HELPERS:
        arguments = {p: _helper_values(helper, p, invalid=invalid) for p in helper.params}
        if helper.message is MessageType.RESPONSE_START:
            # The denial response's body comes with the response, from its own schema.
            arguments["body"] = strategies.field_values(MessageType.RESPONSE_BODY, "body")
        enabled = _no_pending if helper.method == "accept" else None  # accept may take websocket.connect first
        specs.append(RuleSpec(f"app_{helper.method}", arguments, _helper_body(helper), enabled))
    json_arguments = {"data": _JSON, "mode": st.sampled_from([*JSON_MODES, "xml"])}
    specs.append(RuleSpec("app_send_json", json_arguments, lambda h, data, mode: h.send_json(data, mode)))
    return specs


def _helper_body(helper: _Helper) -> Callable[..., None]:
    method = getattr(Harness, helper.method)

    def body(harness: Harness, **arguments: Any) -> None:
        broken = any(isinstance(v, Bad) for v in arguments.values())
        plain = {k: v.value if isinstance(v, Bad) else v for k, v in arguments.items()}
        message = {"type": helper.message.value, **{helper.params[p]: plain[p] for p in helper.params}}
        valid = not broken and strategies.still_valid(helper.message, message, harness.version, harness.subprotocols)
        method(harness, **plain, valid=valid)

    return body


def _receive_rules() -> list[RuleSpec]:
    return [RuleSpec(f"app_{name}", arguments, call, _no_pending) for name, (arguments, call) in _RECEIVE_HELPERS.items()]


def rule_specs(*, misbehaving_server: bool = True, invalid_calls: bool = True, transport_failures: bool = True) -> list[RuleSpec]:
    """Every rule of the generated machine, in a stable order."""
    specs = _client_rules()
    if transport_failures:
        specs += _signal_rules()
    if misbehaving_server:
        specs += _misbehaving_rules()
    specs += _raw_rules(invalid_calls) + _helper_rules(invalid_calls) + _receive_rules()
    return specs


# -- the class ---------------------------------------------------------------------------------


class _Base(RuleBasedStateMachine):
    """What every generated machine shares; the rules are added by :func:`websocket_machine`."""

    factory: Factory
    coverage: Coverage | None
    versions: tuple[SpecVersion, ...]
    #: How many rules have run in this class, over all examples (the benchmark reads it).
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        #: One connection per spec version, driven in lockstep.
        self.harnesses: list[Harness] = []
        #: The pairs exercised by the connections of this example before the current ones.
        self.pairs: set[Pair] = set()

    def open(self, denial: bool, subprotocols: list[str], *, connected: bool) -> None:
        """Open one connection per spec version, after closing the current ones.

        With ``connected`` the server has queued ``websocket.connect`` before
        starting the application, as servers do (AMB-07); otherwise the
        client's ``client_connects()`` is a step of its own.
        """
        self.close()
        cls = type(self)
        scopes = [websocket_scope(v.value, subprotocols=subprotocols, denial=denial) for v in cls.versions]
        self.harnesses = [Harness(cls.factory, scope, coverage=cls.coverage) for scope in scopes]
        if connected:
            for harness in self.harnesses:
                harness.client({"type": MessageType.CONNECT.value})

    def close(self) -> None:
        """Abandon the calls still waiting, and keep the pairs the connections exercised."""
        for harness in self.harnesses:
            harness.close_pending()
            self.pairs |= harness.pairs

    @invariant()
    def agrees_with_the_spec(self) -> None:
        """The states, the messages forwarded and the messages taken are the spec's, on every connection."""
        for harness in self.harnesses:
            harness.check()

    def teardown(self) -> None:
        """End the example, steering towards examples that exercise many pairs."""
        self.close()
        target(len(self.pairs), label="(side, state, message type) pairs")


def _method(spec: RuleSpec) -> Any:
    body, enabled = spec.body, spec.enabled

    if enabled is None:

        def step(self: _Base, **arguments: Any) -> None:
            type(self).steps += 1
            for harness in self.harnesses:
                body(harness, **arguments)

    elif spec.everywhere:

        def step(self: _Base, **arguments: Any) -> None:
            type(self).steps += 1
            for harness in self.harnesses:
                body(harness, **arguments)

        step = precondition(lambda self: all(enabled(h) for h in self.harnesses))(step)  # type: ignore[assignment]

    else:

        def step(self: _Base, **arguments: Any) -> None:
            type(self).steps += 1
            for harness in self.harnesses:
                if enabled(harness):
                    body(harness, **arguments)

        step = precondition(lambda self: any(enabled(h) for h in self.harnesses))(step)  # type: ignore[assignment]

    step.__name__ = step.__qualname__ = spec.name
    return rule(**spec.arguments)(step)


def _connection(denial: Sequence[bool]) -> tuple[Any, Any]:
    arguments = {
        "denial": st.sampled_from(list(denial)),
        "subprotocols": st.sampled_from([[], list(MACHINE_SUBPROTOCOLS)]),
        "connected": st.booleans(),
    }

    def connection(self: _Base, denial: bool, subprotocols: list[str], connected: bool) -> None:
        self.open(denial, subprotocols, connected=connected)

    def new_connection(self: _Base, denial: bool, subprotocols: list[str], connected: bool) -> None:
        self.open(denial, subprotocols, connected=connected)

    return initialize(**arguments)(connection), rule(**arguments)(new_connection)


def websocket_machine(
    factory: Factory,
    *,
    versions: Iterable[SpecVersion | str] | None = None,
    denial: bool | None = None,
    coverage: Coverage | None = None,
    misbehaving_server: bool = True,
    invalid_calls: bool = True,
    transport_failures: bool = True,
    exclude: Iterable[str] = (),
    name: str = "WebSocketMachine",
) -> type[RuleBasedStateMachine]:
    """A Hypothesis state machine that holds an implementation of Starlette's WebSocket API to the spec.

    Args:
        factory: ``factory(scope, receive, send)`` builds the implementation
            under test; ``asgiws.WebSocket`` and ``starlette.websockets.WebSocket``
            are such factories.
        versions: the spec versions the connections speak; all by default.
        denial: only connections with (True) or without (False) the Denial
            Response extension; both by default.
        coverage: count every (side, state, message type) pair exercised.
        misbehaving_server: include a server that delivers messages the
            protocol forbids, or invalid ones.
        invalid_calls: include calls with invalid arguments and messages.
        transport_failures: include a client that vanishes and a ``send()``
            that raises ``OSError``.
        exclude: names of rules to leave out.
        name: the class name, as Hypothesis prints it in a failing program.

    Returns:
        A ``RuleBasedStateMachine`` subclass. Run it with
        ``run_state_machine_as_test`` or expose its ``TestCase`` to pytest.
    """
    chosen = [v if isinstance(v, SpecVersion) else SpecVersion(v) for v in versions] if versions is not None else list(SpecVersion)
    excluded = set(exclude)
    specs = [s for s in rule_specs(misbehaving_server=misbehaving_server, invalid_calls=invalid_calls, transport_failures=transport_failures)]
    unknown = excluded - {s.name for s in specs}
    if unknown:
        msg = f"no such rules: {sorted(unknown)}"
        raise ValueError(msg)
    first, later = _connection([False, True] if denial is None else [denial])
    namespace: dict[str, Any] = {
        "factory": staticmethod(factory),
        "coverage": coverage,
        "versions": tuple(chosen),
        "steps": 0,
        "connection": first,
        "new_connection": later,
        "__doc__": f"The spec's state machine for {getattr(factory, '__qualname__', factory)!s}.",
    }
    namespace.update({s.name: _method(s) for s in specs if s.name not in excluded})
    return type(name, (_Base,), namespace)
