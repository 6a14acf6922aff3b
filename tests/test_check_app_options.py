"""``asgiws check app``: realistic connections, seeds, earned verdicts, --fail-on, SARIF, and every bad option answered."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asgiws.cli import main
from asgiws.conformance import Handshake, SeedError, Seeds, check_app, load_seeds
from asgiws.conformance.script import _as_action, scripts
from asgiws.engine import SendBytes, SendText
from asgiws.spec import SpecVersion

# -- apps -------------------------------------------------------------------------------------


async def needs_a_token(scope: Any, receive: Any, send: Any) -> None:
    """Accepts only clients that bring ?token=secret, an API key header, a session cookie and its own Origin."""
    headers = dict(scope["headers"])
    await receive()
    allowed = (
        scope["query_string"] == b"token=secret"
        and headers.get(b"x-api-key") == b"k"
        and b"session=abc" in headers.get(b"cookie", b"")
        and headers.get(b"origin") is None
        and scope["client"] == ("10.1.2.3", 4000)
        and scope["scheme"] == "wss"
    )
    if not allowed:
        await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "websocket.accept"})
    while (await receive())["type"] != "websocket.disconnect":
        await send({"type": "websocket.send", "text": "ok"})


async def never_reads(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close"})


async def graphql_like(scope: Any, receive: Any, send: Any) -> None:
    """Answers only after connection_init; then crashes on any message without an id, such as a ping (its bug)."""
    await receive()
    chosen = "graphql-transport-ws" if "graphql-transport-ws" in scope["subprotocols"] else None
    await send({"type": "websocket.accept", "subprotocol": chosen})
    if _document(await receive()) != {"type": "connection_init", "payload": {}}:
        await send({"type": "websocket.close", "code": 4400})
        return
    await send({"type": "websocket.send", "text": '{"type": "connection_ack"}'})
    while (message := await receive())["type"] != "websocket.disconnect":
        document = _document(message)
        if isinstance(document, dict):
            await send({"type": "websocket.send", "text": json.dumps({"id": document["id"], "type": "next"})})


def _document(message: dict[str, Any]) -> Any:
    try:
        return json.loads(message.get("text") or "null")
    except ValueError:
        return None


def sync_app(scope: Any, receive: Any, send: Any) -> None:
    """Not an ASGI application: it cannot be awaited."""


# -- realistic connections ---------------------------------------------------------------------


def test_the_handshake_options_reach_the_app() -> None:
    handshake = Handshake(origin=None, scheme="wss", client=("10.1.2.3", 4000), headers=(("X-Api-Key", "k"),), cookies=(("session", "abc"),))
    report = check_app("t:app", app=needs_a_token, paths=["/ws?token=secret"], max_examples=10, seed=0, handshake=handshake)
    assert report.verdict == "conformant", report.to_text()
    assert report.routes["/ws"].accepted == 10


def test_a_check_where_every_connection_is_refused_is_inconclusive_not_conformant() -> None:
    report = check_app("t:app", app=needs_a_token, paths=["/ws"], max_examples=10, seed=0)
    assert (report.verdict, report.conformant) == ("inconclusive", False)
    assert report.inconclusive is not None
    assert report.inconclusive.startswith("on /ws: every connection was refused before the accept: check --path")
    assert "inconclusive (on /ws" in report.to_text()
    assert json.loads(report.render("json"))["verdict"] == "inconclusive"


def test_an_app_that_never_reads_is_inconclusive() -> None:
    report = check_app("t:app", app=never_reads, paths=["/ws"], max_examples=5, seed=0)
    assert report.inconclusive == "on /ws: no data message ever reached the application after its accept: it closes or waits before it reads"


# -- seeds ------------------------------------------------------------------------------------


def test_shipped_seeds_get_a_protocol_past_its_greeting() -> None:
    seeds = load_seeds("graphql-transport-ws")
    assert seeds.opening == (SendText('{"type": "connection_init", "payload": {}}'),)
    assert len(seeds.messages) >= 3
    assert load_seeds("graphql-ws").opening == seeds.opening
    without = check_app("t:app", app=graphql_like, paths=["/graphql"], subprotocols=["graphql-transport-ws"], max_examples=40, seed=0)
    assert without.violations == []  # random text never gets past connection_init
    assert without.routes["/graphql"].data > 0
    seeded = check_app(
        "t:app",
        app=graphql_like,
        paths=["/graphql"],
        subprotocols=["graphql-transport-ws"],
        max_examples=80,
        seed=0,
        opening=seeds.opening,
        messages=seeds.messages,
    )
    lines, first = inspect.getsourcelines(graphql_like)
    where = first + next(n for n, line in enumerate(lines) if 'document["id"]' in line)
    assert [(v.clause, v.cause) for v in seeded.violations] == [("AW-05", f"KeyError at {Path(__file__).name}:{where} in graphql_like")]


def test_a_seed_file_has_an_opening_examples_text_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "seeds.txt"
    path.write_text('# a comment\n\n{"hello": 1}\ntext: plain words\nbytes: AAEC\n[opening]\n{"type": "hi"}\n', encoding="utf-8")
    assert load_seeds(str(path)) == Seeds(
        opening=(SendText('{"type": "hi"}'),), messages=(SendText('{"hello": 1}'), SendText("plain words"), SendBytes(b"\x00\x01\x02"))
    )


@pytest.mark.parametrize(
    ("content", "error"),
    [("not json\n", "1: not a JSON document"), ("bytes: %%%\n", "1: 'bytes:' takes base64"), (b"\xff\xfe", "cannot read the seed file")],
)
def test_a_bad_seed_file_names_its_line(tmp_path: Path, content: str | bytes, error: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SeedError, match=error):
        load_seeds(str(path))
    with pytest.raises(SeedError, match="shipped seeds: graphql-transport-ws, graphql-ws"):
        load_seeds(str(tmp_path / "missing.txt"))


@settings(max_examples=60)
@given(data=st.data())
def test_seeded_scripts_send_examples_mutations_and_drawn_messages(data: st.DataObject) -> None:
    examples = (SendText('{"type": "subscribe", "id": "1"}'), SendText("hello"), SendBytes(b"\x01\x02"))
    drawn = st.sampled_from(["from a strategy", b"raw", SendText("as an action")])
    script = data.draw(scripts([SpecVersion.V2_5], ["/"], [], messages=examples, opening=(SendText("hi"),), message_strategy=drawn))
    assert all(isinstance(m, SendText | SendBytes) for m in script.messages)


def test_a_message_strategy_of_the_wrong_kind_says_so() -> None:
    with pytest.raises(TypeError, match="a message strategy draws str, bytes, SendText or SendBytes, not int"):
        _as_action(3)


# -- verdicts and formats ---------------------------------------------------------------------


def test_fail_on_decides_which_levels_fail() -> None:
    must = check_app("examples.apps.binary_crash_bug:app", paths=["/ws"], max_examples=50, seed=0, fail_on="must")
    # Two root causes of one clause: KeyError on uvicorn's binary shape, AttributeError on Hypercorn's.
    assert [v.level for v in must.violations] == ["SHOULD", "SHOULD"]
    assert (must.verdict, must.failing) == ("conformant", [])
    assert "conformant (and 2 violation(s) below --fail-on must)" in must.to_text()
    should = check_app("examples.apps.binary_crash_bug:app", paths=["/ws"], max_examples=50, seed=0, fail_on="should")
    assert should.verdict == "violations"


def test_sarif_names_each_clause_and_where_the_exception_came_from() -> None:
    report = check_app("examples.apps.binary_crash_bug:app", paths=["/ws"], max_examples=50, seed=0)
    document = json.loads(report.render("sarif"))
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["AW-05"]
    result = run["results"][0]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "examples/apps/binary_crash_bug.py"
    assert location["region"]["startLine"] > 1
    assert result["level"] == "warning"
    unplaced = check_app("examples.apps.binary_echo_bug:app", paths=["/ws"], max_examples=50, seed=0)
    (result,) = json.loads(unplaced.render("sarif"))["runs"][0]["results"]
    assert (result["level"], result["locations"][0]["physicalLocation"]["region"]["startLine"]) == ("error", 1)


def test_what_the_app_prints_stays_out_of_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "tests.apps_chatty:app", "--path", "/ws", "--max-examples", "5", "--format", "json"]) == 1
    out = capsys.readouterr().out
    data = json.loads(out)
    assert "the app printed this" in data["violations"][0]["output"]


# -- every bad option answered ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-examples", "0"], "--max-examples must be a whole number of at least 1, not 0"),
        (["--timeout", "0"], "--timeout must be a number of seconds above 0, not 0.0"),
        (["--timeout", "-1"], "--timeout must be a number of seconds above 0"),
        (["--timeout", "nan"], "--timeout must be a number of seconds above 0, not nan"),
        (["--path", "ws"], "--path 'ws' must start with '/' (for example /ws)"),
        (["--subprotocol", "a b"], "--subprotocol 'a b' is not a token"),
        (["--spec-version", "9.9"], "unknown ASGI WebSocket spec version '9.9'"),
        (["--output", "/nonexistent-folder/report.json"], "the folder '/nonexistent-folder' does not exist"),
        (["--client", "localhost"], "--client 'localhost' must be HOST:PORT"),
        (["--header", "no-colon"], "--header 'no-colon' must be NAME:VALUE"),
        (["--cookie", "=v"], "--cookie '=v' must be NAME=VALUE"),
        (["--seeds", "/nonexistent.txt"], "cannot read the seed file"),
        (["--messages", "nothing"], "--messages: expected MODULE:ATTRIBUTE"),
    ],
)
def test_every_bad_option_is_refused_before_any_work(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "examples.apps.echo:app", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_a_sync_function_is_not_an_asgi_application(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "tests.test_check_app_options:sync_app"]) == 2
    assert "is a function, not an ASGI application (an async callable" in capsys.readouterr().err


def test_an_inconclusive_check_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "app", "tests.test_check_app_options:needs_a_token", "--path", "/ws", "--max-examples", "3"]) == 3


def test_options_come_from_pyproject_and_the_command_line_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent))
    (tmp_path / "pyproject.toml").write_text(
        "[tool.asgiws]\n"
        'path = "/ws?token=secret"\n'
        'header = ["X-Api-Key: k"]\n'
        'cookie = ["session=abc"]\n'
        'origin = "none"\n'
        'client = "10.1.2.3:4000"\n'
        'scheme = "wss"\n'
        "max-examples = 5\n",
        encoding="utf-8",
    )
    target = "tests.test_check_app_options:needs_a_token"
    assert main(["check", "app", target]) == 0
    assert main(["check", "app", target, "--scheme", "ws"]) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[tool.asgiws]\npaths = 1\n", "has unknown keys ['paths']"),
        ("[tool.asgiws\n", "is not valid TOML"),
        ('[tool.asgiws]\nfail-on = "all"\n', "fail-on must be"),
    ],
)
def test_a_bad_pyproject_table_is_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(content, encoding="utf-8")
    assert main(["check", "app", "examples.apps.echo:app"]) == 2
    assert message in capsys.readouterr().err


def test_without_a_pyproject_the_defaults_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent))
    argv = ["check", "app", "examples.apps.echo:app", "--path", "/ws", "--subprotocol", "chat", "--max-examples", "3"]
    assert main(argv) == 0


def test_sarif_points_at_the_module_when_the_exception_came_from_elsewhere() -> None:
    from asgiws.conformance.report import _location

    assert _location("pkg.chat:app", "KeyError at helpers.py:7 in parse") == {"artifactLocation": {"uri": "pkg/chat.py"}, "region": {"startLine": 1}}
    assert _location("pkg.chat:app", "KeyError at chat.py:7 in parse")["region"] == {"startLine": 7}


def test_hypothesis_keeps_its_files_in_a_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As in a fresh `asgiws` process, where Hypothesis is imported only by the check.
    import os
    import sys

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.delitem(sys.modules, "hypothesis")
    try:
        # Seeded: two random clients may send no data at all, and the verdict would be inconclusive.
        assert main(["check", "app", "examples.apps.echo:app", "--path", "/ws", "--max-examples", "2", "--seed", "0"]) == 0
        assert os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] == str(tmp_path / "asgiws" / "hypothesis")
    finally:
        os.environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
