"""Hypothesis strategies for WebSocket messages and scopes, generated from the schemas.

Every strategy here is read off ``asgiws.spec.MESSAGE_SCHEMAS`` and
``SCOPE_SCHEMA``: a field's :class:`~asgiws.spec.ValueKind` gives the values of
the right type, each :class:`~asgiws.spec.Check` narrows them (valid values) or
is broken on purpose (invalid values), ``since`` gates a field by spec version
and ``nullable``/``required`` decide whether a key may be ``None`` or absent.
Nothing lists a message by hand, so a new field or constraint in the spec
shows up in the strategies without an edit here.

An invalid message breaks exactly one rule and keeps every other field valid,
so a failure names the rule that was broken. The test suite holds both halves
to the compiled checks: every valid message passes them and every invalid one
fails them, for every schema and every spec version.

Two rules depend on the connection rather than on the message: a field newer
than the connection's spec version (AMB-06) and the offered subprotocol
(RFC-018). :func:`still_valid` re-judges, for a narrower connection, a message
drawn valid for the widest one; the generated state machine uses it so that
its rule arguments need not depend on the connection it draws.
"""

from __future__ import annotations

import dataclasses
import operator
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, partial
from typing import Any

from hypothesis import strategies as st

from .._context import VERSION_RANK
from ..spec import (
    LATEST_VERSION,
    MESSAGE_SCHEMAS,
    MESSAGE_SIDE,
    SCOPE_SCHEMA,
    TRANSITIONS,
    Check,
    Constraint,
    Extension,
    Field,
    MessageType,
    Side,
    SpecVersion,
    ValueKind,
)

__all__ = [
    "Bad",
    "bad",
    "exactly_one",
    "field_values",
    "full_message",
    "invalid_messages",
    "invalid_scopes",
    "messages",
    "minimal_message",
    "representatives",
    "scopes",
    "still_valid",
    "unknown_messages",
]

Message = dict[str, Any]
Strategy = st.SearchStrategy[Any]

#: Where a scope says its spec version; the one key the scope strategies set
#: from the version they are asked for.
_VERSION_KEY = "asgi.spec_version"
_DENIAL = Extension.DENIAL_RESPONSE.value

# RFC 6455 tokens and lower-case header names, kept readable in failure reports.
_TOKEN_CHARS = string.ascii_lowercase + string.digits + "-._"
_TOKENS = st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=10)
_UPPER_NAMES = st.builds(lambda head, tail: (head + tail).encode(), st.sampled_from("ABCXZ"), _TOKENS)
_LONE_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_NOT_TOKENS = st.sampled_from(["", "a b", "x,y", "semi;colon", "é", 'quo"te'])


def _version(value: SpecVersion | str) -> SpecVersion:
    return value if isinstance(value, SpecVersion) else SpecVersion(value)


def _params(field: Field, check: Check) -> list[Any]:
    found: list[Any] = [c.param for c in field.constraints if c.check is check]
    return found


def _gated(field: Field, side: Side | None, version: SpecVersion) -> bool:
    # Only what the application sends is gated by version (AMB-06, WS-011).
    return side is Side.SEND and VERSION_RANK[field.since] > VERSION_RANK[version]


