"""Write ``asgiws/_compiled.py``: the schemas and the hot path, as plain Python source.

Run ``python -m asgiws._codegen`` after changing ``spec/``; a test fails while
the committed module differs from what this writes (as the diagrams are kept
fresh). The module is generated once, here, and then it is ordinary code:
ruff, mypy and coverage read it, tracebacks show its lines, and an editor's
go-to-definition lands in it.

Two things are generated, both from ``asgiws.spec`` and nothing else:

* one check function per message type, and one for the scope: what a careful
  person would write by hand for that schema (a generic loop over the schema
  costs a few calls per field on every message). Every branch comes from a
  ``Field`` or a ``Constraint``; a field newer than the connection's spec
  version is gated on ``ctx.version``.
* the checked calls between an application and its server: ``CheckedCalls``,
  the ``receive()``/``send()`` and data senders ``asgiws.WebSocket`` inherits,
  and :func:`wrap`, the checked ``receive``/``send`` pair the middleware hands
  an application. Both are filled in from one template of the inline
  judgment: each side's data message (the one unguarded self-loop of its
  table) is accepted inline when the plainest test on its fields passes;
  anything else goes to the judge, ``ConnectionState``, which alone decides
  what a message does to the connection.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

from .spec import (
    MESSAGE_SCHEMAS,
    SCOPE_SCHEMA,
    TRANSITIONS,
    VERSION_GATE_CLAUSES,
    Check,
    Constraint,
    Field,
    MessageSchema,
    MessageType,
    Side,
    SpecVersion,
    ValueKind,
)

__all__ = ["TARGET", "data_message", "formatted", "source"]

#: Where the generated module lives: next to this one.
TARGET = Path(__file__).with_name("_compiled.py")

_TYPE_TESTS: dict[ValueKind, str] = {
    # Exact-class tests first: they are the common case and the cheapest.
    ValueKind.STR: "({v}.__class__ is str or isinstance({v}, str))",
    ValueKind.BYTES: "({v}.__class__ is bytes or isinstance({v}, bytes))",
    ValueKind.INT: "({v}.__class__ is int or (isinstance({v}, int) and not isinstance({v}, bool)))",
    ValueKind.BOOL: "isinstance({v}, bool)",
    ValueKind.DICT: "isinstance({v}, dict)",
    ValueKind.HEADERS: "is_headers({v})",
    ValueKind.STR_LIST: "is_str_list({v})",
    ValueKind.HOST_PORT: "is_address({v}, False)",
    ValueKind.SERVER_ADDRESS: "is_address({v}, True)",
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


def _older_than(version: SpecVersion) -> str:
    # The name of the generated constant holding the versions before ``version``.
    return "_BEFORE_" + version.name.removeprefix("V")


class _Function:
    """The lines of one generated check function."""

    def __init__(self) -> None:
        #: The field whose checks are being emitted (None for whole-message rules).
        self.field: str | None = None
        self.lines: list[str] = []
        #: The versions the function compares ``ctx.version`` with.
        self.gates: set[SpecVersion] = set()

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def fail(self, depth: int, clauses: tuple[str, ...], detail: str) -> None:
        # ``detail`` is an f-string body when it names a local of the check.
        text = f"f{detail!r}" if "{" in detail else repr(detail)
        self.emit(depth, f"raise FieldViolation({clauses!r}, {self.field!r}, {text})")


def _variable(field: Field) -> str:
    return "v_" + field.name.replace(".", "__")


def _emit_lookup(fn: _Function, field: Field) -> None:
    # A nullable field treats None as absent, so None can stand for both.
    var, missing = _variable(field), "None" if field.nullable else "ABSENT"
    parent, _, key = field.name.rpartition(".")
    if parent:
        fn.emit(1, f"parent = m.get({parent!r})")
        fn.emit(1, f"{var} = parent.get({key!r}, {missing}) if isinstance(parent, dict) else {missing}")
    else:
        fn.emit(1, f"{var} = m.get({key!r}, {missing})")


_Emitter = Callable[[_Function, int, str, Constraint], None]


def _test(test: str, detail: str) -> _Emitter:
    # Most checks are one test on the value. In both templates ``{v}`` is the
    # variable and ``{p}`` the constraint's parameter; ``detail`` becomes an
    # f-string, so ``{{...}}`` is evaluated when the check fails.
    def emit(fn: _Function, depth: int, v: str, c: Constraint) -> None:
        names = {"v": v, "p": c.param}
        fn.emit(depth, "if " + test.format(**names) + ":")
        fn.fail(depth + 1, c.clauses, detail.format(**names))

    return emit


def _describe_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in ranges)


def _close_code(fn: _Function, depth: int, v: str, c: Constraint) -> None:
    ranges = cast(tuple[tuple[int, int], ...], c.param)
    inside = " or ".join(f"{low} <= {v} <= {high}" for low, high in ranges)
    fn.emit(depth, f"if not ({inside}):")
    fn.fail(depth + 1, c.clauses, f"{{{v}}} is not a valid close code here; valid: {_describe_ranges(ranges)}")


def _header_rule(test: str, detail: str) -> _Emitter:
    # Every header rule is a test on each name; ``name`` is the name in hand.
    # The type check has already made every pair a list or tuple of two.
    def emit(fn: _Function, depth: int, v: str, c: Constraint) -> None:
        names = tuple(n.encode() for n in cast(tuple[str, ...], c.param or ()))
        fn.emit(depth, f"for name, _ in {v}:")
        fn.emit(depth + 1, "if " + test.format(names=names) + ":")
        fn.fail(depth + 2, c.clauses, detail)

    return emit


def _subprotocol_tokens(fn: _Function, depth: int, v: str, c: Constraint) -> None:
    fn.emit(depth, f"problem = bad_token({v})")
    fn.emit(depth, "if problem:")
    fn.fail(depth + 1, c.clauses, "{problem}")


def _only_with(fn: _Function, depth: int, v: str, c: Constraint) -> None:
    key, wanted = cast(tuple[str, object], c.param)
    default = next(f.default for f in SCOPE_SCHEMA.fields if f.name == key)
    fn.emit(depth, f"if m.get({key!r}, {default!r}) != {wanted!r}:")
    fn.fail(depth + 1, c.clauses, f"is only allowed when {key} is {wanted!r}")


def _port_none_since(fn: _Function, depth: int, v: str, c: Constraint) -> None:
    since = cast(SpecVersion, c.param)
    fn.gates.add(since)
    fn.emit(depth, f"if {v}[1] is None and ctx.version in {_older_than(since)}:")
    fn.fail(depth + 1, c.clauses, f"may be [path, None] only from spec version {since.value} on")


#: One emitter per kind of check: the vocabulary the schemas are written in.
EMITTERS: dict[Check, _Emitter] = {
    Check.EQUALS: _test("{v} not in {p!r}", "is {{{v}!r}}; expected one of {p}"),
    Check.EXCLUDES: _test("{v} in {p!r}", "{{{v}!r}} is not allowed here"),
    Check.NOT_EMPTY: _test("not {v}", "must not be empty"),
    Check.UTF8: _test("not {v}.isascii() and not utf8({v})", "cannot be encoded as UTF-8 (it holds a lone surrogate)"),
    # A str of n characters is at most 4n bytes of UTF-8: short ones need no encoding.
    Check.MAX_UTF8_BYTES: _test(
        "len({v}) * 4 > {p} and len({v}.encode('utf-8')) > {p}",
        "is {{len({v}.encode('utf-8'))}} bytes of UTF-8; at most {p} fit in a Close frame",
    ),
    Check.CLOSE_CODE: _close_code,
    Check.INT_RANGE: _test("not {p[0]} <= {v} <= {p[1]}", "is {{{v}}}; expected {p[0]} to {p[1]}"),
    Check.NOT_TRUE: _test("{v}", "must not be true"),
    Check.OFFERED_SUBPROTOCOL: _test("{v} not in ctx.subprotocols", "{{{v}!r}} was not offered by the client; offered: {{list(ctx.subprotocols)}}"),
    Check.LOWERCASE_HEADER_NAMES: _header_rule("name != name.lower()", "header name {name!r} is not lower-case"),
    Check.NO_PSEUDO_HEADERS: _header_rule("name[:1] == b':'", "pseudo header {name!r} is not allowed"),
    Check.FORBIDDEN_HEADER_NAMES: _header_rule("name.lower() in {names!r}", "header {name!r} belongs to the server's handshake"),
    Check.SUBPROTOCOL_TOKENS: _subprotocol_tokens,
    Check.ONLY_WITH: _only_with,
    Check.PORT_NONE_SINCE: _port_none_since,
}


def _emit_field(fn: _Function, field: Field, gated: bool) -> None:
    v = _variable(field)
    fn.field = field.name
    _emit_lookup(fn, field)
    depth = 1
    if field.required:
        fn.emit(1, f"if {v} is ABSENT:")
        fn.fail(2, field.clauses, "is required")
    if field.nullable or not field.required:
        fn.emit(1, f"if {v} is not {'None' if field.nullable else 'ABSENT'}:")
        depth = 2
    fn.emit(depth, f"if not {_TYPE_TESTS[field.kind].format(v=v)}:")
    fn.fail(depth + 1, field.clauses, f"must be {_TYPE_NAMES[field.kind]}, not {{type({v}).__name__}}")
    if gated:
        # Newer than the connection's version: only an empty value is harmless,
        # and the field's own rules are for the versions that have it.
        fn.gates.add(field.since)
        fn.emit(depth, f"if ctx.version in {_older_than(field.since)}:")
        fn.emit(depth + 1, f"if carries_value({v}):")
        fn.fail(depth + 2, VERSION_GATE_CLAUSES, f"was added in spec version {field.since.value}; this connection speaks {{ctx.version.value}}")
        if not field.constraints:
            return
        fn.emit(depth, "else:")
        depth += 1
    for constraint in field.constraints:
        EMITTERS[constraint.check](fn, depth, v, constraint)


def _emit_exactly_one(fn: _Function, constraint: Constraint, by_name: dict[str, Field]) -> None:
    names = cast(tuple[str, ...], constraint.param)
    # Every field named here is nullable, so "set" means "not None".
    assert all(by_name[n].nullable for n in names), names
    given = " + ".join(f"({_variable(by_name[n])} is not None)" for n in names)
    fn.field = None
    fn.emit(1, f"if {given} != 1:")
    fn.fail(2, constraint.clauses, f"exactly one of {' / '.join(names)} must be set (not None)")


def _check_name(schema: MessageSchema) -> str:
    return "check_" + schema.type.value.removeprefix("websocket.").replace(".", "_")


def _message_check(schema: MessageSchema) -> _Function:
    fn = _Function()
    for field in schema.fields:
        # Only what the application sends is gated: a newer field from the
        # server is harmless to the application (AMB-06, WS-011).
        gated = schema.side is Side.SEND and field.since is not SpecVersion.V2_0
        _emit_field(fn, field, gated)
    by_name = {field.name: field for field in schema.fields}
    for constraint in schema.constraints:
        _emit_exactly_one(fn, constraint, by_name)
    return fn


def _scope_check() -> _Function:
    fn = _Function()
    for field in SCOPE_SCHEMA.fields:
        _emit_field(fn, field, gated=False)
    return fn


def data_message(side: Side) -> MessageType:
    """The one message type of ``side`` whose transition is an unguarded self-loop: data flowing."""
    (data,) = {row.trigger for row in TRANSITIONS[side] if row.source is row.target and row.guard is None}
    assert isinstance(data, MessageType)
    return data


# The plainest values, decided without a call: exact built-in types, and the
# rules that can be decided without encoding anything.
_FAST_TYPES: dict[ValueKind, str] = {
    ValueKind.STR: "{v}.__class__ is str",
    ValueKind.BYTES: "{v}.__class__ is bytes",
}
_FAST_CHECKS: dict[Check, str] = {
    Check.UTF8: "{v}.isascii()",
}


def _fast_test(schema: MessageSchema) -> str:
    """The expression that accepts the plainest messages of ``schema``, named ``message``.

    It is true only when the full check would pass. Only a schema made of one
    exactly-one group of nullable fields, with rules decidable inline, gets one
    (the data messages of both sides are such); the asserts hold the spec to it.
    Each alternative asks for one field to hold a value of exactly its type and
    the others to be absent or None, with operators rather than calls (``in``
    and subscripts cost less than ``dict.get``), and only once the caller knows
    the message is its side's data message.
    """
    (group,) = (c for c in schema.constraints if c.check is Check.EXACTLY_ONE)
    names = cast(tuple[str, ...], group.param)
    fields = {f.name: f for f in schema.fields}
    assert set(names) == set(fields), f"{schema.type}: every field must belong to the exactly-one group"
    # Text first: it is the common payload, and the test stops at the first match.
    order = sorted(names, key=lambda n: fields[n].kind is not ValueKind.STR)
    alternatives = []
    for name in order:
        field = fields[name]
        assert field.nullable, field
        assert field.kind in _FAST_TYPES, field
        assert all(c.check in _FAST_CHECKS for c in field.constraints), field
        v = _variable(field)
        # Named only where a later term reads it again.
        read = f"({v} := message[{name!r}])" if field.constraints else f"message[{name!r}]"
        terms = [f"{name!r} in message", _FAST_TYPES[field.kind].format(v=read)]
        terms += [f"({other!r} not in message or message[{other!r}] is None)" for other in order if other != name]
        terms += [_FAST_CHECKS[c.check].format(v=v) for c in field.constraints]
        alternatives.append("(" + " and ".join(terms) + ")")
    return " or ".join(alternatives)


_HEADER = '''\
"""The compiled schemas and the hot path. Generated by ``python -m asgiws._codegen`` from asgiws.spec: do not edit.

