"""The Hypothesis state machine, generated from the spec tables.

:func:`websocket_machine` builds a ``RuleBasedStateMachine`` subclass with
``type()``. Its rules come from the tables, not from a list written here:

* every message type the server delivers (``MESSAGE_SIDE``) becomes what the
  client does (:mod:`~asgiws.testing.drawn_client`): ``client_connects()``,
  ``client_sends_text(text=..., other_key_as_none=..., times=...)``,
  ``client_sends_bytes(...)``, ``client_disconnects(code=..., reason=...)``,
  each enabled only when a conformant server may deliver it (the reference
  model says when); the data, which leaves the states as they are, comes up
  to three ``times`` in a row;
* the transport signal (``Signal.SEND_FAILED``) becomes
  ``client_vanishes()`` and ``server_send_fails()``;
* a misbehaving server delivers any message, valid or not, at any time:
  ``server_misbehaves(message=...)``;
* every message type the application sends becomes a raw ``send()`` rule
  (``app_raw_close(message=...)``), and every helper of Starlette's API that
  sends it a rule whose arguments are drawn from the message's schema
  (``app_close(code=..., reason=...)``);
* the receiving helpers: ``app_receive()``, ``app_receive_text()``, ...,
  ``app_iter_json(count=...)``.

An argument drawn to break a rule arrives as ``bad(...)``
(:class:`~asgiws.testing.strategies.Bad`), so a failing program shows which
call was meant to be refused. Whether a call is allowed is never written
here: the harness asks the reference model at every step, so every rule runs
in every state, and the refused cases are tested as much as the allowed ones.

An example opens connections with ``connection(setup=Setup(...))`` and
``new_connection(...)``, half of them already accepted. Before the first
example, ``sweep_every_state()`` makes sure no pair of the spec is left to
chance: on a connection of every spec version, it walks to every state along
each transition of the spec (:func:`walks`) and there tries every message
that leaves the states as they are. The sweep draws nothing, so it runs once per machine class: every later
example would repeat it exactly. Arguments are drawn for the widest
connection (the latest version, the subprotocols offered) and re-judged for
the one in hand (:func:`~asgiws.testing.strategies.still_valid`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, NamedTuple, cast

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from .._context import VERSION_RANK
from ..coverage import Coverage
from ..engine import websocket_scope
from ..spec import MESSAGE_SCHEMAS, MESSAGE_SIDE, MESSAGE_TYPES, TRANSITIONS, MessageType, Side, Signal, SpecVersion, State, ValueKind
from . import strategies
from .adapters import STARLETTE, Adapter, adapter_named, rule_call
from .drawn_client import JSON_VALUES, ActionKind, action_kinds, kind_name
from .harness import JSON_MODES, Divergence, Factory, Harness
from .known import Baseline, Difference, Tally, known_differences, replay
from .oracle import ModelNode, oracle
from .strategies import Bad, bad

__all__ = [
    "MACHINE_SUBPROTOCOLS",
    "GeneratedMachine",
    "RuleSpec",
    "Setup",
    "helper_deliveries",
    "rule_specs",
    "setups",
    "sweep",
    "walks",
    "websocket_machine",
]

#: What the client offers when a connection offers subprotocols.
MACHINE_SUBPROTOCOLS = ("chat", "superchat")

Message = dict[str, Any]
_MODES = st.sampled_from([*JSON_MODES, "xml"])


def _maybe_bad(valid: st.SearchStrategy[Any], invalid: st.SearchStrategy[Any], odds: int) -> st.SearchStrategy[Any]:
    # One draw in ``odds`` is invalid, marked bad(...). A plain one_of would
    # weigh every branch of both sides alike, and invalid values have many.
    marked = invalid.map(bad)
    return st.integers(1, odds).flatmap(lambda n: marked if n == 1 else valid)


def _side(message: Message) -> Side:
    return _SIDES[message["type"]]


_SIDES = {kind.value: side for kind, side in MESSAGE_SIDE.items()}
#: What the client can send that leaves the states as they are: the data.
_FLOWING = {row.trigger for row in TRANSITIONS[Side.RECEIVE] if isinstance(row.trigger, MessageType) and row.source is row.target}


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the generated machine, before it becomes a method.

    ``body(harness, **arguments)`` runs the step on the machine's connection;
    ``enabled(harness)``, when given, is the rule's precondition.
    """

    name: str
    arguments: dict[str, st.SearchStrategy[Any]]
    body: Callable[..., None]
    enabled: Callable[[Harness], bool] | None = None


