"""The two sides of a connection and the states each side moves through."""

from __future__ import annotations

import enum
from typing import NamedTuple

__all__ = ["INITIAL_STATES", "Side", "State", "States"]


class Side(enum.Enum):
    """Which half of the ASGI exchange a message travels on.

    The spec keys every table by side, as h11 keys its tables by role.
    """

    #: What the server delivers to the application through ``receive()``.
    RECEIVE = "receive"
    #: What the application hands to the server through ``send()``.
    SEND = "send"


class State(enum.Enum):
    """The state of one side, with Starlette's ``WebSocketState`` names and values.

    Both sides use the same four names, as Starlette's ``client_state`` and
    ``application_state`` do.
    """

    #: Receive side: ``websocket.connect`` not yet delivered.
    #: Send side: the handshake is undecided (no accept, close or denial yet).
    CONNECTING = 0
    #: Receive side: ``websocket.connect`` delivered; data may follow once accepted.
    #: Send side: the application accepted; data messages may flow.
    CONNECTED = 1
    #: Receive side: ``websocket.disconnect`` delivered; nothing more will come.
    #: Send side: the application closed, finished a denial response, or the
    #: transport failed; nothing more may be sent.
    DISCONNECTED = 2
    #: Receive side: the application is answering the handshake with an HTTP
    #: response; only ``websocket.disconnect`` may still be delivered.
    #: Send side: a denial response has started and its body is being sent.
    RESPONSE = 3


class States(NamedTuple):
    """The state of each side of one connection: a small value keyed by side.

    The field names are the values of :class:`Side`, so the state of a side is
    ``getattr(states, side.value)``; as a tuple it reads (receive, send).
    """

    #: Starlette's ``client_state``: what the server has delivered.
    receive: State
    #: Starlette's ``application_state``: what the application has sent.
    send: State


#: Where every connection starts: nothing delivered, nothing sent.
INITIAL_STATES = States(State.CONNECTING, State.CONNECTING)
