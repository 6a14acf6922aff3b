"""What a server owes the application and the client, as rules with the scenarios that exercise them.

Theory of operation
-------------------

``asgiws check server`` judges an ASGI server from both ends of a connection.
asgiws's own probe application runs inside the server and acts out the
application's side of a scenario, recording what ``receive()`` returned and
what every ``send()`` did; asgiws's own client, on a raw socket, acts out the
client's side and records exactly what reached the wire. A scenario is one
connection: a script for each end.

Every :class:`ServerRule` here names the clauses it judges, what it looks for
(an :class:`Expect`, which ``asgiws.conformance.verdicts`` reads), the spec
version it starts to bind from, and the exercises that put it to the test.
An :class:`Exercise` is a pair of scripts with ``{}`` holes, and the axis
(:data:`AXES`) whose values fill them: close codes from the schemas' ranges,
reason lengths around the 123-byte limit, message shapes. The catalogue of
scenarios is generated from these rows and nothing else; two rules whose
exercises produce the same scripts share one scenario.

Scripts are short words separated by commas, each ``name[:arg[:arg]]``; the
numbers are lengths, so that every scenario prints as one line that
``--scenario`` replays. The application's words:

``receive``             call ``receive()`` once (bounded by the timeout)
``accept[:SUB]``        ``websocket.accept``, with ``subprotocol`` SUB if given ("" too)
``accept-headers``      ``websocket.accept`` with three headers, one name twice
``send-text:N``         ``websocket.send`` with N characters of text (0: empty)
``send-bytes:N``        ``websocket.send`` with N bytes
``send-both``           ``websocket.send`` with both ``bytes`` and ``text`` (invalid)
``send-neither``        ``websocket.send`` with neither (invalid)
``mark``                ``websocket.send`` with the marker bytes the client waits for
``close[:CODE[:N]]``    ``websocket.close`` (with code CODE and an N-byte reason)
``close-none``          ``websocket.close`` with ``code: None``
``deny:STATUS``         a denial response: start with STATUS, then a body in two parts
``raise``, ``return``   end the application that way (the script's end returns)

The client's words:

``text:N``, ``binary:N``  one message of N characters / bytes
``frag:N:K``              a text message of N characters in K fragments
``ping:N``                a Ping with N bytes
``close[:CODE[:N]]``      a Close frame (with code CODE and an N-byte reason)
``close-empty``           a Close frame without a body
``bad:KIND``              a frame a library would refuse to send (see :data:`BAD_FRAMES`)
``read``                  wait for the next frame
``mark``                  read frames until the application's marker arrives
``upgrade``               read the HTTP response now (otherwise read before the first
                          step that needs the connection upgraded)
``vanish``                drop the TCP connection without a Close frame (first in the
                          script: before the HTTP response is read)

After its script the client reads until the server closes the connection,
answering a Close frame with its echo, as RFC 6455 asks of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .versions import SpecVersion

__all__ = [
    "AXES",
    "BAD_FRAMES",
    "SERVER_NOT_EXERCISED",
    "SERVER_RULES",
    "UNIVERSAL_RULES",
    "VERDICT_ORDER",
    "Exercise",
    "Expect",
    "ServerRule",
    "Verdict",
]


class Verdict(enum.Enum):
    """What a scenario's evidence says about the server, worst first in :data:`VERDICT_ORDER`."""

    #: The server did what the rules ask.
    OK = "ok"
    #: The server broke a MUST or SHOULD that binds it at the spec version it advertises.
    DEVIATION = "deviation"
    #: The server did something the spec does not forbid, though asgiws's resolution differs.
    LENIENT = "lenient"
    #: Recorded without a rule: what the server chose where the spec is silent.
    INFO = "info"
    #: The scenario could not be judged (the server never ran the probe, the record was lost).
    ERROR = "error"


#: A scenario's verdict is the first of these that any of its checks returned.
VERDICT_ORDER: tuple[Verdict, ...] = (Verdict.DEVIATION, Verdict.ERROR, Verdict.LENIENT, Verdict.INFO, Verdict.OK)


