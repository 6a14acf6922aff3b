"""How soon the generated machine finds a bug: seeded bugs in asgiws.WebSocket, each hunted separately.

Steps per second say how fast the machine runs; this says what it finds.
Each mutant is ``asgiws.WebSocket`` with one bug of the kind a framework
author writes, in the data path as much as in the handshake. For every mutant
and every seed, a fresh machine runs until Hypothesis reports a divergence (the
mutant is killed) or the example budget runs out; the number of the first
example that diverged is the figure, and the median over seeds is reported. Shrinking is
left out: the question is when the bug was hit, not how short its program is.

Run: ``python bench/mutants.py [--seeds N] [--examples N] [--quick]``. The last
line is ``killed=K/N median_examples=M`` (M: the median over mutants of each
mutant's median, a missed run counting as the budget plus one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import AsyncIterator
from typing import Any

from hypothesis import Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

import asgiws
from asgiws.testing import Divergence, websocket_machine


class BytesAsText(asgiws.WebSocket):
    """receive_text() hands back a binary message's bytes instead of refusing it."""

    async def receive_text(self) -> Any:
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise asgiws.WebSocketDisconnect(message["code"], message.get("reason"))
        return message["text"] if message.get("text") is not None else message["bytes"]


class LosesTheThirdBinaryMessage(asgiws.WebSocket):
    """The third receive_bytes() of a connection returns empty bytes."""

    calls = 0

    async def receive_bytes(self) -> bytes:
        self.calls += 1
        data = await super().receive_bytes()
        return b"" if self.calls == 3 else data


class SendJsonIgnoresTheMode(asgiws.WebSocket):
    """send_json() always sends text, whatever mode it is given."""

    async def send_json(self, data: Any, mode: str = "text") -> None:
        await super().send_json(data, mode="text")


class IterTextYieldsAtTheEnd(asgiws.WebSocket):
    """iter_text() yields an empty string for the disconnect before it stops."""

    async def iter_text(self) -> AsyncIterator[str]:
        while True:
            try:
                yield await self.receive_text()
            except asgiws.WebSocketDisconnect:
                yield ""
                return


class CloseDropsTheReason(asgiws.WebSocket):
    """close() sends its code but never its reason."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await super().close(code, None)


class SendBytesFailsAfterData(asgiws.WebSocket):
    """send_bytes() raises once any data has been received."""

    received = False

    async def receive(self) -> Any:
        message = await super().receive()
        self.received = self.received or message["type"] == "websocket.receive"
        return message

    async def send_bytes(self, data: bytes) -> None:
        if self.received:
            msg = "busy"
            raise RuntimeError(msg)
        await super().send_bytes(data)


MUTANTS: tuple[type[asgiws.WebSocket], ...] = (
    BytesAsText,
    LosesTheThirdBinaryMessage,
    SendJsonIgnoresTheMode,
    IterTextYieldsAtTheEnd,
    CloseDropsTheReason,
    SendBytesFailsAfterData,
)


def examples_to_kill(mutant: type[asgiws.WebSocket], budget: int, run: int | None) -> int:
    """The number of the first example that diverged; ``budget + 1`` if none did.

    ``run`` seeds the run; None runs it derandomized.
    """
    generated = websocket_machine(mutant, name=mutant.__name__)
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
    budget_settings = settings(max_examples=budget, derandomize=run is None, database=None, deadline=None, phases=[Phase.generate])
    try:
        run_state_machine_as_test(machine, settings=budget_settings)
    except Divergence:
        # Hypothesis may run an example or two past its budget; those do not count.
        return min(first[0], budget + 1)
    return budget + 1


def main(argv: list[str] | None = None) -> None:
    """Hunt every mutant, print the table, then the contract line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeded runs per mutant (median reported)")
    parser.add_argument("--examples", type=int, default=300, help="the example budget of each run")
    parser.add_argument("--quick", action="store_true", help="one derandomized run of 100 examples per mutant")
    options = parser.parse_args(argv)
    runs: list[int | None] = [None] if options.quick else list(range(options.seeds))
    budget = 100 if options.quick else options.examples

    print(f"{'mutant':<28}{'examples to the divergence, per run':>40}{'median':>8}")
    medians = []
    killed = 0
    for mutant in MUTANTS:
        counts = [examples_to_kill(mutant, budget, run) for run in runs]
        median = statistics.median(counts)
        medians.append(median)
        killed += median <= budget
        shown = " ".join(str(c) if c <= budget else "-" for c in counts)
        print(f"{mutant.__name__:<28}{shown:>40}{median:>8g}")
    print(f"killed={killed}/{len(MUTANTS)} median_examples={statistics.median(medians):g}")


if __name__ == "__main__":
    main()