Change ``spec/`` and run the generator again; ``tests/test_codegen.py`` fails
while this file is stale. ``asgiws._codegen`` explains what is generated and why.
"""

# Generated checks are long flat sequences of tests, one per rule of the schema,
# each nested under the presence of its field so that every rule reads alike.
# ruff: noqa: PLR0915, SIM102

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from ._fields import ABSENT, Checker, FieldViolation, bad_token, carries_value, is_address, is_headers, is_str_list, plain_copy, utf8
from .exceptions import ProtocolViolation
from .spec import Side, SpecVersion

if TYPE_CHECKING:
    from ._context import Context
    from ._state import ConnectionState

__all__ = ["MESSAGE_CHECKS", "CheckedCalls", "check_scope", "wrap"]

'''


# The inline judgment of one message, shared by every checked call: the
# plainest data message is taken here (counted, when there is a count);
# everything else goes to the judge, ConnectionState. ``{judge}`` is how the
# caller hands it over; the message is named ``message``, the judge ``state``.
_JUDGE = """\
try:  # anything odd about the message is the judge's to explain
    step = {node}.{side}[message["type"]]
    plain = step.stays and ({test})
except Exception:
    plain = False
if not plain:  # everything but the plainest data message: the judge decides
{judge}
"""

# Handing a sent message to the server. A send() that does not return leaves
# the connection where it was (the server refused the message, or it cannot be
# known to have reached the client), unless something else moved it meanwhile;
# OSError alone means the connection is gone (spec 2.4).
_DELIVER = """\
try:
    await {send}(message)
