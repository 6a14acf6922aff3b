"""The generated hot path (``asgiws._hotpath``) and its inline fast test (``_validate.compile_fast_test``).

The fast test may only ever say "valid" when the full generated check agrees:
it is an optimisation, never a second opinion. A Hypothesis property holds it
to that on arbitrary messages, for the real schemas and for synthetic ones
that use every kind of field the fast test knows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiws import InvalidMessageError, WebSocket
from asgiws._context import Context
from asgiws._hotpath import HOT_MESSAGES, build_hot_path
from asgiws._validate import FieldViolation, compile_fast_test, compile_message_check
from asgiws.spec import MESSAGE_SCHEMAS, Check, Constraint, Field, MessageSchema, MessageType, Side, SpecVersion, ValueKind

from .fake_server import FakeServer, Message, websocket_scope

PROPERTY = settings(derandomize=True, max_examples=300, database=None, deadline=None)


def test_the_hot_messages_are_the_data_messages_of_each_side() -> None:
    assert HOT_MESSAGES == {Side.RECEIVE: MessageType.RECEIVE, Side.SEND: MessageType.SEND}


@pytest.mark.parametrize(
    "kind",
    [MessageType.DISCONNECT, MessageType.ACCEPT, MessageType.CLOSE, MessageType.RESPONSE_START],
    ids=lambda kind: kind.value,
)
def test_no_fast_test_for_schemas_with_context_dependent_or_undecidable_rules(kind: MessageType) -> None:
    # disconnect/close: close-code ranges; accept: the offered subprotocols and versioned
    # headers; response.start: a status range.
    assert compile_fast_test(MESSAGE_SCHEMAS[kind]) is None


def test_the_fast_tests_of_the_schemas_that_have_one() -> None:
    assert compile_fast_test(MESSAGE_SCHEMAS[MessageType.CONNECT]) == "True"
    assert compile_fast_test(MESSAGE_SCHEMAS[MessageType.RESPONSE_BODY], name="m") == (
        "('body' not in m or ((_fast_body := m['body']) is not None and _fast_body.__class__ is bytes))"
        " and ('more_body' not in m or ((_fast_more_body := m['more_body']) is not None and _fast_more_body.__class__ is bool))"
    )
    send = compile_fast_test(MESSAGE_SCHEMAS[MessageType.SEND])
    assert send is not None
    assert "_fast_text.isascii()" in send


def test_the_generated_methods_inline_the_fast_tests_of_the_hot_messages() -> None:
    receive, send = build_hot_path()
    for side, method in ((Side.RECEIVE, receive), (Side.SEND, send)):
        test = compile_fast_test(MESSAGE_SCHEMAS[HOT_MESSAGES[side]])
        assert test is not None
        source: str = method.__asgiws_source__  # type: ignore[attr-defined]
        assert f"if step.hot and {test}:" in source
    assert WebSocket.receive.__doc__ is not None
    assert WebSocket.send.__doc__ is not None
    assert WebSocket.receive.__doc__.startswith("Receive the next ASGI message")
    assert WebSocket.send.__doc__.startswith("Send an ASGI message to the server")


# -- the property: fast "yes" implies full "yes" --------------------------------------------


class Text(str):
    __slots__ = ()


class Data(bytes):
    __slots__ = ()


_texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="ascii"), max_size=40),
    st.sampled_from(["", "é", "\udc80", "a\ud800b", "日本語", "x" * 124, "é" * 62]),
    st.text(max_size=10).map(Text),
)
_bytes = st.one_of(st.binary(max_size=20), st.binary(max_size=5).map(Data))
_values = st.one_of(_texts, _bytes, st.none(), st.integers(-3, 5000), st.booleans(), st.lists(st.integers(), max_size=2))
_keys = st.sampled_from(["text", "bytes", "body", "more_body", "code", "reason", "flag", "extra"])
#: Values of the right kind, so that a good share of the messages are valid.
_of_kind = {
    ValueKind.STR: _texts,
    ValueKind.BYTES: _bytes,
    ValueKind.INT: st.integers(-3, 5000),
    ValueKind.BOOL: st.booleans(),
}


@st.composite
def messages(draw: st.DrawFn, schema: MessageSchema) -> dict[str, Any]:
    """An arbitrary dict message: each field of the schema absent, None, of its kind or of any other, plus any keys."""
    message: dict[str, Any] = {"type": schema.type.value}
    message.update(draw(st.dictionaries(_keys, _values, max_size=3)))
    for field in schema.fields:
        choice = draw(st.sampled_from(["absent", "none", "kind", "kind", "any"]))
        if choice == "absent":
            message.pop(field.name, None)
        elif choice == "none":
            message[field.name] = None
        else:
            message[field.name] = draw(_of_kind[field.kind] if choice == "kind" else _values)
    return message


# Synthetic schemas that use every branch of compile_fast_test: a required field,
# an optional non-nullable one, a nullable one, and the decidable constraints.
SYNTHETIC = MessageSchema(
    MessageType.CLOSE,
    Side.SEND,
    (
        Field("code", ValueKind.INT, ("X-1",), required=True),
        Field("flag", ValueKind.BOOL, ("X-2",)),
        Field(
            "reason",
            ValueKind.STR,
            ("X-3",),
            nullable=True,
            constraints=(Constraint(Check.UTF8, ("X-4",)), Constraint(Check.MAX_UTF8_BYTES, ("X-5",), 123)),
        ),
        Field("bytes", ValueKind.BYTES, ("X-6",), nullable=True),
    ),
)
SYNTHETIC_ONE_OF = MessageSchema(
    MessageType.SEND,
    Side.SEND,
    (Field("bytes", ValueKind.BYTES, ("X-7",), nullable=True), Field("text", ValueKind.STR, ("X-8",), nullable=True)),
    (Constraint(Check.EXACTLY_ONE, ("X-9",), ("bytes", "text")),),
)
SCHEMAS: dict[str, MessageSchema] = {
    "receive": MESSAGE_SCHEMAS[MessageType.RECEIVE],
    "send": MESSAGE_SCHEMAS[MessageType.SEND],
    "response-body": MESSAGE_SCHEMAS[MessageType.RESPONSE_BODY],
    "connect": MESSAGE_SCHEMAS[MessageType.CONNECT],
    "synthetic-fields": SYNTHETIC,
    "synthetic-exactly-one": SYNTHETIC_ONE_OF,
}


def _fast(schema: MessageSchema) -> Callable[[dict[str, Any]], bool]:
    expression = compile_fast_test(schema)
    assert expression is not None
    code = compile(expression, "<fast test>", "eval")
    return lambda message: bool(eval(code, {}, {"message": message}))


def _full_checks(schema: MessageSchema) -> Callable[[dict[str, Any], SpecVersion], bool]:
    """The full generated check of every spec version, as a yes/no."""
    checks = {version: compile_message_check(schema, version) for version in SpecVersion}

    def passes(message: dict[str, Any], version: SpecVersion) -> bool:
        check = checks[version]
        if check is None:
            return True
        try:
            check(message, Context(version, True, ("chat",)))
        except FieldViolation:
            return False
        return True

    return passes


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_the_fast_test_is_true_only_if_the_full_check_passes(name: str) -> None:
    schema = SCHEMAS[name]
    fast, full = _fast(schema), _full_checks(schema)
    seen = {True: 0, False: 0}

    @PROPERTY
    @given(message=messages(schema), version=st.sampled_from(list(SpecVersion)))
    def holds(message: dict[str, Any], version: SpecVersion) -> None:
        verdict = fast(message)
        seen[verdict] += 1
        if verdict:
            assert full(message, version), message

    holds()
    assert seen[True] >= 20  # the property is not vacuous


@pytest.mark.parametrize("name", ["receive", "send"])
def test_the_fast_test_accepts_the_plain_common_case(name: str) -> None:
    fast = _fast(SCHEMAS[name])

    @PROPERTY
    @given(payload=st.one_of(st.text(alphabet=st.characters(codec="ascii")), st.binary()), both_keys=st.booleans())
    def holds(payload: str | bytes, both_keys: bool) -> None:
        key, other = ("text", "bytes") if isinstance(payload, str) else ("bytes", "text")
        message: dict[str, Any] = {"type": SCHEMAS[name].type.value, key: payload}
        if both_keys:
            message[other] = None  # hypercorn's shape
        assert fast(message)

    holds()


def test_the_synthetic_required_field_must_be_an_exact_int() -> None:
    fast = _fast(SYNTHETIC)
    assert fast({"code": 1000})
    assert not fast({})
    assert not fast({"code": None})
    assert not fast({"code": True})
    assert not fast({"code": 1000, "flag": None})
    assert fast({"code": 1000, "flag": False, "reason": None, "bytes": b""})
    assert not fast({"code": 1000, "reason": "x" * 31})  # 124 bytes could be too long: not decided inline


# -- what goes through the slow path still gets there ----------------------------------------


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    original = getattr(WebSocket, name)

    def spy(self: WebSocket, node: Any, step: Any, message: dict[str, Any]) -> Any:
        calls.append(message)
        return original(self, node, step, message)

    monkeypatch.setattr(WebSocket, name, spy)
    return calls


UNUSUAL_SENDS: list[Message] = [
    {"type": "websocket.send", "text": Text("str subclass")},
    {"type": "websocket.send", "text": "non-ASCII é"},
    {"type": "websocket.send", "bytes": Data(b"bytes subclass")},
]


def test_plain_sends_stay_inline_and_unusual_valid_ones_take_the_full_check(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _spy(monkeypatch, "_checked")
    server = FakeServer({"type": "websocket.connect"})
    ws = WebSocket(websocket_scope(), server.receive, server.send)

    async def scenario() -> None:
        await ws.accept()
        await ws.send_text("plain")
        await ws.send_bytes(b"plain")
        assert checked == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]
        for message in UNUSUAL_SENDS:
            await ws.send(message)

    asyncio.run(scenario())
    assert checked[1:] == UNUSUAL_SENDS
    assert server.sent[3:] == UNUSUAL_SENDS


def test_an_invalid_send_that_fails_the_fast_test_is_refused_by_the_full_check(monkeypatch: pytest.MonkeyPatch) -> None:
    checked = _spy(monkeypatch, "_checked")
    server = FakeServer({"type": "websocket.connect"})
    ws = WebSocket(websocket_scope(), server.receive, server.send)
    asyncio.run(ws.accept())
    with pytest.raises(InvalidMessageError) as caught:
        asyncio.run(ws.send({"type": "websocket.send", "text": "lone \udc80 surrogate"}))
    assert caught.value.clause == "RFC-015"
    assert len(checked) == 2
    assert len(server.sent) == 1


UNUSUAL_RECEIVES: list[Message] = [
    {"type": "websocket.receive", "text": Text("str subclass")},
    {"type": "websocket.receive", "bytes": Data(b"bytes subclass")},
    {"type": "websocket.receive", "text": "non-ASCII é", "bytes": None},
]


def test_plain_receives_stay_inline_and_unusual_valid_ones_take_the_full_check(monkeypatch: pytest.MonkeyPatch) -> None:
    received = _spy(monkeypatch, "_received")
    plain: list[Message] = [{"type": "websocket.receive", "text": "plain"}, {"type": "websocket.receive", "bytes": b"plain", "text": None}]
    server = FakeServer({"type": "websocket.connect"}, *plain, *UNUSUAL_RECEIVES)
    ws = WebSocket(websocket_scope(), server.receive, server.send)

    async def scenario() -> list[Message]:
        await ws.accept()
        return [await ws.receive() for _ in range(len(plain) + len(UNUSUAL_RECEIVES))]

    assert asyncio.run(scenario()) == plain + UNUSUAL_RECEIVES
    # websocket.connect is not hot, and non-ASCII text is plain on the receive side.
    assert received == [{"type": "websocket.connect"}, *UNUSUAL_RECEIVES[:2]]
