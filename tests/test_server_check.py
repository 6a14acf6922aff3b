"""The server checker: its catalogue from the spec, the probe, the raw client, the verdicts and the reports.

The judging is exercised against uvicorn running in this process (so the
probe is measured) and against :func:`server_harness.broken` wrappers that
inject one known deviation each: every deviation must be caught under its
clause.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest

from asgiws.conformance import probe
from asgiws.conformance.scenarios import APP_WORDS, CLIENT_WORDS, catalogue, parse_scenario, parse_script, reason_text
from asgiws.conformance.server import ServerStartError, check_url
from asgiws.conformance.server_report import Matrix
from asgiws.spec import CLAUSES, Level, Party
from asgiws.spec.server import AXES, SERVER_NOT_EXERCISED, SERVER_RULES, UNIVERSAL_RULES, Verdict

from .server_harness import DEVIATIONS, InProcessServer, broken

TIMEOUT = 1.0

# -- the catalogue is generated from the spec ---------------------------------------------


def test_every_rule_generates_scenarios_with_unique_names() -> None:
    scenarios = catalogue()
    names = [s.name for s in scenarios]
    assert len(names) == len(set(names))
    judged = {rule.name for s in scenarios for rule in s.rules}
    assert judged == {rule.name for rule in SERVER_RULES}
    closes = [s for s in scenarios if s.name.startswith("app-close-invalid-code-")]
    assert len(closes) == len(AXES["invalid-close-code"])


def test_every_server_clause_is_exercised_or_says_why_not() -> None:
    cited = {c for rule in (*SERVER_RULES, *UNIVERSAL_RULES) for c in rule.clauses}
    known = {c.id for c in CLAUSES}
    assert {c for c in cited if not c.startswith("AMB-")} <= known
    assert not cited & set(SERVER_NOT_EXERCISED)
    for clause in CLAUSES:
        if clause.binds in (Party.SERVER, Party.BOTH) and clause.level in (Level.MUST, Level.SHOULD):
            assert clause.id in cited or clause.id in SERVER_NOT_EXERCISED or clause.unchecked, clause.id


def test_a_scenario_prints_as_a_line_that_parses_back() -> None:
    for scenario in catalogue():
        again = parse_scenario(scenario.line)
        assert again.key == scenario.key
    assert parse_scenario("accept").name == "accept"


@pytest.mark.parametrize(
    ("text", "words", "error"),
    [
        ("dance", APP_WORDS, "unknown step 'dance'"),
        ("close:1:2:3", APP_WORDS, "takes 0 to 2"),
        ("send-text:x", APP_WORDS, "whole numbers"),
        ("bad:nope", CLIENT_WORDS, "unknown bad frame"),
    ],
)
def test_a_wrong_script_is_refused(text: str, words: dict[str, tuple[int, int]], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_script(text, words)


@pytest.mark.parametrize(("text", "error"), [("nope", "no scenario named"), ("app=accept;dance=1", "unknown scenario part")])
def test_a_wrong_scenario_is_refused(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_scenario(text)


def test_reasons_have_the_exact_length_in_bytes() -> None:
    assert [len(reason_text(n).encode()) for n in (0, 1, 123, 124)] == [0, 1, 123, 124]


def test_probe_values_round_trip_through_json() -> None:
    value = {"a": b"\x00\xff", "b": (1, [b"x"]), "c": None, "d": object}
    encoded = json.loads(json.dumps(probe.encode(value)))
    decoded = probe.decode(encoded)
    assert decoded["a"] == b"\x00\xff"
    assert decoded["b"] == [1, [b"x"]]
    assert "$repr" in decoded["d"]


# -- uvicorn in this process ----------------------------------------------------------------

#: What uvicorn's wsproto implementation gets wrong, established by reading the spec (see
#: docs/reference/server-matrix.md for the reasoning): the Close frame carries any code
#: the app gives (AW-10) and the app's own code comes back in the disconnect; code None
#: yields a disconnect with code None (WS-039: code is an int); both text and bytes send
#: the bytes (WS-009); a lost connection is reported as 1005, RFC 6455 §7.1.5 says 1006
#: (RFC-013); an app that returns or raises after the accept leaves the client without a
#: Close frame (AW-07); invalid frames are failed without a Close frame (RFC-027).
UVICORN_WSPROTO = {
    **{f"app-close-invalid-code-{c}": Verdict.DEVIATION for c in ("999", "1004", "1016", "2999", "5000")},
    **{f"app-close-invalid-code-{c}": Verdict.LENIENT for c in ("1005", "1006", "1015")},
    "app-close-long-reason-124": Verdict.LENIENT,
    "app-close-long-reason-200": Verdict.LENIENT,
    "app-close-none": Verdict.DEVIATION,
    "app-invalid-send-send-both": Verdict.DEVIATION,
    "client-vanishes": Verdict.DEVIATION,
    "app-returns-after-accept": Verdict.DEVIATION,
    "app-raises-after-accept": Verdict.DEVIATION,
    **{f"bad-frame-{kind}": Verdict.DEVIATION for kind in AXES["bad-frame"]},
}


@pytest.fixture(scope="module")
def honest() -> Iterator[InProcessServer]:
    with InProcessServer(probe.app) as server:
        yield server


def test_the_whole_catalogue_against_uvicorn_wsproto(honest: InProcessServer) -> None:
    report = check_url(honest.url, timeout=TIMEOUT, jobs=8)
    got = {r.scenario.name: r.verdict for r in report.results if r.verdict is not Verdict.OK}
    assert got == UVICORN_WSPROTO, report.to_text()
    assert report.server == {"spec_version": "2.4", "extensions": ["websocket.http.response"]}
    assert not report.conformant


def test_the_json_report_has_exactly_the_contract_keys(honest: InProcessServer) -> None:
    report = check_url(honest.url, scenarios=[parse_scenario("client-vanishes"), parse_scenario("accept")], timeout=TIMEOUT)
    document = json.loads(report.render("json"))
    assert set(document) == {"target", "server", "conformant", "scenarios", "violations"}
    assert set(document["scenarios"][0]) == {"name", "verdict", "clauses", "summary", "client_saw", "app_saw"}
    assert document["violations"] == [
        {
            "clause": "RFC-013",
            "level": "MUST",
            "side": "server",
            "scenario": "client-vanishes",
            "summary": document["violations"][0]["summary"],
        }
    ]
    assert "1005, not 1006" in document["violations"][0]["summary"]
    accept = document["scenarios"][1]
    assert accept["verdict"] == "ok"
    assert accept["client_saw"]["status"] == 101
    assert accept["app_saw"]["steps"][0]["got"] == {"type": "websocket.connect"}


def test_the_other_formats(honest: InProcessServer) -> None:
    report = check_url(honest.url, scenarios=[parse_scenario("app-raises-after-accept"), parse_scenario("ping")], timeout=TIMEOUT)
    suite = ET.fromstring(report.render("junit"))
    assert suite.get("failures") == "1"
    assert [case.get("name") for case in suite] == ["app-raises-after-accept", "ping"]
    sarif = json.loads(report.render("sarif"))
    assert sarif["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["AW-07"]
    page = report.render("html")
    assert "<table>" in page
    assert "app-raises-after-accept" in page
    text = report.render("text")
    assert "replay: --scenario 'app=accept,raise;client=;offer='" in text
    assert "AW-07 [SHOULD]" in text


def test_a_literal_scenario_is_judged_by_every_rule_that_fits(honest: InProcessServer) -> None:
    scenario = parse_scenario("app=accept,send-text:0,mark,receive;client=mark,close:1000")
    (result,) = check_url(honest.url, scenarios=[scenario], timeout=TIMEOUT).results
    assert {c.rule for c in result.checks} >= {"app-message", "delivered-messages", "frames", "upgraded"} - {"upgraded"}
    assert result.verdict is Verdict.OK


def test_judging_at_another_spec_version(honest: InProcessServer) -> None:
    scenarios = [parse_scenario("app-close-reason-1"), parse_scenario("send-after-disconnect-send")]
    report = check_url(honest.url, scenarios=scenarios, timeout=TIMEOUT, spec_version="2.0")
    reason, send = report.results
    assert reason.verdict is Verdict.INFO
    assert "binds from spec 2.3" in reason.summary
    assert send.verdict is Verdict.OK  # the OSError is fine before 2.4 too
    assert "judged at 2.0" in report.to_text()


# -- deliberately broken servers: every deviation is caught --------------------------------

#: For each injected deviation, a scenario that shows it.
SHOWN_BY = {
    "drop-empty": "app-message-send-text-0",
    "join-subprotocols": "subprotocol-list-a-b",
    "disconnect-1006": "client-close-1000",
    "no-disconnect-after-close": "app-close-default",
    "runtime-error-after-disconnect": "send-after-disconnect-send",
    "both-keys": "client-message-text-5",
    "early-receive": "send-after-disconnect-accept",
    "no-asgi": "accept",
    "tls": "accept",
    "close-means-accept": "close-before-accept",
    "drop-accept-headers": "accept-headers",
    "deny-as-500": "denial-response",
    "drop-close-reason": "app-close-reason-123",
}


def test_every_injected_deviation_has_a_scenario() -> None:
    assert set(SHOWN_BY) == set(DEVIATIONS)


@pytest.mark.parametrize("deviation", sorted(DEVIATIONS))
def test_an_injected_deviation_is_caught_under_its_clause(deviation: str) -> None:
    name = SHOWN_BY[deviation]
    scenario = next(s for s in catalogue() if s.name == name)
    with InProcessServer(broken(probe.app, deviation)) as server:
        (result,) = check_url(server.url, scenarios=[scenario], timeout=0.5).results
    assert result.verdict is Verdict.DEVIATION, result.summary
    assert DEVIATIONS[deviation] in result.clauses, result.summary


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:80", "ws://example.com:80", "ws://127.0.0.1"])
def test_only_loopback_ws_urls_with_a_port(url: str) -> None:
    with pytest.raises(ServerStartError, match="loopback"):
        check_url(url)


def test_nothing_listening_is_a_start_error() -> None:
    from asgiws.conformance.server import free_port

    with pytest.raises(ServerStartError, match="nothing answers"):
        check_url(f"ws://127.0.0.1:{free_port()}", timeout=0.5)


def test_an_empty_matrix_renders() -> None:
    matrix = Matrix()
    assert matrix.conformant
    assert json.loads(matrix.render("json")) == {"setups": []}


def test_the_record_waits_are_bounded() -> None:
    async def ask() -> object:
        return await probe.RECORDS.wait("never", 5, 0.05)

    assert asyncio.run(ask()) is None

    async def unfinished() -> object:
        probe.RECORDS.start("slow", {"steps": []})
        return await probe.RECORDS.wait("slow", 0.05, 0.01)

    assert asyncio.run(unfinished()) == {"steps": []}


def test_a_server_that_cannot_upgrade_is_a_start_error() -> None:
    with InProcessServer(probe.app, ws="none") as server, pytest.raises(ServerStartError, match="does not upgrade WebSocket"):
        check_url(server.url, timeout=0.5)
