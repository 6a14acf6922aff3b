"""What a server check found, and the ways to print it: text, JSON, JUnit, HTML, SARIF; and the matrix of several servers.

The JSON form is a public contract (``../shared/DESIGN.md``): one object per
server with exactly the keys ``target``, ``server``, ``conformant``,
``scenarios`` and ``violations``. A violation is a deviation: a MUST or
SHOULD that binds the server, broken at the spec version it advertises, one
per (clause, scenario). What the server chose (its spec version, what it
sent, its log) is shown through :mod:`asgiws._safe_text` in every format.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from .._safe_text import json_document, visible
from .._version import __version__
from ..spec import AMBIGUITIES, CLAUSES
from ..spec.server import Verdict
from .scenarios import Scenario
from .verdicts import Check
from .wire import WireRecord

__all__ = ["Matrix", "ScenarioResult", "ServerReport"]

_CLAUSES = {clause.id: clause for clause in CLAUSES}
_AMBIGUITIES = {ambiguity.id: ambiguity for ambiguity in AMBIGUITIES}
_SHORT = {Verdict.OK: "OK", Verdict.DEVIATION: "DEVIATION", Verdict.LENIENT: "LENIENT", Verdict.INFO: "INFO", Verdict.ERROR: "ERROR"}


def clause_text(clause_id: str) -> str:
    """A clause's summary, or an ambiguity's question and asgiws's resolution."""
    if clause_id in _CLAUSES:
        return _CLAUSES[clause_id].summary
    ambiguity = _AMBIGUITIES[clause_id]
    return f"{ambiguity.question} asgiws: {ambiguity.resolution}"


@dataclass
class ScenarioResult:
    """One scenario's verdict, its checks and both views."""

    scenario: Scenario
    verdict: Verdict
    checks: list[Check]
    wire: WireRecord
    record: dict[str, Any] | None
    seconds: float = 0.0

    @property
    def decisive(self) -> list[Check]:
        """The checks that gave the scenario its verdict."""
        return [check for check in self.checks if check.verdict is self.verdict]

    @property
    def clauses(self) -> list[str]:
        """The clauses behind the verdict (every rule's first clause when it is ok)."""
        own = {rule.name for rule in self.scenario.rules}
        chosen = self.decisive if self.verdict is not Verdict.OK else [c for c in self.checks if c.rule in own]
        return list(dict.fromkeys(check.clause for check in chosen))

    @property
    def summary(self) -> str:
        """What decided the verdict, in one line."""
        decisive = self.decisive
        if not decisive:
            return "nothing to judge"
        return "; ".join(f"{c.clause}: {c.detail}" for c in decisive)

    def app_saw(self) -> Any:
        """The probe's record: the steps and how the app ended (None: the server never ran it)."""
        if self.record is None:
            return None
        return {"steps": self.record.get("steps", []), "ended": self.record.get("ended")}

    def to_json(self) -> dict[str, Any]:
        """The contract's scenario object."""
        return {
            "name": self.scenario.name,
            "verdict": self.verdict.value,
            "clauses": self.clauses,
            "summary": self.summary,
            "client_saw": self.wire.to_json(),
            "app_saw": self.app_saw(),
        }