except OSError{as_failure}:
    state.send_failed()
    {failed}
except BaseException:
    if not plain and state.node is judged:
        state.node = before
    raise
"""

_STRICT = {
    "receive": "    state._take(state.node.receive, _RECEIVE, message if message.__class__ is dict else plain_copy(message))",
    "send": "    state._take(before.send, _SEND, message)\n    judged = state.node",
}
_LENIENT = {
    "receive": """\
    if on_violation is None:
        state._take(state.node.receive, _RECEIVE, message if message.__class__ is dict else plain_copy(message))
    else:
        _judge_leniently(state, on_violation, _RECEIVE, message)
elif counts is not None:
    counts[step.pair] += 1""",
    "send": """\
    if on_violation is None:
        state._take(before.send, _SEND, message)
    else:
        _judge_leniently(state, on_violation, _SEND, message)
    judged = state.node
elif counts is not None:
    counts[step.pair] += 1""",
}
_COPY = "message = message.copy() if message.__class__ is dict else plain_copy(message)"

_HOT = '''

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
OnViolation = Callable[[ProtocolViolation, Side, Any], None]
_RECEIVE, _SEND = Side.RECEIVE, Side.SEND


class CheckedCalls:
    """The checked calls of :class:`asgiws.WebSocket`: ``receive()``, ``send()`` and the data senders.

    A mixin: the class supplies ``_connection_state`` (the judge) and the
    server's ``_receive``/``_send``. A refused message raises before the server
    sees it and changes no state. What ``send()`` passes on is a shallow copy,
    as a plain dict, of what the application handed it: what was judged is what
    is sent, whatever the application does to its own dict meanwhile.
    """

    __slots__ = ()
    _connection_state: ConnectionState
    _receive: Receive
    _send: Send

    async def receive(self) -> Any:
        """Receive the next ASGI message from the server, checked against the spec.

        Raises:
            NotConnectedError: after ``websocket.disconnect`` was received (raised
                before waiting: nothing more can come).
            WrongStateError: the server delivered a message the protocol does not
                allow now (for example data before the accept).
            InvalidMessageError: the message breaks its schema.
        """
        state = self._connection_state
        if not state.node.receive:
            raise state.exhausted(_RECEIVE)
        message = await self._receive()
{receive_judge}
        return message

    def _received(self, message: Any) -> None:
        """Judge a message the server delivered, for a helper that awaited the server's ``receive()`` itself."""
        state = self._connection_state
{receive_judge_1}

    async def send(self, message: Any) -> None:
        """Send an ASGI message to the server, after checking it against the spec.

        A refused message raises before the server sees it and changes no state;
        so does a failed ``send()`` of the server's, unless it raised ``OSError``.

        Raises:
            NotConnectedError: after the close (or the end of a denial response).
            PeerGoneError: after ``websocket.disconnect`` was received, or when the
                server's ``send()`` raised ``OSError``; it is a ``WebSocketDisconnect``.
            WrongStateError: a message the protocol does not allow now.
            InvalidMessageError: the message breaks its schema.
        """
        {copy}
{send_body}

    async def _send_message(self, message: Message) -> None:
        """:meth:`send` for a message this class built itself: nobody else holds it, so it is not copied."""
{send_body}

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        message: Message = {{"type": "{send_type}", "text": data}}
{send_body}

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        message: Message = {{"type": "{send_type}", "bytes": data}}
{send_body}