class Bad:
    """A value drawn to break a rule: the label travels with the value.

    The generated state machine takes valid and invalid arguments from the
    same rule; an invalid one arrives wrapped, and Hypothesis prints it as
    ``bad(...)``, so a failing program says which argument was meant to be
    refused. ``bad`` is importable, so the printed program runs as it is.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"bad({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bad) and other.value == self.value

    __hash__ = None  # type: ignore[assignment]


def bad(value: Any) -> Bad:
    """Mark ``value`` as one that breaks a rule of the spec (see :class:`Bad`)."""
    return Bad(value)


# -- valid values --------------------------------------------------------------------------


def _ints(field: Field) -> Strategy:
    ranges: tuple[tuple[int, int], ...] = (*(r for p in _params(field, Check.CLOSE_CODE) for r in p), *_params(field, Check.INT_RANGE))
    ranges = ranges or ((-(2**31), 2**31),)  # an int no constraint bounds
    excluded = {v for p in _params(field, Check.EXCLUDES) for v in p}
    edges = sorted({v for low, high in ranges for v in (low, high)})
    values = st.one_of(st.sampled_from(edges), *(st.integers(low, high) for low, high in ranges))
    return values.filter(lambda v: v not in excluded) if excluded else values


def _texts(field: Field, subprotocols: Sequence[str]) -> Strategy | None:
    for allowed in _params(field, Check.EQUALS):
        return st.sampled_from(allowed)
    if _params(field, Check.OFFERED_SUBPROTOCOL):
        return st.sampled_from(list(subprotocols)) if subprotocols else None
    least = 1 if _params(field, Check.NOT_EMPTY) else 0
    limits = _params(field, Check.MAX_UTF8_BYTES)
    if not limits:
        return st.text(min_size=least, max_size=20)
    limit = min(limits)
    # Short text in any script, ASCII up to the limit, and the exact edges in
    # one-byte and two-byte characters.
    edges = st.sampled_from(["a" * limit, "é" * (limit // 2)])
    return st.one_of(st.text(min_size=least, max_size=limit // 4), st.text(string.printable, min_size=least, max_size=limit), edges)


def _headers(field: Field) -> Strategy:
    forbidden = {name.encode() for p in _params(field, Check.FORBIDDEN_HEADER_NAMES) for name in p}
    names = _TOKENS.map(str.encode)
    if not _params(field, Check.LOWERCASE_HEADER_NAMES):
        names = names | _UPPER_NAMES
    if forbidden:
        names = names.filter(lambda n: n.lower() not in forbidden)
    # A pair is a tuple or a two-item list (AMB-05).
    pair = st.tuples(names, st.binary(max_size=12))
    return st.lists(pair | pair.map(list), max_size=3)


def _addresses(field: Field, version: SpecVersion) -> Strategy:
    pair = st.tuples(st.sampled_from(["127.0.0.1", "::1", "example.com"]), st.integers(0, 65535))
    values = pair | pair.map(list)
    since = _params(field, Check.PORT_NONE_SINCE)
    if field.kind is ValueKind.SERVER_ADDRESS and all(VERSION_RANK[version] >= VERSION_RANK[s] for s in since):
        values = values | st.just(["/tmp/server.sock", None])
    return values


def _valid(field: Field, version: SpecVersion, subprotocols: Sequence[str]) -> Strategy | None:
    """Values of the right type that meet every constraint; None when there are none."""
    kind = field.kind
    if kind is ValueKind.INT:
        return _ints(field)
    if kind is ValueKind.STR:
        return _texts(field, subprotocols)
    if kind is ValueKind.BYTES:
        return st.binary(max_size=24)
    if kind is ValueKind.BOOL:
        return st.just(False) if _params(field, Check.NOT_TRUE) else st.booleans()
    if kind is ValueKind.DICT:
        return st.just({})
    if kind is ValueKind.HEADERS:
        return _headers(field)
    if kind is ValueKind.STR_LIST:
        return st.lists(_TOKENS, unique=True, max_size=3)
    return _addresses(field, version)


def _empty(kind: ValueKind) -> Strategy:
    # The values a field newer than the connection may still carry (AMB-06).
    empties: dict[ValueKind, list[Any]] = {ValueKind.STR: [""], ValueKind.BYTES: [b""], ValueKind.HEADERS: [[], ()]}
    return st.sampled_from(empties.get(kind, [[]]))


# -- invalid values ------------------------------------------------------------------------

_WRONG_TYPES: dict[ValueKind, Strategy] = {
    ValueKind.STR: st.one_of(st.binary(min_size=1, max_size=4), st.integers(1, 9), st.just(["x"])),
    ValueKind.BYTES: st.one_of(st.text(min_size=1, max_size=4), st.integers(1, 9), st.just(bytearray(b"x"))),
    ValueKind.INT: st.one_of(st.text(min_size=1, max_size=4), st.just(1000.0), st.booleans()),
    ValueKind.BOOL: st.one_of(st.integers(1, 1), st.just("true")),
    ValueKind.DICT: st.one_of(st.just([1]), st.just("x")),
    ValueKind.HEADERS: st.one_of(
        st.just("x-a: b"),
        st.just({b"x-a": b"b"}),
        st.just([(b"x-a",)]),
        st.just([("x-a", "b")]),
        st.just([[b"x-a", 1]]),
        st.just([{b"x-a", b"b"}]),
        # An iterator would be used up by the check (AMB-05); a fresh one per draw.
        st.builds(lambda: iter([(b"x-a", b"b")])),
    ),
    ValueKind.STR_LIST: st.one_of(st.just("chat"), st.just([1]), st.just([b"chat"])),
    ValueKind.HOST_PORT: st.one_of(st.just(["h"]), st.just(["h", "80"]), st.just(["h", None]), st.just([1, 80])),
    ValueKind.SERVER_ADDRESS: st.one_of(st.just(["h"]), st.just(["h", "80"]), st.just([1, 80])),
}


def _outside(ranges: Iterable[tuple[int, int]]) -> Strategy:
    ranges = tuple(ranges)
    candidates = {0, -1, 999, 5000, 65535, 10**6, *(v for low, high in ranges for v in (low - 1, high + 1))}
    return st.sampled_from(sorted(v for v in candidates if not any(low <= v <= high for low, high in ranges)))


def _breaking(field: Field, constraint: Constraint, version: SpecVersion, subprotocols: Sequence[str]) -> Strategy | None:
    """Values of the right type that break this one constraint; None when none can."""
    check = constraint.check
    param: Any = constraint.param
    if check is Check.EQUALS:
        return st.sampled_from(["http", "websocket2", "2.9", "3"]).filter(lambda v: v not in param)
    if check is Check.EXCLUDES:
        return st.sampled_from(param)
    if check is Check.NOT_EMPTY:
        return st.just("")
    if check is Check.UTF8:
        return st.builds(lambda head, bad, tail: head + bad + tail, st.text(max_size=3), _LONE_SURROGATES, st.text(max_size=3))
    if check is Check.MAX_UTF8_BYTES:
        limit: int = param
        return st.integers(1, 12).flatmap(lambda extra: st.sampled_from(["a" * (limit + extra), "é" * (limit // 2 + extra)]))
    if check is Check.CLOSE_CODE:
        return _outside(param)
    if check is Check.INT_RANGE:
        return _outside((param,))
    if check is Check.NOT_TRUE:
        return st.just(True)
    if check is Check.OFFERED_SUBPROTOCOL:
        return st.one_of(st.just(""), _TOKENS).filter(lambda v: v not in subprotocols)
    if check in _BAD_HEADERS:
        valid = _headers(field)
        return st.builds(lambda good, bad: [*good, bad], valid, _BAD_HEADERS[check](param))
    if check is Check.SUBPROTOCOL_TOKENS:
        bad_token = st.builds(lambda good, bad: [*good, bad], st.lists(_TOKENS, unique=True, max_size=2), _NOT_TOKENS)
        return bad_token | _TOKENS.map(lambda t: [t, t])
    if check is Check.PORT_NONE_SINCE:
        since: SpecVersion = param
        return st.just(["/tmp/server.sock", None]) if VERSION_RANK[version] < VERSION_RANK[since] else None
    return None  # ONLY_WITH is about the sibling key, not the value: see _Builder


_BAD_HEADERS: dict[Check, Callable[[Any], Strategy]] = {
    Check.LOWERCASE_HEADER_NAMES: lambda _: st.tuples(_UPPER_NAMES, st.just(b"v")),
    Check.NO_PSEUDO_HEADERS: lambda _: st.tuples(st.sampled_from([b":authority", b":path"]), st.just(b"v")),
    Check.FORBIDDEN_HEADER_NAMES: lambda names: st.tuples(st.sampled_from([n.encode() for n in names]), st.just(b"v")),
}


def _invalid(field: Field, side: Side | None, version: SpecVersion, subprotocols: Sequence[str], *, wrong_types: bool = True) -> list[Strategy]:
    """One strategy per way of breaking the field while keeping it present (``wrong_types``: also of another type)."""
    found = []
    if wrong_types:
        wrong = _WRONG_TYPES[field.kind]
        found.append(wrong if field.nullable else wrong | st.none())
    if _gated(field, side, version):
        newer = _valid(field, LATEST_VERSION, subprotocols or ("chat",))
        assert newer is not None
        found.append(newer.filter(_carries_value))
        return found
    for constraint in field.constraints:
        breaking = _breaking(field, constraint, version, subprotocols)
        if breaking is not None:
            found.append(breaking)
    return found


def _carries_value(value: object) -> bool:
    return value is not None and not (isinstance(value, str | bytes | list | tuple) and len(value) == 0)


# -- whole dicts ----------------------------------------------------------------------------
# -- whole dicts ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How to draw one dict: keys given a strategy, left out, forced present, or added.

    Names are the schema's dotted names (``asgi.spec_version``); ``extra``
    adds keys the schema does not list (the message ``type``, an extension)
    under a parent ("" for the top level).
    """

    fixed: Mapping[str, Strategy] = dataclasses.field(default_factory=dict)
    omit: frozenset[str] = frozenset()
    #: Omitted names that may still appear with the value None.
    nones: frozenset[str] = frozenset()
    #: Names that must be present and not None.
    require: frozenset[str] = frozenset()
    extra: Mapping[str, Mapping[str, Strategy]] = dataclasses.field(default_factory=dict)

    def __or__(self, other: _Plan) -> _Plan:
        extra = {k: {**self.extra.get(k, {}), **other.extra.get(k, {})} for k in {*self.extra, *other.extra}}
        return _Plan(
            {**self.fixed, **other.fixed},
            (self.omit | other.omit) - set(other.fixed),
            (self.nones | other.nones) - set(other.fixed),
            self.require | other.require,
            extra,
        )


