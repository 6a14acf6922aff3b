"""Message and scope schemas: every key, its type, presence, default and constraints.

"Optional" in ASGI means the key may be absent (asgiref commit 1c9d063); where
a field is ``nullable`` the spec also says "or None", and ``None`` means the
same as absent. A field added by a later spec version names it in ``since``:
before that version the field may only be absent or empty (see AMB-06 in
``ambiguities.py``). Unknown extra keys are never an error (WS-011).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .messages import MessageType
from .states import Side
from .versions import Extension, SpecVersion

__all__ = [
    "EXTRA_KEYS_ALLOWED",
    "MESSAGE_SCHEMAS",
    "REPORTABLE_CLOSE_CODES",
    "SCOPE_SCHEMA",
    "SENDABLE_CLOSE_CODES",
    "Check",
    "Constraint",
    "Field",
    "MessageSchema",
    "ScopeSchema",
    "ValueKind",
]


class ValueKind(enum.Enum):
    """The Python type a field must hold (``bool`` never counts as ``int``)."""

    STR = "str"
    BYTES = "bytes"
    INT = "int"
    BOOL = "bool"
    DICT = "dict"
    #: An iterable of ``[name, value]`` pairs of byte strings; pairs may be lists or tuples (AMB-05).
    HEADERS = "headers"
    #: An iterable of Unicode strings.
    STR_LIST = "list[str]"
    #: ``[host, port]``: a Unicode string and an int.
    HOST_PORT = "[str, int]"
    #: ``[host, port]``, or ``[unix_socket_path, None]`` from 2.2 on.
    SERVER_ADDRESS = "[str, int | None]"


class Check(enum.Enum):
    """A constraint on a value beyond its type; ``Constraint.param`` parameterises it."""

    #: The value is one of the tuple ``param``.
    EQUALS = "equals"
    #: The value is none of the tuple ``param``.
    EXCLUDES = "excludes"
    #: The value is not the empty string.
    NOT_EMPTY = "not-empty"
    #: Message level: exactly one of the fields named in ``param`` is not None.
    EXACTLY_ONE = "exactly-one-non-none"
    #: The string encodes to UTF-8 (no lone surrogates).
    UTF8 = "utf8-encodable"
    #: The string is at most ``param`` bytes once encoded as UTF-8.
    MAX_UTF8_BYTES = "max-utf8-bytes"
    #: The int is one of the close codes in ``param`` (ranges, inclusive).
    CLOSE_CODE = "close-code"
    #: The int lies in the inclusive range ``param``.
    INT_RANGE = "int-range"
    #: The value is not ``True``.
    NOT_TRUE = "not-true"
    #: The string is one of ``scope["subprotocols"]``.
    OFFERED_SUBPROTOCOL = "offered-subprotocol"
    #: Every header name is lower-case.
    LOWERCASE_HEADER_NAMES = "lowercase-header-names"
    #: No header name starts with ``:`` (HTTP/2 and HTTP/3 pseudo headers).
    NO_PSEUDO_HEADERS = "no-pseudo-headers"
    #: No header name is one of ``param``.
    FORBIDDEN_HEADER_NAMES = "forbidden-header-names"
    #: Every string is an RFC 6455 subprotocol token, and none repeats.
    SUBPROTOCOL_TOKENS = "subprotocol-tokens"
    #: Only present when the key ``param[0]`` of the same dict equals ``param[1]``.
    ONLY_WITH = "only-with"
    #: A ``[path, None]`` address is allowed from spec version ``param`` on.
    PORT_NONE_SINCE = "port-none-since"


@dataclass(frozen=True, slots=True)
class Constraint:
    """One check on a field (or on the whole message), with the clauses it enforces."""

    check: Check
    clauses: tuple[str, ...]
    param: object = None


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a message or of the scope.

    ``clauses`` justify the key's presence and type; each constraint carries its
    own. ``default`` is the value an absent key stands for (``None`` where the
    spec gives none). Keys of nested dicts are dotted: ``asgi.spec_version``.
    """

    name: str
    kind: ValueKind
    clauses: tuple[str, ...]
    required: bool = False
    since: SpecVersion = SpecVersion.V2_0
    default: object = None
    nullable: bool = False
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageSchema:
    """The shape of one message type."""

    type: MessageType
    side: Side
    fields: tuple[Field, ...]
    #: Constraints over several fields at once.
    constraints: tuple[Constraint, ...] = ()
    #: The extension the server must advertise before this message exists.
    extension: Extension | None = None


@dataclass(frozen=True, slots=True)
class ScopeSchema:
    """The shape of a ``websocket`` connection scope."""

    fields: tuple[Field, ...]


