"""Message and scope schemas (``asgiws.spec.schemas``) as compiled by ``asgiws._codegen`` into ``asgiws._compiled``.

Covers asgiref specs/www.rst § WebSocket: the keys of every message and of the
Websocket Connection Scope (presence, type, None, defaults), every ``Constraint``
the schemas add from RFC 6455 and the ambiguity decisions, version gating
(AMB-06, ``VERSION_GATE_CLAUSES``) and extra keys (WS-011). Expected clauses are
read from the spec objects, never retyped.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
from _pytest.mark import ParameterSet

import asgiws._compiled
from asgiws import ConnectionState, InvalidMessageError, ProtocolViolation
from asgiws._compiled import MESSAGE_CHECKS, check_scope
from asgiws._context import VERSION_RANK, Context
from asgiws._fields import Checker, FieldViolation
from asgiws.spec import (
    LATEST_VERSION,
    MESSAGE_SCHEMAS,
    SCOPE_SCHEMA,
    VERSION_GATE_CLAUSES,
    Check,
    Constraint,
    Field,
    MessageType,
    SpecVersion,
    State,
    ValueKind,
)

# -- helpers ---------------------------------------------------------------------------

Owner = MessageType | Literal["scope"]
SCOPE: Literal["scope"] = "scope"
OWNERS: tuple[Owner, ...] = (*MessageType, SCOPE)
VERSIONS = tuple(SpecVersion)
VERSION_IDS = [v.value for v in VERSIONS]
#: What the client offered, for every message check unless a test says otherwise.
OFFERED = ("chat", "superchat")

CONNECT, RECEIVE, DISCONNECT = MessageType.CONNECT, MessageType.RECEIVE, MessageType.DISCONNECT
ACCEPT, SEND, CLOSE = MessageType.ACCEPT, MessageType.SEND, MessageType.CLOSE
START, BODY = MessageType.RESPONSE_START, MessageType.RESPONSE_BODY


class Absent(enum.Enum):
    """Marks a key that is left out of a message or scope."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT

MINIMAL_SCOPE: dict[str, Any] = {"type": "websocket", "asgi": {}, "path": "/", "headers": []}

#: Valid data for each owner (messages without their ``type``); some owners need
#: two, so that either of bytes/text can be left out.
BASES: dict[Owner, tuple[dict[str, Any], ...]] = {
    CONNECT: ({},),
    RECEIVE: ({"text": "hello"}, {"bytes": b"hello"}),
    DISCONNECT: ({"code": 1000},),
    ACCEPT: ({},),
    SEND: ({"text": "hello"}, {"bytes": b"hello"}),
    CLOSE: ({},),
    START: ({"status": 403},),
    BODY: ({},),
    # wss, so that extensions.tls may be set without breaking WS-057.
    SCOPE: ({**MINIMAL_SCOPE, "scheme": "wss"},),
}


def fields_of(owner: Owner) -> tuple[Field, ...]:
    """The fields the spec declares for a message type or for the scope."""
    return MESSAGE_SCHEMAS[owner].fields if isinstance(owner, MessageType) else SCOPE_SCHEMA.fields


def field_of(owner: Owner, name: str) -> Field:
    """One field of a schema, by its (dotted) name."""
    (found,) = (f for f in fields_of(owner) if f.name == name)
    return found


def compiled(owner: Owner) -> Checker:
    """The generated check for a message type (or the scope)."""
    check = MESSAGE_CHECKS[owner.value] if isinstance(owner, MessageType) else check_scope
    assert check is not None
    return check


def run(owner: Owner, data: Mapping[str, Any], *, version: SpecVersion = LATEST_VERSION, offered: tuple[str, ...] = OFFERED) -> None:
    """Check a message (given without ``type``) or a scope; raises FieldViolation."""
    value = {"type": owner.value, **data} if isinstance(owner, MessageType) else dict(data)
    compiled(owner)(value, Context(version, False, offered))


def judge(
    owner: Owner, data: Mapping[str, Any], *, version: SpecVersion = LATEST_VERSION, offered: tuple[str, ...] = OFFERED
) -> FieldViolation | None:
    """The violation a check raises, or None when it accepts."""
    try:
        run(owner, data, version=version, offered=offered)
    except FieldViolation as violation:
        return violation
    return None


def assert_verdict(
    owner: Owner,
    data: Mapping[str, Any],
    valid: bool,
    field: str | None,
    clauses: tuple[str, ...],
    *,
    version: SpecVersion = LATEST_VERSION,
    offered: tuple[str, ...] = OFFERED,
) -> None:
    """Accepted when ``valid``, else refused for ``field`` with exactly ``clauses``."""
    violation = judge(owner, data, version=version, offered=offered)
    if valid:
        assert violation is None, f"refused: {violation.field!r} {violation.detail} {violation.clauses}"
    else:
        assert violation is not None, "accepted"
        assert (violation.field, violation.clauses) == (field, clauses), violation.detail


def has(data: Mapping[str, Any], path: str) -> bool:
    """Whether a dotted key is present."""
    head, _, rest = path.partition(".")
    if not rest:
        return head in data
    parent = data.get(head)
    return isinstance(parent, Mapping) and has(parent, rest)