# -- the server's side -------------------------------------------------------------------------


def _client_rule(kind: ActionKind) -> RuleSpec:
    if kind.vanishes:
        # The transport dies at any point, taking the client with it.
        return RuleSpec(f"client_{kind.name}", {}, Harness.vanish, lambda h: h.server.deliverable(MessageType.DISCONNECT) and not h.server.failing)

    message_type = kind.message_type
    if message_type in _FLOWING:
        # Data comes in bursts, so that the application has a queue to work
        # through: sending the same message again leaves the states as they are.
        def burst(harness: Harness, times: int, **arguments: Any) -> None:
            for _ in range(times):
                harness.client(kind.build(**arguments).message())

        arguments = {**kind.arguments, "times": st.integers(1, 3)}
        return RuleSpec(f"client_{kind.name}", arguments, burst, lambda h: h.server.deliverable(message_type))

    def body(harness: Harness, **arguments: Any) -> None:
        harness.client(kind.build(**arguments).message())

    return RuleSpec(f"client_{kind.name}", kind.arguments, body, lambda h: h.server.deliverable(message_type))


def _server_rules(misbehaving: bool, failures: bool) -> list[RuleSpec]:
    specs = [_client_rule(kind) for kind in action_kinds() if failures or not kind.vanishes]
    signals = {row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)}
    if failures and Signal.SEND_FAILED in signals:
        # After the client's disconnect, as ASGI 2.4 lets a server do (WS-041, J-09).
        specs.append(RuleSpec("server_send_fails", {}, Harness.fail_sends, lambda h: h.server.client_gone and not h.server.failing))
    if misbehaving:
        kinds = [m for m, s in MESSAGE_SIDE.items() if s is Side.RECEIVE]
        valid = st.one_of([strategies.messages(m) for m in kinds])
        invalid = st.one_of([strategies.invalid_messages(m) for m in kinds] + [strategies.unknown_messages(Side.RECEIVE)])
        specs.append(RuleSpec("server_misbehaves", {"message": _maybe_bad(valid, invalid, 3)}, _misbehave))
    return specs


def _misbehave(harness: Harness, message: Any) -> None:
    if isinstance(message, Bad):
        harness.misbehave(message.value, valid=False)
    else:
        harness.misbehave(message, valid=True)


