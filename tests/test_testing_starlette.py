"""What the generated tests found in Starlette's WebSocket: its baseline of known differences, and 27 of them by hand.

Starlette's known differences are data: ``known_differences("starlette")``, a
reviewed baseline the machine records (``asgiws fuzz --record``). One test runs
the installed Starlette against it, and fails on anything new or fixed.
Every hand-written difference below is the shortest program that shows one,
written with the harness the state machine drives; it passes against
``asgiws.WebSocket`` and its divergence against Starlette is an entry of the
baseline.
``docs/explanation/starlette-differences-found.md`` lists them with their
clauses; a test below keeps the page and this table in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.websockets import WebSocket as StarletteWebSocket

import asgiws
from asgiws.testing import Divergence, Harness, exhaustive_check, known_differences, websocket_scope
from asgiws.testing.campaign import fuzz

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "explanation" / "starlette-differences-found.md"

CONNECT: dict[str, Any] = {"type": "websocket.connect"}


def accepted(harness: Harness) -> None:
    """The usual start: the client connects and the application accepts."""
    harness.client(CONNECT)
    harness.accept(None, None, valid=True)


@dataclass(frozen=True)
class Difference:
    """One way Starlette's WebSocket departs from the spec."""

    name: str
    clauses: str
    summary: str
    program: Callable[[Harness], None]
    spec_version: str = "2.5"
    denial: bool = False
    subprotocols: tuple[str, ...] = ()


def _data_before_accept(h: Harness) -> None:
    h.client(CONNECT)
    h.receive()
    h.misbehave({"type": "websocket.receive", "text": "too early"})
    h.receive()


def _client_state_during_denial(h: Harness) -> None:
    h.client(CONNECT)
    h.receive()
    h.send({"type": "websocket.http.response.start", "status": 403}, valid=True)


def _denial_without_extension(h: Harness) -> None:
    h.send({"type": "websocket.http.response.start", "status": 403}, valid=False)


def _send_after_disconnect(h: Harness) -> None:
    accepted(h)
    h.client({"type": "websocket.disconnect", "code": 1001, "reason": "going away"})
    h.receive()
    h.send_text("anyone there?", valid=True)


def _oserror_during_handshake(h: Harness) -> None:
    h.client(CONNECT)
    h.vanish()
    h.accept(None, None, valid=True)


def _oserror_during_denial(h: Harness) -> None:
    h.client(CONNECT)
    h.vanish()
    h.send_denial_response(403, b"no", valid=True)


def _close_when_the_transport_fails(h: Harness) -> None:
    accepted(h)
    h.vanish()
    h.close(1000, None, valid=True)


def _close_twice(h: Harness) -> None:
    accepted(h)
    h.close(1000, None, valid=True)
    h.close(1000, None, valid=True)


def _close_after_disconnect(h: Harness) -> None:
    accepted(h)
    h.client({"type": "websocket.disconnect", "code": 1000})
    h.receive()
    h.close(1000, None, valid=True)


def _reserved_close_code(h: Harness) -> None:
    accepted(h)
    h.close(1006, None, valid=False)


def _close_code_out_of_range(h: Harness) -> None:
    accepted(h)
    h.close(999, None, valid=False)


def _long_close_reason(h: Harness) -> None:
    accepted(h)
    h.close(1000, "x" * 124, valid=False)


def _reason_before_2_3(h: Harness) -> None:
    accepted(h)
    h.close(1000, "bye", valid=False)


def _headers_before_2_1(h: Harness) -> None:
    h.client(CONNECT)
    h.accept(None, [(b"x-custom", b"1")], valid=False)


def _subprotocol_not_offered(h: Harness) -> None:
    h.client(CONNECT)
    h.accept("chat", None, valid=False)


def _upper_case_header(h: Harness) -> None:
    h.client(CONNECT)
    h.accept(None, [(b"X-Custom", b"1")], valid=False)


def _handshake_header(h: Harness) -> None:
    h.client(CONNECT)
    h.accept(None, [(b"sec-websocket-protocol", b"chat")], valid=False)


def _both_payloads(h: Harness) -> None:
    accepted(h)
    h.send({"type": "websocket.send", "text": "a", "bytes": b"a"}, valid=False)


def _bytes_as_text(h: Harness) -> None:
    accepted(h)
    h.send_text(b"not text", valid=False)


