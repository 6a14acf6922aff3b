"""The Hypothesis state machine, generated from the spec tables.

:func:`websocket_machine` builds a ``RuleBasedStateMachine`` subclass with
``type()``. Its rules come from the tables, not from a list written here:

* every message type the server delivers (``MESSAGE_SIDE``) becomes what the
  client does (:mod:`~asgiws.testing.client`): ``client_connects()``,
  ``client_sends_text(text=..., other_as_none=...)``,
  ``client_sends_bytes(...)``, ``client_disconnects(code=..., reason=...)``,
  each enabled only when a conformant server may deliver it (the reference
  model says when);
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
``new_connection(...)``. A connection is one per spec version, driven in
lockstep by the same steps, so that one program exercises every version; it
starts fresh, or walks first to one (side, state, message type) pair of the
spec (:func:`pair_paths`), so that the rare pairs are not left to chance.
Arguments are drawn for the widest connection (the latest version, the
subprotocols offered) and re-judged for each one
(:func:`~asgiws.testing.strategies.still_valid`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from hypothesis import strategies as st
from hypothesis import target
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ..coverage import Coverage
from ..spec import MESSAGE_SCHEMAS, MESSAGE_SIDE, TRANSITIONS, Check, MessageType, Side, Signal, SpecVersion, State
from . import strategies
from .client import JSON_VALUES, ClientAction, client_actions
from .harness import JSON_MODES, Factory, Harness
from .oracle import ModelNode, oracle
from .server import websocket_scope
from .strategies import Bad, bad

__all__ = ["MACHINE_SUBPROTOCOLS", "RuleSpec", "Setup", "pair_paths", "rule_specs", "setups", "websocket_machine"]

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
    return MESSAGE_SIDE[MessageType(message["type"])]


def _exactly_one(message: MessageType) -> list[tuple[str, ...]]:
    return [c.param for c in MESSAGE_SCHEMAS[message].constraints if c.check is Check.EXACTLY_ONE]  # type: ignore[misc]


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


# -- the server's side -------------------------------------------------------------------------


def _client_rule(action: ClientAction) -> RuleSpec:
    if action.vanishes:
        # The transport dies at any point, taking the client with it.
        return RuleSpec(f"client_{action.name}", {}, Harness.vanish, lambda h: h.server.deliverable(MessageType.DISCONNECT) and not h.server.failing, False)

    def body(harness: Harness, **arguments: Any) -> None:
        harness.client(action.message(**arguments))

    message_type = action.message_type
    return RuleSpec(f"client_{action.name}", action.arguments, body, lambda h: h.server.deliverable(message_type), everywhere=False)


def _server_rules(misbehaving: bool, failures: bool) -> list[RuleSpec]:
    specs = [_client_rule(action) for action in client_actions() if failures or not action.vanishes]
    signals = {row.trigger for rows in TRANSITIONS.values() for row in rows if isinstance(row.trigger, Signal)}
    if failures and Signal.SEND_FAILED in signals:
        # After the client's disconnect, as ASGI 2.4 lets a server do (WS-041, J-09).
        specs.append(RuleSpec("server_send_fails", {}, Harness.fail_sends, lambda h: h.server.client_gone and not h.server.failing, False))
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
        name = message.value.removeprefix("websocket.").replace(".", "_")
        specs.append(RuleSpec(f"app_raw_{name}", {"message": drawn}, _raw_body(message)))
    if invalid:
        specs.append(RuleSpec("app_raw_unknown_type", {"message": strategies.unknown_messages(Side.SEND).map(bad)}, _raw_body(None)))
    return specs


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
    alone = any(name in names and not others & set(names) for names in _exactly_one(helper.message))
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
def pair_paths(denial: bool = True) -> tuple[tuple[Message, ...], ...]:
    """For every (side, state, message type) pair the spec can reach, the shortest way to try it.

    Each path is a sequence of messages the spec allows, from a new
    connection, followed by one message of the pair's type in the pair's
    state (allowed or refused). It is read off the reference model by a
    breadth-first walk, one representative message per type and guard value.
    """
    found: dict[tuple[Side, State, str], tuple[Message, ...]] = {}
    start = oracle(denial).initial
    seen = {start}
    frontier: list[tuple[tuple[Message, ...], ModelNode]] = [((), start)]
    while frontier:
        following = []
        for path, node in frontier:
            for message in strategies.representatives():
                side = _side(message)
                found.setdefault((side, node.state(side), message["type"]), (*path, message))
                target_node = node.step(side, message["type"], message)
                if target_node is not None and target_node not in seen:
                    seen.add(target_node)
                    following.append(((*path, message), target_node))
        frontier = following
    return tuple(found.values())


class Setup(NamedTuple):
    """How a connection of the generated machine starts.

    Attributes:
        denial: the scope advertises the Denial Response extension.
        subprotocols: what the client offers.
        connected: the server queued ``websocket.connect`` before starting
            the application, as servers do (AMB-07); otherwise
            ``client_connects()`` is a step of its own.
        path: messages walked through first, each one checked (see :func:`pair_paths`).
    """

    denial: bool
    subprotocols: tuple[str, ...] = ()
    connected: bool = False
    path: tuple[Message, ...] = ()


def setups(denial: Sequence[bool] = (False, True), *, walk: bool | None = None) -> st.SearchStrategy[Setup]:
    """How connections start: fresh (``walk=False``), walked to one pair of the spec (``True``), or either."""

    def paths(with_denial: bool) -> st.SearchStrategy[tuple[Message, ...]]:
        # A fresh connection's first call tries the send side's first pairs already.
        walks = st.sampled_from([path for path in pair_paths(with_denial) if len(path) > 1 or _side(path[0]) is Side.RECEIVE])
        fresh: st.SearchStrategy[tuple[Message, ...]] = st.just(())
        return {True: walks, False: fresh, None: fresh | walks}[walk]

    subprotocols = st.sampled_from([(), MACHINE_SUBPROTOCOLS])
    # A walk plays websocket.connect itself, when its path has it.
    connected = st.just(False) if walk else st.booleans()
    by_denial = {
        with_denial: st.builds(Setup, denial=st.just(with_denial), subprotocols=subprotocols, connected=connected, path=paths(with_denial))
        for with_denial in denial
    }
    return st.sampled_from(list(denial)).flatmap(by_denial.__getitem__)


# -- the class -----------------------------------------------------------------------------------


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
        self.pairs: set[tuple[str, ...]] = set()

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
                _walk(harness, message)

    def close(self) -> None:
        """Abandon the calls still waiting, and keep the pairs the connections exercised."""
        for harness in self.harnesses:
            harness.close_pending()
            self.pairs |= harness.exercised

    @invariant()
    def agrees_with_the_spec(self) -> None:
        """The states, the messages forwarded and the messages taken are the spec's, on every connection."""
        for harness in self.harnesses:
            harness.check()

    def teardown(self) -> None:
        """End the example, steering towards examples that exercise many pairs."""
        self.close()
        pass  # target(len(self.pairs), label="(side, state, message type) pairs")


