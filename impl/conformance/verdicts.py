"""How a scenario is judged: each :class:`~asgiws.spec.server.Expect`, read against both records.

A check looks at what the probe application recorded (the app's view), what
the raw client recorded (the wire's view), and the spec version the server
advertises, and returns a :class:`Check`: a verdict, the clause it rests on,
and what was seen. A check that does not apply to a scenario's steps
returns None, which is how a literal or explored scenario is judged by every
rule that fits it and by no other.

The wording of each rule, its clauses and its version gate are data in
``asgiws.spec.server``; the reading of the evidence is here, one function
per expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._compiled import check_scope
from .._context import VERSION_RANK, context_from_scope
from .._fields import FieldViolation
from .._state import ConnectionState
from ..exceptions import ProtocolViolation
from ..spec import CLAUSES, SENDABLE_CLOSE_CODES, Level, Party, Side, SpecVersion
from ..spec.server import VERDICT_ORDER, Expect, ServerRule, Verdict
from .probe import ACCEPT_HEADERS, DENY_BODY, decode
from .scenarios import MARK, Step, binary_payload, reason_text, text_payload
from .wire import WireRecord, accept_key, parse_close

__all__ = ["Check", "Evidence", "judge", "worst"]

_CLAUSES = {clause.id: clause for clause in CLAUSES}


@dataclass(frozen=True)
class Check:
    """One rule's reading of one scenario."""

    rule: str
    verdict: Verdict
    clause: str
    detail: str

    @property
    def level(self) -> str:
        """The clause's level; an ambiguity asgiws resolved counts as SHOULD."""
        clause = _CLAUSES.get(self.clause)
        return clause.level.value if clause else Level.SHOULD.value


@dataclass
class Evidence:
    """Both views of one scenario, and the version it is judged at."""

    app: tuple[Step, ...]
    client: tuple[Step, ...]
    offer: tuple[tuple[str, ...], ...]
    wire: WireRecord
    record: dict[str, Any] | None
    version: SpecVersion

    # -- the app's view ---------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """The probe's steps after the connect, decoded."""
        return [decode(e) for e in (self.record or {}).get("steps", [])[1:]]

    def entry(self, name: str, after: int = -1) -> tuple[int, dict[str, Any]] | None:
        """The first step called ``name`` (``name:args`` too) after index ``after``."""
        for index, item in enumerate(self.entries()):
            if index > after and item["step"].split(":")[0] == name:
                return index, item
        return None

    def received(self) -> list[dict[str, Any]]:
        """What the probe's receive steps got, in order (blocked ones as ``{"blocked": True}``)."""
        return [e.get("got", e) for e in self.entries() if e["step"] == "receive" and "skipped" not in e]

    @property
    def offered(self) -> list[str]:
        """What the client offered, in order."""
        return [value for line in self.offer for value in line]

    def app_step(self, name: str) -> Step | None:
        """The first step of the app's script called ``name``."""
        return next((s for s in self.app if s.name == name), None)

    def client_step(self, *names: str) -> Step | None:
        """The first step of the client's script called one of ``names``."""
        return next((s for s in self.client if s.name in names), None)

    def first_decision(self) -> Step | None:
        """The app's first step that answers or ends the handshake."""
        return next((s for s in self.app if s.name in {"accept", "accept-headers", "close", "close-none", "deny", "raise", "return"}), None)

    def accepted(self) -> bool:
        """Whether the app's first decision was an accept that returned."""
        decision = self.first_decision()
        hit = self.entry("accept") or self.entry("accept-headers")
        return decision is not None and decision.name.startswith("accept") and hit is not None and bool(hit[1].get("returned"))


def _ok(rule: ServerRule, detail: str) -> Check:
    return Check(rule.name, Verdict.OK, rule.clauses[0], detail)


def _bad(rule: ServerRule, detail: str, clause: str | None = None) -> Check:
    return Check(rule.name, Verdict.DEVIATION, clause or rule.clauses[0], detail)


def _lenient(rule: ServerRule, clause: str, detail: str) -> Check:
    return Check(rule.name, Verdict.LENIENT, clause, detail)


