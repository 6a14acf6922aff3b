"""The machine's power, measured: realistic single bugs injected into Starlette's WebSocket, each hunted with Starlette's baseline.

Each mutant is ``starlette.websockets.WebSocket`` with one bug of the kind a
maintainer writes (a subclass overriding one method, the method copied with
the slip in it). Unmodified Starlette already differs from the spec in many
ways, all listed in its baseline (``known_differences("starlette")``); so a
machine run with that baseline fails only on a divergence Starlette does not
have. A mutant is *killed* when its run fails, and the kill is *distinct* when
the new divergence is not one the control (unmodified Starlette, same
settings) also shows. The figure per mutant is the number of the first example
that failed; the median over seeds is reported. Shrinking is left out: the
question is when the bug was hit, not how short its program is.

Run: ``python bench/mutants.py [--seeds N] [--examples N] [--quick]``.
``--quick`` is the CI profile: one derandomized run of 50 examples per
mutant. The last line is exactly ``killed=K/N distinct=D/N median_examples=M``
(M: the median over mutants of each mutant's median, a missed run counting as
the budget plus one).

Nothing survives the CI profile. ``ReceiveJsonBinaryReadsText`` (a
``receive_json(mode="binary")`` with a binary message queued on an accepted
connection) and ``DisconnectLosesReason`` (a data helper reading a disconnect
that carries a reason) used to, because fifty random examples seldom draw
that call in that state; the sweep that opens every run now calls every
receiving helper in every state after every payload shape, and a disconnect
with every field set, and every sending helper with every argument away from
its default, so both die in the first example, and so do the accept, close
and iterator bugs that fifty random examples may or may not reach.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from collections.abc import AsyncIterator, Iterable
from typing import Any

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from asgiws.testing import Divergence, known_differences, websocket_machine
from asgiws.testing.known import Baseline, Key

_CONNECTING, _CONNECTED, _DISCONNECTED, _RESPONSE = (
    WebSocketState.CONNECTING,
    WebSocketState.CONNECTED,
    WebSocketState.DISCONNECTED,
    WebSocketState.RESPONSE,
)


class SendBeforeAccept(WebSocket):
    """send() lets websocket.send through before the handshake is accepted."""

    async def send(self, message: Message) -> None:
        if self.application_state is _CONNECTING and message["type"] == "websocket.send":
            await self._send(message)
            return
        await super().send(message)


class CloseLeavesConnected(WebSocket):
    """A close sent once connected leaves application_state CONNECTED."""

    async def send(self, message: Message) -> None:
        await super().send(message)
        if message["type"] == "websocket.close" and self.application_state is _DISCONNECTED and self.client_state is _CONNECTED:
            self.application_state = _CONNECTED


class ReceiveTextNoneOnBinary(WebSocket):
    """receive_text() returns None for a binary message instead of failing."""

    async def receive_text(self) -> str:
        if self.application_state != _CONNECTED:
            msg = 'WebSocket is not connected. Need to call "accept" first.'
            raise RuntimeError(msg)
        message = await self.receive()
        self._raise_on_disconnect(message)
        return message.get("text")  # type: ignore[return-value]


class CloseDropsCode(WebSocket):
    """close() always sends 1000, whatever code it is given."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.send({"type": "websocket.close", "code": 1000, "reason": reason or ""})


class OSErrorNotConverted(WebSocket):
    """send() once connected lets the server's OSError escape instead of WebSocketDisconnect(1006)."""

    async def send(self, message: Message) -> None:
        if self.application_state is _CONNECTED and message["type"] in {"websocket.send", "websocket.close"}:
            if message["type"] == "websocket.close":
                self.application_state = _DISCONNECTED
            await self._send(message)
            return
        await super().send(message)


class CloseDropsReason(WebSocket):
    """close() sends its code but never its reason."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await super().close(code, None)


class AcceptDropsSubprotocol(WebSocket):
    """accept() forgets the subprotocol it was given."""

    async def accept(self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None) -> None:
        await super().accept(None, headers)


class AcceptDropsHeaders(WebSocket):
    """accept() forgets the headers it was given."""

    async def accept(self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None) -> None:
        await super().accept(subprotocol, None)


class SendJsonIgnoresMode(WebSocket):
    """send_json() always sends text, whatever mode it is given."""

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await super().send_json(data, mode="text")


class DisconnectKeepsClientConnected(WebSocket):
    """receive() of websocket.disconnect leaves client_state CONNECTED."""

    async def receive(self) -> Message:
        message = await super().receive()
        if message["type"] == "websocket.disconnect":
            self.client_state = _CONNECTED
        return message


class AcceptSkipsConnect(WebSocket):
    """accept() sends websocket.accept without taking websocket.connect first."""

    async def accept(self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None) -> None:
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": list(headers or [])})


class SecondAcceptForwarded(WebSocket):
    """Once connected, a second websocket.accept is forwarded instead of refused."""

    async def send(self, message: Message) -> None:
        if self.application_state is _CONNECTED and message["type"] == "websocket.accept":
            await self._send(message)
            return
        await super().send(message)


class ReceiveBytesEncodesText(WebSocket):
    """receive_bytes() hands back a text message encoded as UTF-8 instead of failing."""

    async def receive_bytes(self) -> bytes:
        if self.application_state != _CONNECTED:
            msg = 'WebSocket is not connected. Need to call "accept" first.'
            raise RuntimeError(msg)
        message = await self.receive()
        self._raise_on_disconnect(message)
        data: bytes = message["bytes"] if "bytes" in message else message["text"].encode()
        return data


class ReceiveJsonBinaryReadsText(WebSocket):
    """receive_json(mode="binary") reads the text key."""

    async def receive_json(self, mode: str = "text") -> Any:
        return await super().receive_json(mode="text")


class IterTextStopsAfterOne(WebSocket):
    """iter_text() ends after the first message."""

    async def iter_text(self) -> AsyncIterator[str]:
        with contextlib.suppress(WebSocketDisconnect):
            yield await self.receive_text()


class DisconnectLosesReason(WebSocket):
    """receive_text() and friends raise WebSocketDisconnect without the client's reason."""

    def _raise_on_disconnect(self, message: Message) -> None:
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message["code"])


