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
from typing import Any, NamedTuple

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
    State,
)
from . import strategies
from .harness import JSON_MODES, Factory, Harness
from .oracle import ModelNode, oracle
from .server import websocket_scope
from .strategies import Bad, bad

__all__ = ["DISCONNECT_CODES", "MACHINE_SUBPROTOCOLS", "RuleSpec", "Setup", "pair_paths", "rule_specs", "setups", "websocket_machine"]

#: What the client offers when the drawn connection offers subprotocols.
MACHINE_SUBPROTOCOLS = ("chat", "superchat")
#: The close codes the client disconnects with: normal, going away, no code,
#: abnormal, service restart, and one of the application range.
DISCONNECT_CODES = (1000, 1001, 1005, 1006, 1012, 4000)
Message = dict[str, Any]

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
    """A method of Starlette's API that sends one message type, and which field each parameter fills.

    ``typed`` names the parameters whose invalid values must still have the
    field's type: the method would change a value of another type before it
    reaches the message (``accept`` makes a list of its headers) or could not
    build the message at all (a ``Response`` needs an int status).
    """

    method: str
    message: MessageType
    params: dict[str, str]
    typed: frozenset[str] = frozenset()


_SEND_HELPERS = (
    _Helper("accept", MessageType.ACCEPT, {"subprotocol": "subprotocol", "headers": "headers"}, frozenset({"headers"})),
    _Helper("close", MessageType.CLOSE, {"code": "code", "reason": "reason"}),
    _Helper("send_text", MessageType.SEND, {"data": "text"}),
    _Helper("send_bytes", MessageType.SEND, {"data": "bytes"}),
    _Helper("send_denial_response", MessageType.RESPONSE_START, {"status": "status"}, frozenset({"status"})),
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
    wrong_types = param not in helper.typed
    broken = strategies.field_values(helper.message, name, valid=False, subprotocols=MACHINE_SUBPROTOCOLS, wrong_types=wrong_types)
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

    def open(self, setup: Setup) -> None:
        """Open one connection per spec version, after closing the current ones."""
        self.close()
        cls = type(self)
        scopes = [websocket_scope(v.value, subprotocols=setup.subprotocols, denial=setup.denial) for v in cls.versions]
        self.harnesses = [Harness(cls.factory, scope, coverage=cls.coverage) for scope in scopes]
        for harness in self.harnesses:
            if setup.connected:
                harness.client({"type": MessageType.CONNECT.value})
            for message in setup.path:
                # Walk the connection to the end of the path, every step checked.
                if _side(message) is Side.SEND:
                    harness.send(message, valid=True)
                else:
                    if harness.server.queued:
                        pass  # the connect queued up front comes first
                    elif harness.server.deliverable(MessageType(message["type"])):
                        harness.client(message)
                    else:
                        harness.misbehave(message)  # the path tries a message the protocol refuses
                    harness.receive()
                harness.check()

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


def _representatives() -> list[Message]:
    """One message per type, and per guard value where a guard picks the row (``more_body``)."""
    guarded = {row.trigger: row.guard for rows in TRANSITIONS.values() for row in rows if row.guard is not None}
    found = []
    for message in MessageType:
        guard = guarded.get(message)
        if guard is None:
            found.append(strategies.minimal_message(message))
        else:
            field_name = guard.value[0]
            found += [strategies.minimal_message(message, **{field_name: truth}) for truth in (True, False)]
    return found


def pair_paths(denial: bool = True) -> list[tuple[Message, ...]]:
    """For every (side, state, message type) pair the spec can reach, the shortest way to try it.

    Each path is a sequence of messages the spec allows, from a new
    connection, followed by one message of the pair's type in the pair's
    state (allowed or refused). Read off the reference model by a
    breadth-first walk, with one representative message per type (and per
    guard value). A connection of the generated machine may start by walking
    one of them, so that every pair is one step away instead of waiting for
    a random walk to find the rare ones.
    """
    representatives = _representatives()
    found: dict[tuple[Side, State, str], tuple[Message, ...]] = {}
    seen = {oracle(denial).initial}
    frontier: list[tuple[tuple[Message, ...], ModelNode]] = [((), oracle(denial).initial)]
    while frontier:
        following = []
        for path, node in frontier:
            for message in representatives:
                side = _side(message)
                found.setdefault((side, node.state(side), message["type"]), (*path, message))
                target = node.step(side, message["type"], message)
                if target is not None and target not in seen:
                    seen.add(target)
                    following.append(((*path, message), target))
        frontier = following
    return list(found.values())


def _side(message: Message) -> Side:
    return MESSAGE_SIDE[MessageType(message["type"])]


class Setup(NamedTuple):
    """How a connection of the generated machine starts.

    Attributes:
        denial: the scope advertises the Denial Response extension.
        subprotocols: what the client offers.
        connected: the server queued ``websocket.connect`` before starting
            the application, as servers do (AMB-07); otherwise
            ``client_connects()`` is a step of its own.
        path: messages walked through first, each one checked (see
            :func:`pair_paths`).
    """

    denial: bool
    subprotocols: tuple[str, ...] = ()
    connected: bool = False
    path: tuple[Message, ...] = ()


def setups(denial: Sequence[bool] = (False, True)) -> st.SearchStrategy[Setup]:
    """How connections start: fresh a quarter of the time, else walked to one (side, state, message type) pair."""

    def of(with_denial: bool) -> st.SearchStrategy[Setup]:
        walks = st.sampled_from(pair_paths(with_denial))
        path = st.integers(0, 3).flatmap(lambda n: st.just(()) if n == 0 else walks)
        return st.builds(Setup, st.just(with_denial), st.sampled_from([(), MACHINE_SUBPROTOCOLS]), st.booleans(), path)

    return st.sampled_from(list(denial)).flatmap(of)


def _connection(denial: Sequence[bool]) -> tuple[Any, Any]:
    drawn = setups(denial)

    def connection(self: _Base, setup: Setup) -> None:
        self.open(setup)

    def new_connection(self: _Base, setup: Setup) -> None:
        self.open(setup)

    return initialize(setup=drawn)(connection), rule(setup=drawn)(new_connection)


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
