"""The clause registry: every rule asgiws enforces, and where it comes from.

IDs follow the extraction in ``shared/reference/asgi-websocket-spec.md``:
``WS-nnn`` for the ASGI texts, ``RFC-nnn`` for RFC 6455 constraints on message
fields, ``J-nn`` for the constraints that couple the two sides. IDs are never
renumbered; a rule the reference lacks gets a new ``AW-nn`` ID. The
ambiguities (``AMB-nn``) and asgiws's resolution of each live in
``ambiguities.py`` and may be cited like clauses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["CLAUSES", "Clause", "Level", "Party"]


class Level(enum.Enum):
    """How strongly a clause binds, mapped from the spec's lower-case wording.

    "must", "must not", "only allowed" and "cannot" are MUST; "should" and
    "should not" are SHOULD; "may", "can" and "need not" are MAY; purely
    descriptive sentences are INFO.
    """

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"
    INFO = "INFO"


class Party(enum.Enum):
    """Who a clause binds."""

    SERVER = "server"
    APPLICATION = "application"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Clause:
    """One numbered rule.

    ``unchecked`` is set exactly when no table in this package cites the clause
    although it binds a party at MUST or SHOULD level: it says why asgiws does
    not (or cannot) check it.
    """

    id: str
    level: Level
    binds: Party
    summary: str
    source: str
    unchecked: str | None = None


#: Every clause, in registry order (WS, then RFC, then J, then AW).
CLAUSES: tuple[Clause, ...] = (
    # --- asgiref specs/asgi.rst: general ASGI rules that apply to WebSocket ---
    Clause(
        "WS-001",
        Level.SHOULD,
        Party.APPLICATION,
        "An application is one async callable taking scope, receive and send.",
        "asgiref specs/asgi.rst § Applications",
        unchecked="The shape of the application callable is fixed before any message flows; "
        "asgiws judges the messages it exchanges, not its signature.",
    ),
    Clause(
        "WS-002",
        Level.MUST,
        Party.SERVER,
        "receive() awaits and returns the next event dict; send() takes one event dict and returns once it is sent or the connection has closed.",
        "asgiref specs/asgi.rst § Applications",
        unchecked="It describes the callables themselves and when send() returns, not the content of any message; "
        "the message sequence looks the same either way (AMB-16).",
    ),
    Clause(
        "WS-003",
        Level.MUST,
        Party.SERVER,
        "The scope is a dict with a type key and an asgi dict whose version names the ASGI version; a missing version means 2.0.",
        "asgiref specs/asgi.rst § Applications",
    ),
    Clause(
        "WS-004",
        Level.MAY,
        Party.SERVER,
        "The server may state the protocol spec version in scope['asgi']['spec_version'], so a protocol spec can evolve without a new ASGI version.",
        "asgiref specs/asgi.rst § Applications",
    ),
    Clause(
        "WS-005",
        Level.SHOULD,
        Party.BOTH,
        "Message types are namespaced protocol.message_type, the protocol being the scope type, so every WebSocket message type starts 'websocket.'.",
        "asgiref specs/asgi.rst § Protocol Specifications",
    ),
    Clause(
        "WS-006",
        Level.SHOULD,
        Party.APPLICATION,
        "An application should raise an exception, of any class, for a scope type (protocol) it does not support.",
        "asgiref specs/asgi.rst § Protocol Specifications",
        unchecked="It concerns scopes of other types, refused before any WebSocket message exists; asgiws models only websocket scopes.",
    ),
    Clause(
        "WS-007",
        Level.MUST,
        Party.BOTH,
        "Message values are limited to serialisable types: bytes, str, signed 64-bit ints, finite floats, lists, str-keyed dicts, bools and None.",
        "asgiref specs/asgi.rst § Events",
        unchecked="Checking every value of every message would cost O(message size) on the hot path, and tuples are used everywhere (AMB-05); "
        "asgiws checks the types of the fields it knows instead.",
    ),
    Clause(
        "WS-008",
        Level.INFO,
        Party.APPLICATION,
        "Applications are expected to cope with a mix of events, some from the client connection and some from other parts of the application.",
        "asgiref specs/asgi.rst § Events",
    ),
    Clause(
        "WS-009",
        Level.SHOULD,
        Party.SERVER,
        "A server should raise from send() when handed an invalid event: unknown type, missing required keys, or values of the wrong Python type.",
        "asgiref specs/asgi.rst § Error Handling",
    ),
    Clause(
        "WS-010",
        Level.SHOULD,
        Party.APPLICATION,
        "An application should raise when receive() hands it an invalid event dict.",
        "asgiref specs/asgi.rst § Error Handling",
    ),
    Clause(
        "WS-011",
        Level.SHOULD,
        Party.BOTH,
        "Neither side should raise just because an event carries extra, unknown keys; this keeps protocol upgrades non-breaking.",
        "asgiref specs/asgi.rst § Error Handling",
    ),
    Clause(
        "WS-012",
        Level.MUST,
        Party.SERVER,
        "A server may report an exception escaping the application as it likes, but must then terminate that app instance and its connection.",
        "asgiref specs/asgi.rst § Error Handling",
    ),
    Clause(
        "WS-013",
        Level.SHOULD,
        Party.SERVER,
        "By default a send() after the connection closed is no error and does nothing; for WebSocket from spec 2.4 on, WS-041 replaces this.",
        "asgiref specs/asgi.rst § Error Handling",
    ),
    Clause(
        "WS-014",
        Level.SHOULD,
        Party.SERVER,
        "Any exception send() raises should be of a class the server catches and ignores when it propagates out of the application.",
        "asgiref specs/asgi.rst § Error Handling",
        unchecked="Whether the server swallows its own exception after the application lets it escape happens once the exchange is over, "
        "and it leaves no message to check.",
    ),
    Clause(
        "WS-015",
        Level.SHOULD,
        Party.BOTH,
        "A server supporting an extension should advertise it as a dict under its name in scope['extensions']; the app may use its events only then.",
        "asgiref specs/asgi.rst § Extensions",
    ),
    Clause(
        "WS-016",
        Level.INFO,
        Party.APPLICATION,
        "Some protocols make the application wait for an opening message before it talks to the client; for WebSocket that is websocket.connect.",
        "asgiref specs/asgi.rst § Connection Scope",
    ),
    Clause(
        "WS-017",
        Level.SHOULD,
        Party.BOTH,
        "Middleware that changes the scope should copy it first instead of mutating the dict it was given.",
        "asgiref specs/asgi.rst § Middleware",
        unchecked="Copying versus mutating is invisible at the message layer: asgiws sees the scope the inner application gets, "
        "not whether a shared dict changed.",
    ),
    # --- asgiref specs/www.rst: WebSocket ---
    Clause(
        "WS-018",
        Level.SHOULD,
        Party.SERVER,
        "The server should answer pings and send its own pings to keep the connection alive; no ASGI message exists for control frames.",
        "asgiref specs/www.rst § WebSocket",
    ),
    Clause(
        "WS-019",
        Level.SHOULD,
        Party.SERVER,
        "The server should reassemble fragmented frames itself and deliver each complete message as one websocket.receive.",
        "asgiref specs/www.rst § WebSocket",
    ),
    Clause(
        "WS-020",
        Level.SHOULD,
        Party.SERVER,
        "A WebSocket connection reaches the application as a scope whose type is 'websocket'.",
        "asgiref specs/www.rst § WebSocket",
    ),
    Clause(
        "WS-021",
        Level.SHOULD,
        Party.BOTH,
        "The scope lives as long as the socket: if the app ends the server should close the socket, and if the socket closes the app should end.",
        "asgiref specs/www.rst § Websocket Connection Scope",
    ),
    Clause(
        "WS-022",
        Level.MUST,
        Party.SERVER,
        "Scope keys: scheme never empty; headers keep duplicates and, where possible, order; pseudo headers are removed, :authority becomes host.",
        "asgiref specs/www.rst § Websocket Connection Scope",
    ),
    Clause(
        "WS-023",
        Level.MUST,
        Party.SERVER,
        "websocket.connect is delivered when the client opens the connection, while the handshake is still pending.",
        "asgiref specs/www.rst § Connect - receive event",
    ),
    Clause(
        "WS-024",
        Level.MUST,
        Party.BOTH,
        "The application must answer websocket.connect with accept or close; until that answer the server delivers no websocket.receive.",
        "asgiref specs/www.rst § Connect - receive event",
    ),
    Clause(
        "WS-025",
        Level.MUST,
        Party.SERVER,
        "The server delivers websocket.connect during the handshake, completes it only after the app replies, and answers HTTP 403 on a denial.",
        "asgiref specs/www.rst § Connect - receive event",
    ),
    Clause(
        "WS-026",
        Level.MUST,
        Party.APPLICATION,
        "websocket.accept is the message by which the application accepts the incoming connection.",
        "asgiref specs/www.rst § Accept - send event",
    ),
    Clause(
        "WS-027",
        Level.MAY,
        Party.APPLICATION,
        "websocket.accept may name the subprotocol to use in subprotocol; an absent key means None, no subprotocol.",
        "asgiref specs/www.rst § Accept - send event",
    ),
    Clause(
        "WS-028",
        Level.MUST,
        Party.SERVER,
        "The server writes the websocket.accept headers into the handshake response in the order the application gave them.",
        "asgiref specs/www.rst § Accept - send event",
    ),
    Clause(
        "WS-029",
        Level.MUST,
        Party.APPLICATION,
        "Header names in websocket.accept headers are lower-case.",
        "asgiref specs/www.rst § Accept - send event",
    ),
    Clause(
        "WS-030",
        Level.MUST,
        Party.APPLICATION,
        "websocket.accept headers never include sec-websocket-protocol; the subprotocol key is the way to choose one.",
        "asgiref specs/www.rst § Accept - send event",
    ),
    Clause(
        "WS-031",
        Level.MUST,
        Party.APPLICATION,
        "websocket.accept headers never include HTTP/2 or HTTP/3 pseudo headers (names starting with ':').",
        "asgiref specs/www.rst § Accept - send event",
    ),
    Clause(
        "WS-032",
        Level.MUST,
        Party.APPLICATION,
        "websocket.accept headers exist from spec 2.1 on; sending them to a server that reports spec_version 2.0 is an error.",
        "asgiref specs/www.rst § Accept - send event and § Spec Versions",
    ),
    Clause(
        "WS-033",
        Level.MUST,
        Party.SERVER,
        "websocket.receive is delivered when a data message arrives from the client.",
        "asgiref specs/www.rst § Receive - receive event",
    ),
    Clause(
        "WS-034",
        Level.MUST,
        Party.SERVER,
        "In websocket.receive exactly one of bytes and text is non-None; either key may be absent, or both present.",
        "asgiref specs/www.rst § Receive - receive event",
    ),
    Clause(
        "WS-035",
        Level.MUST,
        Party.APPLICATION,
        "websocket.send is how the application sends one data message to the client.",
        "asgiref specs/www.rst § Send - send event",
    ),
    Clause(
        "WS-036",
        Level.MUST,
        Party.APPLICATION,
        "In websocket.send exactly one of bytes and text is non-None, either key may be absent; the server should raise otherwise (WS-009).",
        "asgiref specs/www.rst § Send - send event",
    ),
    Clause(
        "WS-037",
        Level.MUST,
        Party.SERVER,
        "websocket.disconnect is delivered whenever the connection ends: client close, server close, lost socket, and (#381) after 403 or denial.",
        "asgiref specs/www.rst § Disconnect - receive event and maintainer ruling #381",
    ),
    Clause(
        "WS-038",
        Level.MAY,
        Party.BOTH,
        "The server may start failing send() slightly before it delivers websocket.disconnect; after it, the app should expect every send() to fail.",
        "asgiref specs/www.rst § Disconnect - receive event",
    ),
    Clause(
        "WS-039",
        Level.SHOULD,
        Party.SERVER,
        "websocket.disconnect code carries the client's close code, and 1005 when the client's Close frame had no code.",
        "asgiref specs/www.rst § Disconnect - receive event",
    ),
    Clause(
        "WS-040",
        Level.MUST,
        Party.BOTH,
        "websocket.disconnect reason (spec 2.5) is any string; the server may leave it out, and the app must read absent or None as ''.",
        "asgiref specs/www.rst § Disconnect - receive event",
    ),
    Clause(
        "WS-041",
        Level.SHOULD,
        Party.SERVER,
        "From spec 2.4, send() on a closed connection should raise a server-specific OSError subclass; older servers may not.",
        "asgiref specs/www.rst § Disconnected Client - send exception",
    ),
    Clause(
        "WS-042",
        Level.MAY,
        Party.APPLICATION,
        "The application may catch that OSError to clean up, then re-raise it or return normally.",
        "asgiref specs/www.rst § Disconnected Client - send exception",
    ),
    Clause(
        "WS-043",
        Level.MUST,
        Party.SERVER,
        "A server must catch the OSError it raised from send() once it escapes the application, and should not log it as an error.",
        "asgiref specs/www.rst § Disconnected Client - send exception",
        unchecked="It happens after the exception leaves the application, in the server's own handling and logs; "
        "no ASGI message shows whether it was caught or logged.",
    ),
    Clause(
        "WS-044",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close is how the application tells the server to close the connection.",
        "asgiref specs/www.rst § Close - send event",
    ),
    Clause(
        "WS-045",
        Level.MUST,
        Party.SERVER,
        "websocket.close before accept makes the server refuse the handshake with HTTP 403; browsers may report that as close code 1006.",
        "asgiref specs/www.rst § Close - send event",
    ),
    Clause(
        "WS-046",
        Level.MUST,
        Party.SERVER,
        "websocket.close after accept makes the server close the socket with the message's code, or 1000 when code is absent.",
        "asgiref specs/www.rst § Close - send event",
    ),
    # --- asgiref docs/extensions.rst: Websocket Denial Response ---
    Clause(
        "WS-047",
        Level.MUST,
        Party.SERVER,
        "A server implementing the denial response extension advertises it as scope['extensions']['websocket.http.response'].",
        "asgiref docs/extensions.rst § Websocket Denial Response",
    ),
    Clause(
        "WS-048",
        Level.MAY,
        Party.APPLICATION,
        "When the extension is advertised, the app may answer websocket.connect with an HTTP response instead of accept or close.",
        "asgiref docs/extensions.rst § Websocket Denial Response",
    ),
    Clause(
        "WS-049",
        Level.MUST,
        Party.BOTH,
        "No other WebSocket message may follow a denial response (app MUST NOT); the server should send the HTTP response and close the connection.",
        "asgiref docs/extensions.rst § Websocket Denial Response",
    ),
    Clause(
        "WS-050",
        Level.SHOULD,
        Party.BOTH,
        "A denial uses websocket.http.response.start and websocket.http.response.body, shaped like http.response.start and http.response.body.",
        "asgiref docs/extensions.rst § Websocket Denial Response",
    ),
    Clause(
        "WS-050a",
        Level.MUST,
        Party.APPLICATION,
        "websocket.http.response.start must be followed by at least one websocket.http.response.body.",
        "asgiref docs/extensions.rst § Websocket Denial Response, inheriting specs/www.rst § Response Start - send event",
    ),
    Clause(
        "WS-050b",
        Level.MAY,
        Party.SERVER,
        "The server need not flush the response start to the socket before the first websocket.http.response.body arrives.",
        "asgiref docs/extensions.rst § Websocket Denial Response, inheriting specs/www.rst § Response Start - send event",
    ),
    Clause(
        "WS-050c",
        Level.MUST,
        Party.BOTH,
        "Denial response headers: lower-case names and no pseudo headers (application); written in the order given (server).",
        "asgiref docs/extensions.rst § Websocket Denial Response, inheriting specs/www.rst § Response Start - send event",
    ),
    Clause(
        "WS-050d",
        Level.MUST,
        Party.SERVER,
        "The server flushes the data of each websocket.http.response.body into the send buffer before send() returns.",
        "asgiref docs/extensions.rst § Websocket Denial Response, inheriting specs/www.rst § Response Body - send event",
        unchecked="Flushing to the send buffer before send() returns is transport timing inside the server; "
        "the ASGI messages are the same whether it happened or not.",
    ),
    Clause(
        "WS-050e",
        Level.MUST,
        Party.SERVER,
        "A websocket.http.response.body with more_body false or absent completes and closes the response; later messages are ignored (AMB-16).",
        "asgiref docs/extensions.rst § Websocket Denial Response, inheriting specs/www.rst § Response Body - send event",
    ),
    Clause(
        "WS-050f",
        Level.MUST,
        Party.SERVER,
        "The app may put a transfer-encoding header in the response start, but the server must ignore it and frame the body itself.",
        "asgiref docs/extensions.rst § Websocket Denial Response, inheriting specs/www.rst § Response Start - send event",
        unchecked="Ignoring an app-supplied transfer-encoding header shows only in the HTTP response the server writes; "
        "only a server checker that watches the wire can see it.",
    ),
    Clause(
        "WS-051",
        Level.SHOULD,
        Party.SERVER,
        "After a denial response completes, the server should still deliver websocket.disconnect when the app calls receive().",
        "asgiref specs/www.rst § Disconnect - receive event and maintainer ruling #381",
    ),
    # --- asgiref specs/www.rst: versioning ---
    Clause(
        "WS-052",
        Level.MUST,
        Party.APPLICATION,
        "An app must not use a feature newer than the server's spec_version, e.g. websocket.accept headers when the server reports 2.0.",
        "asgiref specs/www.rst § Spec Versions",
    ),
    Clause(
        "WS-053",
        Level.INFO,
        Party.BOTH,
        "The www spec_version is independent of both the HTTP version and the ASGI version.",
        "asgiref specs/www.rst § Spec Versions",
    ),
    # --- adjacent specs: lifespan and TLS ---
    Clause(
        "WS-054",
        Level.MUST,
        Party.SERVER,
        "With lifespan in use, the server starts no connection, hence no websocket scope, before lifespan.startup.complete.",
        "asgiref specs/lifespan.rst § Startup Complete - send event",
        unchecked="Lifespan ordering, outside the WebSocket scope this spec models.",
    ),
    Clause(
        "WS-055",
        Level.MUST,
        Party.SERVER,
        "lifespan.shutdown comes only after the server stopped accepting connections and closed every open one, WebSocket ones included.",
        "asgiref specs/lifespan.rst § Shutdown - receive event",
        unchecked="Lifespan ordering across scopes, outside the single WebSocket scope this spec models.",
    ),
    Clause(
        "WS-056",
        Level.MUST,
        Party.SERVER,
        "When lifespan state is supported, each websocket scope gets a shallow copy of the lifespan state namespace in scope['state'].",
        "asgiref specs/lifespan.rst § Lifespan State",
        unchecked="Showing the copy is shallow and taken from the lifespan namespace needs the lifespan scope, which asgiws never sees; "
        "it checks only that state is a dict.",
    ),
    Clause(
        "WS-057",
        Level.MUST,
        Party.SERVER,
        "scope['extensions']['tls'] appears only on TLS (wss) connections, never on plain ones.",
        "asgiref specs/tls.rst § When to use this extension",
    ),
    # --- RFC 6455 constraints on message fields ---
    Clause(
        "RFC-001",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close code is never 1005; that value only marks a Close frame that carried no code.",
        "RFC 6455 §7.4.1",
    ),
    Clause(
        "RFC-002",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close code is never 1006; that value only reports a connection that ended without any Close frame.",
        "RFC 6455 §7.4.1",
    ),
    Clause(
        "RFC-003",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close code is never 1015; that value only reports a failed TLS handshake.",
        "RFC 6455 §7.4.1",
    ),
    Clause(
        "RFC-004",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close code is never 1004, which RFC 6455 keeps reserved for a future meaning.",
        "RFC 6455 §7.4.1",
    ),
    Clause(
        "RFC-005",
        Level.MAY,
        Party.APPLICATION,
        "websocket.close code may be one of the codes RFC 6455 defines for sending: 1000, 1001, 1002, 1003, 1007, 1008, 1009 and 1011.",
        "RFC 6455 §7.4.1",
    ),
    Clause(
        "RFC-006",
        Level.SHOULD,
        Party.APPLICATION,
        "A server-side app should not close with 1010, a client-only code; it may still see 1010 in websocket.disconnect.",
        "RFC 6455 §7.4.1",
    ),
    Clause(
        "RFC-007",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close may use the IANA-registered 1012, 1013 and 1014, but never an unassigned code from 1016 to 2999.",
        "RFC 6455 §7.4.1 and IANA registry",
    ),
    Clause(
        "RFC-008",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close code lies in 1000-4999 (protocol, registered 3xxx, private 4xxx); 0-999 and 5000 up are never valid.",
        "RFC 6455 §7.4.2",
    ),
    Clause(
        "RFC-009",
        Level.INFO,
        Party.BOTH,
        "A Close frame may omit both code and reason; an ASGI websocket.close always implies a code (1000 when absent).",
        "RFC 6455 §7.4",
    ),
    Clause(
        "RFC-010",
        Level.MUST,
        Party.APPLICATION,
        "A control frame holds at most 125 bytes, so websocket.close reason is at most 123 bytes once encoded as UTF-8.",
        "RFC 6455 §5.5",
    ),
    Clause(
        "RFC-011",
        Level.MUST,
        Party.APPLICATION,
        "A Close body is the 2-byte code, then an optional UTF-8 reason: no reason without a code, and websocket.close reason must encode to UTF-8.",
        "RFC 6455 §5.5.1",
    ),
    Clause(
        "RFC-012",
        Level.INFO,
        Party.BOTH,
        "RFC 6455 forbids clients to display a close reason to end users; a reason is diagnostic text, not a user message.",
        "RFC 6455 §5.5.1",
    ),
    Clause(
        "RFC-013",
        Level.MUST,
        Party.SERVER,
        "The close code is that of the first Close frame received, 1005 if it had none, 1006 if none arrived; websocket.disconnect code reports it.",
        "RFC 6455 §7.1.5",
    ),
    Clause(
        "RFC-014",
        Level.MUST,
        Party.SERVER,
        "The close reason is the UTF-8 text after the code in the first Close frame received, else ''; websocket.disconnect reason reports it.",
        "RFC 6455 §7.1.6",
    ),
    Clause(
        "RFC-015",
        Level.MUST,
        Party.BOTH,
        "Text messages are valid UTF-8: websocket.receive never carries invalid text, and websocket.send text must encode to UTF-8.",
        "RFC 6455 §5.6 and §8.1",
    ),
    Clause(
        "RFC-016",
        Level.MUST,
        Party.BOTH,
        "No data frame may follow a Close frame, so no websocket.send after websocket.close may reach the wire.",
        "RFC 6455 §5.5.1",
    ),
    Clause(
        "RFC-017",
        Level.MUST,
        Party.SERVER,
        "On a client Close the server replies with its own Close promptly, then closes TCP; this exchange stays inside the server.",
        "RFC 6455 §5.5.1",
    ),
    Clause(
        "RFC-018",
        Level.MUST,
        Party.APPLICATION,
        "websocket.accept subprotocol is absent, None or one of scope['subprotocols']; '' is never legal, and with nothing offered it must be None.",
        "RFC 6455 §4.2.2",
    ),
    Clause(
        "RFC-019",
        Level.MUST,
        Party.APPLICATION,
        "The handshake response carries Sec-WebSocket-Protocol at most once, so websocket.accept headers must not add one (basis of WS-030).",
        "RFC 6455 §11.3.4",
    ),
    Clause(
        "RFC-020",
        Level.MUST,
        Party.APPLICATION,
        "A client fails the connection when the handshake names a subprotocol it did not offer, so websocket.accept must keep to the offered ones.",
        "RFC 6455 §4.1",
        unchecked="The duty falls on the client, beyond the server and out of asgiws's sight; "
        "the application-side rule it implies is checked under RFC-018.",
    ),
    Clause(
        "RFC-021",
        Level.MUST,
        Party.SERVER,
        "Each scope['subprotocols'] entry is a non-empty token of printable ASCII without separators, and no entry repeats.",
        "RFC 6455 §4.1",
    ),
    Clause(
        "RFC-022",
        Level.MUST,
        Party.APPLICATION,
        "Only extensions the client asked for may be answered; the server negotiates them, so accept headers must not add sec-websocket-extensions.",
        "RFC 6455 §9 and §9.1",
    ),
    Clause(
        "RFC-023",
        Level.MUST,
        Party.APPLICATION,
        "Sec-WebSocket-Extensions and Sec-WebSocket-Accept appear at most once in the response, so websocket.accept headers must not repeat them.",
        "RFC 6455 §11.3.2 and §11.3.3",
    ),
    Clause(
        "RFC-024",
        Level.MUST,
        Party.SERVER,
        "The server takes fragmented and whole messages and keeps fragment order, so one websocket.receive is one whole message (see WS-019).",
        "RFC 6455 §5.4 and §6.2",
    ),
    Clause(
        "RFC-025",
        Level.MUST,
        Party.SERVER,
        "The server answers every Ping with a Pong unless a Close frame already arrived; none of this surfaces as an ASGI message.",
        "RFC 6455 §5.5.2",
    ),
    Clause(
        "RFC-026",
        Level.MUST,
        Party.SERVER,
        "A server with frame or message size limits must protect them; the application sees a breach only as websocket.disconnect (often 1009).",
        "RFC 6455 §10.4",
        unchecked="Size limits are the server's own configuration and act below the ASGI layer; "
        "a websocket.disconnect code alone cannot show whether a limit was guarded.",
    ),
    Clause(
        "RFC-027",
        Level.SHOULD,
        Party.SERVER,
        "On invalid data the server should close with a fitting code, and answer a malformed handshake with an HTTP error, without the application.",
        "RFC 6455 §10.7",
    ),
    Clause(
        "RFC-028",
        Level.MUST,
        Party.APPLICATION,
        "If the requested resource is unavailable, the handshake is refused with an HTTP error such as 404 (a denial response; 403 without it).",
        "RFC 6455 §4.2.2",
        unchecked="Whether a resource is available is the application's own judgement, so asgiws cannot know which status fits; "
        "it checks only that a denial status is final (AW-01).",
    ),
    Clause(
        "RFC-029",
        Level.SHOULD,
        Party.APPLICATION,
        "A handshake from an unacceptable Origin should get HTTP 403, which websocket.close before accept produces.",
        "RFC 6455 §10.2",
        unchecked="Which origins are acceptable is the application's policy, so asgiws has no ground to demand a 403; "
        "close before accept is checked to mean 403 under WS-045.",
    ),
    Clause(
        "RFC-030",
        Level.INFO,
        Party.BOTH,
        "A client treats any reply other than 101 as an ordinary HTTP response, so a 403 or a denial response reaches it as plain HTTP.",
        "RFC 6455 §4.1",
    ),
    Clause(
        "RFC-031",
        Level.MUST,
        Party.SERVER,
        "A client sends no data before the handshake response, so before accept the server has nothing to deliver as websocket.receive.",
        "RFC 6455 §4.1",
    ),
    Clause(
        "RFC-032",
        Level.MUST,
        Party.SERVER,
        "A received Close with a 1-byte body, a code outside the valid ranges or a reserved code is a protocol error that fails the connection.",
        "RFC 6455 §5.5.1, §7.4.1 and §7.1.7",
    ),
    # --- joint constraints between the receive and send sides ---
    Clause(
        "J-01",
        Level.MUST,
        Party.SERVER,
        "websocket.connect is the first message the server delivers, and it is delivered exactly once.",
        "derived: WS-023 and WS-025",
    ),
    Clause(
        "J-02",
        Level.MUST,
        Party.SERVER,
        "The handshake stays open until the app sends websocket.accept, websocket.close or, with the extension, websocket.http.response.start.",
        "derived: WS-025",
    ),
    Clause(
        "J-03",
        Level.MUST,
        Party.SERVER,
        "No websocket.receive is delivered before the server has processed the application's websocket.accept.",
        "derived: WS-024 and RFC-031",
    ),
    Clause(
        "J-04",
        Level.MUST,
        Party.SERVER,
        "websocket.close before accept means HTTP 403 and no handshake (MUST), then websocket.disconnect on the receive side (SHOULD).",
        "derived: WS-045 and maintainer ruling #381",
    ),
    Clause(
        "J-05",
        Level.SHOULD,
        Party.SERVER,
        "A denial response goes out with the app's status, headers and body, then the connection closes and websocket.disconnect follows.",
        "derived: WS-049 and maintainer ruling #381",
    ),
    Clause(
        "J-06",
        Level.MUST,
        Party.SERVER,
        "websocket.close after accept sends a Close frame with the app's code (1000 by default); websocket.disconnect follows, its code unspecified.",
        "derived: WS-046 and WS-037",
    ),
    Clause(
        "J-07",
        Level.MUST,
        Party.SERVER,
        "A client Close while open gets a Close reply, then websocket.disconnect with the client's code (1005 if none) and reason; later sends fail.",
        "derived: WS-039, WS-040, WS-041 and RFC-017",
    ),
    Clause(
        "J-08",
        Level.MUST,
        Party.SERVER,
        "A socket lost without any Close frame still leads to websocket.disconnect; ASGI leaves its code open, RFC 6455 says 1006.",
        "derived: WS-037 and RFC-013",
    ),
    Clause(
        "J-09",
        Level.SHOULD,
        Party.SERVER,
        "Once websocket.disconnect is delivered, send() should raise an OSError subclass; it may start doing so just before the disconnect.",
        "derived: WS-038 and WS-041",
    ),
    Clause(
        "J-10",
        Level.MUST,
        Party.BOTH,
        "An app that raises or returns ends its connection (server MUST on an exception); a closed socket should end the app instance.",
        "derived: WS-012 and WS-021",
    ),
    Clause(
        "J-11",
        Level.SHOULD,
        Party.SERVER,
        "After the app's websocket.close, data still arriving from the client should not be delivered as websocket.receive.",
        "asgiref maintainer ruling #349",
    ),
    Clause(
        "J-12",
        Level.MUST,
        Party.BOTH,
        "Features follow spec_version: accept headers 2.1, close reason 2.3, send OSError 2.4, disconnect reason 2.5; extra keys never raise.",
        "derived: WS-011 and WS-052",
    ),
    Clause(
        "J-13",
        Level.MUST,
        Party.SERVER,
        "send() returns once the message is handed to the transport or the connection is closed; a response body is flushed before it returns.",
        "derived: WS-002 and WS-050d",
        unchecked="When send() returns relative to the transport is timing inside the server; the message sequence is the same either way.",
    ),
    # --- asgiws additions ---
    Clause(
        "AW-01",
        Level.MUST,
        Party.APPLICATION,
        "websocket.http.response.start status is a final HTTP status from 200 to 599, never 101 or any other 1xx.",
        "asgiws resolution of AMB-22",
    ),
    Clause(
        "AW-02",
        Level.MUST,
        Party.APPLICATION,
        "websocket.http.response.start carries no trailers: the trailers key is absent or false.",
        "asgiws resolution of AMB-23 (asgiref PR #351, issue #433)",
    ),
    Clause(
        "AW-03",
        Level.MUST,
        Party.APPLICATION,
        "websocket.accept headers never set sec-websocket-accept, sec-websocket-extensions, upgrade or connection; the server owns those.",
        "asgiws resolution of AMB-09 (RFC 6455 §9.1, §11.3)",
    ),
    Clause(
        "AW-04",
        Level.MUST,
        Party.APPLICATION,
        "websocket.close code, when present, is an int; None is refused instead of being read as the 1000 default.",
        "asgiws resolution of AMB-14",
    ),
    Clause(
        "AW-05",
        Level.SHOULD,
        Party.APPLICATION,
        "An application ends an open connection by closing it, not by raising: an exception leaves the close code to the server.",
        "asgiws resolution of AMB-18",
    ),
    # --- asgiws additions: what the server owes the wire and the application ---
    Clause(
        "AW-06",
        Level.MUST,
        Party.SERVER,
        "A handshake the app refuses or never decides gets an HTTP response (403 after a close, an error status otherwise), never a bare TCP close.",
        "asgiws resolution of AMB-18, from WS-045, WS-012 and RFC 6455 §4.2.2",
    ),
    Clause(
        "AW-07",
        Level.SHOULD,
        Party.SERVER,
        "An app that returns or raises after the accept leaves the client a Close frame (1011 after an exception), not a dropped connection.",
        "asgiws resolution of AMB-18, from WS-012, WS-021 and RFC 6455 §7.1.1 and §7.4.1",
    ),
    Clause(
        "AW-08",
        Level.SHOULD,
        Party.SERVER,
        "websocket.disconnect mirrors the client's Close frame: its code (1005 when it had none) and, from spec 2.5, its reason.",
        "WS-039 and WS-040 read with RFC 6455 §7.1.5 and §7.1.6",
    ),
    Clause(
        "AW-09",
        Level.SHOULD,
        Party.SERVER,
        "From spec 2.3, the reason of the application's websocket.close reaches the Close frame with the code.",
        "asgiref specs/www.rst § Close - send event and § Spec Versions (2.3)",
    ),
    Clause(
        "AW-10",
        Level.MUST,
        Party.SERVER,
        "The server never puts a code invalid on the wire (reserved, unassigned, below 1000, from 5000) in a Close frame; it refuses such a close.",
        "RFC 6455 §7.4.1 and §7.4.2 bind the endpoint, which is the server; WS-009",
    ),
    Clause(
        "AW-11",
        Level.MUST,
        Party.SERVER,
        "The server never sends a control frame over 125 bytes: a close reason over 123 bytes of UTF-8 is refused, never sent whole.",
        "RFC 6455 §5.5 binds the endpoint, which is the server; WS-009",
    ),
    Clause(
        "AW-12",
        Level.MUST,
        Party.SERVER,
        "The 101 response names exactly the subprotocol the application accepted, and never one the client did not offer, nor an empty one.",
        "RFC 6455 §4.2.2 binds the server; WS-027",
    ),
    Clause(
        "AW-13",
        Level.SHOULD,
        Party.SERVER,
        "Every websocket.send becomes one message of its kind on the wire and every client message one websocket.receive, empty ones too.",
        "WS-034 and WS-036 ('exactly one of bytes or text must be non-None'; an empty value is not None); RFC 6455 §5.6",
    ),
    Clause(
        "AW-14",
        Level.SHOULD,
        Party.SERVER,
        "scope['subprotocols'] lists every offered subprotocol in order: Sec-WebSocket-Protocol values split on commas and trimmed, lines joined.",
        "asgiws resolution of AMB-03, from RFC 6455 §4.1 and §11.3.4 (1#token) and RFC 9110 §5.3",
    ),
    Clause(
        "AW-15",
        Level.MUST,
        Party.SERVER,
        "The server sends no masked frame, RSV bits or reserved opcode, and fails the connection (1002) when the client sends such a frame.",
        "RFC 6455 §5.1, §5.2, §5.4, §5.5 and §7.1.7",
    ),
)