def _judge_leniently(state: ConnectionState, on_violation: OnViolation, side: Side, message: Any) -> None:
    # The judge decides; a violation is reported and the message passes.
    try:
        if side is _SEND:
            state.send(message)
        else:
            state.receive(message if message.__class__ is dict else plain_copy(message))
    except ProtocolViolation as error:
        on_violation(error, side, message)
        state.follow(side, message)


def wrap(state: ConnectionState, receive: Receive, send: Send, *, on_violation: OnViolation | None = None) -> tuple[Receive, Send]:
    """The checked ``receive``/``send`` of one connection, judged by ``state``: what the middleware passes an application.

    A message the judge refuses raises its violation, unless ``on_violation``
    is given: it is then called with the violation, the side and the message
    (it may raise), and the message passes, the state following it as far as
    the tables say (``ConnectionState.follow``). What ``send`` passes on is a
    shallow copy, as a plain dict, of what the application handed it. The
    server's ``OSError`` propagates as it is, the send side recording the
    failure first; any other failure of the server's ``send()`` leaves the
    connection where it was.
    """
    counts = state.coverage.allowed if state.coverage is not None else None

    async def checked_receive() -> Any:
        message = await receive()
{wrap_receive_judge}
        return message

    async def checked_send(message: Any) -> None:
        {copy}
{wrap_send_body}

    return checked_receive, checked_send