# RFC 6455 §7.4.1/§7.4.2 and the IANA registry: codes an endpoint may put in a
# Close frame. 1004 is reserved, 1005/1006/1015 are local-only, 1010 is for
# clients, 1016-2999 are unassigned, 0-999 and 5000+ are outside every range.
SENDABLE_CLOSE_CODES: tuple[tuple[int, int], ...] = ((1000, 1003), (1007, 1009), (1011, 1014), (3000, 4999))

# Codes a server may report in websocket.disconnect: everything a client may
# send (1010 included), plus 1005 (no code in the frame), 1006 (no Close frame)
# and 1015 (TLS failure), which the server synthesises.
REPORTABLE_CLOSE_CODES: tuple[tuple[int, int], ...] = ((1000, 1003), (1005, 1015), (3000, 4999))

#: Keys a schema does not name are accepted and passed on untouched, in every
#: message and in the scope, so that the spec can grow without breaking anyone.
EXTRA_KEYS_ALLOWED: tuple[str, ...] = ("WS-011",)

_HANDSHAKE_HEADERS = ("sec-websocket-accept", "sec-websocket-extensions", "upgrade", "connection")

# websocket.accept and the denial response share their header rules but not
# their clauses: lower-case names and no pseudo headers.
_ACCEPT_HEADER_RULES = (
    Constraint(Check.LOWERCASE_HEADER_NAMES, ("WS-029",)),
    Constraint(Check.NO_PSEUDO_HEADERS, ("WS-031",)),
)
_RESPONSE_HEADER_RULES = (
    Constraint(Check.LOWERCASE_HEADER_NAMES, ("WS-050c",)),
    Constraint(Check.NO_PSEUDO_HEADERS, ("WS-050c",)),
)

# The reserved codes first, each with the clause that reserves it, so that an
# error names the rule a reader would look up; then the ranges for the rest.
_SENDABLE_CODE_RULES = (
    Constraint(Check.EXCLUDES, ("RFC-001",), (1005,)),
    Constraint(Check.EXCLUDES, ("RFC-002",), (1006,)),
    Constraint(Check.EXCLUDES, ("RFC-003",), (1015,)),
    Constraint(Check.EXCLUDES, ("RFC-004",), (1004,)),
    Constraint(Check.EXCLUDES, ("RFC-006",), (1010,)),
    Constraint(Check.CLOSE_CODE, ("RFC-008", "RFC-007", "RFC-005", "AMB-15"), SENDABLE_CLOSE_CODES),
)

#: The schema of every message type, in the order of ``MessageType``.
MESSAGE_SCHEMAS: dict[MessageType, MessageSchema] = {
    MessageType.CONNECT: MessageSchema(MessageType.CONNECT, Side.RECEIVE, ()),
    MessageType.RECEIVE: MessageSchema(
        MessageType.RECEIVE,
        Side.RECEIVE,
        (
            Field("bytes", ValueKind.BYTES, ("WS-034", "WS-010"), nullable=True),
            Field("text", ValueKind.STR, ("WS-034", "WS-010"), nullable=True),
        ),
        (Constraint(Check.EXACTLY_ONE, ("WS-034",), ("bytes", "text")),),
    ),
    MessageType.DISCONNECT: MessageSchema(
        MessageType.DISCONNECT,
        Side.RECEIVE,
        (
            Field(
                "code",
                ValueKind.INT,
                ("WS-039", "WS-010"),
                required=True,
                constraints=(Constraint(Check.CLOSE_CODE, ("RFC-013", "RFC-032"), REPORTABLE_CLOSE_CODES),),
            ),
            Field("reason", ValueKind.STR, ("WS-040", "WS-010"), since=SpecVersion.V2_5, default="", nullable=True),
        ),
    ),
    MessageType.ACCEPT: MessageSchema(
        MessageType.ACCEPT,
        Side.SEND,
        (
            Field(
                "subprotocol",
                ValueKind.STR,
                ("WS-027", "WS-009"),
                nullable=True,
                constraints=(Constraint(Check.OFFERED_SUBPROTOCOL, ("RFC-018", "AMB-08")),),
            ),
            Field(
                "headers",
                ValueKind.HEADERS,
                ("WS-009", "WS-032"),
                since=SpecVersion.V2_1,
                default=(),
                nullable=True,
                constraints=(
                    *_ACCEPT_HEADER_RULES,
                    Constraint(Check.FORBIDDEN_HEADER_NAMES, ("WS-030", "RFC-019"), ("sec-websocket-protocol",)),
                    Constraint(Check.FORBIDDEN_HEADER_NAMES, ("AW-03", "RFC-022", "RFC-023"), _HANDSHAKE_HEADERS),
                ),
            ),
        ),
    ),
    MessageType.SEND: MessageSchema(
        MessageType.SEND,
        Side.SEND,
        (
            Field("bytes", ValueKind.BYTES, ("WS-036", "WS-009"), nullable=True),
            Field(
                "text",
                ValueKind.STR,
                ("WS-036", "WS-009"),
                nullable=True,
                constraints=(Constraint(Check.UTF8, ("RFC-015", "AMB-13")),),
            ),
        ),
        (Constraint(Check.EXACTLY_ONE, ("WS-036",), ("bytes", "text")),),
    ),
    MessageType.CLOSE: MessageSchema(
        MessageType.CLOSE,
        Side.SEND,
        (
            Field(
                "code",
                ValueKind.INT,
                ("AW-04", "WS-046"),
                default=1000,
                constraints=_SENDABLE_CODE_RULES,
            ),
            Field(
                "reason",
                ValueKind.STR,
                ("WS-009",),
                since=SpecVersion.V2_3,
                default="",
                nullable=True,
                constraints=(
                    Constraint(Check.UTF8, ("RFC-011",)),
                    Constraint(Check.MAX_UTF8_BYTES, ("RFC-010", "AMB-15"), 123),
                ),
            ),
        ),
    ),
    MessageType.RESPONSE_START: MessageSchema(
        MessageType.RESPONSE_START,
        Side.SEND,
        (
            Field(
                "status",
                ValueKind.INT,
                ("WS-050", "WS-009"),
                required=True,
                constraints=(Constraint(Check.INT_RANGE, ("AW-01", "AMB-22"), (200, 599)),),
            ),
            Field("headers", ValueKind.HEADERS, ("WS-050", "WS-009"), default=(), constraints=_RESPONSE_HEADER_RULES),
            Field(
                "trailers",
                ValueKind.BOOL,
                ("WS-050", "WS-009"),
                default=False,
                constraints=(Constraint(Check.NOT_TRUE, ("AW-02", "AMB-23")),),
            ),
        ),
        extension=Extension.DENIAL_RESPONSE,
    ),
    MessageType.RESPONSE_BODY: MessageSchema(
        MessageType.RESPONSE_BODY,
        Side.SEND,
        (
            Field("body", ValueKind.BYTES, ("WS-050", "WS-009"), default=b""),
            Field("more_body", ValueKind.BOOL, ("WS-050", "WS-050e"), default=False),
        ),
        extension=Extension.DENIAL_RESPONSE,
    ),
}

