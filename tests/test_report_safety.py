"""Reports cannot be turned against their reader: whatever an app or a server chose, every format parses and shows nothing active.

Hostile text (any code point, lone surrogates included, and the classic
payloads) goes into every field an application or a server controls; each
format is parsed by what reads it (``json.loads``, ElementTree, ``html.parser``)
and searched for raw control characters, bidirectional controls, surrogates
and the two non-characters. Reproducers built from hostile findings compile,
run nothing the app wrote, and replay the finding.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from asgiws._safe_text import visible, well_formed
from asgiws.conformance import Report, Script, Violation, check_app, load_app, reproducer
from asgiws.conformance.report import Route
from asgiws.conformance.scenarios import Scenario
from asgiws.conformance.script import run_script
from asgiws.conformance.server_report import Matrix, ScenarioResult, ServerReport
from asgiws.conformance.verdicts import Check
from asgiws.conformance.wire import Frame, WireRecord
from asgiws.engine import Disconnect, Finding, SendText
from asgiws.spec import SpecVersion
from asgiws.spec.server import Verdict

#: What no report may hold raw: C0 but tab and line feed, DEL, C1, the bidirectional controls, the separators, surrogates, U+FFFE and U+FFFF.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")

PAYLOADS = [
    '"; import os; #',
    '"""',
    "'''",
    "\\",
    "</script><script>alert(1)</script>",
    "]]>",
    "\x1b]0;pwned\x07",
    "\x1b[2J\x1b[31mconformant",
    "\u202eevil\u202c",
    "\x00",
    "\ud800",
    "\r\nconformant\n",
    "\ufffe\uffff",
    '<img src=x onerror="alert(2)">',
]

hostile = st.one_of(st.sampled_from(PAYLOADS), st.text(st.characters(exclude_categories=()), max_size=30))


def _clean(text: str, *, allowed: str = "") -> None:
    found = {char for char in FORBIDDEN.findall(text) if char not in allowed}
    assert not found, sorted(map(hex, map(ord, found)))


# -- the one function every format uses -----------------------------------------------------