'''


def _indent(text: str, depth: int) -> str:
    return "".join(" " * (4 * depth) + line if line.strip() else line for line in text.splitlines(keepends=True)).rstrip("\n")


def _hot_path(tests: dict[str, str]) -> str:
    """The checked calls, with each side's inline test filled in."""

    def judge(side: str, how: str, node: str = "state.node") -> str:
        return _JUDGE.format(side=side, test=tests[side], judge=how, node=node)

    def send_body(how: str, failed: str, server: str) -> str:
        # Only a message the judge took can have moved the connection: the plainest stay put.
        as_failure = " as failure" if "failure" in failed else ""
        return "before = state.node\n" + judge("send", how, "before") + _DELIVER.format(send=server, failed=failed, as_failure=as_failure)

    strict_failed = "raise state.transport_error() from failure"
    return _HOT.format(
        receive_judge=_indent(judge("receive", _STRICT["receive"]), 2),
        receive_judge_1=_indent(judge("receive", _STRICT["receive"]), 2),
        send_body=_indent("state = self._connection_state\n" + send_body(_STRICT["send"], strict_failed, "self._send"), 2),
        wrap_receive_judge=_indent(judge("receive", _LENIENT["receive"]), 2),
        wrap_send_body=_indent(send_body(_LENIENT["send"], "raise", "send"), 2),
        copy=_COPY,
        send_type=data_message(Side.SEND).value,
    )


def source() -> str:
    """The text of ``asgiws/_compiled.py``."""
    parts = [_HEADER]
    functions = {_check_name(schema): _message_check(schema) for schema in MESSAGE_SCHEMAS.values()}
    scope = _scope_check()
    gates = sorted(set().union(*(fn.gates for fn in (*functions.values(), scope))), key=list(SpecVersion).index)
    for since in gates:
        # A tuple, not a set: ``in`` then compares by identity, without hashing an enum.
        older = "".join(f"SpecVersion.{v.name}, " for v in list(SpecVersion)[: list(SpecVersion).index(since)])
        parts.append(f"{_older_than(since)} = ({older})\n")
    signature = "(m: Mapping[str, Any], ctx: Context) -> None:\n"
    for name, fn in functions.items():
        if fn.lines:
            parts.append(f"\n\ndef {name}{signature}" + "\n".join(fn.lines) + "\n")
    parts.append(f"\n\ndef check_scope{signature}" + "\n".join(scope.lines) + "\n")
    names = {schema.type.value: _check_name(schema) for schema in MESSAGE_SCHEMAS.values()}
    rows = [f"    {value!r}: {name if functions[name].lines else 'None'},\n" for value, name in names.items()]
    parts.append("\n\n#: The field check of every message type (None: nothing to check).\n")
    parts.append("MESSAGE_CHECKS: dict[str, Checker | None] = {\n" + "".join(rows) + "}\n")
    parts.append(_hot_path({side.value: _fast_test(MESSAGE_SCHEMAS[data_message(side)]) for side in Side}))
    return "".join(parts)


def formatted() -> str:
    """:func:`source` as ``ruff format`` lays it out (the project's style; ruff is a dev tool)."""
    command = [sys.executable, "-m", "ruff", "format", "--quiet", "--stdin-filename", str(TARGET), "-"]
    result = subprocess.run(command, input=source(), capture_output=True, text=True, check=True, timeout=60)
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    """Write the module, or with ``--check`` exit 1 when the committed one is stale."""
    parser = argparse.ArgumentParser(prog="python -m asgiws._codegen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = formatted()
    if args.check:
        fresh = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print(f"{TARGET.name} is {'up to date' if fresh else 'stale: run python -m asgiws._codegen'}")
        return 0 if fresh else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