class Expect(enum.Enum):
    """What a rule looks for in the two records; ``asgiws.conformance.verdicts`` implements each."""

    REFUSED_WITH_403 = "the handshake is answered with HTTP 403, never a 101"
    ERROR_RESPONSE = "a handshake the application never decided gets an HTTP error response, not a bare TCP close"
    UPGRADED = "the accept completes the handshake: 101 with a valid Sec-WebSocket-Accept"
    SUBPROTOCOL_CHOSEN = "the 101 names exactly the subprotocol the application accepted"
    SUBPROTOCOL_OFFERED = "no Sec-WebSocket-Protocol the client did not offer reaches the wire"
    SUBPROTOCOLS_SPLIT = "scope['subprotocols'] lists the offered values, split on commas, in order"
    ACCEPT_HEADERS = "the accept's headers reach the 101 in order, duplicates kept"
    CLOSE_CODE_SENT = "the application's close code reaches the Close frame (1000 by default)"
    CLOSE_CODE_KEPT_OFF_WIRE = "a close code invalid on the wire is refused, never sent"
    CLOSE_REASON_SENT = "the application's close reason reaches the Close frame"
    CLOSE_REASON_BOUNDED = "a close reason over 123 bytes never makes a Close frame over 125 bytes"
    CLOSE_NONE = "code None never produces an empty Close frame by accident"
    DISCONNECT_DELIVERED = "receive() returns websocket.disconnect once the connection is over"
    MESSAGE_SENT = "a websocket.send reaches the wire as one frame of its kind with its payload, empty ones too"
    INVALID_SEND_REFUSED = "an invalid websocket.send raises from send() and puts nothing on the wire"
    MESSAGE_DELIVERED = "a client message reaches receive() whole, as one websocket.receive of its kind"
    PONG = "a Ping is answered with a Pong carrying its payload"
    CLOSE_ANSWERED = "a client Close gets a Close reply, then the TCP connection closes"
    DISCONNECT_MIRRORS_CLOSE = "websocket.disconnect carries the client's close code (1005 without one) and reason"
    DISCONNECT_ON_LOSS = "a connection lost without a Close frame is reported with 1006"
    SEND_AFTER_DISCONNECT = "send() on a closed connection raises an OSError subclass (2.4) or does nothing (before)"
    CLOSED_AFTER_RETURN = "an application that returns after the accept leaves the client a Close frame"
    CLOSED_AFTER_RAISE = "an application that raises after the accept leaves the client a Close 1011 and a closed socket"
    DENIAL_RESPONSE = "a denial response reaches the client with the application's status, headers and body"
    NO_DATA_AFTER_CLOSE = "data the client sends after receiving the server's Close is not delivered"
    BAD_FRAME_FAILS = "a frame RFC 6455 forbids fails the connection (Close 1002, 1007 for bad UTF-8) and is not delivered"
    SCOPE_VALID = "the scope has every required key with the right types, and no tls extension on a plain connection"
    DELIVERED_MESSAGES_VALID = "every message receive() returned is one the receive-side machine allows, with valid fields"
    FRAMES_WELL_FORMED = "every frame the server sent is well formed: unmasked, no RSV bits, known opcode, short control frames"


@dataclass(frozen=True, slots=True)
class Exercise:
    """A pair of scripts with ``{}`` holes, filled by each value of ``axis`` (none: one scenario).

    ``offer`` is what the client offers in ``Sec-WebSocket-Protocol``: values
    separated by commas go in one header line, ``|`` separates header lines.
    """

    app: str
    client: str = ""
    axis: str | None = None
    offer: str = ""
    #: Told apart from the rule's other exercises by this, in the scenario's name.
    label: str = ""


@dataclass(frozen=True, slots=True)
class ServerRule:
    """One obligation of the server, judged in every scenario its exercises generate.

    ``clauses`` are the clauses it judges, the first being the one a plain
    breach is reported under; ``since``: the spec version from which the rule
    binds (before it, the scenario is recorded as ``info``).
    """

    name: str
    clauses: tuple[str, ...]
    expect: Expect
    exercises: tuple[Exercise, ...]
    since: SpecVersion = SpecVersion.V2_0