def _info(rule: ServerRule, detail: str) -> Check:
    return Check(rule.name, Verdict.INFO, rule.clauses[0], detail)


def _outcome(entry: dict[str, Any]) -> str:
    if entry.get("returned"):
        return "returned"
    if entry.get("blocked"):
        return "blocked"
    if "raised" in entry:
        return f"raised {entry['raised']}" + (" (an OSError)" if entry.get("oserror") else "")
    return "was not reached"


def _wire_end(wire: WireRecord) -> str:
    closes = wire.close_frames()
    code = parse_close(closes[0].payload)[0] if closes else None
    frame = "no Close frame" if not closes else f"a Close frame {code}" if code is not None else "a Close frame without a code"
    tcp = "TCP closed" if wire.tcp_closed_ms is not None else "TCP still open after the timeout"
    return f"{frame}, {tcp}"


def _response(wire: WireRecord) -> str:
    if wire.response == "ok":
        return f"HTTP {wire.status}"
    if wire.response == "closed":
        return "a TCP close without any HTTP response"
    return "no response within the timeout" if wire.response == "timeout" else wire.response


def _first_close_code(wire: WireRecord) -> int | None:
    closes = wire.close_frames()
    return parse_close(closes[0].payload)[0] if closes else None


def _sendable(code: int) -> bool:
    return any(low <= code <= high for low, high in SENDABLE_CLOSE_CODES)


# -- the handshake --------------------------------------------------------------------


def _refused_with_403(rule: ServerRule, ev: Evidence) -> Check | None:
    decision = ev.first_decision()
    if decision is None or decision.name != "close":
        return None
    if ev.wire.status == 403:
        return _ok(rule, "HTTP 403")
    return _bad(rule, f"the close before the accept was answered with {_response(ev.wire)}, not HTTP 403")


def _error_response(rule: ServerRule, ev: Evidence) -> Check | None:
    decision = ev.first_decision()
    if decision is None or decision.name not in {"raise", "return"}:
        return None
    how = "raised" if decision.name == "raise" else "returned"
    if ev.wire.status is not None and 400 <= ev.wire.status < 600:
        return _ok(rule, f"the app {how} before deciding; HTTP {ev.wire.status}")
    return _bad(rule, f"the app {how} before deciding and the client got {_response(ev.wire)}")


def _upgraded(rule: ServerRule, ev: Evidence) -> Check | None:
    if not ev.accepted():
        return None
    if not ev.wire.upgraded:
        return _bad(rule, f"the app's accept returned but the client got {_response(ev.wire)}")
    if ev.wire.header("sec-websocket-accept") != [accept_key(ev.wire.key)]:
        return _bad(rule, f"Sec-WebSocket-Accept is {ev.wire.header('sec-websocket-accept')}, not [{accept_key(ev.wire.key)!r}]")
    return _ok(rule, "HTTP 101 with the right Sec-WebSocket-Accept")


def _subprotocol_chosen(rule: ServerRule, ev: Evidence) -> Check | None:
    step = ev.app_step("accept")
    if step is None or not step.args or step.args[0] not in ev.offered or not ev.accepted():
        return None
    got = ev.wire.header("sec-websocket-protocol")
    if got == [step.args[0]]:
        return _ok(rule, f"Sec-WebSocket-Protocol: {got[0]}")
    return _bad(rule, f"the app accepted {step.args[0]!r}; the 101 carried Sec-WebSocket-Protocol {got}")


def _subprotocol_offered(rule: ServerRule, ev: Evidence) -> Check | None:
    step = ev.app_step("accept")
    if step is None or not step.args or step.args[0] in ev.offered:
        return None
    hit = ev.entry("accept")
    outcome = _outcome(hit[1]) if hit else "was not reached"
    got = ev.wire.header("sec-websocket-protocol")
    if any(value not in ev.offered for value in got):
        return _bad(rule, f"the app accepted {step.args[0]!r} (offered: {ev.offered}); the 101 carried Sec-WebSocket-Protocol {got}")
    if outcome.startswith("raised"):
        return _ok(rule, f"accept {outcome}; the client got {_response(ev.wire)}")
    return _lenient(rule, "AMB-08", f"accept {outcome} and the subprotocol was dropped silently; the client got {_response(ev.wire)}")