def _lone_surrogate(h: Harness) -> None:
    accepted(h)
    h.send_text("\ud800", valid=False)


def _denial_status(h: Harness) -> None:
    h.client(CONNECT)
    h.send_denial_response(101, b"", valid=False)


def _invalid_message_from_the_server(h: Harness) -> None:
    accepted(h)
    h.misbehave({"type": "websocket.receive", "text": "a", "bytes": b"a"}, valid=False)
    h.receive()


def _disconnect_without_code(h: Harness) -> None:
    accepted(h)
    h.misbehave({"type": "websocket.disconnect"}, valid=False)
    h.receive_text()


def _binary_as_text_none_shape(h: Harness) -> None:
    accepted(h)
    h.client({"type": "websocket.receive", "bytes": b"\x00", "text": None})
    h.receive_text()


def _data_after_own_close(h: Harness) -> None:
    accepted(h)
    h.client({"type": "websocket.receive", "text": "crossed the close"})
    h.close(1000, None, valid=True)
    h.receive_text()


def _raw_accept_then_receive_text(h: Harness) -> None:
    h.client(CONNECT)
    h.send({"type": "websocket.accept"}, valid=True)
    h.client({"type": "websocket.receive", "text": "hello"})
    h.receive_text()


def _not_a_dict(h: Harness) -> None:
    h.send(["websocket.accept"], valid=False)


DIFFERENCES = [
    Difference("data-before-accept", "J-03, WS-024", "receive() returns websocket.receive delivered before the accept", _data_before_accept),
    Difference(
        "client-state-during-denial",
        "J-05, WS-049",
        "client_state stays CONNECTED once a denial response starts",
        _client_state_during_denial,
        denial=True,
    ),
    Difference(
        "denial-without-extension",
        "WS-015, WS-047",
        "a denial response is sent although the server did not advertise the extension",
        _denial_without_extension,
    ),
    Difference(
        "send-after-disconnect",
        "J-09, WS-041, AMB-16",
        "send() after websocket.disconnect reaches the server and raises nothing",
        _send_after_disconnect,
    ),
    Difference(
        "oserror-during-handshake",
        "WS-041, J-09",
        "an OSError from send() during the handshake escapes as it is, with the state moved",
        _oserror_during_handshake,
    ),
    Difference(
        "oserror-during-denial",
        "WS-041, J-09",
        "an OSError from send() during a denial response escapes as it is",
        _oserror_during_denial,
        denial=True,
    ),
    Difference(
        "close-when-the-transport-fails",
        "WS-041, AMB-16",
        "close() raises WebSocketDisconnect(1006) when the server's send() fails",
        _close_when_the_transport_fails,
    ),
    Difference("close-twice", "AMB-16, RFC-016", "a second close() raises instead of doing nothing", _close_twice),
    Difference("close-after-disconnect", "J-09, AMB-16", "close() after websocket.disconnect reaches the server", _close_after_disconnect),
    Difference("reserved-close-code", "RFC-002", "close(1006) is forwarded", _reserved_close_code),
    Difference("close-code-out-of-range", "RFC-008", "close(999) is forwarded", _close_code_out_of_range),
    Difference("long-close-reason", "RFC-010, AMB-15", "a close reason over 123 bytes of UTF-8 is forwarded", _long_close_reason),
    Difference("reason-before-2-3", "WS-052, J-12, AMB-06", "a close reason is sent to a spec 2.0 server", _reason_before_2_3, spec_version="2.0"),
    Difference("headers-before-2-1", "WS-052, J-12, AMB-06", "accept headers are sent to a spec 2.0 server", _headers_before_2_1, spec_version="2.0"),
    Difference("subprotocol-not-offered", "RFC-018, AMB-08", "accept() names a subprotocol the client did not offer", _subprotocol_not_offered),
    Difference("upper-case-header", "WS-029", "accept headers with an upper-case name are forwarded", _upper_case_header),
    Difference("handshake-header", "WS-030, RFC-019", "accept headers with sec-websocket-protocol are forwarded", _handshake_header),
    Difference("both-payloads", "WS-036", "a websocket.send with both bytes and text is forwarded", _both_payloads),
    Difference("bytes-as-text", "WS-009, WS-036", "send_text(b'...') forwards bytes as text", _bytes_as_text),
    Difference("lone-surrogate", "RFC-015, AMB-13", "text that cannot be encoded as UTF-8 is forwarded", _lone_surrogate),
    Difference("denial-status", "AW-01, AMB-22", "a denial response with status 101 is forwarded", _denial_status, denial=True),
    Difference(
        "invalid-message-from-the-server",
        "WS-010, WS-034",
        "a websocket.receive with both payloads is handed to the application",
        _invalid_message_from_the_server,
    ),
    Difference(
        "disconnect-without-code",
        "WS-010, WS-039",
        "a websocket.disconnect without a code ends receive_text() with KeyError",
        _disconnect_without_code,
    ),
    Difference(
        "binary-as-text",
        "AMB-27",
        "receive_text() returns None for a binary message whose text key is None",
        _binary_as_text_none_shape,
    ),
    Difference(
        "data-after-own-close",
        "AMB-30, J-11",
        "receive_text() after the application's close says 'Need to call accept first'",
        _data_after_own_close,
    ),
    Difference(
        "raw-accept-then-receive-text",
        "J-01, WS-025",
        "receive_text() is handed websocket.connect after an accept sent raw",
        _raw_accept_then_receive_text,
    ),
    Difference("not-a-dict", "WS-009, WS-005", "send() of something that is not a dict raises TypeError", _not_a_dict),
]


