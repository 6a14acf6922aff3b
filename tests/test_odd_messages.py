"""Odd message objects get typed errors, and what is judged is what is sent.

A message is copied (shallowly, as a plain dict) before it is judged; what the
copy cannot be made of, or what raises while it is read, is refused with an
``InvalidMessageError`` naming ``spec.UNREADABLE`` (WS-009 on the send side,
WS-010 on the receive side, with WS-007), never an error of asgiws's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from asgiws import InvalidMessageError, ProtocolViolation, WebSocket, check
from asgiws._compiled import wrap
from asgiws._state import ConnectionState
from asgiws.coverage import Coverage
from asgiws.spec import UNKNOWN_TYPE, UNREADABLE, Side, State
from tests.scripted_server import Message, ScriptedServer, websocket_scope

CONNECT: Message = {"type": "websocket.connect"}


class Trap(dict[str, Any]):
    """A dict whose own lookups raise: only its stored items are real."""

    def __getitem__(self, key: str) -> Any:
        raise LookupError(key)

    def get(self, key: str, default: Any = None) -> Any:
        raise LookupError(key)


class Unreadable(Mapping[str, Any]):
    """A mapping that cannot even be iterated."""

    def __getitem__(self, key: str) -> Any:
        raise LookupError(key)

    def __iter__(self) -> Iterator[str]:
        raise LookupError("no keys")

    def __len__(self) -> int:
        return 2


class Shady:
    """A value whose every dunder an error message might use raises."""

    def __repr__(self) -> str:
        raise ValueError("no repr")

    def __hash__(self) -> int:
        raise ValueError("no hash")


class SlyText(str):
    """A str whose encoding raises: not plain data."""

    __slots__ = ()

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        raise ValueError("no bytes")

    def isascii(self) -> bool:
        raise ValueError("no answer")


async def _accepted() -> tuple[WebSocket, ScriptedServer]:
    server = ScriptedServer(CONNECT)
    ws = WebSocket(websocket_scope("2.5"), server.receive, server.send)
    await ws.accept()
    server.sent.clear()
    return ws, server


def test_a_dict_subclass_is_judged_and_sent_as_the_plain_dict_it_holds() -> None:
    async def run() -> None:
        ws, server = await _accepted()
        await ws.send(Trap(type="websocket.send", text="hi"))
        assert server.sent == [{"type": "websocket.send", "text": "hi"}]
        assert type(server.sent[0]) is dict

    asyncio.run(run())


@pytest.mark.parametrize(
    ("message", "clauses"),
    [
        (Unreadable(), UNREADABLE[Side.SEND]),
        (5, UNKNOWN_TYPE[Side.SEND]),
        ({"type": Shady()}, UNKNOWN_TYPE[Side.SEND]),
        ({"type": "websocket.send", "text": SlyText("hi")}, UNREADABLE[Side.SEND]),
    ],
    ids=["unreadable-mapping", "not-a-mapping", "type-without-repr", "str-subclass-that-raises"],
)
def test_odd_objects_sent_get_a_typed_error_and_change_nothing(message: object, clauses: tuple[str, ...]) -> None:
    async def run() -> None:
        ws, server = await _accepted()
        with pytest.raises(InvalidMessageError) as caught:
            await ws.send(message)
        assert caught.value.clauses == clauses
        assert str(caught.value)  # the text could be built
        assert ws._connection_state.states == (State.CONNECTED, State.CONNECTED)
        assert server.sent == []

    asyncio.run(run())


def test_a_type_whose_repr_raises_is_named_by_its_class() -> None:
    async def run() -> None:
        ws, _ = await _accepted()
        with pytest.raises(InvalidMessageError, match="<Shady object>"):
            await ws.send({"type": Shady()})

    asyncio.run(run())


@pytest.mark.parametrize("delivered", [Trap(type="websocket.receive", text="x"), Unreadable(), 7])
def test_odd_objects_delivered_get_a_typed_error(delivered: Any) -> None:
    async def run() -> None:
        server = ScriptedServer(CONNECT, delivered)
        ws = WebSocket(websocket_scope("2.5"), server.receive, server.send)
        await ws.accept()
        if isinstance(delivered, Trap):  # its stored items are a good message
            assert await ws.receive() is delivered
            return
        with pytest.raises(InvalidMessageError) as caught:
            await ws.receive()
        assert caught.value.clause == "WS-010"

    asyncio.run(run())


def test_what_the_server_reads_after_waiting_is_what_was_judged() -> None:
    # The server waits before it reads the message; the application changes its dict meanwhile.
    async def run() -> None:
        seen: list[Message] = []

        async def receive() -> Message:
            return CONNECT

        async def send(message: Message) -> None:
            await asyncio.sleep(0)
            seen.append(dict(message))

        ws = WebSocket(websocket_scope("2.5"), receive, send)
        await ws.accept()
        message: Message = {"type": "websocket.send", "text": "judged"}
        sending = asyncio.create_task(ws.send(message))
        await asyncio.sleep(0)
        message.update(type="websocket.close", code=5)
        await sending
        assert seen[-1] == {"type": "websocket.send", "text": "judged"}

    asyncio.run(run())


@pytest.mark.parametrize("message", [Unreadable(), 5, {"type": Shady()}, Trap(type="websocket.accept")])
def test_the_middleware_in_record_mode_passes_odd_objects_on_and_records_them(message: Any) -> None:
    async def run() -> None:
        passed: list[Any] = []

        async def receive() -> Message:
            return CONNECT

        async def send(sent: Any) -> None:
            passed.append(sent)

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send(message)

        middleware = check(app, mode="record")
        await middleware(websocket_scope("2.5"), receive, send)
        assert len(passed) == 1
        if isinstance(message, Trap):  # a good accept, as the plain dict it holds
            assert passed == [{"type": "websocket.accept"}]
            return
        # A dict passes as the copy that was judged; what cannot be copied, as it is.
        assert passed[0] == message if isinstance(message, dict) else passed[0] is message
        assert len(middleware.violations) == 1

    asyncio.run(run())


def test_wrap_judges_a_copy_of_an_odd_mapping_the_server_delivered() -> None:
    async def run() -> None:
        state = ConnectionState(websocket_scope("2.5"))

        async def receive() -> Message:
            return Trap(type="websocket.connect")

        async def send(message: Message) -> None:
            return None

        checked_receive, _ = wrap(state, receive, send)
        assert isinstance(await checked_receive(), Trap)
        assert state.states.receive is State.CONNECTED

    asyncio.run(run())


@pytest.mark.parametrize("headers", [5, 0, "", {}, b"x-a"])
def test_accept_refuses_headers_that_are_not_pairs_with_a_typed_error(headers: Any) -> None:
    async def run() -> None:
        server = ScriptedServer(CONNECT)
        ws = WebSocket(websocket_scope("2.5"), server.receive, server.send)
        with pytest.raises(InvalidMessageError) as caught:
            await ws.accept(headers=headers)
        assert caught.value.field == "headers"
        assert server.sent == []

    asyncio.run(run())


def test_accept_reads_an_iterator_of_headers_once() -> None:
    async def run() -> None:
        server = ScriptedServer(CONNECT)
        ws = WebSocket(websocket_scope("2.5"), server.receive, server.send)
        await ws.accept(headers=iter([(b"x-a", b"1")]))
        assert server.sent == [{"type": "websocket.accept", "subprotocol": None, "headers": [(b"x-a", b"1")]}]

    asyncio.run(run())


class Unhashable(str):
    """A str subclass that cannot be looked up: its type reads fine, the lookup fails."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]