# -- the application's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Helper:
    """A method of Starlette's API that sends one message type, and which field each parameter fills.

    ``typed`` names the parameters whose invalid values must still have the
    field's type: the method would change a value of another type before it
    reaches the message (``accept`` makes a list of its headers), or could not
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
    "receive_json": ({"mode": _MODES}, Harness.receive_json),
    "iter_text": ({"count": st.integers(1, 3)}, lambda h, count: h.iterate("iter_text", count)),
    "iter_bytes": ({"count": st.integers(1, 3)}, lambda h, count: h.iterate("iter_bytes", count)),
    "iter_json": ({"count": st.integers(1, 3)}, lambda h, count: h.iterate("iter_json", count)),
}


def _no_pending(harness: Harness) -> bool:
    return harness.pending is None


def _raw_rules(invalid: bool) -> list[RuleSpec]:
    specs = []
    for message, side in MESSAGE_SIDE.items():
        if side is not Side.SEND:
            continue
        drawn = strategies.messages(message, subprotocols=MACHINE_SUBPROTOCOLS)
        if invalid:
            drawn = _maybe_bad(drawn, strategies.invalid_messages(message, subprotocols=MACHINE_SUBPROTOCOLS), 3)
        specs.append(RuleSpec(_raw_rule_name(message), {"message": drawn}, _raw_body(message)))
    if invalid:
        specs.append(RuleSpec("app_raw_unknown_type", {"message": strategies.unknown_messages(Side.SEND).map(bad)}, _raw_body(None)))
    return specs


@cache
def _raw_rule_name(message_type: MessageType) -> str:
    return "app_raw_" + message_type.value.removeprefix("websocket.").replace(".", "_")


def _raw_body(message_type: MessageType | None) -> Callable[..., None]:
    def body(harness: Harness, message: Any) -> None:
        if isinstance(message, Bad):
            harness.send(message.value, valid=False)
        else:
            assert message_type is not None
            harness.send(message, valid=strategies.still_valid(message_type, message, harness.version, harness.subprotocols))

    return body


def _helper_values(helper: _Helper, param: str, *, invalid: bool) -> st.SearchStrategy[Any]:
    name = helper.params[param]
    spec_field = next(f for f in MESSAGE_SCHEMAS[helper.message].fields if f.name == name)
    # The only key of an exactly-one rule that this method sets (send_text's
    # text): None there means neither is set.
    others = set(helper.params.values()) - {name}
    alone = any(name in names and not others & set(names) for names in strategies.exactly_one(MESSAGE_SCHEMAS[helper.message].constraints))
    valid = strategies.field_values(helper.message, name, subprotocols=MACHINE_SUBPROTOCOLS)
    if spec_field.nullable and not alone:
        valid = st.none() | valid
    if not invalid:
        return valid
    wrong_types = param not in helper.typed
    broken = strategies.field_values(helper.message, name, valid=False, subprotocols=MACHINE_SUBPROTOCOLS, wrong_types=wrong_types)
    return _maybe_bad(valid, broken | st.none() if alone else broken, 4)


def _helper_body(helper: _Helper) -> Callable[..., None]:
    method = getattr(Harness, helper.method)

    def body(harness: Harness, **arguments: Any) -> None:
        broken = any(isinstance(v, Bad) for v in arguments.values())
        plain = {k: v.value if isinstance(v, Bad) else v for k, v in arguments.items()}
        message = {"type": helper.message.value, **{helper.params[p]: plain[p] for p in helper.params}}
        valid = not broken and strategies.still_valid(helper.message, message, harness.version, harness.subprotocols)
        method(harness, **plain, valid=valid)

    return body


def _app_rules(invalid: bool) -> list[RuleSpec]:
    specs = _raw_rules(invalid)
    for helper in _SEND_HELPERS:
        arguments = {p: _helper_values(helper, p, invalid=invalid) for p in helper.params}
        if helper.message is MessageType.RESPONSE_START:
            # The denial response's body comes with the response, from its own schema.
            arguments["body"] = strategies.field_values(MessageType.RESPONSE_BODY, "body")
        enabled = _no_pending if helper.method == "accept" else None  # accept may take websocket.connect first
        specs.append(RuleSpec(f"app_{helper.method}", arguments, _helper_body(helper), enabled))
    specs.append(RuleSpec("app_send_json", {"data": JSON_VALUES, "mode": _MODES}, Harness.send_json))
    specs += [RuleSpec(f"app_{name}", arguments, call, _no_pending) for name, (arguments, call) in _RECEIVE_HELPERS.items()]
    return specs


def rule_specs(*, misbehaving_server: bool = True, invalid_calls: bool = True, transport_failures: bool = True) -> list[RuleSpec]:
    """Every rule of the generated machine but the connection ones, in a stable order."""
    return _server_rules(misbehaving_server, transport_failures) + _app_rules(invalid_calls)


# -- how connections start -----------------------------------------------------------------------


@cache
def walks(denial: bool = True) -> tuple[tuple[Message, ...], ...]:
    """The sweep's plan: the empty walk, and one walk per transition of the spec.

    For every transition the spec allows from a state a new connection can
    reach, the shortest sequence of messages to that state followed by the
    transition's message: one representative message per type and guard
    value, read off the reference model breadth first. A transition that
    leaves the states as they were (data flowing) is left to the probe that
    ends every walk.
    """
    start = oracle(denial).initial
    reach: dict[ModelNode, tuple[Message, ...]] = {start: ()}
    found: list[tuple[Message, ...]] = [()]
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for message in strategies.representatives():
                target_node = node.step(_side(message), message["type"], message)
                if target_node is None or target_node is node:
                    continue
                found.append((*reach[node], message))
                if target_node not in reach:
                    reach[target_node] = (*reach[node], message)
                    following.append(target_node)
        frontier = following
    return tuple(found)


def sweep(
    factory: Factory,
    versions: Iterable[SpecVersion],
    denial: Iterable[bool],
    coverage: Coverage | None = None,
    *,
    rules: Collection[str] | None = None,
    tally: Tally | None = None,
    adapter: Adapter = STARLETTE,
) -> int:
    """Walk every path of :func:`walks` on a connection of each version, and probe where it ends.

    The probe tries every message that leaves the states as they are: all
    those the spec refuses, on both sides, and the data that may flow. Each
    call is judged as it returns, and the states and the traffic at the end
    of every walk. Then, on the newest version, in every state a walk
    reaches, every receiving helper (``receive_text()``, ``receive_json()``
    in each mode, two items of ``iter_bytes()``, ...) is called once after
    each message of :func:`helper_deliveries`: every payload shape of the
    data, then the message that ends the receive side with every field set;
    and every sending helper once, with every argument away from its default
    (``accept()`` with an offered subprotocol and a header, ``close()`` with
    a code and a reason, ``send_json()`` in each mode, ...).

    ``rules`` names the rules of a narrowed machine: the sweep then plays
    only what one of them could (a message the application sends needs its
    ``app_raw_...`` rule, one the server delivers the client's rule for it
    (and ``app_receive``), or ``server_misbehaves`` where a conformant server
    would not deliver it; a helper its ``app_...`` rule), and leaves out a walk it cannot play to
    its end. Every step is checked as it ends. With a ``tally``, a divergence
    it tolerates (a known one) is noted and the walk starts again on a fresh
    connection, to probe what is left. Returns how many walks were made.

    Raises:
        Divergence: the implementation departed from the spec (in a way the
            tally does not tolerate); a note names the connection and the walk.
    """
    made = 0
    chosen = tuple(versions)
    for with_denial in denial:
        for version in chosen:
            for path in walks(with_denial):
                end = _end(with_denial, path)
                probe = [
                    partial(_walk, message=m, rules=rules) for m in strategies.representatives() if end.step(_side(m), m["type"], m) in (None, end)
                ]
                made += _probe(factory, version, with_denial, path, probe, coverage, rules, tally, adapter)
        # The helpers read what the receive side delivers, whose fields no version gates: the newest is enough.
        newest = max(chosen, key=lambda v: VERSION_RANK[v])
        for path in _paths_to_states(with_denial):
            for name, call in _HELPER_CALLS:
                if rules is None or name in rules:
                    steps = [partial(_helper_step, message=m, call=call, rules=rules) for m in helper_deliveries()]
                    made += _probe(factory, newest, with_denial, path, steps, coverage, rules, tally, adapter)
            # Each sending helper once, on a connection that offers subprotocols: a call that moves the states ends the walk.
            for name, call in _SENDING_CALLS:
                if rules is None or name in rules:
                    made += _probe(
                        factory, newest, with_denial, path, [partial(_sending_step, call=call)], coverage, rules, tally, adapter, offered=True
                    )
    return made


def _end(with_denial: bool, path: tuple[Message, ...]) -> ModelNode:
    end = oracle(with_denial).initial
    for message in path:
        end = cast(ModelNode, end.step(_side(message), message["type"], message))
    return end


@cache
def _paths_to_states(denial: bool) -> tuple[tuple[Message, ...], ...]:
    # The shortest walk to each state a walk reaches (walks() is breadth first).
    found: dict[ModelNode, tuple[Message, ...]] = {}
    for path in walks(denial):
        found.setdefault(_end(denial, path), path)
    return tuple(found.values())


@cache
def helper_deliveries() -> tuple[Message, ...]:
    """What the sweep delivers before each receiving helper, in order.

    Every payload shape of the data (each key of its exactly-one rule alone,
    then with the others present as None), carrying a JSON document so that
    the JSON helpers can return; then, last because it ends the receive side,
    the message that does, with every field set (:func:`~asgiws.testing.strategies.full_message`).
    """
    found: list[Message] = []
    document = {ValueKind.STR: "[]", ValueKind.BYTES: b"[]"}
    for kind in sorted(_FLOWING, key=lambda m: m.value):
        schema = MESSAGE_SCHEMAS[kind]
        kinds = {f.name: f.kind for f in schema.fields}
        for names in strategies.exactly_one(schema.constraints):
            for name in names:
                alone = {"type": kind.value, name: document[kinds[name]]}
                found += [alone, {**alone, **dict.fromkeys((n for n in names if n != name), None)}]
    ending = [
        row.trigger
        for row in TRANSITIONS[Side.RECEIVE]
        if isinstance(row.trigger, MessageType) and row.source is State.CONNECTED and row.target is State.DISCONNECTED
    ]
    return (*found, *(strategies.full_message(kind) for kind in ending))


# The receiving helpers as the sweep calls them, each with the rule that would: receive_json in each mode, two items
# of an iterator (the second waits where one message was queued, as an iterator that does not end must).
_HELPER_CALLS: tuple[tuple[str, Callable[[Harness], None]], ...] = (
    ("app_receive", Harness.receive),
    ("app_receive_text", Harness.receive_text),
    ("app_receive_bytes", Harness.receive_bytes),
    *(("app_receive_json", partial(Harness.receive_json, mode=mode)) for mode in JSON_MODES),
    *((f"app_{method}", partial(Harness.iterate, method=method, count=2)) for method in ("iter_text", "iter_bytes", "iter_json")),
)


# The sending helpers as the sweep calls them, each with the rule that would, and every argument away from its
# default: a subprotocol the client offered and a header, a close code an application chose and a reason, a
# payload, JSON in each mode, a denial response with a body. Each is judged valid or not for the connection in
# hand, as the rule's own calls are (a reason on a 2.2 connection is refused).
_SENDING_ARGUMENTS: dict[str, dict[str, Any]] = {
    "accept": {"subprotocol": MACHINE_SUBPROTOCOLS[0], "headers": [(b"x-asgiws", b"bye")]},
    "close": {"code": strategies.full_message(MessageType.CLOSE)["code"], "reason": "bye"},
    "send_text": {"data": "bye"},
    "send_bytes": {"data": b"bye"},
    "send_denial_response": {"status": 403, "body": b"bye"},
}
_SENDING_CALLS: tuple[tuple[str, Callable[[Harness], None]], ...] = (
    *((f"app_{helper.method}", partial(_helper_body(helper), **_SENDING_ARGUMENTS[helper.method])) for helper in _SEND_HELPERS),
    *(("app_send_json", partial(Harness.send_json, data={"bye": [1]}, mode=mode)) for mode in JSON_MODES),
)


def _sending_step(harness: Harness, call: Callable[[Harness], None]) -> None:
    call(harness)
    if harness.pending is not None:
        harness.close_pending()  # accept() waits for websocket.connect where it has not come
    harness.check()


def _helper_step(harness: Harness, message: Message, call: Callable[[Harness], None], rules: Collection[str] | None) -> None:
    # Deliver one message as a rule could, call the helper, and take back what it left queued.
    if rules is not None and _rule_for(harness, message) not in rules:
        return
    if harness.server.deliverable(MESSAGE_TYPES[message["type"]]):
        harness.client(message)
    else:
        harness.misbehave(message)
    call(harness)
    if harness.pending is not None:
        harness.close_pending()  # a helper the spec lets wait for more is abandoned, as a test's end does
    harness.withdraw()
    harness.check()


def _probe(  # noqa: PLR0917 - sweep's loop variables and options, passed on
    factory: Factory,
    version: SpecVersion,
    with_denial: bool,
    path: tuple[Message, ...],
    steps: Sequence[Callable[[Harness], object]],
    coverage: Coverage | None,
    rules: Collection[str] | None,
    tally: Tally | None,
    adapter: Adapter,
    *,
    offered: bool = False,
) -> int:
    # One walk and the steps that probe where it ends; 1 when it was played to its end. With
    # ``offered``, the client offers the machine's subprotocols.
    start = 0
    scope = websocket_scope(version.value, denial=with_denial, subprotocols=MACHINE_SUBPROTOCOLS if offered else ())
    while True:
        harness = Harness(factory, scope, coverage=coverage, adapter=adapter)
        done = -1  # how many probe steps this connection has played
        try:
            if not all(_walk(harness, message, rules) for message in path):
                return 0
            done = start
            for step in steps[start:]:
                step(harness)
                done += 1
            return 1
        except Divergence as divergence:
            if tally is None or divergence.difference is None or not tally.tolerates(divergence.difference):
                shown = ", ".join(m["type"] for m in path) or "nothing"
                divergence.add_note(f"found by the sweep: spec {version.value}, denial {with_denial}, after {shown}, then the probe")
                raise
            if done < 0 or done + 1 >= len(steps):
                return 1  # a known divergence on the way there, or at the last probe: nothing is left here
            start = done + 1
        finally:
            harness.close_pending()


class Setup(NamedTuple):
    """How a connection of the generated machine starts.

    Attributes:
        spec_version: the connection's spec version.
        denial: the scope advertises the Denial Response extension.
        subprotocols: what the client offers.
        connected: the server queued ``websocket.connect`` before starting
            the application, as servers do (AMB-07); otherwise
            ``client_connects()`` is a step of its own.
        accepted: the client connected and the application accepted (with no
            subprotocol) before the rules start: the data may flow at once.
    """

    spec_version: str
    denial: bool
    subprotocols: tuple[str, ...] = ()
    connected: bool = False
    accepted: bool = False


def setups(versions: Sequence[SpecVersion], denial: Sequence[bool] = (False, True)) -> st.SearchStrategy[Setup]:
    """How connections start: every version and setting of the denial extension asked for."""
    return st.builds(
        Setup,
        spec_version=st.sampled_from([v.value for v in versions]),
        denial=st.sampled_from(list(denial)),
        subprotocols=st.sampled_from([(), MACHINE_SUBPROTOCOLS]),
        connected=st.booleans(),
        accepted=st.booleans(),
    )


# -- the class -----------------------------------------------------------------------------------


class GeneratedMachine(RuleBasedStateMachine):
    """What every generated machine shares; :func:`websocket_machine` adds the rules."""

    factory: Factory
    #: How the class spells each call.
    adapter: Adapter
    coverage: Coverage | None
    versions: tuple[SpecVersion, ...]
    denial: tuple[bool, ...]
    #: The names of the rules this class has (the sweep plays only what they could).
    rule_names: frozenset[str]
    #: Whether this class has swept every state (:func:`sweep`) without finding a divergence.
    swept = False
    #: How many rules have run in this class, over all examples (the benchmark reads it).
    steps = 0
    #: The known differences met, over all examples; None when every divergence fails the run.
    tally: Tally | None = None
    #: The new divergence the sweep found, replayed from its program by every later example.
    sweep_failure: tuple[Difference, tuple[str, ...]] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.harness: Harness
        self.setup: Setup

    def open(self, setup: Setup) -> None:
        """Open the connection a setup describes, after abandoning the current one."""
        cls = type(self)
        current = getattr(self, "harness", None)
        if current is not None:
            current.close_pending()
        self.setup = setup
        scope = websocket_scope(setup.spec_version, subprotocols=setup.subprotocols, denial=setup.denial)
        self.harness = harness = Harness(cls.factory, scope, coverage=cls.coverage, adapter=cls.adapter)
        if setup.connected or setup.accepted:
            harness.client({"type": MessageType.CONNECT.value})
        if setup.accepted:
            harness.accept(None, None, valid=True)
            harness.check()

    def start(self, setup: Setup) -> None:
        """Open a connection as a rule does: a known divergence on the way is gone past."""
        try:
            self.open(setup)
        except Divergence as divergence:
            self.diverged(divergence)

    @invariant()
    def agrees_with_the_spec(self) -> None:
        """The states, the messages forwarded and the messages taken are the spec's."""
        try:
            self.harness.check()
        except Divergence as divergence:
            self.diverged(divergence)

    def diverged(self, divergence: Divergence) -> None:
        """Go on past a divergence the tally tolerates, on a fresh connection of the same setup; raise any other."""
        tally = type(self).tally
        if tally is None or divergence.difference is None or not tally.tolerates(divergence.difference):
            raise divergence
        try:
            self.open(self.setup)
        except Divergence as again:  # the setup's own accept diverged, the same way: start before it
            if again.difference is None or not tally.tolerates(again.difference):  # pragma: no cover - the same calls diverge the same known way
                raise
            self.open(self.setup._replace(connected=False, accepted=False))

    @classmethod
    def fixed(cls) -> list[Difference]:
        """The known differences that no longer occur: not met by the run, and their programs replayed without them."""
        return [] if cls.tally is None else cls.tally.fixed(cls.factory, cls.adapter)

    def teardown(self) -> None:
        """Abandon a call still waiting for the client (an example may end before its connection opens)."""
        harness = getattr(self, "harness", None)
        if harness is not None:
            harness.close_pending()