class _Builder:
    """Builds dicts (messages or scopes) from a list of fields and a :class:`_Plan`."""

    def __init__(self, fields: Sequence[Field], side: Side | None, version: SpecVersion, subprotocols: Sequence[str]) -> None:
        self.fields = {f.name: f for f in fields}
        # A key allowed only next to another key's value is drawn only when a
        # plan requires it, together with that value (see _scope_plans).
        self.conditional = {f.name for f, _, _ in _only_with(fields)}
        self.side = side
        self.version = version
        self.subprotocols = subprotocols

    def values(self, name: str, plan: _Plan = _Plan()) -> Strategy | None:
        """Valid values of a present key, None included only through ``nullable``; None when there are none."""
        field = self.fields[name]
        if _gated(field, self.side, self.version):
            return _empty(field.kind)
        if any(other.startswith(name + ".") for other in self.fields):
            return self.build(plan, under=name)
        return _valid(field, self.version, self.subprotocols)

    def build(self, plan: _Plan = _Plan(), *, under: str = "") -> Strategy:
        """A dict of the fields directly ``under`` a parent (the top level for "")."""
        required = dict(plan.extra.get(under, {}))
        optional: dict[str, Strategy] = {}
        prefix = under + "." if under else ""
        for name, field in self.fields.items():
            key = name[len(prefix) :]
            if not name.startswith(prefix) or "." in key:
                continue
            if name in plan.fixed:
                required[key] = plan.fixed[name]
                continue
            if name in plan.omit or (name in self.conditional and name not in plan.require):
                if name in plan.nones:
                    optional[key] = st.none()
                continue
            values = self.values(name, plan)
            if field.nullable and name not in plan.require:
                values = st.none() if values is None else values | st.none()
            assert values is not None, f"{name} can hold no valid value"
            (required if field.required or name in plan.require else optional)[key] = values
        return st.fixed_dictionaries(required, optional=optional)