class DenialStartConnects(WebSocket):
    """websocket.http.response.start moves application_state to CONNECTED, not RESPONSE."""

    async def send(self, message: Message) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.start":
            self.application_state = _CONNECTED


class LastBodyKeepsResponse(WebSocket):
    """The last body of a denial response leaves application_state RESPONSE."""

    async def send(self, message: Message) -> None:
        if self.application_state is _RESPONSE and message["type"] == "websocket.http.response.body":
            await self._send(message)
            return
        await super().send(message)


class SendTextAsBytes(WebSocket):
    """send_text() sends the text encoded, as a binary message."""

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "bytes": data.encode("utf-8", "surrogatepass")})


MUTANTS: tuple[type[WebSocket], ...] = (
    SendBeforeAccept,
    CloseLeavesConnected,
    ReceiveTextNoneOnBinary,
    CloseDropsCode,
    OSErrorNotConverted,
    CloseDropsReason,
    AcceptDropsSubprotocol,
    AcceptDropsHeaders,
    SendJsonIgnoresMode,
    DisconnectKeepsClientConnected,
    AcceptSkipsConnect,
    SecondAcceptForwarded,
    ReceiveBytesEncodesText,
    ReceiveJsonBinaryReadsText,
    IterTextStopsAfterOne,
    DisconnectLosesReason,
    DenialStartConnects,
    LastBodyKeepsResponse,
    SendTextAsBytes,
)


def hunt(subject: type[WebSocket], baseline: Baseline, budget: int, run: int | None) -> tuple[int, Key | None]:
    """The number of the first example that failed (``budget + 1`` if none did), and the new divergence's key.

    ``run`` seeds the run; None runs it derandomized (the CI profile).
    """
    generated = websocket_machine(subject, known=baseline, name=subject.__name__)
    examples: list[int] = []
    first: list[int] = []

    class Counted(generated):  # type: ignore[valid-type, misc]
        def teardown(self) -> None:
            examples.append(1)
            # Hypothesis tears down in a ``finally``: a divergence is still in flight here.
            if not first and isinstance(sys.exc_info()[1], Divergence):
                first.append(len(examples))
            super().teardown()

    machine = Counted if run is None else seed(run)(Counted)
    budget_settings = settings(
        max_examples=budget,
        derandomize=run is None,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    try:
        with with_reporter(lambda _text: None):
            run_state_machine_as_test(machine, settings=budget_settings)
    except Divergence as divergence:
        # Hypothesis may run an example or two past its budget; those do not count.
        key = divergence.difference.key if divergence.difference is not None else None
        return min(first[0] if first else 1, budget + 1), key
    return budget + 1, None


def main(argv: list[str] | None = None) -> None:
    """Hunt every mutant and the control, print the table, then the contract line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeded runs per mutant (median reported)")
    parser.add_argument("--examples", type=int, default=300, help="the example budget of each run")
    parser.add_argument("--quick", action="store_true", help="the CI profile: one derandomized run of 50 examples per mutant")
    parser.add_argument("--json", action="store_true", help="print one JSON line per mutant before the contract line")
    options = parser.parse_args(argv)
    runs: list[int | None] = [None] if options.quick else list(range(options.seeds))
    budget = 50 if options.quick else options.examples
    baseline = known_differences("starlette")

    control = {key for run in runs for _, key in [hunt(WebSocket, baseline, budget, run)] if key is not None}
    print(f"control: unmodified Starlette shows {len(control)} divergence(s) its baseline does not list")
    print(f"{'mutant':<32}{'examples to the first new divergence, per run':>48}{'median':>8}  new divergence")
    medians = []
    killed = distinct = 0
    for mutant in MUTANTS:
        results = [hunt(mutant, baseline, budget, run) for run in runs]
        counts = [count for count, _ in results]
        keys = [key for _, key in results if key is not None]
        median = statistics.median(counts)
        medians.append(median)
        hit = median <= budget
        killed += hit
        distinct += hit and any(key not in control for key in keys)
        shown = " ".join(str(c) if c <= budget else "-" for c in counts)
        named = f"{keys[0].clause} {keys[0].call} {keys[0].receive}/{keys[0].send}" if keys else "survived"
        print(f"{mutant.__name__:<32}{shown:>48}{median:>8g}  {named}")
        if options.json:
            print(json.dumps({"mutant": mutant.__name__, "counts": counts, "keys": [list(k) for k in keys]}))
    print(f"killed={killed}/{len(MUTANTS)} distinct={distinct}/{len(MUTANTS)} median_examples={statistics.median(medians):g}")


if __name__ == "__main__":
    main()