def put(data: Mapping[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of ``data`` with a dotted key set to ``value`` (or removed for ABSENT)."""
    out = dict(data)
    head, _, rest = path.partition(".")
    if rest:
        out[head] = put(out.get(head) or {}, rest, value)
    elif value is ABSENT:
        out.pop(head, None)
    else:
        out[head] = value
    return out


def pick(owner: Owner, path: str, present: bool) -> dict[str, Any]:
    """A valid base that has (or lacks) ``path``, else the first one."""
    bases = BASES[owner]
    return next((b for b in bases if has(b, path) is present), bases[0])


def ok(*values: object, name: str) -> ParameterSet:
    """A case the check must accept."""
    return pytest.param(*values, True, id=f"ok-{name}")


def bad(*values: object, name: str) -> ParameterSet:
    """A case the check must refuse."""
    return pytest.param(*values, False, id=f"bad-{name}")


def before(version: SpecVersion, since: SpecVersion) -> bool:
    """Whether ``version`` is older than ``since`` (release order, not string order)."""
    return VERSION_RANK[version] < VERSION_RANK[since]


#: Every (owner, field, constraint) this module reads a rule from; see the last tests.
_TESTED: set[tuple[Owner, str | None, Constraint]] = set()


def rule(owner: Owner, name: str | None, check: Check, *, forbidding: object = None) -> Constraint:
    """The one constraint of a field (``name``) or of a whole message (``name=None``) with this check."""
    if name is None:
        assert isinstance(owner, MessageType)
        pool = MESSAGE_SCHEMAS[owner].constraints
    else:
        pool = field_of(owner, name).constraints
    (found,) = (c for c in pool if c.check is check and (forbidding is None or (isinstance(c.param, tuple) and forbidding in c.param)))
    _TESTED.add((owner, name, found))
    return found


# -- every field: presence, None, default, type -----------------------------------------

ALL_FIELDS: list[tuple[Owner, Field]] = [(owner, f) for owner in OWNERS for f in fields_of(owner)]


def field_params(select: Callable[[Field], bool]) -> list[ParameterSet]:
    """One case per spec field that ``select`` picks, named owner.field."""
    return [pytest.param(owner, f, id=f"{owner}.{f.name}") for owner, f in ALL_FIELDS if select(f)]


@pytest.mark.parametrize(("owner", "field"), field_params(lambda f: f.required))
def test_required_field_when_absent_is_refused(owner: Owner, field: Field) -> None:
    violation = judge(owner, put(pick(owner, field.name, True), field.name, ABSENT))
    assert violation is not None
    assert (violation.field, violation.clauses, violation.detail) == (field.name, field.clauses, "is required")


@pytest.mark.parametrize(("owner", "field"), field_params(lambda f: not f.required))
def test_optional_field_may_be_absent_and_takes_its_default(owner: Owner, field: Field) -> None:
    run(owner, put(pick(owner, field.name, False), field.name, ABSENT))


@pytest.mark.parametrize(("owner", "field"), field_params(lambda f: f.nullable))
def test_nullable_field_set_to_none_means_absent(owner: Owner, field: Field) -> None:
    run(owner, put(pick(owner, field.name, False), field.name, None))


@pytest.mark.parametrize(("owner", "field"), field_params(lambda f: not f.nullable))
def test_non_nullable_field_set_to_none_is_refused(owner: Owner, field: Field) -> None:
    violation = judge(owner, put(pick(owner, field.name, True), field.name, None))
    assert violation is not None
    assert (violation.field, violation.clauses) == (field.name, field.clauses)
    assert "not NoneType" in violation.detail


#: Values of the wrong type for each kind, as factories: a generator must be fresh.
WRONG: dict[ValueKind, tuple[tuple[str, Callable[[], object]], ...]] = {
    ValueKind.STR: (("bytes", lambda: b"x"), ("int", lambda: 1), ("list", lambda: ["x"])),
    ValueKind.BYTES: (("str", lambda: "x"), ("bytearray", lambda: bytearray(b"x")), ("memoryview", lambda: memoryview(b"x")), ("int", lambda: 0)),
    ValueKind.INT: (("bool-True", lambda: True), ("bool-False", lambda: False), ("str", lambda: "1000"), ("float", lambda: 1000.0)),
    ValueKind.BOOL: (("int-1", lambda: 1), ("int-0", lambda: 0), ("str", lambda: "false")),
    ValueKind.DICT: (("list", lambda: []), ("str", lambda: "x"), ("pairs", lambda: [("k", "v")])),
    ValueKind.HEADERS: (
        ("generator", lambda: ((b"x-a", b"1") for _ in range(1))),
        ("iterator", lambda: iter([(b"x-a", b"1")])),
        ("dict", lambda: {b"x-a": b"1"}),
        ("bytes", lambda: b"x-a: 1"),
        ("str", lambda: "x-a: 1"),
        ("int", lambda: 1),
        ("pair-of-3", lambda: [(b"x-a", b"1", b"2")]),
        ("pair-of-1", lambda: [(b"x-a",)]),
        ("flat-pair", lambda: [b"x-a", b"1"]),
        ("str-name", lambda: [("x-a", b"1")]),
        ("str-value", lambda: [(b"x-a", "1")]),
        ("generator-pair", lambda: [(x for x in (b"x-a", b"1"))]),
        ("none-pair", lambda: [None]),
    ),
    ValueKind.STR_LIST: (
        ("str", lambda: "chat"),
        ("iterator", lambda: iter(["chat"])),
        ("bytes-items", lambda: [b"chat"]),
        ("int-items", lambda: [1]),
        ("int", lambda: 1),
    ),
    ValueKind.HOST_PORT: (
        ("str", lambda: "h:80"),
        ("one-item", lambda: ["h"]),
        ("three-items", lambda: ["h", 80, 0]),
        ("str-port", lambda: ["h", "80"]),
        ("bool-port", lambda: ["h", True]),
        ("int-host", lambda: [1, 80]),
        ("none-port", lambda: ["h", None]),
        ("iterator", lambda: iter(["h", 80])),
        ("dict", lambda: {"h": 80}),
        ("int", lambda: 80),
    ),
    ValueKind.SERVER_ADDRESS: (
        ("str", lambda: "h:80"),
        ("one-item", lambda: ["h"]),
        ("three-items", lambda: ["h", 80, 0]),
        ("str-port", lambda: ["h", "80"]),
        ("bool-port", lambda: ["h", True]),
        ("int-host", lambda: [1, 80]),
        ("none-path", lambda: [None, None]),
        ("bytes-path", lambda: [b"/tmp/s.sock", None]),
        ("iterator", lambda: iter(["h", 80])),
        ("int", lambda: 80),
    ),
}


@pytest.mark.parametrize(
    ("owner", "field", "make"),
    [pytest.param(owner, f, make, id=f"{owner}.{f.name}-{name}") for owner, f in ALL_FIELDS for name, make in WRONG[f.kind]],
)
def test_field_of_the_wrong_type_is_refused(owner: Owner, field: Field, make: Callable[[], object]) -> None:
    violation = judge(owner, put(pick(owner, field.name, True), field.name, make()))
    assert violation is not None
    assert (violation.field, violation.clauses) == (field.name, field.clauses)
    assert violation.detail.startswith("must be ")


#: Values of the right type (and within every constraint) for each field.
SAMPLES: dict[tuple[Owner, str], tuple[object, ...]] = {
    (RECEIVE, "bytes"): (b"", b"hi", b"\x00\xff"),
    (RECEIVE, "text"): ("", "hi", "é😀"),
    (DISCONNECT, "code"): (1000, 1006, 4999),
    (DISCONNECT, "reason"): ("", "bye", "é" * 200),
    (ACCEPT, "subprotocol"): ("chat", "superchat"),
    (ACCEPT, "headers"): ([], (), [[b"x-a", b"1"]], ((b"x-a", b"1"),), [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]),
    (SEND, "bytes"): (b"", b"hi", b"\x00\xff"),
    (SEND, "text"): ("", "hi", "é😀"),
    (CLOSE, "code"): (1000, 3000, 4999),
    (CLOSE, "reason"): ("", "bye", "é"),
    (START, "status"): (200, 403, 599),
    (START, "headers"): ([], (), [[b"content-type", b"text/plain"]], ((b"content-length", b"0"),)),
    (START, "trailers"): (False,),
    (BODY, "body"): (b"", b"no"),
    (BODY, "more_body"): (False, True),
    (SCOPE, "type"): ("websocket",),
    (SCOPE, "asgi"): ({}, {"version": "3.0", "spec_version": "2.5"}),
    (SCOPE, "asgi.version"): ("2.0", "3.0"),
    (SCOPE, "asgi.spec_version"): tuple(v.value for v in SpecVersion),
    (SCOPE, "http_version"): ("1.1", "2"),
    (SCOPE, "scheme"): ("ws", "wss"),
    (SCOPE, "path"): ("/", "", "/chat/é"),
    (SCOPE, "raw_path"): (b"/", b"/chat/%C3%A9"),
    (SCOPE, "query_string"): (b"", b"a=1&b=2"),
    (SCOPE, "root_path"): ("", "/api"),
    # Scope header names need not be lower-case (AMB-25); duplicates stay.
    (SCOPE, "headers"): ([], ((b"host", b"h"),), [[b"Host", b"h"], [b"cookie", b"a"], [b"cookie", b"b"]]),
    (SCOPE, "client"): (["127.0.0.1", 51234], ("::1", 0), ("testclient", 50000)),
    (SCOPE, "server"): (["127.0.0.1", 8000], ("h", 443), ["/tmp/s.sock", None]),
    (SCOPE, "subprotocols"): ([], ["chat"], ("chat", "superchat")),
    (SCOPE, "state"): ({}, {"k": 1}),
    (SCOPE, "extensions"): ({}, {"websocket.http.response": {}}),
    (SCOPE, "extensions.tls"): ({}, {"server_cert": None, "client_cert_chain": [], "tls_version": 0x0304}),
}


@pytest.mark.parametrize(
    ("owner", "name", "value"),
    [pytest.param(owner, name, value, id=f"{owner}.{name}={value!r}"[:60]) for (owner, name), values in SAMPLES.items() for value in values],
)
def test_field_of_the_right_type_is_accepted(owner: Owner, name: str, value: object) -> None:
    run(owner, put(pick(owner, name, True), name, value))


# -- websocket.receive and websocket.send: exactly one of bytes/text (WS-034, WS-036, AMB-13) ----

EXACTLY_ONE_CASES = [
    ok({"bytes": b"x"}, name="bytes"),
    ok({"text": "x"}, name="text"),
    ok({"bytes": b""}, name="empty-bytes"),
    ok({"text": ""}, name="empty-text"),
    ok({"bytes": b"x", "text": None}, name="bytes-and-text-None"),
    ok({"bytes": None, "text": "x"}, name="bytes-None-and-text"),
    ok({"bytes": None, "text": ""}, name="bytes-None-and-empty-text"),
    bad({"bytes": b"x", "text": "x"}, name="both"),
    bad({"bytes": b"", "text": ""}, name="both-empty"),
    bad({}, name="neither"),
    bad({"bytes": None, "text": None}, name="both-None"),
    bad({"bytes": None}, name="only-bytes-None"),
    bad({"text": None}, name="only-text-None"),
]
RECEIVE_EXACTLY_ONE = rule(RECEIVE, None, Check.EXACTLY_ONE)
SEND_EXACTLY_ONE = rule(SEND, None, Check.EXACTLY_ONE)


@pytest.mark.parametrize(("message", "valid"), EXACTLY_ONE_CASES)
def test_receive_carries_exactly_one_of_bytes_and_text(message: dict[str, Any], valid: bool) -> None:
    assert_verdict(RECEIVE, message, valid, None, RECEIVE_EXACTLY_ONE.clauses)


@pytest.mark.parametrize(("message", "valid"), EXACTLY_ONE_CASES)
def test_send_carries_exactly_one_of_bytes_and_text(message: dict[str, Any], valid: bool) -> None:
    assert_verdict(SEND, message, valid, None, SEND_EXACTLY_ONE.clauses)


SEND_TEXT_UTF8 = rule(SEND, "text", Check.UTF8)
UTF8_CASES = [
    ok("", name="empty"),
    ok("plain ascii", name="ascii"),
    ok("é", name="2-byte"),
    ok("€", name="3-byte"),
    ok("😀", name="4-byte"),
    ok("\U0010ffff", name="max-code-point"),
    bad("\ud800", name="lone-high-surrogate"),
    bad("\udfff", name="lone-low-surrogate"),
    bad("a\ud83d", name="trailing-high-surrogate"),
    bad("é\udc80", name="surrogateescape-byte"),
]


@pytest.mark.parametrize(("text", "valid"), UTF8_CASES)
def test_send_text_must_encode_to_utf8(text: str, valid: bool) -> None:
    assert_verdict(SEND, {"text": text}, valid, "text", SEND_TEXT_UTF8.clauses)


# -- websocket.disconnect and websocket.close: close codes (RFC 6455 §7.4) -----------------

DISCONNECT_CODE = rule(DISCONNECT, "code", Check.CLOSE_CODE)
CLOSE_CODE = rule(CLOSE, "code", Check.CLOSE_CODE)
# Codes no server may send, each refused under the clause that reserves it.
RESERVED_CODES = {code: rule(CLOSE, "code", Check.EXCLUDES, forbidding=code) for code in (1004, 1005, 1006, 1010, 1015)}


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        bad(-1, name="negative"),
        bad(0, name="0"),
        bad(999, name="999"),
        ok(1000, name="1000-normal"),
        ok(1001, name="1001-going-away"),
        ok(1003, name="1003-unsupported-data"),
        bad(1004, name="1004-reserved"),
        bad(1005, name="1005-no-status-local-only"),
        bad(1006, name="1006-abnormal-local-only"),
        ok(1007, name="1007-invalid-payload"),
        ok(1009, name="1009-too-big"),
        bad(1010, name="1010-client-only"),
        ok(1011, name="1011-internal-error"),
        ok(1014, name="1014-bad-gateway"),
        bad(1015, name="1015-tls-local-only"),
        bad(1016, name="1016-unassigned"),
        bad(2999, name="2999-unassigned"),
        ok(3000, name="3000-registered"),
        ok(4000, name="4000-private"),
        ok(4999, name="4999-private"),
        bad(5000, name="5000"),
        bad(65535, name="65535"),
    ],
)
def test_close_code_must_be_one_an_application_may_send(code: int, valid: bool) -> None:
    expected = RESERVED_CODES[code].clauses if code in RESERVED_CODES else CLOSE_CODE.clauses
    assert_verdict(CLOSE, {"code": code}, valid, "code", expected)


def test_each_reserved_close_code_names_its_own_clause() -> None:
    assert {code: r.clauses[0] for code, r in RESERVED_CODES.items()} == {
        1004: "RFC-004",
        1005: "RFC-001",
        1006: "RFC-002",
        1010: "RFC-006",
        1015: "RFC-003",
    }


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        bad(0, name="0"),
        bad(999, name="999"),
        ok(1000, name="1000-normal"),
        ok(1003, name="1003-unsupported-data"),
        bad(1004, name="1004-reserved"),
        ok(1005, name="1005-no-status"),
        ok(1006, name="1006-abnormal"),
        ok(1007, name="1007-invalid-payload"),
        ok(1010, name="1010-from-client"),
        ok(1011, name="1011-internal-error"),
        ok(1014, name="1014-bad-gateway"),
        ok(1015, name="1015-tls"),
        bad(1016, name="1016-unassigned"),
        bad(2999, name="2999-unassigned"),
        ok(3000, name="3000-registered"),
        ok(4999, name="4999-private"),
        bad(5000, name="5000"),
    ],
)
def test_disconnect_code_must_be_one_a_server_may_report(code: int, valid: bool) -> None:
    assert_verdict(DISCONNECT, {"code": code}, valid, "code", DISCONNECT_CODE.clauses)


# -- websocket.close reason (RFC 6455 §5.5.1, §7.1.6) -----------------------------------

CLOSE_REASON_UTF8 = rule(CLOSE, "reason", Check.UTF8)
CLOSE_REASON_LENGTH = rule(CLOSE, "reason", Check.MAX_UTF8_BYTES)


@pytest.mark.parametrize(("reason", "valid"), UTF8_CASES)
def test_close_reason_must_encode_to_utf8(reason: str, valid: bool) -> None:
    assert_verdict(CLOSE, {"reason": reason}, valid, "reason", CLOSE_REASON_UTF8.clauses)


@pytest.mark.parametrize(
    ("reason", "utf8_bytes", "valid"),
    [
        ok("", 0, name="0-bytes"),
        ok("a" * 123, 123, name="123-bytes-ascii"),
        bad("a" * 124, 124, name="124-bytes-ascii"),
        ok("é" * 61 + "a", 123, name="123-bytes-with-2-byte-chars"),
        bad("é" * 62, 124, name="124-bytes-of-2-byte-chars"),
        ok("€" * 41, 123, name="123-bytes-of-3-byte-chars"),
        bad("€" * 41 + "a", 124, name="124-bytes-with-3-byte-chars"),
        ok("😀" * 30 + "abc", 123, name="123-bytes-with-4-byte-chars"),
        bad("😀" * 31, 124, name="124-bytes-of-4-byte-chars"),
        ok("😀" * 30, 120, name="30-chars-of-4-bytes"),
        bad("é" * 100, 200, name="100-chars-of-2-bytes"),
    ],
)
def test_close_reason_of_more_than_123_utf8_bytes_is_refused(reason: str, utf8_bytes: int, valid: bool) -> None:
    assert len(reason.encode("utf-8")) == utf8_bytes
    assert_verdict(CLOSE, {"reason": reason}, valid, "reason", CLOSE_REASON_LENGTH.clauses)


def test_close_reason_of_124_utf8_bytes_names_its_length() -> None:
    violation = judge(CLOSE, {"reason": "é" * 62})
    assert violation is not None
    assert violation.detail == "is 124 bytes of UTF-8; at most 123 fit in a Close frame"


# -- websocket.accept: subprotocol (RFC 6455 §4.2.2, AMB-08) -------------------------------

ACCEPT_SUBPROTOCOL = rule(ACCEPT, "subprotocol", Check.OFFERED_SUBPROTOCOL)


@pytest.mark.parametrize(
    ("offered", "subprotocol", "valid"),
    [
        ok(OFFERED, "chat", name="offered-first"),
        ok(OFFERED, "superchat", name="offered-second"),
        ok(OFFERED, None, name="None"),
        ok((), None, name="None-nothing-offered"),
        ok(OFFERED, ABSENT, name="absent"),
        bad(OFFERED, "other", name="not-offered"),
        bad(OFFERED, "", name="empty-string"),
        bad(OFFERED, "chat, superchat", name="the-whole-offer"),
        bad((), "chat", name="nothing-offered"),
        bad((), "", name="empty-string-nothing-offered"),
    ],
)
def test_accept_subprotocol_must_be_one_the_client_offered(offered: tuple[str, ...], subprotocol: object, valid: bool) -> None:
    message = put({}, "subprotocol", subprotocol)
    assert_verdict(ACCEPT, message, valid, "subprotocol", ACCEPT_SUBPROTOCOL.clauses, offered=offered)


# -- header rules of websocket.accept and the denial response (WS-029..032, WS-050c) ------

HEADER_OWNERS = [pytest.param(ACCEPT, id="accept"), pytest.param(START, id="response.start")]
LOWERCASE = {owner: rule(owner, "headers", Check.LOWERCASE_HEADER_NAMES) for owner in (ACCEPT, START)}
NO_PSEUDO = {owner: rule(owner, "headers", Check.NO_PSEUDO_HEADERS) for owner in (ACCEPT, START)}


@pytest.mark.parametrize("owner", HEADER_OWNERS)
@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        ok([(b"x-custom", b"Mixed-Case Value")], name="lower-name-any-value"),
        ok([(b"x-1", b"")], name="empty-value"),
        bad([(b"X-Custom", b"1")], name="title-case"),
        bad([(b"X-CUSTOM", b"1")], name="upper-case"),
        bad([(b"x-a", b"1"), (b"Set-Cookie", b"a=1")], name="second-pair"),
        bad([[b"Sec-WebSocket-Protocol", b"chat"]], name="handshake-header-in-mixed-case"),
    ],
)
def test_header_names_must_be_lower_case(owner: MessageType, headers: list[tuple[bytes, bytes]], valid: bool) -> None:
    assert_verdict(owner, {**BASES[owner][0], "headers": headers}, valid, "headers", LOWERCASE[owner].clauses)


@pytest.mark.parametrize("owner", HEADER_OWNERS)
@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        ok([(b"host", b"example.com:443")], name="colon-in-value"),
        bad([(b":authority", b"example.com")], name="authority"),
        bad([(b":status", b"200")], name="status"),
        bad([(b"x-a", b"1"), (b":path", b"/")], name="second-pair"),
    ],
)
def test_pseudo_headers_are_refused(owner: MessageType, headers: list[tuple[bytes, bytes]], valid: bool) -> None:
    assert_verdict(owner, {**BASES[owner][0], "headers": headers}, valid, "headers", NO_PSEUDO[owner].clauses)


ACCEPT_SUBPROTOCOL_HEADER = rule(ACCEPT, "headers", Check.FORBIDDEN_HEADER_NAMES, forbidding="sec-websocket-protocol")
ACCEPT_HANDSHAKE_HEADERS = rule(ACCEPT, "headers", Check.FORBIDDEN_HEADER_NAMES, forbidding="upgrade")


@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        ok([(b"set-cookie", b"a=1")], name="ordinary-header"),
        bad([(b"sec-websocket-protocol", b"chat")], name="sec-websocket-protocol"),
        bad([(b"x-a", b"1"), (b"sec-websocket-protocol", b"chat")], name="second-pair"),
    ],
)
def test_accept_headers_may_not_carry_sec_websocket_protocol(headers: list[tuple[bytes, bytes]], valid: bool) -> None:
    assert_verdict(ACCEPT, {"headers": headers}, valid, "headers", ACCEPT_SUBPROTOCOL_HEADER.clauses)


@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        ok([(b"server", b"asgiws")], name="server"),
        ok([(b"x-upgrade", b"1")], name="name-containing-upgrade"),
        bad([(b"sec-websocket-accept", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")], name="sec-websocket-accept"),
        bad([(b"sec-websocket-extensions", b"permessage-deflate")], name="sec-websocket-extensions"),
        bad([(b"upgrade", b"websocket")], name="upgrade"),
        bad([(b"connection", b"Upgrade")], name="connection"),
    ],
)
def test_accept_headers_may_not_carry_the_servers_handshake_headers(headers: list[tuple[bytes, bytes]], valid: bool) -> None:
    assert_verdict(ACCEPT, {"headers": headers}, valid, "headers", ACCEPT_HANDSHAKE_HEADERS.clauses)


# -- websocket.http.response.start (Denial Response extension) ----------------------------

START_STATUS = rule(START, "status", Check.INT_RANGE)
START_TRAILERS = rule(START, "trailers", Check.NOT_TRUE)


@pytest.mark.parametrize(
    ("status", "valid"),
    [
        bad(0, name="0"),
        bad(101, name="101-switching-protocols"),
        bad(199, name="199"),
        ok(200, name="200"),
        ok(403, name="403"),
        ok(599, name="599"),
        bad(600, name="600"),
        bad(1000, name="1000"),
    ],
)
def test_denial_status_must_be_a_final_status_from_200_to_599(status: int, valid: bool) -> None:
    assert_verdict(START, {"status": status}, valid, "status", START_STATUS.clauses)


@pytest.mark.parametrize(("trailers", "valid"), [ok(False, name="False"), ok(ABSENT, name="absent"), bad(True, name="True")])
def test_denial_response_may_not_announce_trailers(trailers: object, valid: bool) -> None:
    assert_verdict(START, put({"status": 403}, "trailers", trailers), valid, "trailers", START_TRAILERS.clauses)


# -- the scope (www, Websocket Connection Scope) -------------------------------------------

SCOPE_TYPE = rule(SCOPE, "type", Check.EQUALS)
SCOPE_SPEC_VERSION = rule(SCOPE, "asgi.spec_version", Check.EQUALS)
SCOPE_SCHEME = rule(SCOPE, "scheme", Check.NOT_EMPTY)
SCOPE_HEADERS = rule(SCOPE, "headers", Check.NO_PSEUDO_HEADERS)
SCOPE_SERVER = rule(SCOPE, "server", Check.PORT_NONE_SINCE)
SCOPE_SUBPROTOCOLS = rule(SCOPE, "subprotocols", Check.SUBPROTOCOL_TOKENS)
SCOPE_TLS = rule(SCOPE, "extensions.tls", Check.ONLY_WITH)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ok("websocket", name="websocket"),
        bad("http", name="http"),
        bad("lifespan", name="lifespan"),
        bad("WebSocket", name="capitalised"),
        bad("", name="empty"),
    ],
)
def test_scope_type_must_be_websocket(value: str, valid: bool) -> None:
    assert_verdict(SCOPE, {**MINIMAL_SCOPE, "type": value}, valid, "type", SCOPE_TYPE.clauses)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        *(ok(v.value, name=v.value) for v in SpecVersion),
        bad("2.6", name="2.6"),
        bad("3.0", name="3.0"),
        bad("2", name="2"),
        bad("2.3.0", name="2.3.0"),
        bad(" 2.3", name="leading-space"),
        bad("", name="empty"),
    ],
)
def test_scope_spec_version_must_be_a_known_version(value: str, valid: bool) -> None:
    assert_verdict(SCOPE, {**MINIMAL_SCOPE, "asgi": {"spec_version": value}}, valid, "asgi.spec_version", SCOPE_SPEC_VERSION.clauses)


@pytest.mark.parametrize(("scheme", "valid"), [ok("ws", name="ws"), ok("wss", name="wss"), bad("", name="empty")])
def test_scope_scheme_must_not_be_empty(scheme: str, valid: bool) -> None:
    assert_verdict(SCOPE, {**MINIMAL_SCOPE, "scheme": scheme}, valid, "scheme", SCOPE_SCHEME.clauses)


@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        ok([(b"host", b"example.com")], name="host"),
        ok([(b"Host", b"example.com")], name="upper-case-name"),
        bad([(b":authority", b"example.com")], name="authority"),
        bad([(b"host", b"h"), (b":path", b"/")], name="second-pair"),
    ],
)
def test_scope_headers_carry_no_pseudo_headers(headers: list[tuple[bytes, bytes]], valid: bool) -> None:
    assert_verdict(SCOPE, {**MINIMAL_SCOPE, "headers": headers}, valid, "headers", SCOPE_HEADERS.clauses)


@pytest.mark.parametrize(
    ("subprotocols", "valid"),
    [
        ok([], name="none"),
        ok(["chat"], name="one"),
        ok(("chat", "superchat"), name="tuple-of-two"),
        ok(["v1.chat.example.com", "graphql-ws", "x!#$%&'*+-.^_`|~"], name="token-characters"),
        bad([""], name="empty-string"),
        bad(["a b"], name="space"),
        bad(["a,b"], name="comma"),
        bad(["a\tb"], name="tab"),
        bad(['"chat"'], name="quoted"),
        bad(["a/b"], name="slash"),
        bad(["é"], name="non-ascii"),
        bad(["chat", "chat"], name="duplicate"),
        bad(["chat", "superchat", "chat"], name="duplicate-not-adjacent"),
    ],
)
def test_scope_subprotocols_are_distinct_tokens(subprotocols: list[str], valid: bool) -> None:
    assert_verdict(SCOPE, {**MINIMAL_SCOPE, "subprotocols": subprotocols}, valid, "subprotocols", SCOPE_SUBPROTOCOLS.clauses)


@pytest.mark.parametrize(
    ("scheme", "valid"),
    [ok("wss", name="wss"), bad("ws", name="ws"), bad(ABSENT, name="no-scheme-means-ws"), bad("https", name="https")],
)
def test_scope_tls_extension_only_with_scheme_wss(scheme: object, valid: bool) -> None:
    scope = put({**MINIMAL_SCOPE, "extensions": {"tls": {}}}, "scheme", scheme)
    assert_verdict(SCOPE, scope, valid, "extensions.tls", SCOPE_TLS.clauses)


@pytest.mark.parametrize("extensions", [None, {}, {"websocket.http.response": {}}], ids=["None", "empty", "denial"])
def test_scope_extensions_without_tls_are_fine_with_scheme_ws(extensions: object) -> None:
    run(SCOPE, {**MINIMAL_SCOPE, "scheme": "ws", "extensions": extensions})


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_minimal_scope_is_valid(version: SpecVersion) -> None:
    run(SCOPE, MINIMAL_SCOPE, version=version)


UVICORN_SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "scheme": "ws",
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 51234),
    "root_path": "",
    "path": "/ws",
    "raw_path": b"/ws",
    "query_string": b"token=abc",
    "headers": [
        (b"host", b"127.0.0.1:8000"),
        (b"upgrade", b"websocket"),
        (b"connection", b"Upgrade"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-protocol", b"chat, superchat"),
    ],
    "subprotocols": ["chat", "superchat"],
    "state": {},
    "extensions": {"websocket.http.response": {}},
}


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_uvicorn_like_scope_is_valid(version: SpecVersion) -> None:
    run(SCOPE, UVICORN_SCOPE, version=version)


#: What Starlette's TestClient builds for ``websocket_connect``: no ``asgi`` key.
TESTCLIENT_SCOPE: dict[str, Any] = {
    "type": "websocket",
    "path": "/ws",
    "raw_path": b"/ws",
    "root_path": "",
    "scheme": "ws",
    "query_string": b"",
    "headers": [(b"host", b"testserver"), (b"connection", b"upgrade"), (b"sec-websocket-key", b"testserver==")],
    "client": ("testclient", 50000),
    "server": ["testserver", 80],
    "subprotocols": [],
    "state": {},
    "extensions": {"websocket.http.response": {}},
}


def test_testclient_like_scope_breaks_only_the_asgi_key_rule() -> None:
    # AMB-29: a scope without ``asgi`` breaks WS-003; context_from_scope still judges it (as 2.5).
    assert_verdict(SCOPE, TESTCLIENT_SCOPE, False, "asgi", field_of(SCOPE, "asgi").clauses)
    run(SCOPE, {**TESTCLIENT_SCOPE, "asgi": {"version": "3.0"}})


# -- version gating (AMB-06) -------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
@pytest.mark.parametrize(
    ("headers", "carries_a_value"),
    [
        pytest.param([(b"x-a", b"1")], True, id="list-of-tuples"),
        pytest.param(((b"x-a", b"1"),), True, id="tuple-of-tuples"),
        pytest.param([], False, id="empty-list"),
        pytest.param((), False, id="empty-tuple"),
        pytest.param(None, False, id="None"),
        pytest.param(ABSENT, False, id="absent"),
    ],
)
def test_accept_headers_with_a_value_are_refused_before_2_1(version: SpecVersion, headers: object, carries_a_value: bool) -> None:
    assert field_of(ACCEPT, "headers").since is SpecVersion.V2_1
    gated = carries_a_value and before(version, SpecVersion.V2_1)
    assert_verdict(ACCEPT, put({}, "headers", headers), not gated, "headers", VERSION_GATE_CLAUSES, version=version)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
@pytest.mark.parametrize(
    ("reason", "carries_a_value"),
    [
        pytest.param("going away", True, id="text"),
        pytest.param("", False, id="empty"),
        pytest.param(None, False, id="None"),
        pytest.param(ABSENT, False, id="absent"),
    ],
)
def test_close_reason_with_a_value_is_refused_before_2_3(version: SpecVersion, reason: object, carries_a_value: bool) -> None:
    assert field_of(CLOSE, "reason").since is SpecVersion.V2_3
    gated = carries_a_value and before(version, SpecVersion.V2_3)
    assert_verdict(CLOSE, put({"code": 1000}, "reason", reason), not gated, "reason", VERSION_GATE_CLAUSES, version=version)


def test_version_gate_names_both_versions() -> None:
    violation = judge(CLOSE, {"reason": "bye"}, version=SpecVersion.V2_2)
    assert violation is not None
    assert violation.detail == "was added in spec version 2.3; this connection speaks 2.2"


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_disconnect_reason_from_the_server_is_not_gated(version: SpecVersion) -> None:
    # uvicorn advertises 2.4 and still sends the 2.5 reason: harmless to the app (AMB-06, WS-011).
    assert field_of(DISCONNECT, "reason").since is SpecVersion.V2_5
    run(DISCONNECT, {"code": 1001, "reason": "going away"}, version=version)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
@pytest.mark.parametrize(
    ("server", "needs_2_2"),
    [
        pytest.param(["/tmp/app.sock", None], True, id="list-path-None"),
        pytest.param(("/tmp/app.sock", None), True, id="tuple-path-None"),
        pytest.param(["127.0.0.1", 8000], False, id="host-port"),
        pytest.param(None, False, id="None"),
    ],
)
def test_scope_server_path_none_is_refused_before_2_2(version: SpecVersion, server: object, needs_2_2: bool) -> None:
    valid = not (needs_2_2 and before(version, SpecVersion.V2_2))
    assert_verdict(SCOPE, {**MINIMAL_SCOPE, "server": server}, valid, "server", SCOPE_SERVER.clauses, version=version)


# -- extra keys (WS-011) and the compiled functions themselves ------------------------------


@pytest.mark.parametrize("kind", list(MessageType), ids=[k.value for k in MessageType])
@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_extra_message_keys_are_never_an_error(kind: MessageType, version: SpecVersion) -> None:
    message = {"type": kind.value, **BASES[kind][0], "x-unknown": object(), "future_field": [1, None], "reason2": b"\xff"}
    check = MESSAGE_CHECKS[kind.value]
    if check is not None:
        check(message, Context(version, True, OFFERED))


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_extra_scope_keys_are_never_an_error(version: SpecVersion) -> None:
    scope = {
        **UVICORN_SCOPE,
        "x-unknown": object(),
        "asgi": {"version": "3.0", "spec_version": "2.0", "future": True},
        "extensions": {"websocket.http.response": {}, "x.vendor": {"a": 1}},
    }
    run(SCOPE, scope, version=version)


def test_connect_has_no_fields_so_no_check_is_compiled() -> None:
    assert MESSAGE_CHECKS[CONNECT.value] is None
    assert set(MESSAGE_CHECKS) == {kind.value for kind in MessageType}


def test_a_compiled_check_is_real_source_named_after_its_message() -> None:
    check = compiled(CLOSE)
    assert check.__name__ == "check_close"
    assert inspect.getsourcefile(check) == str(Path(asgiws._compiled.__file__))
    assert "def check_close(m: Mapping[str, Any], ctx: Context) -> None:" in inspect.getsource(check)


def test_field_violation_carries_clauses_field_and_detail() -> None:
    violation = judge(CLOSE, {"code": 2000})
    assert isinstance(violation, FieldViolation)
    assert violation.field == "code"
    assert violation.clauses == CLOSE_CODE.clauses
    assert str(violation) == violation.detail == "2000 is not a valid close code here; valid: 1000-1003, 1007-1009, 1011-1014, 3000-4999"


# -- through the interpreter ---------------------------------------------------------------

SCOPE_25: dict[str, Any] = {**MINIMAL_SCOPE, "asgi": {"version": "3.0", "spec_version": "2.5"}, "subprotocols": ["chat"]}
DENIAL_SCOPE: dict[str, Any] = {**SCOPE_25, "extensions": {"websocket.http.response": {}}}
SCOPE_20: dict[str, Any] = {**MINIMAL_SCOPE, "asgi": {"version": "3.0", "spec_version": "2.0"}}
ACCEPTED = [{"type": "websocket.accept"}]


@pytest.mark.parametrize(
    ("scope", "setup", "message", "field", "clauses"),
    [
        pytest.param(
            SCOPE_25, [], {"type": "websocket.accept", "subprotocol": "nope"}, "subprotocol", ACCEPT_SUBPROTOCOL.clauses, id="accept-subprotocol"
        ),
        pytest.param(
            SCOPE_25, [], {"type": "websocket.accept", "headers": [(b"Upgrade", b"x")]}, "headers", LOWERCASE[ACCEPT].clauses, id="accept-headers"
        ),
        pytest.param(
            SCOPE_20, [], {"type": "websocket.accept", "headers": [(b"x-a", b"1")]}, "headers", VERSION_GATE_CLAUSES, id="accept-headers-2.0"
        ),
        pytest.param(SCOPE_25, ACCEPTED, {"type": "websocket.send", "text": "\ud800"}, "text", SEND_TEXT_UTF8.clauses, id="send-lone-surrogate"),
        pytest.param(SCOPE_25, ACCEPTED, {"type": "websocket.send", "text": "a", "bytes": b"a"}, None, SEND_EXACTLY_ONE.clauses, id="send-both"),
        pytest.param(SCOPE_25, ACCEPTED, {"type": "websocket.close", "code": 1006}, "code", RESERVED_CODES[1006].clauses, id="close-code"),
        pytest.param(SCOPE_25, ACCEPTED, {"type": "websocket.close", "reason": "é" * 62}, "reason", CLOSE_REASON_LENGTH.clauses, id="close-reason"),
        pytest.param(SCOPE_20, [], {"type": "websocket.close", "reason": "no"}, "reason", VERSION_GATE_CLAUSES, id="close-reason-2.0"),
        pytest.param(DENIAL_SCOPE, [], {"type": "websocket.http.response.start", "status": 101}, "status", START_STATUS.clauses, id="denial-status"),
        pytest.param(
            DENIAL_SCOPE,
            [{"type": "websocket.http.response.start", "status": 403}],
            {"type": "websocket.http.response.body", "body": "no"},
            "body",
            field_of(BODY, "body").clauses,
            id="denial-body-str",
        ),
    ],
)
def test_send_with_an_invalid_field_raises_invalid_message_error(
    scope: dict[str, Any], setup: list[dict[str, Any]], message: dict[str, Any], field: str | None, clauses: tuple[str, ...]
) -> None:
    state = ConnectionState(scope)
    for earlier in setup:
        state.send(earlier)
    states = state.states
    with pytest.raises(InvalidMessageError) as info:
        state.send(message)
    error = info.value
    assert isinstance(error, ProtocolViolation)
    assert isinstance(error, RuntimeError)
    assert not isinstance(error, ValueError | TypeError | KeyError)
    assert (error.field, error.clauses, error.message_type) == (field, clauses, message["type"])
    assert error.states == states == state.states
    assert f"[{clauses[0]}]" in str(error)


def test_connection_state_is_usable_after_a_refused_field() -> None:
    state = ConnectionState(SCOPE_25)
    with pytest.raises(InvalidMessageError):
        state.send({"type": "websocket.accept", "subprotocol": "nope"})
    state.send({"type": "websocket.accept", "subprotocol": "chat"})
    assert state.states == (State.CONNECTING, State.CONNECTED)


def test_received_disconnect_with_an_invalid_code_raises_invalid_message_error() -> None:
    state = ConnectionState(SCOPE_25)
    state.receive({"type": "websocket.connect"})
    with pytest.raises(InvalidMessageError) as info:
        state.receive({"type": "websocket.disconnect", "code": 999})
    assert (info.value.field, info.value.clauses, info.value.states) == ("code", DISCONNECT_CODE.clauses, (State.CONNECTED, State.CONNECTING))


def test_uvicorn_disconnect_reason_is_accepted_on_a_2_4_connection() -> None:
    state = ConnectionState(UVICORN_SCOPE)
    assert state.context.version is SpecVersion.V2_4
    state.receive({"type": "websocket.connect"})
    state.receive({"type": "websocket.disconnect", "code": 1001, "reason": "going away"})
    assert state.states[0] is State.DISCONNECTED


# -- completeness ------------------------------------------------------------------------------


def test_every_constraint_in_the_spec_has_a_test_here() -> None:
    in_spec: set[tuple[Owner, str | None, Constraint]] = {(owner, f.name, c) for owner, f in ALL_FIELDS for c in f.constraints}
    in_spec |= {(kind, None, c) for kind, schema in MESSAGE_SCHEMAS.items() for c in schema.constraints}
    assert in_spec - _TESTED == set()
    assert in_spec >= _TESTED


def test_every_field_in_the_spec_has_samples_and_every_kind_wrong_values() -> None:
    assert set(SAMPLES) == {(owner, f.name) for owner, f in ALL_FIELDS}
    assert set(WRONG) == set(ValueKind)


# -- known bugs ------------------------------------------------------------------------------


class _NoLen:
    """Iterable again and again, but without ``len()``."""

    def __init__(self, *items: object) -> None:
        self.items = items

    def __iter__(self) -> Iterator[object]:
        return iter(self.items)


class _NoIndex(_NoLen):
    """Iterable again and again and sized, but not indexable."""

    def __len__(self) -> int:
        return len(self.items)


@pytest.mark.parametrize(
    ("owner", "data"),
    [
        pytest.param(ACCEPT, {"headers": [{b"x-a", b"1"}]}, id="accept-headers-set-pair"),
        pytest.param(ACCEPT, {"headers": [_NoLen(b"x-a", b"1")]}, id="accept-headers-unsized-pair"),
        pytest.param(ACCEPT, {"headers": [_NoIndex(b"x-a", b"1")]}, id="accept-headers-unindexable-pair"),
        pytest.param(SCOPE, {**MINIMAL_SCOPE, "client": _NoLen("h", 1)}, id="scope-client-unsized"),
        pytest.param(SCOPE, {**MINIMAL_SCOPE, "server": _NoIndex("/tmp/s.sock", None)}, id="scope-server-unindexable-before-2.2"),
    ],
)
def test_odd_iterables_are_judged_rather_than_crashing_the_check(owner: Owner, data: dict[str, Any]) -> None:
    with pytest.raises(FieldViolation):
        run(owner, data, version=SpecVersion.V2_1)
