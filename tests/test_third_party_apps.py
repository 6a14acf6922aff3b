"""``asgiws check app`` against apps on real third-party frameworks, each with the verdict the spec gives it.

The apps live in ``tests/apps/``; each module's docstring gives its EXPECTED
verdict and the reasoning from the spec. This module is the measuring stick of
issue 11: for every app it runs a short, seeded check and compares it with the
expected verdict on three counts:

* no false alarm: every clause reported is an expected one;
* nothing missed: every expected clause is reported, and where distinct
  exceptions are distinct root causes, each is named by its own finding;
* ``conformant`` is earned: a clean verdict counts only when the check got past
  the handshake (a connection was accepted and a data message delivered).

Where today's checker disagrees, the case is marked ``xfail(strict=True)`` with
the precise cause, so that each mark has to go as the checker is fixed.
Every check is bounded (few examples, a fixed seed, a short timeout), and the
cases are independent of each other, so they spread over pytest-xdist workers.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from asgiws.conformance import Report, check_app

#: Small and fixed: this is a measurement, not a fuzzing campaign.
MAX_EXAMPLES = 25
SEED = 0
TIMEOUT = 1.0


@dataclass(frozen=True)
class AppCase:
    """One app, how to check it, and what the spec says the check must find.

    Attributes:
        module: the module under ``tests/apps``; the app is its ``app``.
        framework: the framework it is written on.
        paths: what the check connects to (with a query string where the app needs one).
        subprotocols: what clients may offer.
        expected: each expected clause, with the exception type names that are
            its distinct root causes (empty when the finding is not an exception).
        options: ``check_app`` arguments the issue specifies that the app needs;
            a case whose option ``check_app`` does not take yet is an expected failure.
        today: why today's checker disagrees, when it does (the case is then an expected failure).
    """

    module: str
    framework: str
    paths: tuple[str, ...]
    expected: dict[str, tuple[str, ...]] = field(default_factory=dict)
    subprotocols: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    today: str | None = None

    @property
    def target(self) -> str:
        return f"tests.apps.{self.module}:app"


CASES = [
    AppCase(
        "fastapi_token_echo",
        "FastAPI",
        ("/ws?token=secret",),
    ),
    AppCase(
        "fastapi_chat_manager",
        "FastAPI",
        ("/ws/1",),
        {"AW-05": ("WebSocketDisconnected",)},
    ),
    AppCase("fastapi_ticker", "FastAPI", ("/ticker",)),
    AppCase("starlette_json_endpoint", "Starlette", ("/json",), {"AW-05": ("UnicodeDecodeError",)}),
    AppCase(
        "starlette_json_crash",
        "Starlette",
        ("/commands",),
        {"AW-05": ("KeyError|TypeError", "AttributeError")},
    ),
    AppCase(
        "starlette_room_lookup",
        "Starlette",
        ("/rooms/unknown",),
        {"WS-024": ("KeyError",)},
    ),
    AppCase("sanic_feed", "Sanic", ("/feed",)),
    AppCase(
        "falcon_subprotocol",
        "Falcon",
        ("/feed",),
        {"RFC-018": ()},
        subprotocols=("wamp.2.json",),
    ),
    AppCase("litestar_echo", "Litestar", ("/echo",)),
    AppCase("litestar_reserved_close", "Litestar", ("/commands",), {"RFC-002": ()}),
    AppCase(
        "quart_echo",
        "Quart",
        ("/ws",),
        {"AW-05": ("KeyError",), "WS-036": ()},
        # Its second bug needs a binary message in Hypercorn's shape after the first crash is known.
        options={"max_examples": 60},
    ),
    AppCase(
        "channels_echo",
        "Channels",
        ("/ws/echo/",),
    ),
    AppCase(
        "strawberry_subscriptions",
        "Strawberry",
        ("/graphql",),
        {"AW-05": ("TypeError",)},
        subprotocols=("graphql-transport-ws",),
    ),
    AppCase(
        "ariadne_subscriptions",
        "Ariadne",
        ("/graphql",),
        {"RFC-018": (), "AW-05": ("JSONDecodeError", "KeyError|TypeError")},
        subprotocols=("graphql-transport-ws",),
    ),
    AppCase(
        "socketio_chat",
        "python-socketio",
        ("/socket.io/?EIO=4&transport=websocket",),
        {"AW-05": ("ValueError",)},
    ),
]


def _marks(case: AppCase) -> list[pytest.MarkDecorator]:
    missing = [name for name in case.options if name not in inspect.signature(check_app).parameters]
    if missing:
        return [pytest.mark.xfail(strict=True, reason=f"needs check_app({', '.join(missing)}=...) (issue 11)")]
    if case.today:
        return [pytest.mark.xfail(strict=True, reason=case.today)]
    return []


def accepted_and_talked(report: Report) -> bool:
    """Whether some connection was accepted and then got a data message: the check got past the handshake."""
    allowed = report.coverage.allowed
    accepted = any(p.message_type == "websocket.accept" and count for p, count in allowed.items())
    talked = any(p.message_type == "websocket.receive" and count for p, count in allowed.items())
    return accepted and talked


def disagreements(case: AppCase, report: Report) -> list[str]:
    """How the report differs from the expected verdict; empty when they agree."""
    problems: list[str] = []
    found: dict[str, list[str]] = {}
    for violation in report.violations:
        found.setdefault(violation.clause, []).append(violation.detail)
    for clause in sorted(set(found) - set(case.expected)):
        problems.append(f"false alarm {clause}: {found[clause][0][:200]}")
    for clause, causes in case.expected.items():
        if clause not in found:
            problems.append(f"missed {clause}")
            continue
        for cause in causes:
            if not any(any(name in detail for name in cause.split("|")) for detail in found[clause]):
                problems.append(f"missed {clause} caused by {cause}: reported only as {found[clause]}")
    if report.error is not None:
        problems.append(f"check error: {report.error}")
    verdict = getattr(report, "verdict", None)  # issue 11 item 5, once the report has one
    if not case.expected and verdict not in (None, "conformant"):
        problems.append(f"verdict {verdict!r}, expected 'conformant'")
    if not case.expected and not accepted_and_talked(report):
        problems.append("conformant but unearned: no connection was accepted and talked to")
    if case.expected and report.conformant:
        problems.append("reported conformant")
    return problems


@pytest.mark.parametrize("case", [pytest.param(case, id=case.module, marks=_marks(case)) for case in CASES])
def test_checker_verdict_matches_the_spec(case: AppCase) -> None:
    try:
        options: dict[str, Any] = {"max_examples": MAX_EXAMPLES, "seed": SEED, "timeout": TIMEOUT, **case.options}
        report = check_app(case.target, paths=case.paths, subprotocols=case.subprotocols, **options)
    except Exception as error:  # a checker that crashes on an app has a verdict too
        pytest.fail(f"check_app raised {type(error).__name__}: {str(error)[:300]}")
    problems = disagreements(case, report)
    assert not problems, "\n".join(problems)


def test_the_suite_spans_enough_apps_and_frameworks() -> None:
    assert len(CASES) >= 10
    assert len({case.framework for case in CASES}) >= 6
    assert len({case.module for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.module) for case in CASES])
def test_every_app_states_its_expected_verdict(case: AppCase) -> None:
    import importlib

    doc = importlib.import_module(f"tests.apps.{case.module}").__doc__ or ""
    assert "EXPECTED:" in doc
    assert case.framework.split("-")[-1].lower() in doc.lower()
    for clause in case.expected:
        assert clause in doc.split("EXPECTED:", 1)[1]