#: Frames a client library would refuse to send, by the name ``bad:KIND`` uses.
BAD_FRAMES: dict[str, str] = {
    "unmasked": "a text frame without a mask (RFC 6455 §5.1: the server MUST close the connection)",
    "rsv1": "a text frame with RSV1 set and no extension negotiated (§5.2)",
    "opcode3": "a frame with the reserved data opcode 0x3 (§5.2)",
    "bigping": "a Ping with 126 bytes of payload (§5.5: control frames carry 125 at most)",
    "fragping": "a Ping without FIN (§5.5: control frames are never fragmented)",
    "utf8": "a text frame whose payload is not UTF-8 (§8.1: fail with 1007)",
    "orphan": "a continuation frame with no message to continue (§5.4)",
    "close1byte": "a Close frame with a one-byte body (§5.5.1)",
    "close1005": "a Close frame carrying the reserved code 1005 (§7.4.1)",
    "close999": "a Close frame carrying 999, outside every range (§7.4.2)",
}

#: The values that fill an exercise's holes, by axis name.
AXES: dict[str, tuple[str, ...]] = {
    # Codes an application may send: the bounds of the schemas' sendable ranges.
    "valid-close-code": ("1000", "1001", "1011", "1013", "3000", "4999"),
    # Codes nobody may put in a Close frame: reserved (RFC-001..004), unassigned
    # (RFC-007) and outside every range (RFC-008).
    "invalid-close-code": ("999", "1004", "1005", "1006", "1015", "1016", "2999", "5000"),
    # Reason lengths in UTF-8 bytes around the 123 that fit a control frame with the code.
    "valid-reason-bytes": ("1", "123"),
    "long-reason-bytes": ("124", "200"),
    # Codes a client may close with, 1010 (client-only) included.
    "client-close-code": ("1000", "1001", "1010", "3000", "4999"),
    "client-message": ("text:0", "binary:0", "text:5", "binary:5", "text:20000", "frag:12:3"),
    "app-message": ("send-text:0", "send-bytes:0", "send-text:5", "send-bytes:5", "send-text:70000"),
    "invalid-send": ("send-both", "send-neither"),
    "offer": ("a, b", "a|b", "a,b|c"),
    "unoffered-subprotocol": ("other", ""),
    "bad-frame": tuple(BAD_FRAMES),
    "unanswered": ("return", "raise"),
}

_DRAIN = "accept,receive"

