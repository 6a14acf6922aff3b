"""One worker of a fuzzing campaign: a machine for a class with one injected bug, sharing its example database.

Run as ``python tests/campaign_worker.py DATABASE SEED COVERAGE``, where ``DATABASE``
is ``redis://127.0.0.1:PORT`` (a ``RedisExampleDatabase``) or a directory
(a ``DirectoryBasedExampleDatabase``). It hunts ``DropsTheCloseReason`` with
Starlette's baseline, without the sweep (which would find the bug in every
worker's first example by itself), writes the (version, side, state,
message type) pairs it exercised to the JSON file ``COVERAGE``, and prints
one JSON line: the number of the example that failed first and the new
divergence's key. A worker that
finds the bug saves it in the database; Hypothesis replays what a database
holds before it generates anything, so every later worker fails on its first
example.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test
from starlette.websockets import WebSocket

from asgiws.coverage import Coverage
from asgiws.testing import Divergence, websocket_machine


class DropsTheCloseReason(WebSocket):
    """One injected bug: close() never sends its reason."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await super().close(code, None)


def database(where: str) -> ExampleDatabase:
    """The shared database ``where`` names."""
    if where.startswith("redis://"):
        from hypothesis.extra.redis import RedisExampleDatabase
        from redis import Redis

        return RedisExampleDatabase(Redis.from_url(where))
    return DirectoryBasedExampleDatabase(where)


record = Coverage()
Hunted = websocket_machine(DropsTheCloseReason, known="starlette", sweep_first=False, coverage=record, name="DropsTheCloseReasonMachine")
examples: list[int] = []
first: list[int] = []


class Counted(Hunted):  # type: ignore[valid-type, misc]
    """The machine, counting its examples up to the first that fails."""

    def teardown(self) -> None:
        examples.append(1)
        # Hypothesis tears down in a ``finally``: a divergence is still in flight here.
        if not first and isinstance(sys.exc_info()[1], Divergence):
            first.append(len(examples))
        super().teardown()


def main(where: str, seed_value: int) -> dict[str, Any]:
    """Hunt the bug once, with the shared database; what the worker saw."""
    chosen = settings(
        max_examples=300,
        database=database(where),
        deadline=None,
        phases=[Phase.reuse, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    try:
        with with_reporter(lambda _text: None):
            run_state_machine_as_test(seed(seed_value)(Counted), settings=chosen)
    except Divergence as divergence:
        key = list(divergence.difference.key) if divergence.difference is not None else None
        return {"first_failing_example": first[0] if first else None, "key": key}
    return {"first_failing_example": None, "key": None}


if __name__ == "__main__":
    result = main(sys.argv[1], int(sys.argv[2]))
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        json.dump(record.to_json(), out)
    print(json.dumps(result))