@dataclass
class ServerReport:
    """The outcome of checking one server."""

    target: str
    server: dict[str, Any]
    results: list[ScenarioResult]
    duration_s: float = 0.0
    log: str | None = None
    judged_at: str | None = None
    #: Why the check could not run (exit status 2).
    error: str | None = None

    @property
    def violations(self) -> list[dict[str, Any]]:
        """One per (clause, scenario) for every deviation."""
        out: list[dict[str, Any]] = []
        for result in self.results:
            seen = set()
            for check in result.checks:
                if check.verdict is Verdict.DEVIATION and check.clause not in seen:
                    seen.add(check.clause)
                    out.append(
                        {
                            "clause": check.clause,
                            "level": check.level,
                            "side": "server",
                            "scenario": result.scenario.name,
                            "summary": f"{clause_text(check.clause)} ({check.detail})",
                        }
                    )
        return out

    @property
    def conformant(self) -> bool:
        """No deviation and no scenario that could not be judged."""
        return self.error is None and all(r.verdict not in (Verdict.DEVIATION, Verdict.ERROR) for r in self.results)

    def counts(self) -> dict[str, int]:
        """How many scenarios got each verdict."""
        return {verdict.value: sum(r.verdict is verdict for r in self.results) for verdict in Verdict}

    def to_json(self) -> dict[str, Any]:
        """The contract's report object."""
        return {
            "target": self.target,
            "server": self.server,
            "conformant": self.conformant,
            "scenarios": [r.to_json() for r in self.results],
            "violations": self.violations,
        }

    def to_text(self) -> str:
        """A report for a terminal: one line per scenario, then each deviation with both views."""
        version = visible(str(self.server.get("spec_version") or "none (2.0)"))
        judged = f", judged at {self.judged_at}" if self.judged_at else ""
        lines = [
            f"asgiws check server {self.target}",
            f"server: spec_version {version}{judged}; extensions {_listed(self.server.get('extensions'))}",
            f"{len(self.results)} scenarios in {self.duration_s:.1f}s" + (f"; server log: {self.log}" if self.log else ""),
            "",
        ]
        width = max((len(r.scenario.name) for r in self.results), default=10)
        for r in self.results:
            lines.append(f"  {r.scenario.name:<{width}}  {_SHORT[r.verdict]:<9}  {', '.join(r.clauses)}")
        for number, r in enumerate((r for r in self.results if r.verdict in (Verdict.DEVIATION, Verdict.ERROR)), 1):
            lines += ["", f"{number}. {r.scenario.name}: {r.verdict.value}", f"   replay: --scenario '{r.scenario.line}'"]
            for check in r.decisive:
                lines.append(f"   {check.clause} [{check.level}] {clause_text(check.clause)}")
                lines.append(f"      {visible(check.detail)}")
        counts = self.counts()
        verdict = "conformant" if self.conformant else f"{len(self.violations)} violation(s)"
        tally = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        lines += ["", f"{verdict} ({tally})"]
        if self.error:
            lines.append(f"error: {visible(self.error)}")
        # Each field above is one line; the whole is written out once more, as the guarantee.
        return visible("\n".join(lines) + "\n", lines=True)

    def to_junit(self) -> str:
        """JUnit XML: one test case per scenario; a deviation fails it, an error errs."""
        suite = ET.Element(
            "testsuite",
            name=f"asgiws check server {self.target}",
            tests=str(len(self.results)),
            failures=str(sum(r.verdict is Verdict.DEVIATION for r in self.results)),
            errors=str(sum(r.verdict is Verdict.ERROR for r in self.results)),
            time=f"{self.duration_s:.3f}",
        )
        for r in self.results:
            case = ET.SubElement(suite, "testcase", classname=self.target, name=r.scenario.name, time=f"{r.seconds:.3f}")
            # Written out (visible) first: XML 1.0 has no escape for most control characters.
            if r.verdict is Verdict.DEVIATION:
                failure = ET.SubElement(case, "failure", message=visible(r.summary), type=",".join(r.clauses))
                failure.text = visible(f"replay: --scenario '{r.scenario.line}'")
            elif r.verdict is Verdict.ERROR:
                ET.SubElement(case, "error", message=visible(r.summary))
            else:
                ET.SubElement(case, "system-out").text = visible(f"{r.verdict.value}: {r.summary}")
        text: str = ET.tostring(suite, encoding="unicode", xml_declaration=True)
        return visible(text, lines=True) + "\n"

    def to_sarif(self) -> str:
        """SARIF 2.1.0: one result per violation, its rule the clause, its location the scenario."""
        violations = self.violations
        rule_ids = list(dict.fromkeys(v["clause"] for v in violations))
        rules = [{"id": rid, "shortDescription": {"text": clause_text(rid)}, "helpUri": f"asgiws explain {rid}"} for rid in rule_ids]
        results = [
            {
                "ruleId": v["clause"],
                "ruleIndex": rule_ids.index(v["clause"]),
                "level": "error" if v["level"] == "MUST" else "warning",
                "message": {"text": visible(v["summary"])},
                "locations": [{"logicalLocations": [{"name": v["scenario"], "kind": "test"}]}],
            }
            for v in violations
        ]
        run = {
            "tool": {"driver": {"name": "asgiws", "version": __version__, "informationUri": "https://github.com/asgiws/asgiws", "rules": rules}},
            "automationDetails": {"id": f"asgiws check server/{self.target}"},
            "results": results,
        }
        document = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
        return json_document(document)

    def to_html(self) -> str:
        """One self-contained page: the verdict table, then every scenario's checks and both views."""
        rows = "".join(
            f'<tr><td><a href="#{_e(r.scenario.name)}">{_e(r.scenario.name)}</a></td>{_cell(r.verdict)}'
            f"<td>{_e(', '.join(r.clauses))}</td><td>{_e(r.summary)}</td></tr>"
            for r in self.results
        )
        details = "".join(
            f'<section id="{_e(r.scenario.name)}"><h3>{_e(r.scenario.name)} {_cell(r.verdict, tag="span")}</h3>'
            f"<p><code>--scenario '{_e(r.scenario.line)}'</code></p><ul>"
            + "".join(f"<li>{_e(c.verdict.value)} <code>{_e(c.clause)}</code> {_e(c.detail)}</li>" for c in r.checks)
            + f"</ul><details><summary>client saw / app saw</summary><pre>{_e(json.dumps(r.wire.to_json(), indent=1))}</pre>"
            f"<pre>{_e(json.dumps(r.app_saw(), indent=1))}</pre></details></section>"
            for r in self.results
        )
        verdict = "conformant" if self.conformant else f"{len(self.violations)} violation(s)"
        return (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>asgiws check server {_e(self.target)}</title><style>{_CSS}</style>"
            f"<h1>asgiws check server <code>{_e(self.target)}</code></h1>"
            f'<p class="verdict">{_e(verdict)} · spec_version {_e(self.server.get("spec_version"))} · {len(self.results)} scenarios</p>'
            f"<table><tr><th>scenario</th><th>verdict</th><th>clauses</th><th>what</th></tr>{rows}</table>{details}</html>\n"
        )

    def render(self, fmt: str) -> str:
        """The report in ``fmt``: ``text``, ``json``, ``junit``, ``html`` or ``sarif``."""
        return {
            "json": lambda: json_document(self.to_json()),
            "junit": self.to_junit,
            "html": self.to_html,
            "sarif": self.to_sarif,
        }.get(fmt, self.to_text)()