def _subprotocols_split(rule: ServerRule, ev: Evidence) -> Check | None:
    if not ev.offer or ev.record is None:
        return None
    got = ev.record["scope"].get("subprotocols")
    lines = " | ".join(", ".join(line) for line in ev.offer)
    if got == ev.offered:
        return _ok(rule, f"offered {lines!r}; scope['subprotocols'] == {got}")
    return _bad(rule, f"offered {lines!r} ({len(ev.offer)} header line(s)); scope['subprotocols'] == {got}, not {ev.offered}")


def _accept_headers(rule: ServerRule, ev: Evidence) -> Check | None:
    if ev.app_step("accept-headers") is None or not ev.accepted():
        return None
    want = [(k.decode(), v.decode()) for k, v in ACCEPT_HEADERS]
    got = [(k.lower(), v) for k, v in ev.wire.headers if k.lower().startswith("x-asgiws-")]
    if got == want:
        return _ok(rule, "the accept's headers reached the 101 in order")
    return _bad(rule, f"the app's accept headers {want} reached the 101 as {got}")


def _denial_response(rule: ServerRule, ev: Evidence) -> Check | None:
    step = ev.app_step("deny")
    if step is None:
        return None
    hit = ev.entry("deny")
    if hit is None or "skipped" in hit[1]:  # the extension is not advertised; the probe refused plainly
        return _info(rule, f"the server does not advertise websocket.http.response; the probe closed instead ({_response(ev.wire)})")
    want = step.int_arg(0)
    body = b"".join(DENY_BODY)
    if ev.wire.status == want and ev.wire.header("x-asgiws-deny") == ["1"] and ev.wire.body == body:
        return _ok(rule, f"HTTP {want} with the app's header and body")
    return _bad(rule, f"the app denied with {want}, its header and body {body!r}; the client got {_response(ev.wire)}, body {ev.wire.body[:40]!r}")


def _scope_valid(rule: ServerRule, ev: Evidence) -> Check | None:
    if ev.record is None:
        return None
    scope = decode(ev.record["scope"])
    extensions = scope.get("extensions")
    if isinstance(extensions, list):
        scope["extensions"] = {key: {} for key in extensions}
    try:
        check_scope(scope, context_from_scope(scope))
    except FieldViolation as problem:
        return _bad(rule, f"scope[{problem.field!r}] {problem.detail}", problem.clauses[0])
    return _ok(rule, f"a valid scope (spec_version {scope.get('asgi', {}).get('spec_version', '2.0 by default')})")


# -- the application closes -----------------------------------------------------------


def _app_close(ev: Evidence) -> tuple[Step, dict[str, Any]] | None:
    """The app's close after its accept, if the client had not closed first."""
    step = ev.app_step("close") or ev.app_step("close-none")
    hit = ev.entry(step.name) if step else None
    if step is None or hit is None or not ev.accepted() or ev.client_step("close", "close-empty", "bad", "vanish"):
        return None
    return step, hit[1]


def _close_code_sent(rule: ServerRule, ev: Evidence) -> Check | None:
    found = _app_close(ev)
    if found is None or found[0].name != "close" or (found[0].args and not _sendable(found[0].int_arg(0))):
        return None
    want = found[0].int_arg(0, 1000)
    got = _first_close_code(ev.wire)
    if got == want:
        return _ok(rule, f"Close frame {got}")
    return _bad(rule, f"the app closed with {want}; the client got {_wire_end(ev.wire)}")


def _close_code_kept_off_wire(rule: ServerRule, ev: Evidence) -> Check | None:
    found = _app_close(ev)
    if found is None or found[0].name != "close" or not found[0].args or _sendable(found[0].int_arg(0)):
        return None
    code, outcome = found[0].int_arg(0), _outcome(found[1])
    codes = [parse_close(f.payload)[0] for f in ev.wire.close_frames()]
    if code in codes:
        return _bad(rule, f"the app closed with {code}; send {outcome} and {code} went on the wire")
    if outcome.startswith("raised"):
        return _ok(rule, f"close {outcome}; nothing invalid on the wire")
    return _lenient(rule, "AMB-15", f"close {outcome} instead of raising; the client got {_wire_end(ev.wire)}")


