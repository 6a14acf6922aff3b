"""The interpreter: every (side, state, message) pair, refusals, joint rules, signals."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from asgiws import ConnectionState, Context, InvalidMessageError, PeerGoneError, ProtocolViolation, WrongStateError
from asgiws._machine import compile_machine
from asgiws.spec import (
    CLAUSES,
    JOINT_CONSTRAINTS,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    REJECTIONS,
    TRANSITIONS,
    MessageType,
    Side,
    SpecVersion,
    State,
    ViolationKind,
)

from .helpers import VALID, judged, message, reachable

C, K, D, R = State.CONNECTING, State.CONNECTED, State.DISCONNECTED, State.RESPONSE
VERSIONS = list(SpecVersion)
CLAUSE_IDS = {c.id for c in CLAUSES} | {"AMB-16", "AMB-17"}
EXCEPTIONS = {ViolationKind.WRONG_STATE: WrongStateError, ViolationKind.INVALID_MESSAGE: InvalidMessageError, ViolationKind.PEER_GONE: PeerGoneError}
DENIAL_SCOPE: dict[str, Any] = {"type": "websocket", "asgi": {"spec_version": "2.5"}, "extensions": {"websocket.http.response": {}}}


def _expected(side: Side, states: tuple[State, State], kind: MessageType, denial: bool) -> State | None:
    """What the spec tables say, read directly: the new state of ``side``, or None when refused."""
    if MESSAGE_SCHEMAS[kind].extension is not None and not denial:
        return None
    own, other = (states[0], states[1]) if side is Side.RECEIVE else (states[1], states[0])
    # VALID's body message has more_body=False, so a guarded row must want False.
    rows = [r for r in TRANSITIONS[side] if r.source is own and r.trigger is kind and (r.guard is None or r.guard.value[1] is False)]
    if not rows:
        return None
    for constraint in JOINT_CONSTRAINTS:
        if constraint.side is side and (not constraint.messages or kind in constraint.messages) and other in constraint.other_states:
            return None
    return rows[0].target


@pytest.mark.parametrize("denial", [False, True], ids=["plain", "denial"])
@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: v.value)
def test_every_pair_on_both_sides_follows_the_tables(version: SpecVersion, denial: bool) -> None:
    machine = compile_machine(version, denial)
    context = Context(version, denial, ())
    checked = 0
    for node in reachable(machine):
        for kind in MessageType:
            side = MESSAGE_SIDE[kind]
            expected = _expected(side, node.states, kind, denial)
            if expected is None:
                with pytest.raises(ProtocolViolation) as caught:
                    judged(machine, side, node.states, VALID[kind], context)
                error = caught.value
                assert error.states == node.states
                assert error.side is side
                assert error.message_type == kind.value
                assert error.allowed == node.allowed[side]
                assert kind.value not in error.allowed
                assert set(error.clauses) <= CLAUSE_IDS
                assert isinstance(
                    error,
                    {
                        ViolationKind.WRONG_STATE: WrongStateError,
                        ViolationKind.INVALID_MESSAGE: InvalidMessageError,
                        ViolationKind.PEER_GONE: PeerGoneError,
                    }[error.kind],
                )
            else:
                after = judged(machine, side, node.states, VALID[kind], context)
                assert after[0 if side is Side.RECEIVE else 1] is expected or after[0] is R
                assert kind.value in node.allowed[side]
            checked += 1
    assert checked >= 8 * 8


@pytest.mark.parametrize("side", list(Side), ids=lambda s: s.value)
def test_a_refused_message_changes_nothing(side: Side) -> None:
    machine = compile_machine("2.5", denial=True)
    for node in reachable(machine):
        for kind in (m for m in MessageType if MESSAGE_SIDE[m] is side):
            connection = ConnectionState(DENIAL_SCOPE)
            connection.node = node
            try:
                (connection.receive if side is Side.RECEIVE else connection.send)(VALID[kind])
            except ProtocolViolation:
                assert connection.node is node
            if not MESSAGE_SCHEMAS[kind].fields:
                continue  # websocket.connect: extra keys are never wrong (WS-011)
            bad = {"type": kind.value, "text": 1, "bytes": 1, "code": "x", "status": "x", "subprotocol": 1, "more_body": 3}
            connection.node = node
            with pytest.raises(ProtocolViolation):
                (connection.receive if side is Side.RECEIVE else connection.send)(bad)
            assert connection.node is node


# -- Starlette's words, where Starlette refuses the same thing -----------------------

STARLETTE_TEXTS = [
    (Side.RECEIVE, (C, C), MessageType.RECEIVE, "Expected ASGI message \"websocket.connect\", but got 'websocket.receive'"),
    (Side.RECEIVE, (K, K), MessageType.CONNECT, 'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got \'websocket.connect\''),
    (Side.RECEIVE, (D, K), MessageType.RECEIVE, 'Cannot call "receive" once a disconnect message has been received.'),
    (
        Side.SEND,
        (K, C),
        MessageType.SEND,
        'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", but got \'websocket.send\'',
    ),
    (Side.SEND, (K, K), MessageType.ACCEPT, 'Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.accept\''),
    (
        Side.SEND,
        (R, R),
        MessageType.RESPONSE_START,
        "Expected ASGI message \"websocket.http.response.body\", but got 'websocket.http.response.start'",
    ),
    (Side.SEND, (K, D), MessageType.CLOSE, 'Cannot call "send" once a close message has been sent.'),
]


@pytest.mark.parametrize(("side", "states", "kind", "text"), STARLETTE_TEXTS, ids=[f"{s.value}-{k.value}" for s, _, k, _ in STARLETTE_TEXTS])
def test_wrong_state_errors_keep_starlettes_exact_text(side: Side, states: tuple[State, State], kind: MessageType, text: str) -> None:
    machine = compile_machine("2.5", denial=True)
    with pytest.raises(WrongStateError) as caught:
        judged(machine, side, states, VALID[kind], Context(SpecVersion.V2_5, True, ()))
    assert str(caught.value) == text
    assert isinstance(caught.value, RuntimeError)
    note = caught.value.__notes__[0]
    assert note.startswith(caught.value.clause + ":")
    assert f"asgiws explain {caught.value.clause}" in note


def test_each_rejection_reaches_the_error_with_its_clauses_and_reason() -> None:
    machine = compile_machine("2.5", denial=True)
    context = Context(SpecVersion.V2_5, True, ())
    for rejection in REJECTIONS:
        other = K if rejection.side is Side.SEND else C
        states = (rejection.state, other) if rejection.side is Side.RECEIVE else (other, rejection.state)
        with pytest.raises(WrongStateError) as caught:
            judged(machine, rejection.side, states, VALID[rejection.message], context)
        assert caught.value.clauses == rejection.clauses
        assert caught.value.rule == rejection.reason


# -- joint rules -------------------------------------------------------------------------


def test_no_data_is_delivered_before_the_application_accepts() -> None:
    connection = ConnectionState({"type": "websocket"})
    connection.receive(VALID[MessageType.CONNECT])
    with pytest.raises(WrongStateError) as caught:
        connection.receive(message(MessageType.RECEIVE))
    assert caught.value.clause == "J-03"
    assert caught.value.allowed == ("websocket.disconnect",)
    connection.send(VALID[MessageType.ACCEPT])
    connection.receive(message(MessageType.RECEIVE))
    assert connection.states == (K, K)


def test_a_denial_response_leaves_only_the_disconnect_to_deliver() -> None:
    connection = ConnectionState(DENIAL_SCOPE)
    connection.receive(VALID[MessageType.CONNECT])
    connection.send(VALID[MessageType.RESPONSE_START])
    assert connection.states == (R, R)
    connection.send(message(MessageType.RESPONSE_BODY, more_body=True))
    assert connection.states == (R, R)
    connection.send(message(MessageType.RESPONSE_BODY, more_body=False))
    assert connection.states == (R, D)
    with pytest.raises(WrongStateError) as caught:
        connection.receive(message(MessageType.RECEIVE))
    assert caught.value.clause == "J-05"
    connection.receive(VALID[MessageType.DISCONNECT])
    assert connection.states == (D, D)


def test_a_denial_started_before_connect_was_consumed_settles_once_it_is() -> None:
    # Starlette's send_denial_response does not consume websocket.connect first (AMB-07).
    connection = ConnectionState(DENIAL_SCOPE)
    connection.send(VALID[MessageType.RESPONSE_START])
    assert connection.states == (C, R)
    connection.receive(VALID[MessageType.CONNECT])
    assert connection.states == (R, R)


def test_the_last_body_is_the_one_without_more_body() -> None:
    connection = ConnectionState(DENIAL_SCOPE)
    connection.send(VALID[MessageType.RESPONSE_START])
    connection.send({"type": "websocket.http.response.body"})
    assert connection.states == (C, D)


def test_a_send_after_the_disconnect_finds_the_peer_gone() -> None:
    connection = ConnectionState({"type": "websocket", "asgi": {"spec_version": "2.4"}})
    connection.receive(VALID[MessageType.CONNECT])
    connection.send(VALID[MessageType.ACCEPT])
    connection.receive(message(MessageType.DISCONNECT, code=1001))
    for kind in (MessageType.SEND, MessageType.CLOSE):
        with pytest.raises(PeerGoneError) as caught:
            connection.send(VALID[kind])
        assert caught.value.code == 1001
        assert caught.value.clause == "J-09"
        assert str(caught.value).startswith(f"Cannot send {kind.value!r}: the client has disconnected")
    assert connection.states == (D, K)


def test_an_application_may_close_before_consuming_connect() -> None:
    connection = ConnectionState({"type": "websocket"})
    connection.send(VALID[MessageType.CLOSE])
    connection.receive(VALID[MessageType.CONNECT])
    connection.receive(VALID[MessageType.DISCONNECT])
    assert connection.states == (D, D)


@pytest.mark.parametrize(("before", "after"), [((K, C), (K, D)), ((K, K), (K, D)), ((R, R), (R, D)), ((K, D), (K, D))])
def test_a_failed_server_send_ends_the_send_side(before: tuple[State, State], after: tuple[State, State]) -> None:
    connection = ConnectionState(DENIAL_SCOPE)
    connection.states = before
    connection.send_failed()
    assert connection.states == after


# -- unknown and malformed messages ---------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "bad", "clause"),
    [
        (Side.RECEIVE, {"type": "http.request"}, "WS-010"),
        (Side.RECEIVE, {"type": "websocket.send", "text": "x"}, "WS-010"),
        (Side.SEND, {"type": "websocket.sendd", "text": "x"}, "WS-009"),
        (Side.SEND, {"type": "websocket.receive", "text": "x"}, "WS-009"),
        (Side.SEND, {"type": "websocket.connect"}, "WS-009"),
        (Side.SEND, {"type": 7}, "WS-009"),
        (Side.SEND, {"type": ["websocket.send"]}, "WS-009"),
        (Side.SEND, {"text": "no type"}, "WS-009"),
        (Side.SEND, ["websocket.send"], "WS-009"),
        (Side.RECEIVE, None, "WS-010"),
    ],
    ids=["http-type", "send-type-received", "typo", "receive-type-sent", "connect-sent", "int-type", "list-type", "no-type", "not-a-dict", "none"],
)
def test_unknown_or_malformed_messages_are_invalid(side: Side, bad: Any, clause: str) -> None:
    machine = compile_machine("2.5", denial=True)
    with pytest.raises(InvalidMessageError) as caught:
        judged(machine, side, (K, K), bad, Context())
    assert caught.value.clause == clause
    assert isinstance(caught.value, RuntimeError)
    assert f"[{clause}]" in str(caught.value)


@pytest.mark.parametrize("kind", [MessageType.RESPONSE_START, MessageType.RESPONSE_BODY])
def test_denial_messages_need_the_extension(kind: MessageType) -> None:
    connection = ConnectionState({"type": "websocket", "asgi": {"spec_version": "2.5"}})
    with pytest.raises(InvalidMessageError) as caught:
        connection.send(VALID[kind])
    assert caught.value.clauses == ("WS-015", "WS-047")
    assert "websocket.http.response extension" in str(caught.value)
    assert connection.states == (C, C)
    assert caught.value.allowed == ("websocket.accept", "websocket.close")


def test_field_violations_name_the_field_and_keep_the_states() -> None:
    connection = ConnectionState({"type": "websocket", "subprotocols": ["chat"]})
    connection.receive(VALID[MessageType.CONNECT])
    with pytest.raises(InvalidMessageError) as caught:
        connection.send({"type": "websocket.accept", "subprotocol": "soap"})
    assert caught.value.field == "subprotocol"
    assert caught.value.clause == "RFC-018"
    assert caught.value.states == (K, C)
    assert connection.states == (K, C)


# -- the machine itself -----------------------------------------------------------------------


def test_machines_are_compiled_once_per_context() -> None:
    assert compile_machine("2.3", denial=False) is compile_machine("2.3", denial=False)
    assert compile_machine(SpecVersion.V2_3, denial=False) is compile_machine("2.3", denial=False)
    assert compile_machine("2.3", denial=True) is not compile_machine("2.3", denial=False)
    assert repr(compile_machine("2.3", denial=False).initial) == "<Node receive=CONNECTING send=CONNECTING>"


def test_allowed_types_keep_the_order_of_the_spec_rows() -> None:
    machine = compile_machine("2.5", denial=True)
    assert machine.node((K, C)).allowed[Side.SEND] == ("websocket.accept", "websocket.close", "websocket.http.response.start")
    assert machine.node((K, K)).allowed[Side.RECEIVE] == ("websocket.receive", "websocket.disconnect")
    assert machine.node((D, D)).allowed == {Side.RECEIVE: (), Side.SEND: ()}


def test_a_connection_without_a_scope_speaks_the_latest_version() -> None:
    connection = ConnectionState()
    assert connection.context.version is SpecVersion.V2_5
    assert connection.disconnect_code is None


@pytest.mark.parametrize("states", list(itertools.product([C, K], [C, K])))
def test_the_pure_step_returns_new_states_and_never_mutates(states: tuple[State, State]) -> None:
    machine = compile_machine("2.5", denial=False)
    before = machine.node(states)
    allowed = before.allowed[Side.SEND]
    for kind in (MessageType(t) for t in allowed):
        judged(machine, Side.SEND, states, VALID[kind], Context(SpecVersion.V2_5))
        assert machine.node(states) is before


def test_the_pure_step_reports_field_violations_too() -> None:
    machine = compile_machine("2.5", denial=False)
    with pytest.raises(InvalidMessageError) as caught:
        judged(machine, Side.SEND, (K, K), message(MessageType.CLOSE, code=1006), Context(SpecVersion.V2_5))
    assert caught.value.clause == "RFC-002"
    assert caught.value.field == "code"


def test_allows_says_what_the_state_would_take_fields_aside() -> None:
    connection = ConnectionState(DENIAL_SCOPE)
    assert connection.allows(Side.RECEIVE, "websocket.connect")
    assert not connection.allows(Side.RECEIVE, "websocket.receive")
    assert connection.allows(Side.SEND, "websocket.http.response.start")
    assert not connection.allows(Side.SEND, "websocket.unknown")
