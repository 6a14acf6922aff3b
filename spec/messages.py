"""The vocabulary of the exchange: ASGI message types and transport signals."""

from __future__ import annotations

import enum

from .states import Side

__all__ = ["MESSAGE_SIDE", "MESSAGE_TYPES", "SEND_FAILED_CLOSE_CODE", "MessageType", "Signal"]


class MessageType(enum.StrEnum):
    """Every ``type`` a WebSocket ASGI message can carry.

    Members are strings, so ``MessageType.SEND == "websocket.send"``.
    """

    CONNECT = "websocket.connect"
    RECEIVE = "websocket.receive"
    DISCONNECT = "websocket.disconnect"
    ACCEPT = "websocket.accept"
    SEND = "websocket.send"
    CLOSE = "websocket.close"
    RESPONSE_START = "websocket.http.response.start"
    RESPONSE_BODY = "websocket.http.response.body"


class Signal(enum.StrEnum):
    """Events that are not messages but still move a side.

    ASGI 2.4 lets a server raise an ``OSError`` subclass from ``send()`` once the
    connection is closed; the application then has nobody to talk to.
    """

    #: The server's ``send()`` raised ``OSError``: the peer is gone.
    SEND_FAILED = "send.oserror"


#: The side each message type travels on, in the order the spec lists them.
MESSAGE_SIDE: dict[MessageType, Side] = {
    MessageType.CONNECT: Side.RECEIVE,
    MessageType.RECEIVE: Side.RECEIVE,
    MessageType.DISCONNECT: Side.RECEIVE,
    MessageType.ACCEPT: Side.SEND,
    MessageType.SEND: Side.SEND,
    MessageType.CLOSE: Side.SEND,
    MessageType.RESPONSE_START: Side.SEND,
    MessageType.RESPONSE_BODY: Side.SEND,
}

#: Every message type by its ``type`` string, for reading a message's ``type``.
MESSAGE_TYPES: dict[str, MessageType] = {message.value: message for message in MessageType}

#: The close code the application sees when the server's send() raised
#: OSError: the connection closed without a Close frame (RFC 6455 §7.1.5, RFC-013).
SEND_FAILED_CLOSE_CODE = 1006