def _close_reason(ev: Evidence, *, long: bool) -> tuple[Step, dict[str, Any]] | None:
    found = _app_close(ev)
    if found is None or found[0].name != "close" or len(found[0].args) < 2:
        return None
    return found if (found[0].int_arg(1) > 123) is long else None


def _close_reason_sent(rule: ServerRule, ev: Evidence) -> Check | None:
    found = _close_reason(ev, long=False)
    if found is None:
        return None
    want = reason_text(found[0].int_arg(1))
    closes = ev.wire.close_frames()
    got = parse_close(closes[0].payload)[1] if closes else None
    if got == want:
        return _ok(rule, f"the reason ({len(want.encode())} bytes) reached the Close frame")
    return _bad(rule, f"the app closed with a {len(want.encode())}-byte reason; the Close frame's reason is {got!r}")


def _close_reason_bounded(rule: ServerRule, ev: Evidence) -> Check | None:
    found = _close_reason(ev, long=True)
    if found is None:
        return None
    size, outcome = found[0].int_arg(1), _outcome(found[1])
    long_frames = [f for f in ev.wire.close_frames() if len(f.payload) > 125]
    if long_frames:
        return _bad(rule, f"a {size}-byte reason went out whole: a Close frame of {len(long_frames[0].payload)} bytes")
    if outcome.startswith("raised"):
        return _ok(rule, f"close {outcome}")
    closes = ev.wire.close_frames()
    reason = parse_close(closes[0].payload)[1] if closes else None
    shown = "no Close frame" if reason is None else f"a {len(reason.encode())}-byte reason"
    return _lenient(rule, "AMB-15", f"close {outcome} with a {size}-byte reason; the client got {shown}")


def _close_none(rule: ServerRule, ev: Evidence) -> Check | None:
    found = _app_close(ev)
    if found is None or found[0].name != "close-none":
        return None
    outcome = _outcome(found[1])
    closes = ev.wire.close_frames()
    if outcome.startswith("raised"):
        return _ok(rule, f"close with code None {outcome}")
    if closes and not closes[0].payload:
        return _lenient(rule, "AMB-14", f"close with code None {outcome} and sent an empty Close frame (the client reads 1005)")
    return _ok(rule, f"close with code None {outcome}; the client got {_wire_end(ev.wire)}")


def _disconnect_delivered(rule: ServerRule, ev: Evidence) -> Check | None:
    received = ev.received()
    ended = any(s.name in {"close", "deny"} for s in ev.app) or ev.client_step("vanish", "close", "close-empty", "bad")
    if ev.record is None or not received or not ended:
        return None if ev.record is not None or ev.client_step("vanish") is None else _info(rule, "the server never ran the app")
    last = received[-1]
    if last.get("type") == "websocket.disconnect":
        return _ok(rule, f"websocket.disconnect with code {last.get('code')}")
    if last.get("blocked"):
        return _bad(rule, "receive() blocked until the timeout instead of returning websocket.disconnect")
    return None


def _no_data_after_close(rule: ServerRule, ev: Evidence) -> Check | None:
    found = _app_close(ev) if not ev.client_step("close", "close-empty", "bad", "vanish") else None
    data = ev.client_step("text", "binary")
    if found is None or data is None or not any(d.startswith("read close") for d in ev.wire.sent):
        return None
    hit = ev.entry(found[0].name)
    after = [e.get("got", {}) for e in ev.entries()[(hit[0] if hit else 0) :] if e["step"] == "receive"]
    delivered = [m for m in after if m.get("type") == "websocket.receive"]
    if delivered:
        return _bad(rule, "the client sent data after it had received the server's Close frame, and receive() returned it")
    return _ok(rule, "data sent after the server's Close was not delivered")


# -- messages -------------------------------------------------------------------------


def _wanted(step: Step) -> tuple[str, bytes]:
    if step.name in {"send-text", "text", "frag"}:
        return "text", text_payload(step.int_arg(0)).encode()
    return "binary", binary_payload(step.int_arg(0))