#: The ``websocket`` connection scope (www, Websocket Connection Scope).
SCOPE_SCHEMA = ScopeSchema(
    (
        Field(
            "type",
            ValueKind.STR,
            ("WS-003", "WS-020"),
            required=True,
            constraints=(Constraint(Check.EQUALS, ("WS-020",), ("websocket",)),),
        ),
        Field("asgi", ValueKind.DICT, ("WS-003",), required=True),
        Field("asgi.version", ValueKind.STR, ("WS-003",), default="2.0"),
        Field(
            "asgi.spec_version",
            ValueKind.STR,
            ("WS-004", "AMB-01"),
            default="2.0",
            constraints=(Constraint(Check.EQUALS, ("AMB-01",), tuple(v.value for v in SpecVersion)),),
        ),
        Field("http_version", ValueKind.STR, ("WS-022",), default="1.1"),
        Field("scheme", ValueKind.STR, ("WS-022",), default="ws", constraints=(Constraint(Check.NOT_EMPTY, ("WS-022",)),)),
        Field("path", ValueKind.STR, ("WS-022",), required=True),
        Field("raw_path", ValueKind.BYTES, ("WS-022",), nullable=True),
        Field("query_string", ValueKind.BYTES, ("WS-022", "AMB-02"), default=b"", nullable=True),
        Field("root_path", ValueKind.STR, ("WS-022",), default=""),
        Field("headers", ValueKind.HEADERS, ("WS-022",), required=True, constraints=(Constraint(Check.NO_PSEUDO_HEADERS, ("WS-022",)),)),
        Field("client", ValueKind.HOST_PORT, ("WS-022",), nullable=True),
        Field(
            "server",
            ValueKind.SERVER_ADDRESS,
            ("WS-022",),
            nullable=True,
            constraints=(Constraint(Check.PORT_NONE_SINCE, ("WS-022", "WS-052"), SpecVersion.V2_2),),
        ),
        Field(
            "subprotocols",
            ValueKind.STR_LIST,
            ("WS-022",),
            default=(),
            constraints=(Constraint(Check.SUBPROTOCOL_TOKENS, ("RFC-021", "AMB-03")),),
        ),
        Field("state", ValueKind.DICT, ("WS-022",)),
        Field("extensions", ValueKind.DICT, ("WS-015", "AMB-04"), nullable=True),
        Field(
            "extensions.tls",
            ValueKind.DICT,
            ("WS-057",),
            constraints=(Constraint(Check.ONLY_WITH, ("WS-057",), ("scheme", "wss")),),
        ),
    )
)
