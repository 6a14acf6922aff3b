"""asgiws.engine: one connection between an ASGI application and a client, run and judged.

The neutral layer under both ``asgiws.testing`` (Hypothesis plays the client)
and ``asgiws.conformance`` (``asgiws check app`` plays scripts); it imports
neither, nor Hypothesis:

* :mod:`~asgiws.engine.actions`: what a client does, as typed actions
  (:class:`Connect`, :class:`SendText`, :class:`SendBytes`,
  :class:`Disconnect`, :class:`Vanish`), each with the message the server
  delivers for it;
* :mod:`~asgiws.engine.server`: the :class:`SimulatedServer`, the honest
  ``receive``/``send`` pair of one connection;
* :mod:`~asgiws.engine.scope`: :func:`websocket_scope`, the scope a real
  server builds for a :class:`Handshake` (a browser's, by default);
* :mod:`~asgiws.engine.client`: the :class:`Client` protocol and the
  :class:`ScriptedClient`;
* :mod:`~asgiws.engine.runner`: :func:`run_connection`, which runs an
  application against a client and returns a :class:`Transcript` with its
  :class:`Outcome` and every :class:`Finding`
  (:mod:`~asgiws.engine.findings`);
* :mod:`~asgiws.engine.watchdog`: :func:`watchdog`, which takes the loop back
  from an application that never awaits (:class:`Stalled`), and
  :func:`contained`, which makes its ``SystemExit`` an error of the
  application (:class:`AppExit`) instead of the end of the checker.
"""

from __future__ import annotations

from .actions import DISCONNECT_CODES, ClientAction, Connect, Disconnect, Pause, SendBytes, SendText, Vanish, action_for
from .client import Client, ScriptedClient
from .findings import Finding
from .runner import ASGIApp, Outcome, Transcript, run_connection
from .scope import Handshake, split_target, websocket_scope
from .server import SUSPENDED, AsyncioWaiter, SimulatedServer, SuspendingWaiter, Waiter, drive
from .watchdog import AppExit, Stalled, contained, watchdog

__all__ = [
    "DISCONNECT_CODES",
    "SUSPENDED",
    "ASGIApp",
    "AppExit",
    "AsyncioWaiter",
    "Client",
    "ClientAction",
    "Connect",
    "Disconnect",
    "Finding",
    "Handshake",
    "Outcome",
    "Pause",
    "ScriptedClient",
    "SendBytes",
    "SendText",
    "SimulatedServer",
    "Stalled",
    "SuspendingWaiter",
    "Transcript",
    "Vanish",
    "Waiter",
    "action_for",
    "contained",
    "drive",
    "run_connection",
    "split_target",
    "watchdog",
    "websocket_scope",
]