def _message_sent(rule: ServerRule, ev: Evidence) -> Check | None:
    step = next((s for s in ev.app if s.name in {"send-text", "send-bytes"}), None)
    if step is None or not ev.accepted() or (ev.client_step("close", "close-empty", "bad", "vanish") and not ev.client_step("mark")):
        return None
    hit = ev.entry(step.name)
    kind, payload = _wanted(step)
    messages = [m for m in ev.wire.messages() if m != ("binary", MARK)]
    outcome = _outcome(hit[1]) if hit else "was not reached"
    if messages and messages[0] == (kind, payload):
        return _ok(rule, f"one {kind} message of {len(payload)} bytes on the wire")
    got = f"{messages[0][0]} of {len(messages[0][1])} bytes" if messages else "nothing"
    return _bad(rule, f"the app sent {kind} of {len(payload)} bytes (send {outcome}); the wire carried {got} before the marker")


def _invalid_send_refused(rule: ServerRule, ev: Evidence) -> Check | None:
    step = next((s for s in ev.app if s.name in {"send-both", "send-neither"}), None)
    hit = ev.entry(step.name) if step else None
    if step is None or hit is None or not ev.accepted():
        return None
    outcome = _outcome(hit[1])
    messages = [m for m in ev.wire.messages() if m != ("binary", MARK)]
    if messages:
        return _bad(rule, f"{step.name}: send {outcome} and a {messages[0][0]} message went on the wire")
    if outcome.startswith("raised"):
        return _ok(rule, f"{step.name}: send {outcome}, nothing on the wire")
    return _bad(rule, f"{step.name}: send {outcome} without raising (nothing on the wire)")


def _message_delivered(rule: ServerRule, ev: Evidence) -> Check | None:
    step = ev.client_step("text", "binary", "frag", "bad")
    if step is None or step.name == "bad" or not ev.accepted() or ev.record is None:
        return None
    kind, payload = _wanted(step)
    clause = "WS-019" if step.name == "frag" else "AW-13" if not payload else "WS-033"
    got = next((m for m in ev.received()), {})
    if got.get("type") != "websocket.receive":
        return _bad(rule, f"the client sent {kind} of {len(payload)} bytes; receive() gave {_brief(got)}", clause)
    key, other = ("text", "bytes") if kind == "text" else ("bytes", "text")
    value = got.get(key)
    value = value.encode() if isinstance(value, str) else value
    if value != payload or got.get(other) is not None:
        return _bad(rule, f"the client sent {kind} of {len(payload)} bytes; receive() gave {_brief(got)}", "WS-034")
    return _ok(rule, f"one websocket.receive with {key} of {len(payload)} bytes")


def _brief(message: dict[str, Any]) -> str:
    if message.get("blocked"):
        return "nothing before the timeout"
    parts = [f"{k}={(v if not isinstance(v, str | bytes) or len(v) < 20 else f'<{len(v)}>')!r}" for k, v in message.items() if k != "type"]
    return f"{message.get('type')}({', '.join(parts)})"


def _pong(rule: ServerRule, ev: Evidence) -> Check | None:
    step = ev.client_step("ping")
    if step is None or not ev.wire.upgraded:
        return None
    want = binary_payload(step.int_arg(0))
    pongs = [f for f in ev.wire.frames if f.opcode == "pong"]
    if any(f.payload == want for f in pongs):
        return _ok(rule, "Pong with the Ping's payload")
    return _bad(rule, f"no Pong with the Ping's payload (pongs: {[f.payload.hex() for f in pongs]})")


# -- the client leaves ----------------------------------------------------------------


def _client_close(ev: Evidence) -> Step | None:
    step = ev.client_step("close", "close-empty", "bad", "vanish")
    return step if step is not None and step.name in {"close", "close-empty"} and ev.wire.upgraded else None


