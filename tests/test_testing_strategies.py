"""The message and scope strategies agree with the compiled checks: valid ones pass, invalid ones fail."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiws import Context, InvalidMessageError
from asgiws._compiled import MESSAGE_CHECKS, check_scope
from asgiws._fields import FieldViolation
from asgiws._machine import compile_machine
from asgiws.spec import MESSAGE_SCHEMAS, MESSAGE_SIDE, MessageType, Side, SpecVersion, State
from asgiws.testing import (
    field_values,
    invalid_messages,
    invalid_scopes,
    messages,
    scopes,
    still_valid,
    unknown_messages,
)
from asgiws.testing.strategies import minimal_message, representatives

from .helpers import judged

OFFERED = ("chat", "v2.chat")
PROPERTY = settings(settings.default, max_examples=150)
TYPES = st.sampled_from(list(MessageType))
VERSIONS = st.sampled_from(list(SpecVersion))


def _check(kind: MessageType, version: SpecVersion, message: Any) -> None:
    check = MESSAGE_CHECKS[kind.value]
    if check is not None:
        check(message, Context(version, True, OFFERED))


@PROPERTY
@given(data=st.data(), kind=TYPES, version=VERSIONS)
def test_valid_messages_pass_the_compiled_check(data: st.DataObject, kind: MessageType, version: SpecVersion) -> None:
    _check(kind, version, data.draw(messages(kind, version=version, subprotocols=OFFERED)))


@PROPERTY
@given(data=st.data(), kind=st.sampled_from([m for m in MessageType if MESSAGE_SCHEMAS[m].fields]), version=VERSIONS)
def test_invalid_messages_fail_the_compiled_check(data: st.DataObject, kind: MessageType, version: SpecVersion) -> None:
    message = data.draw(invalid_messages(kind, version=version, subprotocols=OFFERED))
    with pytest.raises(FieldViolation):
        _check(kind, version, message)


@PROPERTY
@given(data=st.data(), version=VERSIONS, denial=st.booleans())
def test_valid_scopes_pass_the_compiled_check(data: st.DataObject, version: SpecVersion, denial: bool) -> None:
    scope = data.draw(scopes(version, denial=denial, subprotocols=OFFERED))
    check_scope(scope, Context(version))
    assert scope["asgi"].get("spec_version", "2.0") == version.value
    assert ("websocket.http.response" in (scope.get("extensions") or {})) is denial
    assert scope["subprotocols"] == list(OFFERED)


@PROPERTY
@given(scope=scopes())
def test_scopes_of_any_version_pass_the_check_of_their_own(scope: dict[str, Any]) -> None:
    check_scope(scope, Context(SpecVersion(scope["asgi"].get("spec_version", "2.0"))))


@PROPERTY
@given(data=st.data(), version=VERSIONS)
def test_invalid_scopes_fail_the_compiled_check(data: st.DataObject, version: SpecVersion) -> None:
    scope = data.draw(invalid_scopes(version))
    with pytest.raises(FieldViolation):
        check_scope(scope, Context(version))


@PROPERTY
@given(data=st.data(), side=st.sampled_from(list(Side)), states=st.tuples(st.sampled_from(list(State)), st.sampled_from(list(State))))
def test_unknown_messages_are_refused_as_invalid_in_every_state(data: st.DataObject, side: Side, states: tuple[State, State]) -> None:
    message = data.draw(unknown_messages(side))
    with pytest.raises(InvalidMessageError):
        judged(compile_machine(SpecVersion.V2_5, True), side, states, message, Context(SpecVersion.V2_5, True, ()))


@PROPERTY
@given(data=st.data(), kind=st.sampled_from([m for m in MessageType if MESSAGE_SIDE[m] is Side.SEND]), version=VERSIONS)
def test_still_valid_judges_a_message_of_the_widest_connection_for_a_narrower_one(
    data: st.DataObject, kind: MessageType, version: SpecVersion
) -> None:
    message = data.draw(messages(kind, subprotocols=OFFERED))
    offered = data.draw(st.sampled_from([(), OFFERED[:1], OFFERED]))
    check = MESSAGE_CHECKS[kind.value]
    try:
        if check is not None:
            check(message, Context(version, True, offered))
    except FieldViolation:
        assert not still_valid(kind, message, version, offered)
    else:
        assert still_valid(kind, message, version.value, offered)


@settings(settings.default, max_examples=50)
@given(data=st.data())
def test_field_values_are_valid_or_break_a_rule_of_their_field(data: st.DataObject) -> None:
    good = data.draw(field_values(MessageType.CLOSE, "code"))
    broken = data.draw(field_values(MessageType.CLOSE, "code", valid=False))
    typed = data.draw(field_values(MessageType.RESPONSE_START, "status", valid=False, wrong_types=False))
    _check(MessageType.CLOSE, SpecVersion.V2_5, {"type": "websocket.close", "code": good})
    with pytest.raises(FieldViolation):
        _check(MessageType.CLOSE, SpecVersion.V2_5, {"type": "websocket.close", "code": broken})
    assert type(typed) is int
    assert not 200 <= typed <= 599


def test_a_field_without_valid_values_draws_nothing() -> None:
    # Nothing offered: no subprotocol can be accepted, only None or absence.
    assert field_values(MessageType.ACCEPT, "subprotocol").is_empty


@given(keys=st.just(("text",)), data=st.data())
def test_keys_leave_the_other_fields_out(keys: tuple[str, ...], data: st.DataObject) -> None:
    assert set(data.draw(messages(MessageType.SEND, keys=keys))) == {"type", "text"}
    assert set(data.draw(invalid_messages(MessageType.SEND, keys=keys))) <= {"type", "text"}


def test_minimal_messages_and_representatives_are_valid_in_every_version() -> None:
    assert minimal_message(MessageType.DISCONNECT) == {"type": "websocket.disconnect", "code": 1000}
    assert minimal_message("websocket.receive", text="hi") == {"type": "websocket.receive", "text": "hi"}
    assert minimal_message(MessageType.RESPONSE_START) == {"type": "websocket.http.response.start", "status": 200}
    found = representatives()
    assert len(found) == len(MessageType) + 1  # the body, with and without more_body
    for version in SpecVersion:
        for message in found:
            _check(MessageType(message["type"]), version, message)
