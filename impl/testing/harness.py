"""One implementation of Starlette's WebSocket API, held to the spec call by call.

A :class:`Harness` builds the implementation under test with
``factory(scope, receive, send)`` over a :class:`~asgiws.engine.SimulatedServer`,
and runs two things side by side for every call:

* the implementation's coroutine, driven by hand (``coro.send(None)``): the
  simulated server never needs an event loop, and a ``receive()`` with nothing
  queued comes back as "suspended" instead of hanging;
* a *prediction*: a generator that says, step by step, what the spec expects the
  same call to do. Its verdicts come from the reference model (through
  :mod:`asgiws.testing.oracle`) and from the label the strategy gave each
  message (valid or not); it never asks the compiled interpreter, which is
  what is tested when the implementation is ``asgiws.WebSocket``.

Both either finish (and then must raise or return the same thing) or wait
for the client (and then both resume when the client acts).
:meth:`Harness.check`, which the state machine runs after every step,
compares the two states, the messages forwarded to the server and the
messages taken from it with what the predictions said. Any difference raises
:class:`Divergence`.

The predictions follow what ``asgiws.WebSocket`` does (``docs/reference/differences.md``):
the spec's answer for every call of Starlette's API.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Coroutine, Generator, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from starlette.responses import Response
from starlette.websockets import WebSocketDisconnect

from .._context import context_from_scope
from ..coverage import Coverage, Pair
from ..engine import SimulatedServer, Vanish, drive
from ..spec import (
    EXTENSION_NOT_ADVERTISED,
    MESSAGE_SIDE,
    MESSAGE_TYPES,
    SEND_FAILED_CLOSE_CODE,
    TRANSITIONS,
    UNEXPECTED_DATA,
    UNKNOWN_TYPE,
    Guard,
    MessageType,
    Side,
    Signal,
    ViolationKind,
)
from .adapters import STARLETTE, Adapter
from .call_outcomes import ANY_KIND, CallOutcome, Forwarded, Raises, Returns
from .known import (
    NO_CLAUSE,
    Difference,
    describe,
    field_clauses,
    refusal_clauses,
    transition_clauses,
    write_program,
)
from .oracle import ModelNode, States, oracle

__all__ = ["JSON_MODES", "Divergence", "Factory", "Harness"]

#: Builds the implementation under test: ``factory(scope, receive, send)``, or as its adapter calls it.
Factory = Callable[..., Any]
#: What the spec expects a call that may wait for the client to do, step by step.
Prediction = Generator[None, None, CallOutcome]
Message = dict[str, Any]
#: The spec's verdict on a call: the rule's clauses, the message as the verdict read it, and the states it was judged in.
Verdict = tuple[tuple[str, ...], str, tuple[str, str]]

#: The ``mode`` values ``send_json``/``receive_json`` accept.
JSON_MODES = ("text", "binary")

_R, _S = Side.RECEIVE, Side.SEND
_RECEIVING, _SENDING = _R.value, _S.value
_CONNECT, _DATA = MessageType.CONNECT.value, MessageType.RECEIVE.value
_ACCEPT, _SEND, _CLOSE = MessageType.ACCEPT.value, MessageType.SEND.value, MessageType.CLOSE.value
_START, _BODY = MessageType.RESPONSE_START.value, MessageType.RESPONSE_BODY.value
_RECEIVE_ROWS = TRANSITIONS[Side.RECEIVE]
_ANY = ("any", "any")
#: The one field a row's guard reads.
_GUARD = Guard.MORE_BODY.value[0]
_SEND_FAILED_CLAUSES = next(row.clauses for row in TRANSITIONS[Side.SEND] if row.trigger is Signal.SEND_FAILED)
_SIDES: dict[str, Side] = {kind.value: side for kind, side in MESSAGE_SIDE.items()}
_RETURNS_NONE = Returns(None)
#: How send_json() writes its payload, as ``json.dumps(data, separators=(",", ":"), ensure_ascii=False)``
#: does, without building an encoder per call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
#: What a send raises once the transport has gone (WS-041).
_TRANSPORT_GONE = Raises(WebSocketDisconnect, ViolationKind.PEER_GONE, code=SEND_FAILED_CLOSE_CODE, reason="")


class Divergence(AssertionError):
    """The implementation did something other than what the spec says.

    Attributes:
        difference: what it means (:class:`~asgiws.testing.known.Difference`):
            the clause, the call, the message and the states, which a
            baseline of known differences is matched on.
    """

    def __init__(self, text: str, difference: Difference | None = None) -> None:
        super().__init__(text)
        self.difference = difference


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _traced(method: Callable[Concatenate[Harness, _P], _T]) -> Callable[Concatenate[Harness, _P], _T]:
    # Keep every call made from outside in Harness.trace, so that a divergence can be replayed
    # from data (asgiws.testing.known); what one traced call does through another is not kept.
    name = method.__name__

    @functools.wraps(method)
    def traced(self: Harness, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        if not self._tracing:
            return method(self, *args, **kwargs)
        self.trace.append((name, args, kwargs))
        self._tracing = False
        try:
            return method(self, *args, **kwargs)
        finally:
            self._tracing = True

    return traced


class _Expected(Exception):
    """A prediction's way of saying "the spec says this call raises"."""

    def __init__(self, outcome: Raises) -> None:
        super().__init__()
        self.outcome = outcome