def _close_answered(rule: ServerRule, ev: Evidence) -> Check | None:
    step = _client_close(ev)
    if step is None or ev.client_step("read", "mark"):
        return None
    if not ev.wire.close_frames():
        return _bad(rule, f"the client closed with {step}; it got {_wire_end(ev.wire)}")
    if ev.wire.tcp_closed_ms is None:
        return _bad(rule, "the server answered the Close but left the TCP connection open")
    return _ok(rule, f"a Close reply ({_first_close_code(ev.wire)}), then TCP closed")


def _disconnect_mirrors_close(rule: ServerRule, ev: Evidence) -> Check | None:
    step = _client_close(ev)
    if step is None or ev.record is None or ev.client_step("read", "mark") or len(ev.received()) != 1:
        return None
    got = ev.received()[0]
    want_code = step.int_arg(0, 1005)
    want_reason = reason_text(step.int_arg(1, 0))
    if got.get("type") != "websocket.disconnect":
        return _bad(rule, f"the client closed with {step}; receive() gave {_brief(got)}", "J-07")
    if got.get("code") != want_code:
        clause = "WS-039" if want_code == 1005 else "AW-08"
        return _bad(
            rule, f"the client's Close carried {want_code if step.args else 'no code'}; websocket.disconnect has code {got.get('code')}", clause
        )
    if VERSION_RANK[ev.version] >= VERSION_RANK[SpecVersion.V2_5] and (got.get("reason") or "") != want_reason:
        return _bad(rule, f"the client's Close carried reason {want_reason!r}; websocket.disconnect has reason {got.get('reason')!r}", "AW-08")
    return _ok(rule, f"websocket.disconnect code {got.get('code')} reason {got.get('reason')!r}")


def _disconnect_on_loss(rule: ServerRule, ev: Evidence) -> Check | None:
    if ev.client_step("vanish") is None or not ev.wire.upgraded or ev.record is None or not ev.received():
        return None
    got = ev.received()[0]
    if got.get("type") != "websocket.disconnect":
        return _bad(rule, f"the client vanished; receive() gave {_brief(got)}", "J-08")
    if got.get("code") != 1006:
        return _bad(rule, f"the client vanished without a Close frame; websocket.disconnect has code {got.get('code')}, not 1006")
    return _ok(rule, "websocket.disconnect with 1006")


def _send_after_disconnect(rule: ServerRule, ev: Evidence) -> Check | None:
    if ev.record is None or not ev.client_step("vanish", "close", "close-empty"):
        return None
    entries = ev.entries()
    gone = next((i for i, e in enumerate(entries) if e.get("got", {}).get("type") == "websocket.disconnect"), None)
    late = next((e for e in entries[gone + 1 :] if "sent" in e), None) if gone is not None else None
    if late is None:
        return None
    what, outcome = late["step"].split(":")[0], _outcome(late)
    if VERSION_RANK[ev.version] < VERSION_RANK[SpecVersion.V2_4]:
        if late.get("raised") and not late.get("oserror"):
            return _bad(rule, f"{what} after the disconnect {outcome}; before 2.4 it should do nothing", "WS-013")
        return _ok(rule, f"{what} after the disconnect {outcome} (spec {ev.version.value})")
    if late.get("oserror"):
        return _ok(rule, f"{what} after the disconnect {outcome}")
    return _bad(rule, f"{what} after the disconnect {outcome}, not an OSError subclass", "WS-041")


# -- the application ends -------------------------------------------------------------


def _closed_after_return(rule: ServerRule, ev: Evidence) -> Check | None:
    if [s.name for s in ev.app] != ["accept", "return"] or not ev.wire.upgraded:
        return None
    if ev.wire.close_frames() and ev.wire.tcp_closed_ms is not None:
        return _ok(rule, f"the app returned; {_wire_end(ev.wire)}")
    if ev.wire.tcp_closed_ms is not None:
        return _bad(rule, f"the app returned after the accept; the client got {_wire_end(ev.wire)}", "AW-07")
    return _bad(rule, f"the app returned after the accept; the client got {_wire_end(ev.wire)}", "WS-021")