def _walk(harness: Harness, message: Message, rules: Collection[str] | None) -> bool:
    # One step of a walk (Harness.play); False when no rule of the machine could play it. Each
    # call is judged as it returns; the states and the traffic are checked at the end of the walk.
    if rules is not None and (_rule_for(harness, message) not in rules or (_side(message) is Side.RECEIVE and "app_receive" not in rules)):
        return False  # play() receives what the server delivers: that needs the raw receive() too
    harness.play(message)
    if _side(message) is Side.RECEIVE:
        harness.withdraw()  # what the application refused to take leaves the queue
    harness.check()
    return True


def _rule_for(harness: Harness, message: Message) -> str:
    # The rule of the machine that could do what Harness.play does with this message.
    message_type = MESSAGE_TYPES[message["type"]]
    if _side(message) is Side.SEND:
        return _raw_rule_name(message_type)
    return f"client_{kind_name(message)}" if harness.server.deliverable(message_type) else "server_misbehaves"


def _method(spec: RuleSpec) -> Any:
    body, enabled = spec.body, spec.enabled

    def step(self: GeneratedMachine, **arguments: Any) -> None:
        type(self).steps += 1
        try:
            body(self.harness, **arguments)
        except Divergence as divergence:
            self.diverged(divergence)

    step.__name__ = step.__qualname__ = spec.name
    decorated = cast(Any, rule)(**spec.arguments)(step)
    if enabled is None:
        return decorated

    def is_enabled(self: GeneratedMachine) -> bool:
        return enabled(self.harness)

    # A named function: Hypothesis describes every precondition it checks, and a lambda's description is read from its source.
    is_enabled.__name__ = is_enabled.__qualname__ = f"{spec.name}_enabled"
    return precondition(is_enabled)(decorated)


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
    sweep_first: bool = True,
    known: Baseline | str | os.PathLike[str] | None = None,
    record: bool = False,
    adapter: Adapter | str = STARLETTE,
    name: str = "WebSocketMachine",
) -> type[GeneratedMachine]:
    """A Hypothesis state machine that holds an implementation of Starlette's WebSocket API to the spec.

    Args:
        factory: ``factory(scope, receive, send)`` builds the implementation
            under test; ``asgiws.WebSocket`` and ``starlette.websockets.WebSocket``
            are such factories.
        versions: the spec versions connections are opened with; all by default.
        denial: only connections with (True) or without (False) the Denial
            Response extension; both by default.
        coverage: count every (side, state, message type) pair exercised.
        misbehaving_server: include a server that delivers messages the
            protocol forbids, or invalid ones.
        invalid_calls: include calls with invalid arguments and messages.
        transport_failures: include a client that vanishes and a ``send()``
            that raises ``OSError``.
        exclude: names of rules to leave out.
        sweep_first: before the first example, walk to every state of the
            spec on every version and try every message there (:func:`sweep`),
            so that every pair is exercised whatever Hypothesis draws. A
            narrowed machine sweeps with what its rules could do.
        known: the known differences of the class (a :class:`~asgiws.testing.Baseline`,
            or a name or path for :func:`~asgiws.testing.known_differences`):
            a divergence it lists is noted in the class's ``tally`` and the
            example goes on, on a fresh connection; only a new one fails.
        record: note every divergence and fail on none, to write a baseline
            from ``tally.seen`` when the run ends.
        adapter: how the class spells each call (an :class:`~asgiws.testing.adapters.Adapter`,
            or the name of a shipped one: ``"starlette"``, ``"litestar"``, ``"quart"``);
            the rules of the calls it does not have are left out.
        name: the class name, as Hypothesis prints it in a failing program.

    Returns:
        A ``RuleBasedStateMachine`` subclass. Run it with
        ``run_state_machine_as_test``, or expose its ``TestCase`` to pytest.

    Raises:
        ValueError: ``exclude`` names a rule the machine does not have.
        BaselineError: ``known`` names no baseline, or a file that is not one.
    """
    chosen = tuple(v if isinstance(v, SpecVersion) else SpecVersion(v) for v in versions) if versions is not None else tuple(SpecVersion)
    specs = rule_specs(misbehaving_server=misbehaving_server, invalid_calls=invalid_calls, transport_failures=transport_failures)
    excluded = set(exclude)
    unknown = excluded - {s.name for s in specs}
    if unknown:
        msg = f"no such rules: {sorted(unknown)}"
        raise ValueError(msg)
    driver = adapter_named(adapter) if isinstance(adapter, str) else adapter
    excluded |= {s.name for s in specs if rule_call(s.name) not in (None, *driver.calls)}
    kinds = [False, True] if denial is None else [denial]

    def connection(self: GeneratedMachine, setup: Setup) -> None:
        self.start(setup)

    def new_connection(self: GeneratedMachine, setup: Setup) -> None:
        type(self).steps += 1
        self.start(setup)

    def sweep_every_state(self: GeneratedMachine) -> None:
        # The sweep draws nothing: once it has passed, every later example would repeat it exactly.
        cls = type(self)
        if cls.sweep_failure is not None:
            # What the sweep found, found again from its program alone: shrinking needs every
            # example to fail the same way, and the whole sweep again would cost each one as much.
            failure, notes = cls.sweep_failure
            try:
                replay(cls.factory, failure, raising=True, adapter=cls.adapter)
            except Divergence as divergence:
                for note in notes:
                    divergence.add_note(note)
                raise
        if not cls.swept:
            try:
                sweep(cls.factory, cls.versions, cls.denial, cls.coverage, rules=cls.rule_names, tally=cls.tally, adapter=cls.adapter)
            except Divergence as divergence:
                cls.sweep_failure = (cast(Difference, divergence.difference), tuple(getattr(divergence, "__notes__", ())))
                raise
            cls.swept = True

    baseline = known_differences(known) if isinstance(known, str | os.PathLike) else known
    namespace: dict[str, Any] = {
        "tally": Tally(baseline, record=record) if baseline is not None or record else None,
        "factory": staticmethod(factory),
        "adapter": driver,
        "coverage": coverage,
        "versions": chosen,
        "denial": tuple(kinds),
        "rule_names": frozenset(s.name for s in specs if s.name not in excluded),
        "steps": 0,
        "connection": initialize(setup=setups(chosen, kinds))(connection),
        "new_connection": rule(setup=setups(chosen, kinds))(new_connection),
        "__doc__": f"The spec's state machine, generated for {getattr(factory, '__qualname__', factory)}.",
    }
    if sweep_first:
        namespace["sweep_every_state"] = initialize()(sweep_every_state)
    namespace.update({s.name: _method(s) for s in specs if s.name not in excluded})
    return type(name, (GeneratedMachine,), namespace)