def _only_with(fields: Iterable[Field]) -> list[tuple[Field, str, object]]:
    return [(f, *c.param) for f in fields for c in f.constraints if c.check is Check.ONLY_WITH]  # type: ignore[misc]


def exactly_one(constraints: Iterable[Constraint]) -> list[tuple[str, ...]]:
    """The groups of keys of which a message (or scope) carries exactly one: ``[("bytes", "text")]`` for ``websocket.receive``."""
    return [c.param for c in constraints if c.check is Check.EXACTLY_ONE]  # type: ignore[misc]


# -- messages ---------------------------------------------------------------------------------


def _message_type(message_type: MessageType | str) -> MessageType:
    return message_type if isinstance(message_type, MessageType) else MessageType(message_type)


@cache
def _message_plans(
    kind: MessageType, version: SpecVersion, subprotocols: tuple[str, ...], keys: frozenset[str] | None
) -> tuple[_Builder, list[_Plan], list[tuple[str, ...]]]:
    """The builder of one message type, the plans of its valid shapes, and its exactly-one groups.

    Building strategies costs far more than drawing from them: each is built once.
    """
    schema = MESSAGE_SCHEMAS[kind]
    builder = _Builder([f for f in schema.fields if keys is None or f.name in keys], schema.side, version, subprotocols)
    typed = _Plan(extra={"": {"type": st.just(kind.value)}})
    groups = [tuple(n for n in names if n in builder.fields) for names in exactly_one(schema.constraints)]
    plans = [typed]
    for names in groups:
        # Exactly one of the names is set; each of the others is absent or None.
        plans = [
            plan | _Plan(require=frozenset({name}), omit=frozenset(names) - {name}, nones=frozenset(names) - {name})
            for plan in plans
            for name in names
        ]
    return builder, plans, groups