def _closed_after_raise(rule: ServerRule, ev: Evidence) -> Check | None:
    if [s.name for s in ev.app] != ["accept", "raise"] or not ev.wire.upgraded:
        return None
    code = _first_close_code(ev.wire)
    if ev.wire.tcp_closed_ms is None:
        return _bad(rule, f"the app raised after the accept; the client got {_wire_end(ev.wire)}", "WS-012")
    if not ev.wire.close_frames():
        return _bad(rule, f"the app raised after the accept; the client got {_wire_end(ev.wire)}", "AW-07")
    if code != 1011:
        return _lenient(rule, "AMB-18", f"the app raised after the accept; the client got {_wire_end(ev.wire)} (1011 is asgiws's reading)")
    return _ok(rule, f"the app raised; {_wire_end(ev.wire)}")


# -- every scenario -------------------------------------------------------------------


def _bad_frame_fails(rule: ServerRule, ev: Evidence) -> Check | None:
    step = ev.client_step("bad")
    if step is None or not ev.wire.upgraded:
        return None
    kind = step.args[0]
    clause = "RFC-015" if kind == "utf8" else "RFC-032" if kind.startswith("close") else "AW-15"
    delivered = [m for m in ev.received() if m.get("type") == "websocket.receive"]
    if delivered:
        return _bad(rule, f"bad:{kind}: receive() delivered it as {_brief(delivered[0])}", clause)
    if ev.wire.tcp_closed_ms is None:
        return _bad(rule, f"bad:{kind}: the connection was not failed; the client got {_wire_end(ev.wire)}", clause)
    want = 1007 if kind == "utf8" else 1002
    if not ev.wire.close_frames():
        return _bad(rule, f"bad:{kind}: the server dropped the connection without a Close frame ({want} fits)", "RFC-027")
    if _first_close_code(ev.wire) != want:
        return _lenient(rule, "RFC-027", f"bad:{kind}: failed with {_wire_end(ev.wire)}; {want} is the fitting code")
    return _ok(rule, f"bad:{kind}: {_wire_end(ev.wire)}")


def _delivered_messages_valid(rule: ServerRule, ev: Evidence) -> Check | None:
    if ev.record is None:
        return None
    scope = decode(ev.record["scope"])
    if isinstance(scope.get("extensions"), list):
        scope["extensions"] = {key: {} for key in scope["extensions"]}
    judge = ConnectionState(scope, version=ev.version)
    own = {e["sent"].get("code") for e in ev.entries() if e.get("sent", {}).get("type") == "websocket.close"}
    for entry in [decode(e) for e in ev.record.get("steps", [])]:
        got = entry.get("got")
        if isinstance(got, dict) and got.get("type") == "websocket.disconnect" and got.get("code") in own - {None}:
            judge.follow(Side.RECEIVE, got)  # the app's own code echoed back (AMB-11): its choice, judged under AW-10
            continue
        if "got" in entry:
            try:
                judge.receive(entry["got"])
            except ProtocolViolation as error:
                return _bad(rule, f"receive() returned {_brief(entry['got'])}: {error}", error.clause)
        elif "sent" in entry:
            if entry.get("oserror"):
                judge.send_failed()
            elif entry.get("returned"):
                judge.follow(Side.SEND, entry["sent"])
    return _ok(rule, "every delivered message was allowed")


def _frames_well_formed(rule: ServerRule, ev: Evidence) -> Check | None:
    if not ev.wire.frames:
        return None
    closed = False
    for frame in ev.wire.frames:
        control = frame.opcode in {"close", "ping", "pong"}
        problem, clause = None, "AW-15"
        if frame.masked:
            problem = "a masked frame from the server"
        elif frame.rsv:
            problem = f"RSV bits {frame.rsv:03b} without an extension"
        elif frame.opcode.startswith("op"):
            problem = f"reserved opcode {frame.opcode}"
        elif control and len(frame.payload) > 125:
            problem, clause = f"a {frame.opcode} frame of {len(frame.payload)} bytes", "AW-11"
        elif control and not frame.fin:
            problem = f"a fragmented {frame.opcode} frame"
        elif frame.opcode == "close":
            code, _, malformed = parse_close(frame.payload)
            if malformed:
                problem = f"a Close frame with a {malformed}"
            elif code is not None and not _sendable(code) and code != 1010:
                problem, clause = f"close code {code} on the wire", "AW-10"
        elif closed and not control:
            problem, clause = f"a {frame.opcode} frame after the server's Close", "RFC-016"
        if problem:
            return _bad(rule, problem, clause)
        closed = closed or frame.opcode == "close"
    for kind, payload in ev.wire.messages():
        if kind == "text":
            try:
                payload.decode()
            except UnicodeDecodeError:
                return _bad(rule, "a text message that is not UTF-8", "RFC-015")
    return _ok(rule, f"{len(ev.wire.frames)} well-formed frame(s)")