def _walk(harness: Harness, message: Message) -> None:
    # One step of a setup's path, checked like any other.
    if _side(message) is Side.SEND:
        harness.send(message, valid=True)
    else:
        if not harness.server.queued:  # else the connect queued up front comes first
            if harness.server.deliverable(MessageType(message["type"])):
                harness.client(message)
            else:
                harness.misbehave(message)  # the path tries a message the protocol refuses here
        harness.receive()
    harness.check()


def _method(spec: RuleSpec) -> Any:
    body, enabled = spec.body, spec.enabled
    if enabled is None or spec.everywhere:

        def step(self: _Base, **arguments: Any) -> None:
            type(self).steps += 1
            for harness in self.harnesses:
                body(harness, **arguments)

    else:

        def step(self: _Base, **arguments: Any) -> None:
            type(self).steps += 1
            for harness in self.harnesses:
                if enabled(harness):
                    body(harness, **arguments)

    step.__name__ = step.__qualname__ = spec.name
    decorated = rule(**spec.arguments)(step)
    if enabled is None:
        return decorated
    if spec.everywhere:
        return precondition(lambda self: all(enabled(h) for h in self.harnesses))(decorated)
    return precondition(lambda self: any(enabled(h) for h in self.harnesses))(decorated)


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
        versions: the spec versions each connection is opened with (in
            lockstep); all by default.
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
        ``run_state_machine_as_test``, or expose its ``TestCase`` to pytest.

    Raises:
        ValueError: ``exclude`` names a rule the machine does not have.
    """
    chosen = tuple(v if isinstance(v, SpecVersion) else SpecVersion(v) for v in versions) if versions is not None else tuple(SpecVersion)
    specs = rule_specs(misbehaving_server=misbehaving_server, invalid_calls=invalid_calls, transport_failures=transport_failures)
    excluded = set(exclude)
    unknown = excluded - {s.name for s in specs}
    if unknown:
        msg = f"no such rules: {sorted(unknown)}"
        raise ValueError(msg)
    kinds = [False, True] if denial is None else [denial]

    def connection(self: _Base, setup: Setup) -> None:
        self.open(setup)

    def new_connection(self: _Base, setup: Setup) -> None:
        self.open(setup)

    def walk_to_a_pair(self: _Base, setup: Setup) -> None:
        self.open(setup)

    namespace: dict[str, Any] = {
        "factory": staticmethod(factory),
        "coverage": coverage,
        "versions": chosen,
        "steps": 0,
        "connection": initialize(setup=setups(kinds))(connection),
        "new_connection": rule(setup=setups(kinds, walk=False))(new_connection),
        # Walks get a rule of their own: a draw late in an example varies more
        # from one example to the next than the first one does.
        "walk_to_a_pair": rule(setup=setups(kinds, walk=True))(walk_to_a_pair),
        "__doc__": f"The spec's state machine, generated for {getattr(factory, '__qualname__', factory)}.",
    }
    namespace.update({s.name: _method(s) for s in specs if s.name not in excluded})
    return type(name, (_Base,), namespace)
