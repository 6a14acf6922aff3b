"""What a client does, as small typed actions, and the message the server delivers for each.

A client connects (:class:`Connect`), sends text or bytes (:class:`SendText`,
:class:`SendBytes`), and leaves: with a Close frame (:class:`Disconnect`), or
without one when the transport dies (:class:`Vanish`). Each action knows the
ASGI message a conformant server delivers to the application for it
(``action.message()``), and :func:`action_for` reads an action back from
such a message.

The server may spell a ``websocket.receive`` two ways: the other payload key
absent (uvicorn) or present as None (Hypercorn); ``other_key_as_none`` picks
the second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..spec import SEND_FAILED_CLOSE_CODE, MessageType

__all__ = ["DISCONNECT_CODES", "ClientAction", "Connect", "Disconnect", "Pause", "SendBytes", "SendText", "Vanish", "action_for"]

#: The close codes a client leaves with when a test picks them: normal, going
#: away, no code, abnormal, service restart, and one of the application range.
DISCONNECT_CODES = (1000, 1001, 1005, 1006, 1012, 4000)


@dataclass(frozen=True)
class Connect:
    """The client opens the connection: the server delivers ``websocket.connect``."""

    message_type: ClassVar[MessageType] = MessageType.CONNECT

    def message(self) -> dict[str, Any]:
        """The message the server delivers for this action."""
        return {"type": self.message_type.value}


@dataclass(frozen=True)
class SendText:
    """The client sends a text frame: a ``websocket.receive`` with ``text``.

    ``other_key_as_none``: the message also carries ``bytes`` as None, as Hypercorn delivers it.
    """

    text: str
    other_key_as_none: bool = False
    message_type: ClassVar[MessageType] = MessageType.RECEIVE

    def message(self) -> dict[str, Any]:
        """The message the server delivers for this action."""
        message: dict[str, Any] = {"type": self.message_type.value, "text": self.text}
        if self.other_key_as_none:
            message["bytes"] = None
        return message


@dataclass(frozen=True)
class SendBytes:
    """The client sends a binary frame: a ``websocket.receive`` with ``bytes``.

    ``other_key_as_none``: the message also carries ``text`` as None, as Hypercorn delivers it.
    """

    data: bytes
    other_key_as_none: bool = False
    message_type: ClassVar[MessageType] = MessageType.RECEIVE

    def message(self) -> dict[str, Any]:
        """The message the server delivers for this action."""
        message: dict[str, Any] = {"type": self.message_type.value, "bytes": self.data}
        if self.other_key_as_none:
            message["text"] = None
        return message


@dataclass(frozen=True)
class Disconnect:
    """The client leaves with a Close frame: a ``websocket.disconnect`` with its code and reason."""

    code: int
    reason: str | None = None
    message_type: ClassVar[MessageType] = MessageType.DISCONNECT

    def message(self) -> dict[str, Any]:
        """The message the server delivers for this action; no ``reason`` key when there is none."""
        message: dict[str, Any] = {"type": self.message_type.value, "code": self.code}
        if self.reason is not None:
            message["reason"] = self.reason
        return message


@dataclass(frozen=True)
class Vanish:
    """The transport dies without a Close frame.

    The server reports a ``websocket.disconnect`` with 1006, and from spec 2.4
    on its ``send()`` raises ``OSError`` from then on (before 2.4 it drops
    what the application sends).
    """

    message_type: ClassVar[MessageType] = MessageType.DISCONNECT

    def message(self) -> dict[str, Any]:
        """The message the server delivers for this action."""
        return {"type": self.message_type.value, "code": SEND_FAILED_CLOSE_CODE}


#: Anything a client does.
ClientAction = Connect | SendText | SendBytes | Disconnect | Vanish


def action_for(message: Mapping[str, Any], *, vanishes: bool = False) -> ClientAction:
    """The action for which a conformant server delivers ``message``; ``vanishes``: the transport died with it.

    Raises:
        ValueError: no client action makes a server deliver this message.
    """
    kind = message.get("type")
    if kind == MessageType.DISCONNECT.value:
        return Vanish() if vanishes else Disconnect(message["code"], message.get("reason"))
    if kind == MessageType.CONNECT.value:
        return Connect()
    if kind == MessageType.RECEIVE.value:
        if message.get("text") is not None:
            return SendText(message["text"], other_key_as_none="bytes" in message)
        return SendBytes(message["bytes"], other_key_as_none="text" in message)
    msg = f"no client action makes a server deliver {kind!r}"
    raise ValueError(msg)


@dataclass(frozen=True)
class Pause:
    """The client stays silent until ``wait()`` has finished, while the application waits for it.

    Not a message: the app checker uses it to run another client's whole
    connection in the middle of this one, against the same application, so
    that what one connection leaves behind (a dead socket in a shared list)
    meets the next.
    """

    wait: Callable[[], Awaitable[Any]]