@dataclass
class Matrix:
    """Several servers' reports side by side: a server-by-scenario table, like Autobahn's."""

    setups: list[tuple[str, dict[str, str], ServerReport]] = field(default_factory=list)

    def scenario_names(self) -> list[str]:
        """Every scenario any server ran, in catalogue order."""
        return list(dict.fromkeys(r.scenario.name for _, _, report in self.setups for r in report.results))

    def cell(self, report: ServerReport, name: str) -> ScenarioResult | None:
        """One server's result for one scenario."""
        return next((r for r in report.results if r.scenario.name == name), None)

    @property
    def conformant(self) -> bool:
        """Every server is conformant."""
        return all(report.conformant for _, _, report in self.setups)

    def to_json(self) -> dict[str, Any]:
        """One report per server, with its name and the versions recorded."""
        return {"setups": [{"name": name, "versions": versions, "report": report.to_json()} for name, versions, report in self.setups]}

    def to_text(self) -> str:
        """The table in plain text, then every deviation per server."""
        names = self.scenario_names()
        heads = [name for name, _, _ in self.setups]
        width = max((len(n) for n in names), default=8)
        cols = [max(len(h), 9) for h in heads]
        lines = ["  ".join([" " * width, *(h.ljust(c) for h, c in zip(heads, cols, strict=True))])]
        for scenario in names:
            cells = []
            for (_, _, report), col in zip(self.setups, cols, strict=True):
                result = self.cell(report, scenario)
                cells.append((_SHORT[result.verdict] if result else "-").ljust(col))
            lines.append("  ".join([scenario.ljust(width), *cells]))
        for name, versions, report in self.setups:
            lines += ["", f"{name} ({', '.join(f'{k} {v}' for k, v in versions.items())}; spec_version {report.server.get('spec_version')})"]
            if report.error:
                lines.append(f"  error: {visible(report.error)}")
            for v in report.violations:
                lines.append(f"  {v['scenario']}: {v['clause']} [{v['level']}] {visible(v['summary'])}")
        return visible("\n".join(lines) + "\n", lines=True)

    def to_html(self) -> str:
        """The table as one page, each cell linking to its detail."""
        names = self.scenario_names()
        head = "".join(
            f"<th>{_e(name)}<br><small>{_e(', '.join(f'{k} {v}' for k, v in versions.items()))}</small></th>" for name, versions, _ in self.setups
        )
        rows = ""
        for scenario in names:
            cells = ""
            for _, _, report in self.setups:
                result = self.cell(report, scenario)
                cells += _cell(result.verdict, title=result.summary) if result else "<td>-</td>"
            rows += f"<tr><td>{_e(scenario)}</td>{cells}</tr>"
        return (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>asgiws server matrix</title><style>{_CSS}</style>"
            f"<h1>asgiws check server: matrix</h1><table><tr><th>scenario</th>{head}</tr>{rows}</table></html>\n"
        )

    def to_markdown(self) -> str:
        """The matrix as a docs page: the versions, the table, then every deviation and leniency per server, in the clause's words."""
        names = self.scenario_names()
        lines = ["| setup | versions | spec_version | extensions | deviations | lenient |", "|---|---|---|---|---|---|"]
        for name, versions, report in self.setups:
            counts = report.counts()
            facts = report.server
            lines.append(
                f"| {name} | {', '.join(f'{k} {v}' for k, v in versions.items())} | {visible(str(facts.get('spec_version') or 'none (2.0)'))} "
                f"| {_listed(facts.get('extensions'))} | {counts['deviation']} | {counts['lenient']} |"
            )
        lines += ["", "| scenario | " + " | ".join(name for name, _, _ in self.setups) + " |", "|---" * (len(self.setups) + 1) + "|"]
        for scenario in names:
            cells = [self.cell(report, scenario) for _, _, report in self.setups]
            lines.append(f"| `{scenario}` | " + " | ".join(_SHORT[c.verdict] if c else "-" for c in cells) + " |")
        for name, _, report in self.setups:
            lines += ["", f"## {name}", ""]
            if report.error:
                lines += [f"Did not start: {report.error}", ""]
            shown = [r for r in report.results if r.verdict in (Verdict.DEVIATION, Verdict.ERROR, Verdict.LENIENT)]
            if not shown:
                lines.append("No deviation.")
            for r in shown:
                lines.append(f"- **`{r.scenario.name}`** ({r.verdict.value}, replay `--scenario '{r.scenario.line}'`)")
                for check in r.decisive:
                    lines.append(f"    - {check.clause} ({check.level}): {clause_text(check.clause)} Seen: {check.detail}.")
        return visible("\n".join(lines) + "\n", lines=True)

    def render(self, fmt: str) -> str:
        """The matrix in ``fmt``: ``json``, ``html`` or text (junit and sarif list each server's report in turn)."""
        if fmt == "json":
            return json_document(self.to_json())
        if fmt == "html":
            return self.to_html()
        if fmt in {"junit", "sarif"}:
            return "".join(report.render(fmt) for _, _, report in self.setups)
        return self.to_text()


def _e(value: object) -> str:
    return html.escape(visible(str(value), lines=True), quote=True)


def _listed(values: Any) -> str:
    # The extensions the server declared: whatever it put there, written out.
    return visible(", ".join(str(value) for value in values)) if isinstance(values, list) and values else "none"


def _cell(verdict: Verdict, *, tag: str = "td", title: str = "") -> str:
    return f'<{tag} class="{verdict.value}" title="{_e(title)}">{_SHORT[verdict]}</{tag}>'


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}"
    ".ok{background:#cfc}.deviation{background:#f99}.lenient{background:#ffd27f}.info{background:#def}.error{background:#ccc}"
    "pre{white-space:pre-wrap;font-size:.75rem}"
)