def messages(
    message_type: MessageType | str,
    *,
    version: SpecVersion | str = LATEST_VERSION,
    subprotocols: Sequence[str] = (),
    keys: Iterable[str] | None = None,
) -> st.SearchStrategy[Message]:
    """Valid messages of one type, for one spec version.

    Args:
        message_type: the message's ``type``, as a ``MessageType`` or its string.
        version: the spec version the message must be valid for.
        subprotocols: what the client offered (``websocket.accept`` may only
            pick one of these).
        keys: draw only these fields and leave the others out (for a helper
            such as ``send_text`` that sets one key).

    Returns:
        A strategy of dicts that pass the message's checks for that version.
    """
    chosen = None if keys is None else frozenset(keys)
    return _valid_messages(_message_type(message_type), _version(version), tuple(subprotocols), chosen)


@cache
def _valid_messages(kind: MessageType, version: SpecVersion, subprotocols: tuple[str, ...], keys: frozenset[str] | None) -> Strategy:
    builder, plans, _ = _message_plans(kind, version, subprotocols, keys)
    return st.one_of([builder.build(plan) for plan in plans])


def invalid_messages(
    message_type: MessageType | str,
    *,
    version: SpecVersion | str = LATEST_VERSION,
    subprotocols: Sequence[str] = (),
    keys: Iterable[str] | None = None,
) -> st.SearchStrategy[Message]:
    """Messages of one type that break exactly one rule of its schema, for one spec version.

    The broken rule is a field of the wrong type, a constraint not met, a
    required field missing, a field newer than ``version`` carrying a value,
    or a rule over several fields (both or neither of ``bytes``/``text``).
    Arguments are those of :func:`messages`.
    """
    chosen = None if keys is None else frozenset(keys)
    return _invalid_messages(_message_type(message_type), _version(version), tuple(subprotocols), chosen)


@cache
def _invalid_messages(kind: MessageType, version: SpecVersion, subprotocols: tuple[str, ...], keys: frozenset[str] | None) -> Strategy:
    builder, plans, groups = _message_plans(kind, version, subprotocols, keys)
    defects: list[_Plan] = []
    for name, field in builder.fields.items():
        defects += [_Plan(fixed={name: bad}) for bad in _invalid(field, builder.side, builder.version, builder.subprotocols)]
        if field.required:
            defects.append(_Plan(omit=frozenset({name})))
    shapes = [plan | defect for plan in plans for defect in defects]
    typed = _Plan(extra={"": {"type": st.just(kind.value)}})
    for names in groups:
        if len(names) > 1:
            shapes.append(typed | _Plan(require=frozenset(names)))  # both set
        shapes.append(typed | _Plan(omit=frozenset(names), nones=frozenset(names)))  # neither set
    return st.one_of([builder.build(shape) for shape in shapes])


def unknown_messages(side: Side) -> st.SearchStrategy[Any]:
    """Things handed to ``side`` that are not a message of that side.

    A message of the other direction, a ``type`` no spec defines, a message
    without a type, or not a dict at all.
    """
    others = [m.value for m, s in MESSAGE_SIDE.items() if s is not side]
    unknown = ["websocket.ping", "http.request", "lifespan.startup", "", "WEBSOCKET.SEND", None]
    return st.one_of(
        st.fixed_dictionaries({"type": st.sampled_from(others + unknown)}),
        st.just({}),
        st.just(["websocket.send"]),
    )