class _Abandoned(BaseException):
    """Thrown into a call left waiting when the test ends; a BaseException so that no ``except Exception`` keeps it."""


class _Call:
    """A call in flight: the implementation's coroutine and the prediction for it."""

    __slots__ = ("after", "arguments", "coroutine", "item", "name", "prediction")

    def __init__(
        self,
        name: str,
        arguments: tuple[Any, ...] | dict[str, Any],
        coroutine: Coroutine[Any, Any, Any],
        prediction: Prediction | Callable[[], CallOutcome],
        item: int | None = None,
    ) -> None:
        self.name = name
        self.arguments = arguments
        self.coroutine = coroutine
        # A generator for a call that may wait for the client; a function for one that never does.
        self.prediction = prediction
        self.item = item
        #: Run once the call has finished (closing an iterator, for one).
        self.after: Callable[[], None] | None = None

    def __str__(self) -> str:
        # Built only for a failure report: formatting every call would cost more than running it.
        if isinstance(self.arguments, dict):
            shown = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        else:
            shown = ", ".join(repr(v) for v in self.arguments)
        text = f"{self.name}({shown})"
        return text if self.item is None else f"{text} (item {self.item})"


def _type_of(message: Any) -> str | None:
    kind = message.get("type") if type(message) is dict or isinstance(message, Mapping) else None
    return kind if type(kind) is str else None