def _run(factory: Any, difference: Difference) -> None:
    harness = Harness(factory, websocket_scope(difference.spec_version, denial=difference.denial, subprotocols=difference.subprotocols))
    difference.program(harness)
    harness.check()
    harness.close_pending()


@pytest.mark.parametrize("difference", DIFFERENCES, ids=lambda d: d.name)
def test_asgiws_follows_the_spec_where_starlette_differs(difference: Difference) -> None:
    _run(asgiws.WebSocket, difference)


def test_starlette_has_only_the_differences_its_baseline_lists() -> None:
    # The 27 programs above, once 27 strict xfails, are now entries of a reviewed baseline among the others
    # the machine finds; one run holds the installed Starlette to all of them: nothing new, nothing fixed.
    baseline = known_differences("starlette")
    report = fuzz(StarletteWebSocket, target="starlette.websockets:WebSocket", known=baseline, max_examples=100)
    assert [str(d) for d, _ in report.new] == []
    assert [str(d) for d in report.fixed] == []
    # Every entry is met, or replayed from its program; one without a program (a value in it could not be written down) may be neither.
    assert report.met >= len(baseline) - sum(d.program is None for d in baseline)


@pytest.mark.parametrize("difference", DIFFERENCES, ids=lambda d: d.name)
def test_every_hand_written_difference_is_a_known_one(difference: Difference) -> None:
    with pytest.raises(Divergence) as caught:
        _run(StarletteWebSocket, difference)
    assert caught.value.difference is not None
    assert caught.value.difference.key in known_differences("starlette")


class _DropsTheCloseCode(StarletteWebSocket):
    """Starlette's class with one injected bug: close() always sends 1000."""

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await super().close(1000, reason)


def test_one_injected_bug_fails_naming_the_new_divergence() -> None:
    report = fuzz(
        _DropsTheCloseCode, target="tests.test_testing_starlette:_DropsTheCloseCode", known=known_differences("starlette"), max_examples=100
    )
    assert report.new
    named = [(d, text) for d, text in report.new if d.call == "close"]  # only close() is wrong, and it is named
    assert {d.clause for d, _ in named} <= {"WS-024", "WS-044"}  # the close from CONNECTING, and from CONNECTED
    assert {d.happened for d, _ in named} == {"forwarded websocket.close with other fields"}
    assert all("harness.close(" in reproducer for _, reproducer in named)
    assert report.fixed == []


def test_the_exhaustive_check_finds_differences_in_starlette_and_none_in_asgiws() -> None:
    assert exhaustive_check(asgiws.WebSocket, depth=2).failures == []
    failures = exhaustive_check(StarletteWebSocket, depth=2).failures
    assert any("websocket.http.response.start" in str(f.sequence) for f in failures)


def test_the_page_lists_every_difference_with_its_clauses_and_its_test() -> None:
    page = PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.+?) \| (.+?) \|$", page, flags=re.M)
    assert rows == [(d.name, d.summary, d.clauses) for d in DIFFERENCES]