def test_a_type_that_cannot_be_looked_up_is_unreadable_not_unexpected() -> None:
    async def run() -> None:
        ws, server = await _accepted()
        with pytest.raises(InvalidMessageError) as caught:
            await ws.send({"type": Unhashable("websocket.send"), "text": "x"})
        assert caught.value.clauses == UNREADABLE[Side.SEND]
        assert "failed" in str(caught.value)
        assert server.sent == []

    asyncio.run(run())


def test_receive_text_refuses_an_odd_delivery_with_a_typed_error() -> None:
    async def run() -> None:
        server = ScriptedServer(CONNECT, 7)  # type: ignore[arg-type]
        ws = WebSocket(websocket_scope("2.5"), server.receive, server.send)
        await ws.accept()
        with pytest.raises(InvalidMessageError) as caught:
            await ws.receive_text()
        assert caught.value.clause == "WS-010"

    asyncio.run(run())


class Incomparable(str):
    """A str subclass whose == raises."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        raise ValueError("no eq")

    __hash__ = str.__hash__


@pytest.mark.parametrize("cls", [Unhashable, Incomparable])
def test_a_type_that_cannot_be_compared_is_refused_where_coverage_is_counted(cls: type[str]) -> None:
    judge = ConnectionState(websocket_scope("2.5"), coverage=Coverage())
    for take in (judge.receive, judge.send):
        with pytest.raises(ProtocolViolation):  # read as the plain string: a send before the accept
            take({"type": cls("websocket.send")})
    assert judge.states == (State.CONNECTING, State.CONNECTING)


def test_the_unknown_versions_remembered_for_their_one_warning_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from asgiws import UnknownVersionWarning, _state

    monkeypatch.setattr(_state, "_ANNOUNCED", set())
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for minor in range(40):
            ConnectionState({"type": "websocket", "asgi": {"version": "3.0", "spec_version": f"9.{minor}"}})
    assert len(_state._ANNOUNCED) == _state._ANNOUNCED_AT_MOST
    assert [w.category for w in seen] == [UnknownVersionWarning] * _state._ANNOUNCED_AT_MOST
