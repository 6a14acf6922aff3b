"""Where the spec is silent or contradicts itself, and what asgiws decides.

Each entry names the question in the project's words, the decision, and why.
``affects`` lists the clauses or rules whose check depends on the decision; an
empty tuple means no check does, and the entry is kept so that every ``AMB-nn``
of the reference can be explained.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AMBIGUITIES", "Ambiguity"]


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """One open question of the spec and asgiws's answer."""

    id: str
    question: str
    resolution: str
    reason: str
    affects: tuple[str, ...] = ()


AMBIGUITIES: tuple[Ambiguity, ...] = (
    Ambiguity(
        "AMB-01",
        "The scope text lists spec versions up to 2.3 although 2.4 and 2.5 exist.",
        "Any of 2.0 to 2.5 is a valid spec_version; versions compare in release order, not as strings.",
        "The changelog defines 2.4 and 2.5 and servers advertise them; only the enumeration is stale.",
        ("WS-004",),
    ),
    Ambiguity(
        "AMB-02",
        "query_string is bytes but its default is described as an empty string.",
        "The default is b''.",
        "The field is typed as a byte string everywhere else.",
        ("WS-022",),
    ),
    Ambiguity(
        "AMB-03",
        "How a server turns Sec-WebSocket-Protocol into scope['subprotocols'] is not specified.",
        "asgiws only checks that each entry is a distinct RFC 6455 token; it does not guess the header parsing.",
        "Servers split and combine header lines differently; a token with a comma in it is the visible symptom.",
        ("RFC-021",),
    ),
    Ambiguity(
        "AMB-04",
        "scope['extensions'] may be None according to asgiref's typing module.",
        "A missing or None extensions key means no extensions.",
        "Both spellings occur in practice and neither advertises anything.",
        ("WS-015",),
    ),
    Ambiguity(
        "AMB-05",
        "Header pairs: lists as the spec says, or tuples as every implementation uses?",
        "A header pair (and a [host, port] address) is a two-item list or tuple.",
        "Rejecting tuples would reject every real application and server; a set or a generator has no dependable order.",
        ("WS-029", "WS-050c"),
    ),
    Ambiguity(
        "AMB-06",
        "Sending a key newer than the server's spec_version is called an error, yet extra keys must not raise.",
        "A field the application sends that is newer than the scope's spec_version is refused when it carries a value "
        "(non-empty headers or reason); absent, None or empty passes. Newer fields the server delivers are accepted.",
        "The server would drop the value silently; Starlette always sends headers=[] and reason='', which lose nothing. "
        "uvicorn advertises 2.4 yet sends the 2.5 disconnect reason, which harms nobody (WS-011).",
        ("WS-032", "WS-052", "J-12"),
    ),
    Ambiguity(
        "AMB-07",
        "May an application send before it has received websocket.connect?",
        "Yes: sends do not depend on the receive side having delivered websocket.connect.",
        "Servers queue connect before starting the app, and Starlette closes and denies without consuming it.",
        ("J-01",),
    ),
    Ambiguity(
        "AMB-08",
        "May websocket.accept name a subprotocol the client did not offer, or the empty string?",
        "No: subprotocol is absent, None, or one of scope['subprotocols'].",
        "RFC 6455 forbids it and the client must then fail the connection; Hypercorn and wsproto already refuse it.",
        ("RFC-018",),
    ),
    Ambiguity(
        "AMB-09",
        "Which handshake headers may an application add to websocket.accept?",
        "Besides sec-websocket-protocol, asgiws refuses sec-websocket-accept, sec-websocket-extensions, upgrade and connection.",
        "The server writes those itself; a second copy breaks the handshake (RFC 6455 §11.3).",
        ("WS-030", "AW-03"),
    ),
    Ambiguity(
        "AMB-10",
        "Which code reports a connection lost without a Close frame?",
        "Any reportable code is accepted in websocket.disconnect; asgiws does not pick between 1005 and 1006.",
        "Servers disagree and the spec is silent; refusing either would reject conformant servers.",
        ("RFC-013",),
    ),
    Ambiguity(
        "AMB-11",
        "Which code and reason does websocket.disconnect carry after the application closed?",
        "Not checked beyond the code being reportable.",
        "uvicorn echoes the app's code, Hypercorn reports 1000, the legacy websockets backend 1005.",
        (),
    ),
    Ambiguity(
        "AMB-12",
        "Servers report client-side or invalid close codes differently.",
        "websocket.disconnect must carry a code a server can report (1000-1003, 1005-1015, 3000-4999).",
        "Codes outside those ranges cannot come from a conformant peer and mean the server passed garbage on.",
        ("RFC-032",),
    ),
    Ambiguity(
        "AMB-13",
        "What happens to both or neither of bytes/text, empty payloads, and text that is not valid UTF-8?",
        "Exactly one of bytes/text must be non-None, empty payloads are valid, and text must encode to UTF-8.",
        "Servers silently drop empty messages or raise TypeError late; refusing before the send loses nothing.",
        ("WS-036", "RFC-015"),
    ),
    Ambiguity(
        "AMB-14",
        "Is websocket.close with code None a missing code or an error?",
        "An error: code is absent (meaning 1000) or an int.",
        "Servers turn None into an empty Close frame, a TypeError or 1000; an empty Close by accident helps nobody.",
        ("AW-04",),
    ),
    Ambiguity(
        "AMB-15",
        "Must the close code and reason be valid on the wire, given 'can be any string'?",
        "Yes: the code must be sendable and the reason at most 123 bytes of UTF-8.",
        "wsproto rewrites and truncates silently and websockets raises; checking first makes every server behave alike.",
        ("RFC-001", "RFC-010"),
    ),
    Ambiguity(
        "AMB-16",
        "What may be sent once the connection is closed: no-op or error?",
        "After the application's own close (or a finished denial) every send is refused as a wrong-state use. "
        "After websocket.disconnect every send is refused as peer-gone, for every spec version.",
        "Before 2.4 a server drops such sends silently; refusing them in all versions means nothing is lost silently.",
        ("RFC-016", "J-09", "WS-013"),
    ),
    Ambiguity(
        "AMB-17",
        "What does receive() return after websocket.disconnect?",
        "Nothing: a receive after the disconnect is refused before it reaches the server.",
        "Queue-based servers block forever there; Starlette raises, and a clear error beats a hang.",
    ),
    Ambiguity(
        "AMB-18",
        "What happens when the application returns or raises?",
        "Not a message rule; the app checker reports an app that ends before deciding the handshake.",
        "The spec leaves the status and close code to the server.",
        (),
    ),
    Ambiguity("AMB-19", "Does the server cancel the app when the socket closes?", "Not checked.", "No message shows it.", ()),
    Ambiguity("AMB-20", "Concurrent receive() callers and backpressure.", "Not checked.", "The spec says nothing.", ()),
    Ambiguity("AMB-21", "Close codes of server-initiated closes.", "Any reportable code is accepted.", "The spec names none.", ()),
    Ambiguity(
        "AMB-22",
        "Which statuses may a denial response use?",
        "A final status from 200 to 599.",
        "101 would claim an upgrade and 1xx are not final; uvicorn already refuses statuses outside 100-599.",
        ("AW-01",),
    ),
    Ambiguity(
        "AMB-23",
        "What does the denial response inherit from HTTP responses?",
        "The keys (status, headers, body, more_body) and the header rules; no trailers.",
        "asgiref PR #351 and issue #433 exclude trailers and HTTP extensions.",
        ("AW-02", "WS-050c"),
    ),
    Ambiguity(
        "AMB-24",
        "Does websocket.close before accept still mean 403 when the denial extension is advertised?",
        "Yes: close before accept moves the send side to DISCONNECTED whatever the extensions.",
        "The extension is opt-in and does not change the core rule.",
        ("WS-045",),
    ),
    Ambiguity(
        "AMB-25",
        "Scope header names should be lower-case but need not be.",
        "Scope header case is not checked.",
        "The spec allows either.",
        (),
    ),
    Ambiguity("AMB-26", "http_version and scheme for HTTP/3 WebSockets.", "Any string is accepted.", "The spec lists none.", ()),
    Ambiguity(
        "AMB-27",
        "What should an application do with a binary message when it expects text?",
        "A typed error from receive_text() that keeps the message (still a KeyError, for old except clauses), never None.",
        "Which frame type an app accepts is its own business; failing loudly is asgiws's.",
    ),
    Ambiguity("AMB-28", "Simultaneous close from both ends.", "Any reportable code is accepted.", "RFC 6455 gives no tie-break.", ()),
    Ambiguity(
        "AMB-29",
        "Which spec version does a scope without an 'asgi' key speak (Starlette's TestClient sends none)?",
        "The latest version asgiws knows; a scope with 'asgi' but no spec_version speaks 2.0, as the spec says.",
        "A missing 'asgi' key already breaks WS-003, so it comes from a test double, not from a 2.0 server; "
        "judging it as 2.0 would refuse accept headers and close reasons in every TestClient test.",
        ("WS-003", "WS-004"),
    ),
    Ambiguity(
        "AMB-30",
        "Is websocket.receive after the application's own close a server error (J-11, asgiref #349)?",
        "No: it is delivered.",
        "A message the client sent before the close crossed is queued and looks the same; uvicorn delivers such "
        "queued messages before the disconnect, and refusing them would break the reader/writer task pattern.",
        ("J-11",),
    ),
    Ambiguity(
        "AMB-31",
        "Is data delivered after the application refused the handshake (close or denial before the accept) refused?",
        "Only while the refusal is still visible in the states (send side CONNECTING or RESPONSE); once both sides are "
        "past it, a later websocket.receive is delivered.",
        "A refused handshake and a close after the accept both leave the send side DISCONNECTED; telling them apart "
        "would need history the state pair does not keep, and refusing would break correct servers in the rare case "
        "(accept sent before websocket.connect was read, then close, AMB-07). Only a broken server sends such data.",
        ("J-03", "J-04", "J-05"),
    ),
    Ambiguity(
        "AMB-32",
        "What does a server do with a message it refuses, and is what the application does next a new violation?",
        "The app checker's simulated server behaves as a strict server: the refused message takes no effect, its send() "
        "raises RuntimeError, and nothing the application does afterwards on that connection is reported: the first "
        "refusal is the one root cause.",
        "Real servers refuse what they cannot send (uvicorn and Hypercorn raise RuntimeError from send()), and what an "
        "application does next (sending data after a refused accept, or crashing on the error) follows from the first "
        "mistake: reporting it again would bury the cause under its consequences.",
        ("WS-024", "J-03"),
    ),
    Ambiguity(
        "AMB-33",
        "Is a send after websocket.disconnect, or after send() raised because the client went, a violation by the application?",
        "No: the server raises an OSError subclass (2.4 on) or drops the message (before 2.4), and the application may "
        "catch that error or let it escape (WS-042), which the server must not log (WS-043). What is reported is harm "
        "to what is still alive: the error killing another client's open connection (AW-05), or an application that "
        "never ends (WS-021).",
        "A task that sends while another reads always races the client's leaving: no application can avoid the first such "
        "send, and under a spec-following server it harms nothing. J-09 binds the server, not the application.",
        ("J-09", "WS-041", "WS-042", "AW-05"),
    ),
)
