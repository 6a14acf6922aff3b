"""The bounded model check: every sequence of the joint machine up to depth 3, on every kind of connection."""

from __future__ import annotations

from starlette.websockets import WebSocket as StarletteWebSocket

import asgiws
from asgiws.coverage import Coverage
from asgiws.spec import MessageType, Signal
from asgiws.testing import exhaustive_check
from asgiws.testing.exhaustive import Failure, symbols


def test_the_alphabet_is_one_message_per_type_and_guard_then_the_signals() -> None:
    alphabet = symbols()
    assert len(alphabet) == len(MessageType) + 1 + len(Signal)
    assert alphabet[-1] is Signal.SEND_FAILED
    assert {"type": "websocket.http.response.body", "more_body": True} in alphabet


def test_asgiws_follows_the_spec_on_every_sequence_up_to_depth_3_and_covers_every_pair() -> None:
    coverage = Coverage()
    report = exhaustive_check(asgiws.WebSocket, depth=3, coverage=coverage)
    assert report.failures == []
    assert report.sequences == 12 * len(symbols()) ** 3
    assert coverage.missed() == []
    assert report.summary() == f"depth 3: {report.sequences} sequences, {report.steps} steps, 0 failing, 192 pairs covered"


def test_each_failing_sequence_stops_where_it_diverged() -> None:
    report = exhaustive_check(StarletteWebSocket, depth=2, versions=["2.4"], denial=[False])
    assert report.failures
    first = report.failures[0]
    assert isinstance(first, Failure)
    assert (first.version.value, first.denial) == ("2.4", False)
    assert 1 <= len(first.sequence) <= 2
    assert "the spec says" in first.problem