_CHECKS: dict[Expect, Callable[[ServerRule, Evidence], Check | None]] = {
    Expect.REFUSED_WITH_403: _refused_with_403,
    Expect.ERROR_RESPONSE: _error_response,
    Expect.UPGRADED: _upgraded,
    Expect.SUBPROTOCOL_CHOSEN: _subprotocol_chosen,
    Expect.SUBPROTOCOL_OFFERED: _subprotocol_offered,
    Expect.SUBPROTOCOLS_SPLIT: _subprotocols_split,
    Expect.ACCEPT_HEADERS: _accept_headers,
    Expect.CLOSE_CODE_SENT: _close_code_sent,
    Expect.CLOSE_CODE_KEPT_OFF_WIRE: _close_code_kept_off_wire,
    Expect.CLOSE_REASON_SENT: _close_reason_sent,
    Expect.CLOSE_REASON_BOUNDED: _close_reason_bounded,
    Expect.CLOSE_NONE: _close_none,
    Expect.DISCONNECT_DELIVERED: _disconnect_delivered,
    Expect.MESSAGE_SENT: _message_sent,
    Expect.INVALID_SEND_REFUSED: _invalid_send_refused,
    Expect.MESSAGE_DELIVERED: _message_delivered,
    Expect.PONG: _pong,
    Expect.CLOSE_ANSWERED: _close_answered,
    Expect.DISCONNECT_MIRRORS_CLOSE: _disconnect_mirrors_close,
    Expect.DISCONNECT_ON_LOSS: _disconnect_on_loss,
    Expect.SEND_AFTER_DISCONNECT: _send_after_disconnect,
    Expect.CLOSED_AFTER_RETURN: _closed_after_return,
    Expect.CLOSED_AFTER_RAISE: _closed_after_raise,
    Expect.DENIAL_RESPONSE: _denial_response,
    Expect.NO_DATA_AFTER_CLOSE: _no_data_after_close,
    Expect.BAD_FRAME_FAILS: _bad_frame_fails,
    Expect.SCOPE_VALID: _scope_valid,
    Expect.DELIVERED_MESSAGES_VALID: _delivered_messages_valid,
    Expect.FRAMES_WELL_FORMED: _frames_well_formed,
}


def judge(rules: tuple[ServerRule, ...], evidence: Evidence) -> list[Check]:
    """Every rule's check of one scenario, where it applies; a rule newer than the version is recorded as info.

    A check that does not fit the scenario's steps answers None and is left
    out, so a literal or explored scenario can be judged by every rule.
    """
    checks = []
    for rule in rules:
        check = _CHECKS[rule.expect](rule, evidence)
        if check is None:
            continue
        if VERSION_RANK[evidence.version] < VERSION_RANK[rule.since]:
            detail = f"not judged: the rule binds from spec {rule.since.value}, the server advertises {evidence.version.value} ({check.detail})"
            check = _info(rule, detail)
        if check.verdict is Verdict.DEVIATION and not _binds_server(check.clause):
            check = Check(check.rule, Verdict.INFO, check.clause, check.detail)
        checks.append(check)
    return checks


def _binds_server(clause_id: str) -> bool:
    clause = _CLAUSES.get(clause_id)
    return clause is not None and clause.level in (Level.MUST, Level.SHOULD) and clause.binds in (Party.SERVER, Party.BOTH)


def worst(checks: list[Check]) -> Verdict:
    """A scenario's verdict: the worst of its checks (``ok`` when there are none)."""
    found = {check.verdict for check in checks}
    return next((verdict for verdict in VERDICT_ORDER if verdict in found), Verdict.OK)