class Harness:
    """Drive one implementation against the simulated server and the spec.

    Args:
        factory: builds the implementation, ``factory(scope, receive, send)``;
            anything with Starlette's ``WebSocket`` API, or the API ``adapter`` spells.
        scope: the ``websocket`` scope of the connection.
        coverage: count every (side, state, message type) pair exercised here.
        adapter: how the class spells each call (:mod:`~asgiws.testing.adapters`);
            Starlette's API by default.

    Attributes:
        server: the simulated server.
        websocket: the implementation under test.
        node: the reference model's node for the states the spec expects.
        exercised: the pairs exercised by this connection, as tuples of strings
            (:attr:`pairs` as ``Pair`` objects).
    """

    def __init__(self, factory: Factory, scope: dict[str, Any], *, coverage: Coverage | None = None, adapter: Adapter = STARLETTE) -> None:
        context = context_from_scope(scope)
        self.scope = scope
        self.version = context.version
        self._version = context.version.value
        self.denial = context.denial
        self.subprotocols = context.subprotocols
        self._context = context
        self.server = SimulatedServer(denial=context.denial)
        self.coverage = coverage
        #: The pairs exercised here, as (version, side, state, message type) strings.
        self.exercised: set[tuple[str, str, str, str]] = set()
        self.adapter = adapter
        self.websocket = adapter.build(factory, scope, self.server.receive, self.server.send)
        self.node: ModelNode = oracle(context.denial).initial
        self.pending: _Call | None = None
        self._expected: list[Forwarded] = []
        self._verified = 0  # how many forwarded messages check() has compared
        self._cursor = 0  # how many inbox messages the spec expects to have been taken
        self._disconnect: Mapping[str, Any] | None = None
        #: Every call made on this harness, in order, as (method, args, kwargs): the program that replays it.
        self.trace: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._tracing = True
        # The last verdict of the spec, and the call it was for: a divergence is named after them.
        # Most verdicts are never read, so a clause found by a search of the tables is kept as the
        # search, run by _verdict() when a divergence needs it (its inputs are immutable).
        self._why: Verdict | Callable[[], Verdict] = ((NO_CLAUSE,), "no message", self.node.names)
        self._call_name = "check"

    @property
    def pairs(self) -> set[Pair]:
        """The (version, side, state, message type) pairs exercised on this connection."""
        return {Pair(*key) for key in self.exercised}

    @property
    def states(self) -> States:
        """The (receive, send) states the spec expects."""
        return self.node.states

    # -- the client ----------------------------------------------------------------------------

    @_traced
    def client(self, message: Message) -> None:
        """The client does something a conformant server reports with ``message``; a waiting call resumes."""
        self.server.deliver(message)
        self._resume()

    @_traced
    def misbehave(self, message: Any, *, valid: bool = True) -> None:
        """The server delivers ``message`` whatever the protocol says (``valid``: its fields are valid)."""
        self.server.inject(message, valid=valid)
        self._resume()

    @_traced
    def vanish(self) -> None:
        """The connection drops: ``send()`` raises ``OSError`` and the server reports a disconnect with 1006."""
        self.server.fail_sends()
        self.client(Vanish().message())

    def play(self, message: Message) -> None:
        """One message of either side, as a walk through the spec plays it.

        The application sends a message of its side; one of the server's side
        the server delivers (misbehaving where a conformant server would not)
        and the application receives.
        """
        if _SIDES[message["type"]] is _S:
            self.send(message, valid=True)
            return
        if self.server.deliverable(MESSAGE_TYPES[message["type"]]):
            self.client(message)
        else:
            self.misbehave(message)
        self.receive()

    @_traced
    def fail_sends(self) -> None:
        """The server's ``send()`` raises ``OSError`` from now on (ASGI 2.4, WS-041)."""
        self.server.fail_sends()

    @_traced
    def withdraw(self) -> None:
        """The server takes back the messages the application has not received (a test's control, not a server's)."""
        assert self.pending is None, "a call is waiting for one of them"
        self.server.withdraw()

    # -- the application: one method per call of Starlette's API ------------------------------------

    @_traced
    def send(self, message: Any, *, valid: bool) -> None:
        """``await websocket.send(message)``; ``valid`` is the message's label."""
        self._call("send", (message,), self.adapter.send(self.websocket, message), lambda: self._sent(message, valid))

    @_traced
    def receive(self) -> None:
        """``await websocket.receive()``."""
        self._call("receive", (), self.adapter.receive(self.websocket), self._receive())

    @_traced
    def accept(self, subprotocol: str | None, headers: Any, *, valid: bool) -> None:
        """``await websocket.accept(subprotocol, headers)``."""
        call = self.adapter.accept(self.websocket, subprotocol, headers)
        self._call("accept", {"subprotocol": subprotocol, "headers": headers}, call, self._accept(subprotocol, headers, valid))

    @_traced
    def close(self, code: Any, reason: Any, *, valid: bool) -> None:
        """``await websocket.close(code, reason)``."""
        self._call(
            "close", {"code": code, "reason": reason}, self.adapter.close(self.websocket, code, reason), lambda: self._close(code, reason, valid)
        )

    @_traced
    def send_text(self, data: Any, *, valid: bool) -> None:
        """``await websocket.send_text(data)``."""
        self._call("send_text", (data,), self.adapter.send_text(self.websocket, data), lambda: self._sent({"type": _SEND, "text": data}, valid))

    @_traced
    def send_bytes(self, data: Any, *, valid: bool) -> None:
        """``await websocket.send_bytes(data)``."""
        self._call("send_bytes", (data,), self.adapter.send_bytes(self.websocket, data), lambda: self._sent({"type": _SEND, "bytes": data}, valid))

    @_traced
    def send_json(self, data: Any, mode: str) -> None:
        """``await websocket.send_json(data, mode)``."""
        self._call("send_json", {"data": data, "mode": mode}, self.adapter.send_json(self.websocket, data, mode), lambda: self._send_json(data, mode))

    @_traced
    def send_denial_response(self, status: int, body: bytes, *, valid: bool) -> None:
        """``await websocket.send_denial_response(Response(body, status_code=status))``."""
        response = Response(body, status_code=status)
        start = {"type": _START, "status": status, "headers": response.raw_headers}
        call = self.adapter.send_denial_response(self.websocket, response)
        self._call("send_denial_response", {"status": status, "body": body}, call, lambda: self._denial(start, {"type": _BODY, "body": body}, valid))

    @_traced
    def receive_text(self) -> None:
        """``await websocket.receive_text()``."""
        self._call("receive_text", (), self.adapter.receive_text(self.websocket), self._data("text", _same))

    @_traced
    def receive_bytes(self) -> None:
        """``await websocket.receive_bytes()``."""
        self._call("receive_bytes", (), self.adapter.receive_bytes(self.websocket), self._data("bytes", _same))

    @_traced
    def receive_json(self, mode: str) -> None:
        """``await websocket.receive_json(mode)``."""
        call = self.adapter.receive_json(self.websocket, mode)
        prediction: Prediction | Callable[[], CallOutcome] = (
            self._data("text" if mode == "text" else "bytes", _json) if mode in JSON_MODES else self._bad_mode
        )
        self._call("receive_json", {"mode": mode}, call, prediction)

    @_traced
    def iterate(self, method: str, count: int) -> None:
        """Take up to ``count`` items from ``websocket.iter_text()`` (``iter_bytes``, ``iter_json``).

        It stops early when the iterator ends, raises, or waits for the client.
        """
        iterator = self.adapter.iterate(self.websocket, method)
        key, decode = _ITEMS[method]

        def close() -> None:
            _finish(iterator.aclose())

        for item in range(count):
            outcome = self._call(f"{method}().__anext__", (), iterator.__anext__(), self._data(key, decode, iterating=True), item=item)
            if outcome is None:
                assert self.pending is not None
                self.pending.after = close  # once the client answers, or at the end of the test
                return
            if not isinstance(outcome, Returns):
                break
        close()

    # -- the checks --------------------------------------------------------------------------------

    @_traced
    def check(self) -> None:
        """The states, the messages forwarded and the messages taken are the spec's; call it after every call."""
        node = self.node
        receive, send = self.adapter.states(self.websocket)
        expected = node.names
        # A side whose state the class does not keep (None) is not compared.
        wrong_receive, wrong_send = receive not in (None, expected[0]), send not in (None, expected[1])
        if wrong_receive or wrong_send:
            self._fail(
                f"the states are receive {receive} / send {send}; the spec says receive {expected[0]} / send {expected[1]}",
                expected=f"leaves receive {expected[0]} / send {expected[1]}",
                happened=f"left receive {receive} / send {send}",
                outcome=_other_states(wrong_receive, wrong_send),
            )
        outbox, expected_messages = self.server.outbox, self._expected
        if len(outbox) != len(expected_messages):
            wanted = [e.message for e in expected_messages[self._verified :]]
            self._fail(
                f"the server was sent {outbox[self._verified :]!r}; the spec says {wanted!r}",
                expected=f"forwards {_listed(wanted)}",
                happened=f"forwarded {_listed(outbox[self._verified :])}",
                outcome="forwarded other messages",
            )
        for index in range(self._verified, len(outbox)):
            if not expected_messages[index].matches(outbox[index]):
                wanted_message = expected_messages[index].message
                self._fail(
                    f"the server was sent {outbox[index]!r}; the spec says {wanted_message!r}",
                    expected=f"forwards {describe(wanted_message)} as the call asked",
                    happened=f"forwarded {describe(outbox[index])} with other fields",
                    outcome="forwarded other fields",
                )
        self._verified = len(outbox)
        if self.server.taken != self._cursor:
            took = f"took {'more' if self.server.taken > self._cursor else 'fewer'}"
            self._fail(
                f"the implementation took {self.server.taken} message(s) from the server; the spec says {self._cursor}",
                expected="takes from the server only what it must",
                happened=took,
                outcome=took,
            )

    @_traced
    def close_pending(self) -> None:
        """End the test: a call still waiting for the client is abandoned."""
        pending, self.pending = self.pending, None
        if pending is not None:
            _abandon(pending.coroutine)
            if pending.after is not None:
                pending.after()

    # -- running calls ----------------------------------------------------------------------------

    def _call(
        self,
        name: str,
        arguments: tuple[Any, ...] | dict[str, Any],
        coroutine: Coroutine[Any, Any, Any],
        prediction: Prediction | Callable[[], CallOutcome],
        *,
        item: int | None = None,
    ) -> CallOutcome | None:
        # How the call ended, for the caller that needs to know (the iterators); None while it waits.
        return self._continue(_Call(name, arguments, coroutine, prediction, item))

    def _resume(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        try:
            self._continue(pending)
        finally:
            if pending.after is not None and self.pending is not pending:
                pending.after()

    def _continue(self, call: _Call) -> CallOutcome | None:
        self._call_name = call.name
        # What drive() returns is passed on, never held here: the traceback of an error the
        # implementation raised reaches this frame (the frames of drive and of the coroutine
        # link back to it), and a reference from here would close a cycle that only the garbage
        # collector frees. A fuzzing run raises thousands; collecting them cost more than the calls.
        return self._settle(call, *drive(call.coroutine))

    def _settle(self, call: _Call, done: bool, value: Any, error: BaseException | None) -> CallOutcome | None:
        outcome: CallOutcome | None
        prediction = call.prediction
        try:
            if callable(prediction):  # a call that never waits
                outcome = prediction()
            else:
                next(prediction)
                outcome = None  # the spec waits for the client's next message
        except StopIteration as stop:
            outcome = stop.value
        except _Expected as expected:
            outcome = expected.outcome
        if not done and outcome is None:
            self.pending = call
            return None
        if not done:
            _abandon(call.coroutine)
            assert outcome is not None
            self._fail(
                f"{call} waits for a message the client never sent; the spec says it {outcome}",
                expected=_outline(outcome),
                happened="waited",
                outcome="waited",
            )
        if outcome is None:
            assert not callable(prediction)
            prediction.close()
            got = f"raised {error!r}" if error is not None else f"returned {value!r}"
            did = _did(value, error)
            self._fail(f"{call} {got}; the spec says it waits for the client's next message", expected="waits", happened=did, outcome=did)
        assert outcome is not None
        self._judge(call, outcome, value, error)
        return outcome

    def _judge(self, call: _Call, expected: CallOutcome, value: Any, error: BaseException | None) -> None:
        # Every text here is built only for a failure: most calls agree with the spec.
        if isinstance(expected, Returns):
            if error is not None:
                did = _did(value, error)
                self._fail(
                    f"{call} raised {type(error).__name__}: {error}; the spec says it {expected}",
                    expected=_outline(expected),
                    happened=did,
                    outcome=did,
                )
            if not (value == expected.value or repr(value) == repr(expected.value)):
                self._fail(
                    f"{call} returned {value!r}; the spec says it {expected}",
                    expected=_outline(expected),
                    happened="returned another value",
                    outcome="returned another value",
                )
            return
        if error is None:
            self._fail(
                f"{call} returned {value!r}; the spec says it {expected}", expected=_outline(expected), happened="returned", outcome="returned"
            )
        assert error is not None
        problem = expected.mismatch(error)
        if problem is not None:
            raised = f"raised {type(error).__name__}"
            self._fail(
                f"{call} {raised}: {error}; the spec says it {expected}, but {problem.text}",
                expected=_outline(expected),
                happened=raised + ("" if isinstance(error, expected.family) else f", not a {expected.family.__name__}"),
                outcome=f"{raised} {problem.outline}" if problem.outline else raised,
            )

    def _fail(self, text: str, *, expected: str, happened: str, outcome: str) -> None:
        name = self._call_name.removesuffix("().__anext__")  # an iterator's step is named after its method
        receive, send = self.node.names
        where = f"spec {self.version.value}, {'with' if self.denial else 'without'} the denial extension, offered {list(self.subprotocols)}"
        clauses, message, states = self._verdict()
        difference = Difference(
            clause=clauses[0],
            clauses=clauses,
            call=name,
            message=message,
            receive=states[0],
            send=states[1],
            expected=expected,
            happened=happened,
            outcome=outcome,
            connection={"spec_version": self.version.value, "denial": self.denial, "subprotocols": list(self.subprotocols)},
            program=write_program(self.trace),
            detail=text,
        )
        raise Divergence(f"{text} [{where}; the spec's states: receive {receive} / send {send}; {clauses[0]} {name}]", difference)

    # -- what the spec expects: the predictions -----------------------------------------------------

    def _record(self, side: Side, kind: str | None, *, allowed: bool, node: ModelNode | None = None) -> None:
        node = node or self.node
        if kind is not None:
            receiving = side is _R
            self.exercised.add((self._version, _RECEIVING if receiving else _SENDING, node.names[not receiving], kind))
        if self.coverage is not None:
            self.coverage.record(self.version, side, node.states, kind, allowed=allowed)

    def _take(self) -> Generator[None, None, Any]:
        """The spec's ``receive()``: refuse at once if nothing can come, else wait for and judge the next message."""
        inbox = self.server.inbox
        if not self.node.open(_R):
            if self._cursor < len(inbox):
                self._record(_R, _type_of(inbox[self._cursor]), allowed=False)
            waiting = inbox[self._cursor] if self._cursor < len(inbox) else {"type": _DATA}
            self._refused(_R, self.node, _type_of(waiting), describe(waiting))
            raise _Expected(_raises(RuntimeError))
        if self._cursor == len(inbox):
            # What the call waits for: the rows the next message can take.
            self._why = functools.partial(_waiting_verdict, self.node)
        while self._cursor == len(inbox):
            yield
        message, valid = inbox[self._cursor], self.server.valid[self._cursor]
        self._cursor += 1
        kind = _type_of(message)
        target = self.node.step(_R, kind, message if kind is not None else None)
        if target is None:
            self._record(_R, kind, allowed=False)
            self._refused(_R, self.node, kind, describe(message))
            raise _Expected(_raises(RuntimeError, self.node.refusal(_R, kind)))
        if not valid:
            self._record(_R, kind, allowed=False)  # refused for its fields: exercised all the same
            self._judged(field_clauses(message, self._context) or UNKNOWN_TYPE[_R], describe(message), stateless=True)
            raise _Expected(_raises(RuntimeError, ViolationKind.INVALID_MESSAGE))
        self._record(_R, kind, allowed=True)
        self._taken(_R, kind, message)
        self.node = target
        if not target.open(_R):
            self._disconnect = message
        return message

    def _sent(self, message: Any, valid: bool, *, json_payload: bool = False) -> CallOutcome:
        """The spec's ``send()``: refuse by state, then by fields; else forward, and fail if the transport is gone.

        It returns the outcome, a refusal too, where the receiving predictions raise
        :class:`_Expected` from inside their generators: most sends the machine tries are
        refused, and an exception per refusal cost more than the rest of the prediction.
        """
        kind = _type_of(message)
        target = self.node.step(_S, kind, message if kind is not None else None)
        if target is None:
            self._record(_S, kind, allowed=False)
            self._refused(_S, self.node, kind, describe(message))
            refusal = self.node.refusal(_S, kind)
            if refusal is ViolationKind.PEER_GONE:
                assert self._disconnect is not None  # only a delivered disconnect ends the receive side
                code, reason = self._disconnect["code"], self._disconnect.get("reason") or ""
                return Raises(WebSocketDisconnect, refusal, code=code, reason=reason)
            return _raises(RuntimeError, refusal)
        if not valid:
            self._record(_S, kind, allowed=False)  # refused for its fields: exercised all the same
            self._judged(field_clauses(message, self._context) or UNKNOWN_TYPE[_S], describe(message), stateless=True)
            return _raises(RuntimeError, ViolationKind.INVALID_MESSAGE)
        self._record(_S, kind, allowed=True)
        self._taken(_S, kind, message)
        self.node = target
        self._expected.append(Forwarded(message, json_payload))
        if self.server.failing:
            self._judged(_SEND_FAILED_CLAUSES, describe(message), target)
            self.node = target.send_failed()
            return _TRANSPORT_GONE
        return _RETURNS_NONE

    def _receive(self) -> Prediction:
        message = yield from self._take()
        return Returns(message)

    def _accept(self, subprotocol: str | None, headers: Any, valid: bool) -> Prediction:
        # accept() first takes websocket.connect when it is still due.
        if self.node.step(_R, _CONNECT) is not None:
            yield from self._take()
        return self._sent({"type": _ACCEPT, "subprotocol": subprotocol, "headers": list(headers or ())}, valid)

    def _close(self, code: Any, reason: Any, valid: bool) -> CallOutcome:
        message = {"type": _CLOSE, "code": code, "reason": reason or ""}
        if self.node.step(_S, _CLOSE) is None:
            refusal = self.node.refusal(_S, _CLOSE)
            if refusal is ViolationKind.PEER_GONE or not self.node.open(_S):
                # Closing what is already closed does nothing (differences.md: close() can be called twice).
                self._record(_S, _CLOSE, allowed=False)
                self._refused(_S, self.node, _CLOSE, _CLOSE)
                return _RETURNS_NONE
        outcome = self._sent(message, valid)
        return _RETURNS_NONE if outcome is _TRANSPORT_GONE else outcome  # a connection gone is what the close wanted

    def _denial(self, start: Message, body: Message, valid: bool) -> CallOutcome:
        outcome = self._sent(start, valid)
        return outcome if isinstance(outcome, Raises) else self._sent(body, True)

    def _send_json(self, data: Any, mode: str) -> CallOutcome:
        if mode not in JSON_MODES:
            return self._bad_mode()
        text = _JSON.encode(data)
        message = {"type": _SEND, "text": text} if mode == "text" else {"type": _SEND, "bytes": text.encode("utf-8")}
        return self._sent(message, True, json_payload=True)

    def _bad_mode(self) -> CallOutcome:
        # Starlette's API, not the spec: a mode other than "text" or "binary" is refused.
        self._judged((NO_CLAUSE,), "no message")
        raise _Expected(_raises(RuntimeError, None))

    def _judged(self, clauses: tuple[str, ...], message: str, node: ModelNode | None = None, *, stateless: bool = False) -> None:
        # The spec's latest verdict, kept to name a divergence after it. A rule that holds in every
        # state (a schema's, a type's) is judged in "any" state: where it was broken is no part of what it means.
        self._why = (clauses or (NO_CLAUSE,), message, _ANY if stateless else (node or self.node).names)

    def _refused(self, side: Side, node: ModelNode, kind: str | None, message: str) -> None:
        self._why = functools.partial(_refusal_verdict, side, node, kind, message, self.denial)

    def _taken(self, side: Side, kind: str | None, message: Any) -> None:
        # The row a message the spec lets through takes; the guard's field is read now, as the
        # verdict was (the implementation holds the message and may change it afterwards). The
        # message is of a known type, which is all describe() would say of it.
        self._why = functools.partial(_transition_verdict, side, self.node, kind or "", message.get(_GUARD, False))

    def _verdict(self) -> Verdict:
        why = self._why
        if callable(why):
            why = self._why = why()
        return why

    def _data(self, key: str, decode: Callable[[Any], Any], *, iterating: bool = False) -> Prediction:
        """``receive_text()`` and its kin: wait only for data that can come, and say what the message was."""
        judged = self.node
        after_connect = judged.step(_R, _CONNECT)
        if after_connect is not None:
            # websocket.connect is still due: judge by where it leads, and
            # take it first when data can follow it (an accept sent raw).
            if after_connect.step(_R, _DATA) is not None:
                yield from self._take()
                judged = self.node
            else:
                judged = after_connect
        if judged.step(_R, _DATA) is None:
            self._record(_R, _DATA, allowed=False, node=judged)
            self._refused(_R, judged, _DATA, _DATA)
            raise _Expected(_raises(RuntimeError, judged.refusal(_R, _DATA)))
        message = yield from self._take()
        if not self.node.open(_R):
            # The disconnect: the helpers raise it, the iterators end.
            if iterating:
                raise _Expected(_raises(StopAsyncIteration, None))
            raise _Expected(Raises(WebSocketDisconnect, None, code=message["code"], reason=message.get("reason") or ""))
        payload = message.get(key)
        if payload is None:
            # A verdict on the payload's shape: which of bytes and text it carries is what it is about.
            self._why = (UNEXPECTED_DATA, describe(message, payload=True), self._verdict()[2])
            raise _Expected(_raises(KeyError, ViolationKind.UNEXPECTED_DATA))
        try:
            return Returns(decode(payload))
        except ValueError:
            _, read, states = self._verdict()
            self._why = ((NO_CLAUSE,), read, states)
            raise _Expected(_raises(ValueError, None)) from None


def _waiting_verdict(node: ModelNode) -> Verdict:
    clauses = next((row.clauses for row in _RECEIVE_ROWS if row.source is node.states[0]), (NO_CLAUSE,))
    return clauses, "no message", node.names


def _refusal_verdict(side: Side, node: ModelNode, kind: str | None, message: str, denial: bool) -> Verdict:
    clauses = refusal_clauses(side, node.states, kind, denial=denial)
    # A rule that holds in every state (a type's, an extension's) is judged in "any" state.
    stateless = clauses in (UNKNOWN_TYPE[side], EXTENSION_NOT_ADVERTISED)
    return clauses or (NO_CLAUSE,), message, _ANY if stateless else node.names


def _transition_verdict(side: Side, node: ModelNode, kind: str, guarded: Any) -> Verdict:
    state = node.states[0 if side is _R else 1]
    return transition_clauses(side, state, kind, {_GUARD: guarded}) or (NO_CLAUSE,), kind, node.names


@functools.cache
def _raises(family: type[BaseException], kind: Any = ANY_KIND) -> Raises:
    # Outcomes are frozen and compared by value: one is shared per family and kind, not built per call.
    return Raises(family, kind)


def _outline(outcome: CallOutcome) -> str:
    # What the spec expects, in the few words a baseline keeps: no values.
    if isinstance(outcome, Returns):
        return "returns"
    if isinstance(outcome.kind, ViolationKind):
        return f"raises {outcome.family.__name__} ({outcome.kind.value})"
    return f"raises {outcome.family.__name__}"


def _other_states(receive: bool, send: bool) -> str:
    # Which side's state the class got wrong, without the states themselves (they are in the key).
    return f"left another {' and '.join(side for side, wrong in (('receive', receive), ('send', send)) if wrong)} state"


def _did(value: Any, error: BaseException | None) -> str:
    return f"raised {type(error).__name__}" if error is not None else "returned"


def _listed(messages: list[Any]) -> str:
    return ", ".join(describe(m) for m in messages) or "nothing"


def _same(payload: Any) -> Any:
    return payload


def _json(payload: Any) -> Any:
    return json.loads(payload if isinstance(payload, str) else payload.decode("utf-8"))


# What each iterator's items are read from, and how.
_ITEMS: dict[str, tuple[str, Callable[[Any], Any]]] = {"iter_text": ("text", _same), "iter_bytes": ("bytes", _same), "iter_json": ("text", _json)}


def _abandon(coroutine: Coroutine[Any, Any, Any]) -> None:
    # Unwind a call left waiting; closing would leave an async generator
    # marked as running, throwing an exception unwinds it.
    try:
        coroutine.throw(_Abandoned())
    except (_Abandoned, Exception):  # how it reacts to being abandoned is not under test
        return
    coroutine.close()


def _finish(coroutine: Coroutine[Any, Any, Any]) -> None:
    if not drive(coroutine)[0]:  # the error it may raise is not kept: see Harness._continue
        _abandon(coroutine)