def test_visible_writes_out_what_a_reader_would_act_on_and_keeps_the_rest() -> None:
    assert visible("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert visible("\u202e\u2066\u200f\u061c\u2028") == "\\u202e\\u2066\\u200f\\u061c\\u2028"
    assert visible("\ud800\ufffe\x85\x00") == "\\ud800\\ufffe\\x85\\x00"
    assert visible("one\ntwo\tthree\r") == "one\\x0atwo\\x09three\\x0d"
    assert visible("one\ntwo\tthree\r", lines=True) == "one\ntwo\tthree\\x0d"
    assert visible("héllo 世界 😀 \u200d") == "héllo 世界 😀 \u200d"  # text is kept; only what acts is written out
    assert well_formed("a\udc80\u202e") == "a\\udc80\u202e"


@given(hostile)
def test_visible_leaves_nothing_active(text: str) -> None:
    _clean(visible(text))
    _clean(visible(text, lines=True), allowed="\t\n")
    assert visible(visible(text)) == visible(text)  # a second pass changes nothing


# -- app reports ---------------------------------------------------------------------------------


def _app_report(text: str) -> Report:
    script = Script(path="/" + text, offered=(text,), messages=(SendText(text),), leave=Disconnect(1000, text))
    finding = Finding("AW-05", text, ("CONNECTED", "CONNECTED"), f"ValueError: {text}", cause=f"{text} at app.py:3 in {text}")
    report = Report(target="chat.main:app", spec_version="2.5", versions=[SpecVersion.V2_5], examples=1, error=text or None)
    report.add(
        Violation(
            clause=finding.clause,
            side="application",
            path=script.path,
            message_type=finding.message_type,
            state=finding.state,
            detail=finding.detail,
            reproducer=reproducer("chat.main:app", script, finding),
            spec_version="2.5",
            cause=finding.cause,
            output=f"the app printed {text}\n{text}",
        )
    )
    report.routes["/" + text] = Route()
    return report


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def _html_tags(page: str) -> set[str]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


APP_TAGS = {"html", "meta", "title", "style", "h1", "h2", "p", "code", "table", "tr", "th", "td", "details", "summary", "pre", "figure"}


def _check_markup(render: Callable[[str], str], tags: set[str]) -> None:
    # JUnit parses as XML, HTML holds only the page's own elements, SARIF is ASCII and its messages show nothing active.
    junit = render("junit")
    _clean(junit, allowed="\n")
    ET.fromstring(junit)
    html = render("html")
    _clean(html, allowed="\t\n")
    assert _html_tags(html) <= tags
    sarif = render("sarif")
    assert sarif.isascii()
    (result,) = json.loads(sarif)["runs"][0]["results"]
    _clean(result["message"]["text"])


@settings(max_examples=150)
@given(hostile)
def test_every_app_report_format_parses_and_shows_nothing_active(text: str) -> None:
    report = _app_report(text)
    page = report.render("text")
    _clean(page, allowed="\t\n")
    assert f"\n{text}\n" not in page or text.strip() == ""  # no app text starts a line of its own
    data = json.loads(report.render("json"))
    assert report.render("json").isascii()
    assert data["violations"][0]["path"] == well_formed("/" + text)  # JSON keeps the app's text, surrogates aside
    assert data["violations"][0]["output"] == well_formed(f"the app printed {text}\n{text}")
    _check_markup(report.render, APP_TAGS)


# -- server reports ------------------------------------------------------------------------------


def _server_report(text: str) -> ServerReport:
    scenario = Scenario(text or "s", (), ())
    encoded = text.encode("utf-8", "surrogatepass")
    wire = WireRecord(
        status=101,
        headers=[(text, text)],
        body=encoded,
        response="ok",
        frames=[Frame(1.0, "text", True, 0, False, encoded), Frame(2.0, "close", True, 0, False, b"\x03\xe8" + encoded[:100])],
        sent=[text],
    )
    record = {"steps": [text, {text: text}], "ended": text}
    checks = [Check("rule", Verdict.DEVIATION, "RFC-002", text), Check("other", Verdict.OK, "WS-024", text)]
    result = ScenarioResult(scenario, Verdict.DEVIATION, checks, wire, record)
    server = {"spec_version": text, "extensions": [text, 3]}
    return ServerReport(f"uvicorn {text}", server, [result], log=text, judged_at=text, error=text or None)


SERVER_TAGS = {
    "html",
    "meta",
    "title",
    "style",
    "h1",
    "h3",
    "p",
    "code",
    "table",
    "tr",
    "th",
    "td",
    "a",
    "section",
    "span",
    "ul",
    "li",
    "details",
    "summary",
    "pre",
    "br",
    "small",
}


@settings(max_examples=150)
@given(hostile)
def test_every_server_report_format_parses_and_shows_nothing_active(text: str) -> None:
    report = _server_report(text)
    _clean(report.render("text"), allowed="\t\n")
    assert report.render("json").isascii()
    assert json.loads(report.render("json"))["server"]["spec_version"] == well_formed(text)
    _check_markup(report.render, SERVER_TAGS)
    matrix = Matrix([(text, {text: text}, report)])
    for fmt in ("text", "html"):
        _clean(matrix.render(fmt), allowed="\t\n")
    _clean(matrix.to_markdown(), allowed="\t\n")
    assert matrix.render("json").isascii()
    assert _html_tags(matrix.render("html")) <= SERVER_TAGS


# -- reproducers ---------------------------------------------------------------------------------


@settings(max_examples=200)
@given(kind=hostile, detail=hostile, path=hostile, target=hostile)
def test_a_reproducer_compiles_whatever_the_app_sent(kind: str, detail: str, path: str, target: str) -> None:
    script = Script(
        path=path, offered=(path,), messages=(SendText(detail),), leave=Disconnect(1000, detail), meanwhile=Script(leave=Disconnect(1001))
    )
    source = reproducer(f"{target}:app", script, Finding("WS-036", kind, ("CONNECTED", "CONNECTED"), detail))
    compile(source, "reproducer.py", "exec")
    tree = ast.parse(source)
    (function,) = tree.body
    assert isinstance(function, ast.FunctionDef)
    assert re.fullmatch(r"test_[a-z0-9_]{1,76}", function.name)
    # The only calls are the reproducer's own, and the app's text is only ever a constant: nothing it wrote is code.
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert "replay" in calls <= {"Script", "SendText", "Disconnect", "replay", "load_app"}
    texts = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert detail in texts


async def _sends_its_type(scope: Any, receive: Any, send: Any) -> None:
    """Sends a message whose type is the text of the current example, then raises with it."""
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": HOSTILE[0]})


async def _raises_it(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    raise ValueError(HOSTILE[0])


#: The text the apps above use, set by each example.
HOSTILE = [""]


def _replays(source: str, clause: str) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(source, "reproducer.py", "exec"), namespace)  # the point: it runs as written
    test = next(value for name, value in namespace.items() if name.startswith("test_"))
    with pytest.raises(AssertionError, match=f"still breaks {clause}"):
        test()


@pytest.mark.parametrize("app", ["_sends_its_type", "_raises_it"])
@settings(max_examples=40, deadline=None)
@given(text=hostile)
def test_a_reproducer_of_a_hostile_finding_replays_it(app: str, text: str) -> None:
    assume(text not in {"websocket.close", "websocket.http.response.start"})  # types the app may send there
    HOSTILE[0] = text
    target = f"tests.test_report_safety:{app}"
    script = Script(path="/ws", leave=Disconnect(1000, text))
    (finding,) = asyncio.run(run_script(load_app(target), script, timeout=5.0)).findings
    _replays(reproducer(target, script, finding), finding.clause)


@pytest.mark.parametrize("app", ["_sends_its_type", "_raises_it"])
def test_the_check_reports_a_hostile_finding_with_a_reproducer_that_replays_it(app: str) -> None:
    HOSTILE[0] = '"; import os; os.environ["PWNED"] = "1"; #\x1b]0;pwned\x07\u202e'
    target = f"tests.test_report_safety:{app}"
    report = check_app(target, paths=["/ws"], max_examples=2, seed=0)
    (violation,) = report.violations
    _replays(violation.reproducer, violation.clause)
    assert "PWNED" not in os.environ


@pytest.mark.parametrize(
    ("target", "imported"),
    [
        ("chat.main:app", "    from chat.main import app\n"),
        ("chat.main:application", "    from chat.main import application as app\n"),
        ("chat.main:server.app", "    from chat.main import server as _found\n    app = _found.app\n"),
        ("chat-main:app", "    from asgiws.conformance import load_app\n\n    app = load_app('chat-main:app')\n"),
        ("chat.class:app", "    from asgiws.conformance import load_app\n\n    app = load_app('chat.class:app')\n"),
    ],
)
def test_a_reproducer_imports_a_plain_target_and_loads_any_other_as_data(target: str, imported: str) -> None:
    source = reproducer(target, Script(), Finding("WS-024", None, ("CONNECTED", "CONNECTING"), "never answered"))
    assert imported in source
    compile(source, "reproducer.py", "exec")