def field_values(
    message_type: MessageType | str,
    field: str,
    *,
    valid: bool = True,
    version: SpecVersion | str = LATEST_VERSION,
    subprotocols: Sequence[str] = (),
    wrong_types: bool = True,
) -> Strategy:
    """Values for one field of a message: valid ones, or ones that break one of its rules.

    ``None`` and absence are not drawn as valid values; whether they are
    allowed is the field's ``nullable`` and ``required`` in the schema. With
    ``wrong_types=False`` the invalid values all have the field's type and
    break one of its constraints instead.
    """
    builder, _, _ = _message_plans(_message_type(message_type), _version(version), tuple(subprotocols), None)
    if valid:
        values = builder.values(field)
        return st.nothing() if values is None else values
    return st.one_of(_invalid(builder.fields[field], builder.side, builder.version, builder.subprotocols, wrong_types=wrong_types))


def minimal_message(message_type: MessageType | str, **fields: Any) -> Message:
    """The smallest valid message of a type: its required fields at their simplest, plus ``fields``.

    For a rule over several fields (``bytes``/``text``) the first one named is
    set, unless ``fields`` sets one. Used where a deterministic representative
    of a message type is needed (the exhaustive check).
    """
    kind = _message_type(message_type)
    schema = MESSAGE_SCHEMAS[kind]
    message: Message = {"type": kind.value}
    simplest = {ValueKind.INT: 0, ValueKind.STR: "", ValueKind.BYTES: b"", ValueKind.BOOL: False}
    for spec_field in schema.fields:
        if spec_field.required:
            ranges = [r for p in _params(spec_field, Check.CLOSE_CODE) for r in p] + _params(spec_field, Check.INT_RANGE)
            message[spec_field.name] = ranges[0][0] if ranges else simplest[spec_field.kind]
    for names in exactly_one(schema.constraints):
        if not any(fields.get(n) is not None for n in names):
            first = next(f for f in schema.fields if f.name == names[0])
            message[first.name] = simplest[first.kind]
    return {**message, **fields}


def full_message(message_type: MessageType | str) -> Message:
    """A valid message of a type with every optional field of a simple kind set, away from its default.

    The opposite of :func:`minimal_message`: an implementation that drops a
    field (a disconnect's reason, a close code it resets) shows it here. An
    integer takes the lowest value of its last allowed range; text, bytes and
    booleans without a constraint of their own take ``"bye"``, ``b"bye"`` and
    True; only one key of an exactly-one rule is set.
    """
    kind = _message_type(message_type)
    schema = MESSAGE_SCHEMAS[kind]
    message = minimal_message(kind)
    alternatives = {name for names in exactly_one(schema.constraints) for name in names}
    chosen: dict[ValueKind, Any] = {ValueKind.STR: "bye", ValueKind.BYTES: b"bye", ValueKind.BOOL: True}
    for spec_field in schema.fields:
        ranges = [r for p in _params(spec_field, Check.CLOSE_CODE) for r in p] + _params(spec_field, Check.INT_RANGE)
        if spec_field.kind is ValueKind.INT and ranges:
            message[spec_field.name] = ranges[-1][0]
        elif spec_field.kind in chosen and spec_field.name not in alternatives and not spec_field.constraints:
            message[spec_field.name] = chosen[spec_field.kind]
    return message


@cache
def representatives() -> tuple[Message, ...]:
    """One minimal message per type, and per guard value where a guard picks the row (``more_body``).

    The messages are shared: copy one before changing it.
    """
    guarded = {row.trigger: row.guard for rows in TRANSITIONS.values() for row in rows if row.guard is not None}
    found = []
    for message in MessageType:
        guard = guarded.get(message)
        if guard is None:
            found.append(minimal_message(message))
        else:
            found += [minimal_message(message, **{guard.value[0]: truth}) for truth in (True, False)]
    return tuple(found)


def still_valid(message_type: MessageType | str, message: Mapping[str, Any], version: SpecVersion | str, subprotocols: Sequence[str]) -> bool:
    """Whether a message drawn valid for the latest version and a wide offer is valid on a narrower connection.

    Only the two rules that depend on the connection can fail: a field newer
    than ``version`` carrying a value (AMB-06), and a subprotocol the client
    did not offer (RFC-018).
    """
    rank = VERSION_RANK[_version(version)]
    for name, since, offered in _connection_rules(_message_type(message_type)):
        value = message.get(name)
        if since > rank and _carries_value(value):
            return False
        if offered and value is not None and value not in subprotocols:
            return False
    return True


