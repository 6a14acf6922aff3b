"""``asgiws check server`` against real servers on 127.0.0.1: uvicorn's three WebSocket implementations and Hypercorn.

Each test starts the server with the probe app through the command line, as
a user would, and compares the scenarios that are not ``ok`` with the
verdicts established by reading the spec (the reasoning for each is in
``docs/reference/server-matrix.md``). asgiws stops each server by its
process group; every wait is bounded by ``--timeout``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from asgiws.cli import main
from asgiws.spec.server import AXES

BAD_FRAMES = {f"bad-frame-{kind}": "deviation" for kind in AXES["bad-frame"]}
INVALID_CLOSE = {f"app-close-invalid-code-{c}": "deviation" for c in ("999", "1004", "1016", "2999", "5000")}
REWRITTEN_CLOSE = {f"app-close-invalid-code-{c}": "lenient" for c in ("1005", "1006", "1015")}
ENDINGS = {"app-returns-after-accept": "deviation", "app-raises-after-accept": "deviation"}

EXPECTED: dict[str, dict[str, str]] = {
    # wsproto: codes pass unchecked to the wire except the three it rewrites to 1000,
    # long reasons are truncated, code None gives a disconnect with code None, a lost
    # connection is reported as 1005, endings and invalid frames drop TCP without a Close.
    "wsproto": {
        **INVALID_CLOSE,
        **REWRITTEN_CLOSE,
        **BAD_FRAMES,
        **ENDINGS,
        "app-close-long-reason-124": "lenient",
        "app-close-long-reason-200": "lenient",
        "app-close-none": "deviation",
        "app-invalid-send-send-both": "deviation",
        "client-vanishes": "deviation",
    },
    # websockets (legacy): no subprotocol check, the denial body is lost, send after the
    # disconnect does not raise an OSError, endings drop TCP without a Close.
    "websockets": {
        **ENDINGS,
        "accept-unoffered-subprotocol-other": "deviation",
        "accept-unoffered-subprotocol-empty": "deviation",
        "denial-response": "deviation",
        "app-invalid-send-send-both": "deviation",
        "client-vanishes": "deviation",
        "send-after-disconnect-send": "deviation",
        "send-after-disconnect-close": "deviation",
        "send-after-disconnect-accept": "deviation",
    },
    # websockets-sansio: tests truthiness, so "" means no subprotocol (lenient) and a
    # message with neither key is dropped silently; code None sends an empty Close.
    "websockets-sansio": {
        **ENDINGS,
        "accept-unoffered-subprotocol-other": "deviation",
        "accept-unoffered-subprotocol-empty": "lenient",
        "app-close-none": "deviation",
        "app-invalid-send-send-both": "deviation",
        "app-invalid-send-send-neither": "deviation",
        "client-vanishes": "deviation",
    },
}

# Hypercorn 0.18 (spec 2.3): a client's Close is reported as 1006 whatever its code; no
# disconnect after a close before the accept; only the last Sec-WebSocket-Protocol line;
# data after its own Close is delivered; invalid frames close TCP without a Close frame.
HYPERCORN = {
    **{f"client-close-{c}": "deviation" for c in AXES["client-close-code"]},
    **INVALID_CLOSE,
    **REWRITTEN_CLOSE,
    **BAD_FRAMES,
    "accept": "deviation",
    "client-close-mirrored-no-code": "deviation",
    "close-before-accept": "deviation",
    "subprotocol-list-a-line-b": "deviation",
    "subprotocol-list-a-b-line-c": "deviation",
    "app-close-long-reason-124": "lenient",
    "app-close-long-reason-200": "lenient",
    "no-data-after-app-close": "deviation",
    "app-invalid-send-send-both": "deviation",
}


def _check(command: list[str], out: Path) -> tuple[int, dict[str, str], dict[str, Any]]:
    status = main(["check", "server", "--timeout", "1", "--format", "json", "--output", str(out), "--", *command])
    report = json.loads(out.read_text())
    verdicts = {s["name"]: s["verdict"] for s in report["scenarios"] if s["verdict"] != "ok"}
    return status, verdicts, report


@pytest.mark.parametrize("ws", sorted(EXPECTED))
def test_uvicorn(ws: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "{app}", "--port", "{port}", "--ws", ws, "--log-level", "warning"]
    status, verdicts, report = _check(command, tmp_path / "report.json")
    assert verdicts == EXPECTED[ws], json.dumps([s for s in report["scenarios"] if s["verdict"] != "ok"], indent=1)[:4000]
    assert status == 1
    assert report["server"] == {"spec_version": "2.4", "extensions": ["websocket.http.response"]}


def test_hypercorn(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "hypercorn", "{app}", "--bind", "127.0.0.1:{port}"]
    status, verdicts, report = _check(command, tmp_path / "report.json")
    assert verdicts == HYPERCORN, json.dumps([s for s in report["scenarios"] if s["verdict"] != "ok"], indent=1)[:4000]
    assert status == 1
    assert report["server"] == {"spec_version": "2.3", "extensions": ["websocket.http.response"]}
