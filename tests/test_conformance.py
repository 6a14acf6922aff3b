"""``asgiws check app``: every planted bug found under its clause, every correct app clean."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asgiws
from asgiws.cli import main
from asgiws.conformance import Report, Script, TargetError, Violation, check_app, load_app, replay
from asgiws.conformance.script import run_script
from asgiws.engine import ClientAction, Connect, Disconnect, Outcome, SendBytes, SendText, Transcript, Vanish, websocket_scope
from asgiws.spec import SpecVersion
from asgiws.testing import AppDriver

BUGGY = [
    ("examples.apps.binary_echo_bug:app", "/ws", "WS-036"),
    ("examples.apps.early_send_bug:app", "/ws", "WS-024"),
    ("examples.apps.json_close_bug:app", "/ws", "RFC-002"),
    ("examples.apps.long_reason_bug:app", "/ws", "RFC-010"),
    ("examples.apps.subprotocol_bug:app", "/ws", "RFC-018"),
    ("examples.apps.broadcast_bug:app", "/ws", "AW-05"),
    ("examples.apps.undecided_bug:app", "/ws", "WS-024"),
    ("examples.apps.fastapi_validation_bug:app", "/ws", "WS-009"),
    ("examples.apps.binary_crash_bug:app", "/ws", "AW-05"),
]
CORRECT = [
    ("examples.apps.echo:app", "/ws"),
    ("examples.apps.goodbye:app", "/ws"),
    ("examples.fastapi_chat:app", "/ws/lobby"),
    ("examples.starlette_echo:app", "/echo"),
    ("examples.raw_asgi:app", "/"),
]


@pytest.mark.parametrize(("target", "path", "clause"), BUGGY, ids=[b[0].split(".")[-1].split(":")[0] for b in BUGGY])
def test_every_buggy_example_is_caught_under_its_clause(target: str, path: str, clause: str) -> None:
    report = check_app(target, paths=[path], subprotocols=["chat.v2"], max_examples=150, seed=0)
    assert clause in {v.clause for v in report.violations}, report.to_text()
    assert not report.conformant
    assert all(v.side == "application" for v in report.violations)


@pytest.mark.parametrize(("target", "path"), CORRECT, ids=[c[0].split(":")[0] for c in CORRECT])
def test_every_correct_example_comes_out_clean(target: str, path: str) -> None:
    report = check_app(target, paths=[path], subprotocols=["chat.v1"], max_examples=150, seed=0)
    assert report.conformant, report.to_text()
    assert report.examples == 150
    assert report.coverage_counts()["transitions_hit"] >= 5


def test_each_violation_is_reported_once_with_a_minimal_reproducer() -> None:
    report = check_app("examples.apps.binary_echo_bug:app", paths=["/ws"], max_examples=150, seed=0)
    (violation,) = report.violations
    assert violation.message_type == "websocket.send"
    assert violation.state == ("CONNECTED", "CONNECTED")
    namespace: dict[str, Any] = {}
    exec(violation.reproducer, namespace)  # the reproducer is a test that fails while the bug is there
    test = next(value for name, value in namespace.items() if name.startswith("test_"))
    with pytest.raises(AssertionError, match="still breaks WS-036"):
        test()
    assert "messages=(SendBytes(data=b'', other_key_as_none=False),)" in violation.reproducer  # shrunk to one empty binary message


def test_replay_of_a_correct_app_is_clean() -> None:
    script = Script(path="/ws", messages=(SendBytes(b"x"), SendText("y")), leave=Disconnect(1001, "bye"))
    assert replay(load_app("examples.apps.echo:app"), script) == []
    assert replay(load_app("examples.apps.binary_echo_bug:app"), script) == ["WS-036"]


def test_the_denial_extension_and_both_message_shapes_are_explored() -> None:
    script = Script(path="/ws", denial=True, messages=(SendText("a", other_key_as_none=True),))
    assert replay(load_app("examples.apps.echo:app"), script) == []


def test_all_versions_find_what_older_servers_would_drop() -> None:
    report = check_app("examples.raw_asgi:app", paths=["/"], spec_version="all", max_examples=200, seed=0)
    assert {v.clause for v in report.violations} == {"WS-052"}
    assert report.to_json()["spec_version"] == "all"
    assert report.coverage_counts()["transitions_total"] == 6 * 32


# -- how the application ends ------------------------------------------------------------------


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        await asyncio.sleep(0.001)  # never receives again, never ends


async def _deaf(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        await receive()  # ignores the disconnect and asks again


async def _crashes_early(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        raise RuntimeError("boom")


async def _strict(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    websocket = asgiws.WebSocket(scope, receive, send)
    await websocket.accept()
    await websocket.close(code=1006)  # refused by asgiws before the server sees it


@pytest.mark.parametrize(
    ("app", "clause", "message_type"),
    [(_busy, "WS-021", None), (_deaf, "AMB-17", "websocket.receive"), (_crashes_early, "WS-024", None), (_strict, "RFC-002", "websocket.close")],
    ids=["still-busy", "receives-after-disconnect", "raises-before-the-handshake", "refused-inside-asgiws"],
)
def test_how_an_application_ends_is_judged(app: Any, clause: str, message_type: str | None) -> None:
    findings = asyncio.run(run_script(app, Script(path="/ws"), timeout=0.2)).findings
    assert (clause, message_type) in {(f.clause, f.message_type) for f in findings}


def test_a_vanishing_client_makes_later_sends_fail_from_2_4_on() -> None:
    for version, failed in (("2.3", False), ("2.4", True)):
        run = asyncio.run(run_script(load_app("examples.apps.goodbye:app"), Script(spec_version=version, path="/ws", leave=Vanish()), timeout=5.0))
        # A goodbye to a client that has gone is no violation, and its error may escape (AMB-33, WS-042).
        assert run.findings == []
        assert isinstance(run.error, ConnectionResetError) is failed
        assert (run.sent[-1]["text"], run.failed_sends[-1]) == ("goodbye!", failed)
        assert run.client_actions[-1] == Vanish()


# -- lifespan -----------------------------------------------------------------------------------


def _lifespan_app(*, fail: bool = False, silent: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            if silent:
                await asyncio.sleep(10)
            if fail:
                await send({"type": "lifespan.startup.failed", "message": "no database"})
                return
            scope["state"]["greeting"] = "hello"
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": scope["state"]["greeting"]})
        await receive()  # one message, or the goodbye
        await send({"type": "websocket.close"})

    return app


def test_lifespan_runs_once_and_its_state_reaches_each_connection() -> None:
    report = check_app("lifespan:app", app=_lifespan_app(), paths=["/ws"], max_examples=20, seed=0)
    assert report.conformant, report.to_text()


@pytest.mark.parametrize(
    ("options", "error"), [({"fail": True}, "startup failed: no database"), ({"silent": True}, "did not answer lifespan.startup")]
)
def test_a_failed_or_silent_startup_stops_the_check(options: dict[str, bool], error: str) -> None:
    report = check_app("lifespan:app", app=_lifespan_app(**options), max_examples=5, timeout=0.3)
    assert report.error is not None
    assert error in report.error
    assert not report.conformant
    assert report.examples == 0
    assert json.loads(report.render("json"))["error"] == report.error


def test_the_cli_exits_2_when_the_startup_fails(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sys
    import types

    module = types.ModuleType("failing_startup")
    module.app = _lifespan_app(fail=True)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "failing_startup", module)
    assert main(["check", "app", "failing_startup:app", "--format", "junit", "--in-process"]) == 2
    captured = capsys.readouterr()
    assert "startup failed: no database" in captured.err
    assert 'errors="1"' in captured.out


# -- loading the target -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("no_colon", "expected MODULE:ATTRIBUTE"),
        ("no_such_module_here:app", "could not import 'no_such_module_here'"),
        ("examples.apps.echo:nope", "has no attribute 'nope'"),
        ("examples.apps.echo:__doc__", "is a str, not an ASGI application"),
    ],
)
def test_bad_targets_are_refused_clearly(target: str, error: str) -> None:
    with pytest.raises(TargetError, match=error):
        load_app(target)


def test_dotted_attributes_are_followed() -> None:
    assert load_app("examples.apps.echo:app.__call__") is not None


# -- the report -----------------------------------------------------------------------------------


def _report_with(path: str, detail: str) -> Report:
    report = Report(target="evil:app", spec_version="2.5", versions=[SpecVersion.V2_5], examples=3, duration_s=0.5)
    report.add(Violation("WS-036", "application", path, "websocket.send", ("CONNECTED", "CONNECTED"), detail, "def test_x(): ...", "2.5"))
    return report


def test_the_json_report_keeps_the_contract() -> None:
    data = json.loads(_report_with("/ws", "bad").render("json"))
    # The contract's keys, and what this version adds beside them.
    assert set(data) == {"target", "conformant", "spec_version", "examples", "duration_s", "violations", "coverage", "verdict", "routes"}
    (violation,) = data["violations"]
    assert set(violation) >= {"clause", "level", "side", "path", "message_type", "state", "summary", "reproducer"}
    assert violation["state"] == {"receive": "CONNECTED", "send": "CONNECTED"}
    assert violation["level"] == "MUST"
    assert data["coverage"] == {"transitions_total": 32, "transitions_hit": 0}


def test_a_violation_is_kept_once_with_the_shortest_reproducer() -> None:
    report = _report_with("/ws", "bad")
    longer = Violation("WS-036", "application", "/ws", "websocket.send", ("CONNECTED", "CONNECTED"), "bad", "def test_x(): ... # longer", "2.5")
    shorter = Violation("WS-036", "application", "/ws", "websocket.send", ("CONNECTED", "CONNECTED"), "bad", "def t(): ...", "2.5")
    report.add(longer)
    report.add(shorter)
    assert [v.reproducer for v in report.violations] == ["def t(): ..."]
    assert Violation("AMB-17", "application", "/", None, ("D", "K"), "x", "", "2.5").level == "MUST"


def test_the_html_report_escapes_everything_from_the_app() -> None:
    page = _report_with("/<script>alert(1)</script>", "<img src=x onerror=alert(2)>").render("html", "<svg></svg>")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<svg></svg>" in page  # our own diagram goes in as it is


def test_the_junit_report_is_valid_xml_with_one_failure_per_violation() -> None:
    suite = ET.fromstring(_report_with("/ws", "bad & worse").render("junit"))
    assert suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("type") == "WS-036"
    clean = ET.fromstring(Report(target="ok:app", spec_version="2.5", versions=[SpecVersion.V2_5]).render("junit"))
    assert clean.get("failures") == "0"
    broken = Report(target="x:app", spec_version="2.5", versions=[SpecVersion.V2_5], error="could not start")
    assert ET.fromstring(broken.render("junit")).get("errors") == "1"
    assert "error: could not start" in broken.render("text")
    assert "could not start" in broken.render("html")


# -- the command line -----------------------------------------------------------------------------


def test_the_cli_exits_0_for_a_clean_app_and_1_for_a_buggy_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", "app", "examples.apps.echo:app", "--path", "/ws", "--max-examples", "30", "--seed", "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["conformant"] is True
    report = tmp_path / "report.html"
    args = ["check", "app", "examples.apps.early_send_bug:app", "--path", "/ws", "--max-examples", "30", "--seed", "1"]
    assert main([*args, "--format", "html", "--output", str(report), "--in-process"]) == 1
    page = report.read_text(encoding="utf-8")
    assert "WS-024" in page
    assert "<svg" in page  # the coverage-annotated joint machine
    assert main([*args, "--format", "junit"]) == 1
    assert "WS-024" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["check", "app", "nowhere_to_be_found:app"],
        ["check", "app", "nowhere_to_be_found:app", "--in-process"],
        ["check", "app", "examples.apps.echo:app", "--spec-version", "3.0"],
    ],
    ids=["cannot-import", "cannot-import-in-process", "unknown-version"],
)
def test_the_cli_exits_2_when_the_app_cannot_be_checked(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("asgiws check app: ")


@pytest.mark.parametrize("where", [[], ["--in-process"]], ids=["guarded", "in-process"])
def test_a_terminal_sees_progress(where: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert main(["check", "app", "examples.apps.echo:app", "--path", "/ws", "--max-examples", "5", *where]) == 0
    assert "exploring [########################] 5/5 examples, 0 finding(s)" in capsys.readouterr().err


def test_without_a_layout_engine_the_html_report_goes_without_its_picture(monkeypatch: pytest.MonkeyPatch) -> None:
    import asgiws.diagrams
    from asgiws._check_app_cli import _coverage_svg

    def refuse(*args: Any, **kwargs: Any) -> bytes:
        raise asgiws.diagrams.RenderError("no engine")

    monkeypatch.setattr(asgiws.diagrams, "diagram", refuse)
    assert _coverage_svg(_report_with("/ws", "x")) is None


# -- in a project's test suite ------------------------------------------------------------------

from asgiws.conformance import conformance_test  # noqa: E402 - grouped with the tests that use it

test_generated_conformance_of_the_echo_example = conformance_test("examples.apps.echo:app", paths=["/ws"], max_examples=20, seed=0)


def test_a_generated_test_fails_with_the_report() -> None:
    generated = conformance_test("examples.apps.early_send_bug:app", paths=["/ws"], max_examples=20, seed=0)
    assert generated.__name__ == "test_websocket_protocol_of_examples_apps_early_send_bug_app"
    with pytest.raises(pytest.fail.Exception, match="WS-024"):
        generated()


async def _waits_for_data_first(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await receive()  # data before it accepted: no client can send it
    await send({"type": "websocket.accept"})


def test_an_app_that_waits_for_data_before_accepting_is_stopped_at_once() -> None:
    run = asyncio.run(run_script(_waits_for_data_first, Script(path="/ws", messages=(SendText("hi"),), leave=Disconnect(1001, "bye")), timeout=5.0))
    assert run.outcome is Outcome.WAITED_BEFORE_HANDSHAKE
    assert [(f.clause, f.message_type) for f in run.findings] == [("WS-024", "websocket.receive")]
    assert run.client_actions == [Connect()]


# -- one engine for the checker and the app driver -------------------------------------------------


def _script_of(actions: list[ClientAction]) -> Script:
    """The script of a client that did what ``actions`` say."""
    messages = tuple(a for a in actions if isinstance(a, SendText | SendBytes))
    last = actions[-1]
    return Script(path="/ws", messages=messages, leave=last if isinstance(last, Disconnect | Vanish) else Disconnect(1000))


def _seen(transcript: Transcript) -> tuple[Any, ...]:
    return (
        transcript.client_actions,
        transcript.received,
        transcript.sent,
        transcript.failed_sends,
        [v.clause for v in transcript.violations],
        transcript.findings,
        transcript.outcome,
        type(transcript.error),
        transcript.states,
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data(), target=st.sampled_from(["echo", "binary_echo_bug", "goodbye", "json_close_bug", "undecided_bug"]))
def test_a_scripted_and_a_drawn_client_making_the_same_choices_see_the_same_run(data: st.DataObject, target: str) -> None:
    app = load_app(f"examples.apps.{target}:app")
    drawn = AppDriver(app, websocket_scope("2.5", path="/ws"), max_actions=4).run(data)
    assert _seen(asyncio.run(run_script(app, _script_of(drawn.client_actions), timeout=5.0))) == _seen(drawn)


def test_the_cli_accepts_all_versions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "examples.apps.echo:app", "--path", "/ws", "--spec-version", "all", "--max-examples", "10"]) == 0
    assert "(spec all)" in capsys.readouterr().out


def test_the_fixture_fails_a_test_whose_app_broke_the_protocol() -> None:
    from asgiws.conformance import suite
    from examples.apps import early_send_bug

    fixture = suite.asgiws_check()
    wrap = next(fixture)
    asyncio.run(_drive(wrap(early_send_bug.app)))
    with pytest.raises(pytest.fail.Exception, match="WS-024 app -> server on /ws"):
        next(fixture)


def test_the_fixture_counts_the_violations_it_did_not_keep() -> None:
    from asgiws.conformance import suite

    async def chatty(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        for _ in range(105):
            await send({"type": "websocket.send"})  # neither text nor bytes: WS-036

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        return None

    fixture = suite.asgiws_check()
    wrap = next(fixture)
    asyncio.run(wrap(chatty)({"type": "websocket", "asgi": {"version": "3.0", "spec_version": "2.5"}, "path": "/ws", "headers": []}, receive, send))
    with pytest.raises(pytest.fail.Exception, match=r"\.\.\. and 5 more, counted but not kept"):
        next(fixture)


def test_the_fixture_passes_a_clean_app(asgiws_check: Any) -> None:
    from examples.apps import echo

    asyncio.run(_drive(asgiws_check(echo.app)))


async def _drive(app: Any) -> None:
    inbox = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]

    async def receive() -> Any:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        return None

    await app({"type": "websocket", "path": "/ws", "asgi": {"version": "3.0", "spec_version": "2.5"}}, receive, send)


# -- root causes across connections ----------------------------------------------------------------


def _room() -> Any:
    """A fresh chat room that, like examples.apps.broadcast_bug, never lets anyone leave."""
    members: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        members.append(send)
        while (message := await receive())["type"] != "websocket.disconnect":
            for member in members:
                await member({"type": "websocket.send", "text": message["text"]})

    return app


def test_a_second_client_meanwhile_meets_what_the_first_left_behind() -> None:
    alone = asyncio.run(run_script(_room(), Script(messages=(SendText("a"), SendText("b"))), timeout=5.0))
    assert alone.findings == []
    other = Script(messages=(SendText("hello"),))
    together = Script(messages=(SendText("a"), SendText("b")), meanwhile=other, meanwhile_after=1)
    run = asyncio.run(run_script(_room(), together, timeout=5.0))
    (finding,) = run.findings
    assert finding.clause == "AW-05"
    assert finding.cause is not None
    assert finding.cause.startswith("ConnectionResetError at test_conformance.py:")
    assert "the connection has ended" in finding.detail
    # The app crashed on the second message, before its client could leave.
    assert [type(action).__name__ for action in run.client_actions] == ["Connect", "SendText", "SendText"]


def _fails_once() -> Any:
    connections = iter(range(1000))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        if next(connections) == 3:
            raise ValueError("only the fourth connection")
        while (await receive())["type"] != "websocket.disconnect":
            pass

    return app


def test_a_finding_that_depends_on_earlier_connections_is_reported_with_a_warning() -> None:
    report = check_app("tests.apps_once:app", app=_fails_once(), paths=["/ws"], max_examples=30, seed=0)
    (violation,) = report.violations
    assert violation.clause == "AW-05"
    assert "shown after earlier connections" in violation.detail


async def _refuses_then_waits(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.close", "code": 1008})
    await receive()  # the disconnect: no data comes after a refused handshake (J-04)


def test_a_client_whose_data_cannot_come_leaves_instead() -> None:
    run = asyncio.run(run_script(_refuses_then_waits, Script(path="/ws", messages=(SendText("hi"),), leave=Disconnect(1001, "bye")), timeout=5.0))
    assert run.findings == []
    assert run.client_actions == [Connect(), Disconnect(1001, "bye")]