@cache
def _connection_rules(message_type: MessageType) -> tuple[tuple[str, int, bool], ...]:
    # For each field: its name, the rank of the version that gates it (-1:
    # not gated, the server's side), and whether it must be an offered subprotocol.
    schema = MESSAGE_SCHEMAS[message_type]
    return tuple(
        (f.name, VERSION_RANK[f.since] if schema.side is Side.SEND else -1, bool(_params(f, Check.OFFERED_SUBPROTOCOL))) for f in schema.fields
    )


# -- scopes -----------------------------------------------------------------------------------


def _pick_version(version: SpecVersion | str | None) -> st.SearchStrategy[SpecVersion]:
    return st.sampled_from(list(SpecVersion)) if version is None else st.just(_version(version))


def _scope_plans(builder: _Builder, version: SpecVersion, subprotocols: Sequence[str] | None, denial: bool | None) -> list[_Plan]:
    """The plans of every kind of valid scope: the product of the choices below."""
    choices: list[list[_Plan]] = []
    # The version key says the version asked for; the default one may also be left out.
    stated = [_Plan(fixed={_VERSION_KEY: st.just(version.value)})]
    if version.value == builder.fields[_VERSION_KEY].default:
        stated.append(_Plan(omit=frozenset({_VERSION_KEY})))
    choices.append(stated)
    if subprotocols is not None:
        choices.append([_Plan(fixed={"subprotocols": st.just(list(subprotocols))})])
    advertised = _Plan(require=frozenset({"extensions"}), extra={"extensions": {_DENIAL: st.just({})}})
    choices.append({True: [advertised], False: [_Plan()], None: [advertised, _Plan()]}[denial])
    for spec_field, key, wanted in _only_with(builder.fields.values()):
        # A key allowed only next to another key's value: drawn with that value, or not at all.
        parent = spec_field.name.rpartition(".")[0]
        together = _Plan(fixed={key: st.just(wanted)}, require=frozenset({spec_field.name, parent}))
        choices.append([_Plan(), together])
    plans = [_Plan()]
    for options in choices:
        plans = [plan | option for plan in plans for option in options]
    return plans


def scopes(
    version: SpecVersion | str | None = None,
    *,
    denial: bool | None = None,
    subprotocols: Sequence[str] | None = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``websocket`` connection scopes.

    Args:
        version: the spec version the scope declares; any when None.
        denial: whether ``scope["extensions"]`` advertises the Denial
            Response extension; either when None.
        subprotocols: the subprotocols the client offers; any when None.
    """

    offered = None if subprotocols is None else tuple(subprotocols)
    return _pick_version(version).flatmap(lambda chosen: _valid_scopes(chosen, offered, denial))


@cache
def _valid_scopes(version: SpecVersion, subprotocols: tuple[str, ...] | None, denial: bool | None) -> Strategy:
    builder = _Builder(SCOPE_SCHEMA.fields, None, version, ())
    return st.one_of([builder.build(plan) for plan in _scope_plans(builder, version, subprotocols, denial)])


def invalid_scopes(version: SpecVersion | str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """``websocket`` scopes that break exactly one rule of the scope schema."""
    return _pick_version(version).flatmap(_invalid_scopes)


@cache
def _invalid_scopes(chosen: SpecVersion) -> Strategy:
    builder = _Builder(SCOPE_SCHEMA.fields, None, chosen, ())
    base = _scope_plans(builder, chosen, None, None)[0]
    defects: list[_Plan] = []
    for name, spec_field in builder.fields.items():
        # A key inside a dict needs that dict there.
        parent = frozenset({name.rpartition(".")[0]} - {""})
        defects += [_Plan(fixed={name: bad}, require=parent) for bad in _invalid(spec_field, None, chosen, ())]
        if spec_field.required:
            defects.append(_Plan(omit=frozenset({name})))
    for spec_field, key, wanted in _only_with(builder.fields.values()):
        elsewhere = _valid(builder.fields[key], chosen, ())
        assert elsewhere is not None
        container = spec_field.name.rpartition(".")[0]
        elsewhere = elsewhere.filter(partial(operator.ne, wanted))
        defects.append(_Plan(fixed={key: elsewhere}, require=frozenset({spec_field.name, container})))
    return st.one_of([builder.build(base | defect) for defect in defects])