#: Every rule, in the order the catalogue lists its scenarios.
SERVER_RULES: tuple[ServerRule, ...] = (
    # --- the handshake ---
    ServerRule("accept", ("J-02", "WS-025"), Expect.UPGRADED, (Exercise(_DRAIN, "close:1000"),)),
    ServerRule(
        "close-before-accept",
        ("WS-045", "J-04"),
        Expect.REFUSED_WITH_403,
        (Exercise("close,receive"), Exercise("close:4000:5,receive", label="with-code")),
    ),
    ServerRule("disconnect-after-refusal", ("J-04", "WS-037"), Expect.DISCONNECT_DELIVERED, (Exercise("close,receive"),)),
    ServerRule("unanswered-handshake", ("AW-06", "WS-012"), Expect.ERROR_RESPONSE, (Exercise("{}", axis="unanswered"),)),
    ServerRule("accept-subprotocol", ("AW-12", "RFC-018"), Expect.SUBPROTOCOL_CHOSEN, (Exercise("accept:b,receive", "close:1000", offer="a,b"),)),
    ServerRule(
        "accept-unoffered-subprotocol",
        ("AW-12", "RFC-018", "WS-009"),
        Expect.SUBPROTOCOL_OFFERED,
        (Exercise("accept:{},receive", "close:1000", axis="unoffered-subprotocol", offer="a"),),
    ),
    ServerRule("subprotocol-list", ("AW-14", "RFC-021"), Expect.SUBPROTOCOLS_SPLIT, (Exercise("close", axis="offer", offer="{}"),)),
    ServerRule("accept-headers", ("WS-028",), Expect.ACCEPT_HEADERS, (Exercise("accept-headers,receive", "close:1000"),), since=SpecVersion.V2_1),
    ServerRule("denial-response", ("J-05", "WS-047", "WS-049"), Expect.DENIAL_RESPONSE, (Exercise("deny:404,receive"),)),
    ServerRule("disconnect-after-denial", ("WS-051", "WS-037"), Expect.DISCONNECT_DELIVERED, (Exercise("deny:404,receive"),)),
    ServerRule("scope", ("WS-003", "WS-020", "WS-022", "WS-057"), Expect.SCOPE_VALID, (Exercise(_DRAIN, "close:1000"),)),
    # --- the application closes ---
    ServerRule("app-close-default", ("WS-046", "J-06"), Expect.CLOSE_CODE_SENT, (Exercise("accept,close,receive"),)),
    ServerRule("app-close-code", ("WS-046", "J-06"), Expect.CLOSE_CODE_SENT, (Exercise("accept,close:{},receive", axis="valid-close-code"),)),
    ServerRule(
        "app-close-invalid-code",
        ("AW-10", "WS-009", "AMB-15"),
        Expect.CLOSE_CODE_KEPT_OFF_WIRE,
        (Exercise("accept,close:{},mark,close,receive", "mark", axis="invalid-close-code"),),
    ),
    ServerRule(
        "app-close-reason",
        ("AW-09", "WS-046"),
        Expect.CLOSE_REASON_SENT,
        (Exercise("accept,close:1000:{},receive", axis="valid-reason-bytes"),),
        since=SpecVersion.V2_3,
    ),
    ServerRule(
        "app-close-long-reason",
        ("AW-11", "WS-009", "AMB-15"),
        Expect.CLOSE_REASON_BOUNDED,
        (Exercise("accept,close:1000:{},mark,close,receive", "mark", axis="long-reason-bytes"),),
        since=SpecVersion.V2_3,
    ),
    ServerRule("app-close-none", ("AMB-14",), Expect.CLOSE_NONE, (Exercise("accept,close-none,mark,close,receive", "mark"),)),
    ServerRule("disconnect-after-app-close", ("WS-037", "J-06"), Expect.DISCONNECT_DELIVERED, (Exercise("accept,close,receive"),)),
    ServerRule("no-data-after-app-close", ("J-11", "RFC-016"), Expect.NO_DATA_AFTER_CLOSE, (Exercise("accept,close,receive", "read,text:3"),)),
    # --- messages both ways ---
    ServerRule("app-message", ("AW-13", "WS-035"), Expect.MESSAGE_SENT, (Exercise("accept,{},mark,receive", "mark,close:1000", axis="app-message"),)),
    ServerRule(
        "app-invalid-send",
        ("WS-009", "AMB-13"),
        Expect.INVALID_SEND_REFUSED,
        (Exercise("accept,{},mark,receive", "mark,close:1000", axis="invalid-send"),),
    ),
    ServerRule(
        "client-message",
        ("WS-034", "WS-033", "WS-019", "RFC-024", "AW-13"),
        Expect.MESSAGE_DELIVERED,
        (Exercise("accept,receive,receive", "{},close:1000", axis="client-message"),),
    ),
    ServerRule("ping", ("RFC-025", "WS-018"), Expect.PONG, (Exercise(_DRAIN, "ping:5,read,close:1000"),)),
    ServerRule(
        "bad-frame",
        ("AW-15", "RFC-032", "RFC-015", "RFC-027"),
        Expect.BAD_FRAME_FAILS,
        (Exercise("accept,receive,receive", "bad:{}", axis="bad-frame"),),
    ),
    # --- the client leaves ---
    ServerRule("client-close", ("RFC-017", "J-07"), Expect.CLOSE_ANSWERED, (Exercise(_DRAIN, "close:{}:8", axis="client-close-code"),)),
    ServerRule(
        "client-close-mirrored",
        ("WS-039", "AW-08", "J-07", "RFC-013", "RFC-014", "WS-040"),
        Expect.DISCONNECT_MIRRORS_CLOSE,
        (
            Exercise(_DRAIN, "close:{}:8", axis="client-close-code"),
            Exercise(_DRAIN, "close-empty", label="no-code"),
            Exercise(_DRAIN, "close:1000", label="no-reason"),
        ),
    ),
    ServerRule("client-vanishes", ("RFC-013", "J-08"), Expect.DISCONNECT_ON_LOSS, (Exercise("accept,receive,send-text:1", "upgrade,vanish"),)),
    ServerRule(
        "send-after-disconnect",
        ("WS-041", "J-09", "WS-013"),
        Expect.SEND_AFTER_DISCONNECT,
        (
            Exercise("accept,receive,send-text:1", "close:1000", label="send"),
            Exercise("accept,receive,close", "close:1000", label="close"),
            Exercise("accept,receive,send-text:1", "upgrade,vanish", label="vanished"),
            Exercise("receive,accept", "vanish", label="accept"),
        ),
    ),
    ServerRule("disconnect-before-accept", ("WS-037", "J-08"), Expect.DISCONNECT_DELIVERED, (Exercise("receive,accept", "vanish"),)),
    # --- the application ends ---
    ServerRule("app-returns-after-accept", ("AW-07", "WS-021", "J-10"), Expect.CLOSED_AFTER_RETURN, (Exercise("accept,return"),)),
    ServerRule("app-raises-after-accept", ("WS-012", "AW-07", "J-10"), Expect.CLOSED_AFTER_RAISE, (Exercise("accept,raise"),)),
)

