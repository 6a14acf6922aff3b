"""ASGI WebSocket spec versions and extensions, the gates on fields and rules."""

from __future__ import annotations

import enum

__all__ = ["DEFAULT_VERSION", "LATEST_VERSION", "SEND_RAISES_SINCE", "VERSION_CHANGES", "VERSION_GATE_CLAUSES", "Extension", "SpecVersion"]


class SpecVersion(enum.Enum):
    """A value of ``scope["asgi"]["spec_version"]`` for the WebSocket spec.

    Members are declared in release order; compare them by that order, never as
    strings.
    """

    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_2 = "2.2"
    V2_3 = "2.3"
    V2_4 = "2.4"
    V2_5 = "2.5"


class Extension(enum.StrEnum):
    """Extensions a server advertises in ``scope["extensions"]``."""

    #: The Websocket Denial Response extension: the application may answer the
    #: handshake with an HTTP response instead of accept or close.
    DENIAL_RESPONSE = "websocket.http.response"


#: "If missing assume 2.0" (www, Websocket Connection Scope).
DEFAULT_VERSION = SpecVersion.V2_0
#: The newest version this spec package knows.
LATEST_VERSION = SpecVersion.V2_5

#: What each version changed for WebSockets, in the project's words.
VERSION_CHANGES: dict[SpecVersion, str] = {
    SpecVersion.V2_0: "The baseline: connect, accept with a subprotocol, receive, send, disconnect with a code, close with a code.",
    SpecVersion.V2_1: "websocket.accept gains headers.",
    SpecVersion.V2_2: "scope['server'] may be [unix_socket_path, None].",
    SpecVersion.V2_3: "websocket.close gains reason.",
    SpecVersion.V2_4: "send() on a closed connection should raise an OSError subclass.",
    SpecVersion.V2_5: "websocket.disconnect gains reason.",
}

#: Why a field newer than the connection's spec version is refused when the
#: application sends it with a value: the server would drop it (AMB-06).
VERSION_GATE_CLAUSES: tuple[str, ...] = ("WS-052", "J-12", "AMB-06")

#: From this version on, a server's send() on a closed connection raises an
#: OSError subclass (WS-041); before it, the send does nothing (WS-013).
SEND_RAISES_SINCE = SpecVersion.V2_4
