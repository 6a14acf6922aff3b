"""The two methods every message goes through, generated from the spec.

``WebSocket.receive`` and ``WebSocket.send`` are built here from the template
below. The one generated part is the inline acceptance test of each side's hot
message: the message type whose transition leaves the side where it was, with
no guard (``websocket.receive`` and ``websocket.send``: data flowing). Its
schema compiles into an expression (``_validate.compile_fast_test``) that
accepts the plain, common case without a function call; everything else goes
to ``_received``/``_checked``, which run the full generated check. This is
what lets a checked ``send()`` cost less than Starlette's unchecked one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._validate import compile_fast_test
from .exceptions import ProtocolViolation
from .spec import MESSAGE_SCHEMAS, TRANSITIONS, MessageType, Side

__all__ = ["HOT_MESSAGES", "build_hot_path", "build_judges", "build_wrappers"]

_TEMPLATE = """
async def receive(self):
    node = self._node
    if not node.receive:
        raise self._machine.exhausted(node, _RECEIVE)
    message = await self._receive()
    node = self._node  # read again: the send side may have moved while we waited
    try:
        step = node.receive[message["type"]]
    except (KeyError, TypeError):
        raise self._machine.refuse(node, _RECEIVE, message) from None
    if step.hot and {receive}:
        self._node = step.next
        return message
    return self._received(node, step, message)


async def send(self, message):
    node = self._node
    try:
        step = node.send[message["type"]]
    except (KeyError, TypeError):
        raise self._refused(_SEND, message) from None
    if step.hot and {send}:
        self._node = step.next
    else:
        self._node = self._checked(node, step, message)
    try:
        await self._send(message)
    except OSError as failure:
        raise self._transport_failed() from failure
"""


# ConnectionState's two judges: the same shape without the I/O, plus coverage.
_JUDGES = """
def receive(self, message):
    node = self.node
    try:
        step = node.receive[message["type"]]
    except (KeyError, TypeError):
        raise self._refused(_RECEIVE, message) from None
    if not (step.hot and {receive}):
        self._check(node, step, _RECEIVE, message)
    node = self.node = step.next if step.guard is None else step.target(message)
    if self.coverage is not None:
        self.coverage.allowed[step.pair] += 1
    if not node.receive:  # that was the disconnect
        self.disconnect_code = message["code"]


def send(self, message):
    node = self.node
    try:
        step = node.send[message["type"]]
    except (KeyError, TypeError):
        raise self._refused(_SEND, message) from None
    if not (step.hot and {send}):
        self._check(node, step, _SEND, message)
    self.node = step.next if step.guard is None else step.target(message)
    if self.coverage is not None:
        self.coverage.allowed[step.pair] += 1
"""


# The live middleware's two wrappers: the hot message is judged inline and
# counted; anything else goes through the ConnectionState's judge.
_WRAPPERS = """
def wrappers(state, receive, send, violated, path):
    counts = state.coverage.allowed

    async def checked_receive():
        message = await receive()
        try:
            step = state.node.receive[message["type"]]
        except (KeyError, TypeError):
            step = None
        if step is not None and step.hot and {receive}:
            state.node = step.next
            counts[step.pair] += 1
        else:
            try:
                state.receive(message)
            except _ProtocolViolation as error:
                violated(error, path)  # raises in "raise" mode
                state.passed_anyway(_RECEIVE, message)
        return message

    async def checked_send(message):
        try:
            step = state.node.send[message["type"]]
        except (KeyError, TypeError):
            step = None
        if step is not None and step.hot and {send}:
            state.node = step.next
            counts[step.pair] += 1
        else:
            try:
                state.send(message)
            except _ProtocolViolation as error:
                violated(error, path)  # raises in "raise" mode
                state.passed_anyway(_SEND, message)
        try:
            await send(message)
        except OSError:
            state.send_failed()
            raise

    return checked_receive, checked_send
"""


def _hot_message(side: Side) -> MessageType:
    # The one message type of this side with an unguarded self-loop.
    (hot,) = {row.trigger for row in TRANSITIONS[side] if row.source is row.target and row.guard is None}
    assert isinstance(hot, MessageType)
    return hot


#: The hot message of each side.
HOT_MESSAGES: dict[Side, MessageType] = {side: _hot_message(side) for side in Side}


def _compile(template: str, name: str) -> dict[str, Any]:
    tests = {side.value: compile_fast_test(MESSAGE_SCHEMAS[HOT_MESSAGES[side]]) or "False" for side in Side}
    source = template.format(**tests)
    namespace: dict[str, Any] = {"_RECEIVE": Side.RECEIVE, "_SEND": Side.SEND, "_ProtocolViolation": ProtocolViolation}
    exec(compile(source, f"<asgiws {name}>", "exec"), namespace)
    namespace["__asgiws_source__"] = source
    return namespace


def _build(template: str, name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    namespace = _compile(template, name)
    receive, send = namespace["receive"], namespace["send"]
    receive.__asgiws_source__ = send.__asgiws_source__ = namespace["__asgiws_source__"]
    return receive, send


def build_hot_path() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Compile the ``receive`` and ``send`` coroutine functions of ``WebSocket``."""
    return _build(_TEMPLATE, "WebSocket hot path")


def build_wrappers() -> Callable[..., tuple[Callable[..., Any], Callable[..., Any]]]:
    """Compile the factory of the middleware's ``receive``/``send`` wrappers for one connection."""
    factory: Callable[..., tuple[Callable[..., Any], Callable[..., Any]]] = _compile(_WRAPPERS, "middleware wrappers")["wrappers"]
    return factory


def build_judges() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Compile ``ConnectionState.receive`` and ``ConnectionState.send``: the same shape, without I/O."""
    return _build(_JUDGES, "ConnectionState judges")