#: Rules judged in every scenario, whatever it exercises.
UNIVERSAL_RULES: tuple[ServerRule, ...] = (
    ServerRule("delivered-messages", ("J-01", "J-03", "WS-024", "WS-034", "WS-023"), Expect.DELIVERED_MESSAGES_VALID, ()),
    ServerRule("frames", ("AW-15", "AW-10", "AW-11", "RFC-016", "RFC-015"), Expect.FRAMES_WELL_FORMED, ()),
)

#: Clauses that bind the server at MUST or SHOULD and that no scenario
#: exercises, with the reason; a test holds every other such clause to a rule.
SERVER_NOT_EXERCISED: dict[str, str] = {
    "WS-002": "When send() returns relative to the transport is timing inside the server; no recording tells it apart.",
    "WS-014": "Whether the server swallows the OSError it raised is only visible in its log, which the check keeps but does not parse.",
    "WS-043": "Whether the server logs the OSError as an error is only visible in its log, which the check keeps but does not parse.",
    "WS-050": "The denial messages' structure is the application's side; the server's side of it is judged under J-05.",
    "WS-050c": "Header order in a denial response is judged with the accept headers (WS-028); one denial scenario checks presence.",
    "WS-050d": "Flushing before send() returns is timing inside the server.",
    "WS-050e": "Messages after the end of a denial response are the application's mistake, judged by the app checker.",
    "WS-050f": "A Transfer-Encoding header from the application is not exercised: the probe never sends one.",
    "WS-054": "Lifespan ordering involves a lifespan scope; the probe application ignores lifespan.",
    "WS-055": "Closing connections at shutdown would need the checker to stop the server mid-scenario.",
    "WS-056": "Lifespan state is not exercised: the probe application ignores lifespan.",
    "RFC-026": "Size limits are each server's own choice; a 70 000-character message is the largest exercised.",
    "RFC-031": "It binds the client: asgiws's client never sends data before the 101.",
    "J-12": "Version gates are applied to every rule through its since field rather than judged as a rule of their own.",
    "J-13": "When send() returns relative to the transport is timing inside the server.",
    "WS-011": "Extra keys in the probe's messages are not exercised: a server that rejects them would fail every framework.",
    "WS-015": "Extensions are read from the scope and reported; the denial extension is exercised when advertised.",
    "WS-005": "Message type names are judged with every delivered message (DELIVERED_MESSAGES_VALID).",
    "WS-007": "Value types are judged with every delivered message's schema.",
    "WS-017": "It binds middleware.",
}
