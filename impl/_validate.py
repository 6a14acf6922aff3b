"""Field checks, compiled from the schemas in ``asgiws.spec.schemas``.

Each schema becomes one small Python function, generated as source text and
compiled once per spec version, the way ``dataclasses`` builds ``__init__``.
A generic loop over the schema would cost a few function calls per field on
every message; the generated function is what a careful person would write by
hand for that schema, and it is still nothing but the schema: every branch in
it comes from a ``Field`` or a ``Constraint``.

A check raises :class:`FieldViolation` with the clauses of the rule it broke;
the interpreter adds the states and turns it into ``InvalidMessageError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast

from ._context import VERSION_RANK, Context
from .spec import (
    SCOPE_SCHEMA,
    VERSION_GATE_CLAUSES,
    Check,
    Constraint,
    Field,
    MessageSchema,
    Side,
    SpecVersion,
    ValueKind,
)

__all__ = ["EMITTERS", "Checker", "FieldViolation", "compile_fast_test", "compile_message_check", "compile_scope_check"]

#: A compiled check: returns None or raises FieldViolation.
Checker = Callable[[Mapping[str, Any], Context], None]


class FieldViolation(Exception):
    """A field broke a rule: which clauses, which field, and what is wrong with it."""

    def __init__(self, clauses: tuple[str, ...], field: str | None, detail: str) -> None:
        super().__init__(detail)
        self.clauses = clauses
        self.field = field
        self.detail = detail


_ABSENT = object()

_TYPE_TESTS: dict[ValueKind, str] = {
    # Exact-class tests first: they are the common case and the cheapest.
    ValueKind.STR: "({v}.__class__ is str or isinstance({v}, str))",
    ValueKind.BYTES: "({v}.__class__ is bytes or isinstance({v}, bytes))",
    ValueKind.INT: "({v}.__class__ is int or (isinstance({v}, int) and not isinstance({v}, bool)))",
    ValueKind.BOOL: "isinstance({v}, bool)",
    ValueKind.DICT: "isinstance({v}, dict)",
    ValueKind.HEADERS: "_is_headers({v})",
    ValueKind.STR_LIST: "_is_str_list({v})",
    ValueKind.HOST_PORT: "_is_address({v}, False)",
    ValueKind.SERVER_ADDRESS: "_is_address({v}, True)",
}

_TYPE_NAMES: dict[ValueKind, str] = {
    ValueKind.STR: "a str",
    ValueKind.BYTES: "bytes",
    ValueKind.INT: "an int",
    ValueKind.BOOL: "a bool",
    ValueKind.DICT: "a dict",
    ValueKind.HEADERS: "a list of [name, value] pairs of bytes",
    ValueKind.STR_LIST: "a list of str",
    ValueKind.HOST_PORT: "a [host, port] pair of str and int",
    ValueKind.SERVER_ADDRESS: "a [host, port] pair of str and int (or [path, None])",
}


def _reiterable(value: Any) -> bool:
    # An iterator would be used up by the check and reach the server empty.
    if value.__class__ is list or value.__class__ is tuple:
        return True  # the usual case, without the cost of the ABC checks below
    return isinstance(value, Iterable) and not isinstance(value, Iterator | str | bytes | Mapping)


def _is_pair(value: Any) -> bool:
    # Pairs are read by position, so they must be sequences: a set has no order (AMB-05).
    return isinstance(value, list | tuple) and len(value) == 2


def _is_headers(value: Any) -> bool:
    if not _reiterable(value):
        return False
    for pair in value:
        if not _is_pair(pair):
            return False
        name, val = pair
        if not (isinstance(name, bytes) and isinstance(val, bytes)):
            return False
    return True


def _is_str_list(value: Any) -> bool:
    return _reiterable(value) and all(isinstance(item, str) for item in value)


def _is_address(value: Any, port_may_be_none: bool) -> bool:
    if not _is_pair(value):
        return False
    host, port = value
    if port is None:
        return port_may_be_none and isinstance(host, str)
    return isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_token(values: Iterable[str]) -> str | None:
    # RFC 6455 §4.1: non-empty, U+0021..U+007E without HTTP separators, unique.
    seen: set[str] = set()
    for value in values:
        if not value or any(not ("!" <= ch <= "~") or ch in '()<>@,;:\\"/[]?={}' for ch in value):
            return f"{value!r} is not a token"
        if value in seen:
            return f"{value!r} is offered twice"
        seen.add(value)
    return None


def _carries_value(value: object) -> bool:
    return value is not None and not (isinstance(value, str | bytes | list | tuple) and len(value) == 0)


def _describe_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


class _Source:
    """Accumulates the text and the constants of one generated function."""

    def __init__(self, name: str) -> None:
        self.name = name
        #: The field whose checks are being emitted (None for whole-message rules).
        self.field: str | None = None
        self.lines: list[str] = []
        self.constants: dict[str, object] = {}

    def const(self, value: object) -> str:
        key = f"_c{len(self.constants)}"
        self.constants[key] = value
        return key

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def fail(self, depth: int, clauses: tuple[str, ...], detail: str) -> None:
        # ``detail`` is an f-string body: it may name the locals of the check.
        self.emit(depth, f"raise _FieldViolation({self.const(clauses)}, {self.field!r}, f{detail!r})")

    def build(self) -> Checker | None:
        if not self.lines:
            return None
        text = f"def {self.name}(m, ctx):\n" + "\n".join(self.lines) + "\n"
        namespace: dict[str, Any] = {
            **self.constants,
            "_ABSENT": _ABSENT,
            "_FieldViolation": FieldViolation,
            "_is_headers": _is_headers,
            "_is_str_list": _is_str_list,
            "_is_address": _is_address,
            "_utf8": _utf8,
            "_bad_token": _bad_token,
            "_carries_value": _carries_value,
        }
        exec(compile(text, f"<asgiws check {self.name}>", "exec"), namespace)
        checker: Checker = namespace[self.name]
        checker.__asgiws_source__ = text  # type: ignore[attr-defined]
        return checker


def _variable(field: Field) -> str:
    return "v_" + field.name.replace(".", "__")


def _emit_lookup(src: _Source, field: Field) -> None:
    # A nullable field treats None as absent, so None can stand for both.
    var, missing = _variable(field), "None" if field.nullable else "_ABSENT"
    parent, _, key = field.name.rpartition(".")
    if parent:
        src.emit(1, f"_p = m.get({parent!r})")
        src.emit(1, f"{var} = _p.get({key!r}, {missing}) if isinstance(_p, dict) else {missing}")
    else:
        src.emit(1, f"{var} = m.get({key!r}, {missing})")


_Emitter = Callable[[_Source, int, str, Constraint, SpecVersion], None]


def _test(test: str, detail: str) -> _Emitter:
    # Most checks are one test on the value. In both templates ``{v}`` is the
    # variable, ``{p}`` the constraint's parameter and ``{c}`` its constant;
    # ``detail`` becomes an f-string, so ``{{...}}`` is evaluated when it fails.
    def emit(src: _Source, depth: int, v: str, c: Constraint, version: SpecVersion) -> None:
        names = {"v": v, "p": c.param, "c": src.const(c.param)}
        src.emit(depth, "if " + test.format(**names) + ":")
        src.fail(depth + 1, c.clauses, detail.format(**names))

    return emit


def _close_code(src: _Source, depth: int, v: str, c: Constraint, version: SpecVersion) -> None:
    ranges: tuple[tuple[int, int], ...] = c.param  # type: ignore[assignment]
    inside = " or ".join(f"{low} <= {v} <= {high}" for low, high in ranges)
    src.emit(depth, f"if not ({inside}):")
    src.fail(depth + 1, c.clauses, f"{{{v}}} is not a valid close code here; valid: {_describe_ranges(ranges)}")


def _header_rule(test: str, detail: str) -> _Emitter:
    # Every header rule is a test on each name; ``_n`` is the name in hand.
    # The type check has already made every pair a list or tuple of two.
    def emit(src: _Source, depth: int, v: str, c: Constraint, version: SpecVersion) -> None:
        src.emit(depth, f"for _n, _ in {v}:")
        src.emit(depth + 1, "if " + test.format(names=src.const(c.param and tuple(n.encode() for n in c.param))) + ":")  # type: ignore[attr-defined]
        src.fail(depth + 2, c.clauses, detail)

    return emit


def _subprotocol_tokens(src: _Source, depth: int, v: str, c: Constraint, version: SpecVersion) -> None:
    src.emit(depth, f"_d = _bad_token({v})")
    src.emit(depth, "if _d:")
    src.fail(depth + 1, c.clauses, "{_d}")


def _only_with(src: _Source, depth: int, v: str, c: Constraint, version: SpecVersion) -> None:
    key, wanted = cast(tuple[str, object], c.param)
    default = next(f.default for f in SCOPE_SCHEMA.fields if f.name == key)
    src.emit(depth, f"if m.get({key!r}, {default!r}) != {wanted!r}:")
    src.fail(depth + 1, c.clauses, f"is only allowed when {key} is {wanted!r}")


def _port_none_since(src: _Source, depth: int, v: str, c: Constraint, version: SpecVersion) -> None:
    since: SpecVersion = c.param  # type: ignore[assignment]
    if VERSION_RANK[version] < VERSION_RANK[since]:
        src.emit(depth, f"if {v}[1] is None:")
        src.fail(depth + 1, c.clauses, f"may be [path, None] only from spec version {since.value} on")


#: One emitter per kind of check: the vocabulary the schemas are written in.
EMITTERS: dict[Check, _Emitter] = {
    Check.EQUALS: _test("{v} not in {c}", "is {{{v}!r}}; expected one of {p}"),
    Check.EXCLUDES: _test("{v} in {c}", "{{{v}!r}} is not allowed here"),
    Check.NOT_EMPTY: _test("not {v}", "must not be empty"),
    Check.UTF8: _test("not {v}.isascii() and not _utf8({v})", "cannot be encoded as UTF-8 (it holds a lone surrogate)"),
    # A str of n characters is at most 4n bytes of UTF-8: short ones need no encoding.
    Check.MAX_UTF8_BYTES: _test(
        "len({v}) * 4 > {p} and len({v}.encode('utf-8')) > {p}",
        "is {{len({v}.encode('utf-8'))}} bytes of UTF-8; at most {p} fit in a Close frame",
    ),
    Check.CLOSE_CODE: _close_code,
    Check.INT_RANGE: _test("not {p[0]} <= {v} <= {p[1]}", "is {{{v}}}; expected {p[0]} to {p[1]}"),
    Check.NOT_TRUE: _test("{v}", "must not be true"),
    Check.OFFERED_SUBPROTOCOL: _test("{v} not in ctx.subprotocols", "{{{v}!r}} was not offered by the client; offered: {{list(ctx.subprotocols)}}"),
    Check.LOWERCASE_HEADER_NAMES: _header_rule("_n != _n.lower()", "header name {_n!r} is not lower-case"),
    Check.NO_PSEUDO_HEADERS: _header_rule("_n[:1] == b':'", "pseudo header {_n!r} is not allowed"),
    Check.FORBIDDEN_HEADER_NAMES: _header_rule("_n.lower() in {names}", "header {_n!r} belongs to the server's handshake"),
    Check.SUBPROTOCOL_TOKENS: _subprotocol_tokens,
    Check.ONLY_WITH: _only_with,
    Check.PORT_NONE_SINCE: _port_none_since,
}


def _emit_field(src: _Source, field: Field, version: SpecVersion, gated: bool) -> None:
    v = _variable(field)
    src.field = field.name
    _emit_lookup(src, field)
    if field.required:
        src.emit(1, f"if {v} is _ABSENT:")
        src.fail(2, field.clauses, "is required")
    present = f"{v} is not None" if field.nullable else f"{v} is not _ABSENT"
    src.emit(1, f"if {present}:")
    depth = 2
    src.emit(depth, f"if not {_TYPE_TESTS[field.kind].format(v=v)}:")
    src.fail(depth + 1, field.clauses, f"must be {_TYPE_NAMES[field.kind]}, not {{type({v}).__name__}}")
    if gated:
        # Newer than the connection's version: only an empty value is harmless.
        src.emit(depth, f"if _carries_value({v}):")
        src.fail(
            depth + 1,
            VERSION_GATE_CLAUSES,
            f"was added in spec version {field.since.value}; this connection speaks {version.value}",
        )
        return
    for constraint in field.constraints:
        EMITTERS[constraint.check](src, depth, v, constraint, version)


def _emit_exactly_one(src: _Source, constraint: Constraint, by_name: dict[str, Field]) -> None:
    names: tuple[str, ...] = constraint.param  # type: ignore[assignment]
    # Every field named here is nullable, so "set" means "not None".
    assert all(by_name[n].nullable for n in names), names
    given = " + ".join(f"({_variable(by_name[n])} is not None)" for n in names)
    src.field = None
    src.emit(1, f"if {given} != 1:")
    src.fail(2, constraint.clauses, f"exactly one of {' / '.join(names)} must be set (not None)")


def compile_message_check(schema: MessageSchema, version: SpecVersion) -> Checker | None:
    """Compile the field checks of one message type for one spec version.

    Returns None when the message has nothing to check (``websocket.connect``).
    """
    src = _Source("check_" + schema.type.value.replace(".", "_"))
    rank = VERSION_RANK[version]
    for field in schema.fields:
        # Only what the application sends is gated: a newer field from the
        # server is harmless to the application (AMB-06, WS-011).
        gated = schema.side is Side.SEND and VERSION_RANK[field.since] > rank
        _emit_field(src, field, version, gated)
    by_name = {field.name: field for field in schema.fields}
    for constraint in schema.constraints:
        _emit_exactly_one(src, constraint, by_name)
    return src.build()


def compile_scope_check(version: SpecVersion) -> Checker:
    """Compile the checks of a ``websocket`` scope for one spec version."""
    src = _Source("check_scope")
    for field in SCOPE_SCHEMA.fields:
        _emit_field(src, field, version, gated=False)
    checker = src.build()
    assert checker is not None
    return checker


# The fast test accepts only the plainest messages: exact built-in types, and
# constraints that can be decided without encoding anything.
_FAST_TYPES: dict[ValueKind, str] = {
    ValueKind.STR: "{v}.__class__ is str",
    ValueKind.BYTES: "{v}.__class__ is bytes",
    ValueKind.INT: "{v}.__class__ is int",
    ValueKind.BOOL: "{v}.__class__ is bool",
}
_FAST_CHECKS: dict[Check, str] = {
    Check.UTF8: "{v}.isascii()",
    Check.MAX_UTF8_BYTES: "len({v}) * 4 <= {p}",
}


def compile_fast_test(schema: MessageSchema, name: str = "message") -> str | None:
    """A Python expression over ``name`` that is true only if the full check would pass.

    It is the common case of a hot message decided inline, without a call:
    ``{"type": "websocket.send", "text": "hi"}`` passes it; anything unusual (a
    ``str`` subclass, non-ASCII text, a rule that needs the context) makes it
    false, and the caller then runs the full check, which gives the verdict.
    Returns None for a schema with a rule the expression cannot decide.
    """
    terms: list[str] = []
    for field in schema.fields:
        decidable = field.kind in _FAST_TYPES and all(c.check in _FAST_CHECKS for c in field.constraints)
        if field.since is not SpecVersion.V2_0 or not decidable:
            return None
        v = "_fast_" + field.name
        parts = [_FAST_TYPES[field.kind].format(v=v)] + [_FAST_CHECKS[c.check].format(v=v, p=c.param) for c in field.constraints]
        tests = " and ".join(parts)
        if field.nullable:
            terms.append(f"(({v} := {name}.get({field.name!r})) is None or ({tests}))")
        elif field.required:
            terms.append(f"({v} := {name}.get({field.name!r})) is not None and {tests}")
        else:
            terms.append(f"({field.name!r} not in {name} or (({v} := {name}[{field.name!r}]) is not None and {tests}))")
    for constraint in schema.constraints:
        assert constraint.check is Check.EXACTLY_ONE, constraint
        names: tuple[str, ...] = constraint.param  # type: ignore[assignment]
        terms.append("(" + " + ".join(f"(_fast_{n} is not None)" for n in names) + ") == 1")
    return " and ".join(terms) if terms else "True"
