"""What an app check found, and the ways to print it: text, JSON, JUnit, HTML, SARIF.

The JSON form is a public contract (``../shared/DESIGN.md``): other tools read
it. One :class:`Violation` stands for one distinct (clause, message type,
states); however many examples showed it, it is reported once, with the
shortest reproducer found. Much of a report is the application's own text;
every format shows it through :mod:`asgiws._safe_text`, so that no report acts on
its reader.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from .._safe_text import json_document, visible
from ..coverage import Coverage, all_pairs
from ..spec import AMBIGUITIES, CLAUSES, Level, SpecVersion

__all__ = ["Report", "Violation"]

_CLAUSES = {clause.id: clause for clause in CLAUSES}
_AMBIGUITIES = {ambiguity.id: ambiguity for ambiguity in AMBIGUITIES}


@dataclass(frozen=True)
class Violation:
    """One way the application broke the protocol.

    Attributes:
        clause: the clause broken (``asgiws explain`` prints it).
        side: who broke it: ``"application"`` or ``"server"``.
        path: the WebSocket path the client connected to.
        message_type: the offending message's type (``None`` when the problem is
            how the application ended rather than a message).
        state: the (receive side, send side) states it happened in.
        detail: what exactly was wrong, in one sentence.
        reproducer: a pytest test that replays the client behaviour.
        spec_version: the spec version the connection spoke.
        cause: for an exception, its type and the application frame it was
            raised from; two causes are two violations.
        output: what the application printed while its reproducer ran (the
            end of it, at most ``OUTPUT_EXCERPT`` characters).
    """

    clause: str
    side: str
    path: str
    message_type: str | None
    state: tuple[str, str]
    detail: str
    reproducer: str
    spec_version: str
    cause: str | None = None
    output: str = ""

    @property
    def key(self) -> tuple[str, str | None, tuple[str, str], str | None]:
        """What makes two findings the same violation."""
        return (self.clause, self.message_type, self.state, self.cause)

    @property
    def level(self) -> str:
        """MUST, SHOULD, MAY or INFO; for an ambiguity asgiws resolved, MUST."""
        clause = _CLAUSES.get(self.clause)
        return clause.level.value if clause is not None else Level.MUST.value

    @property
    def summary(self) -> str:
        """The clause in one line, then what was wrong."""
        clause = _CLAUSES.get(self.clause)
        rule = clause.summary if clause is not None else f"{self.clause}: {_AMBIGUITIES[self.clause].resolution}"
        return f"{rule} ({self.detail})"

    def to_json(self) -> dict[str, Any]:
        """The contract's violation object."""
        return {
            "clause": self.clause,
            "level": self.level,
            "side": self.side,
            "path": self.path,
            "message_type": self.message_type,
            "state": {"receive": self.state[0], "send": self.state[1]},
            "summary": self.summary,
            "reproducer": self.reproducer,
            "spec_version": self.spec_version,
            **({"cause": self.cause} if self.cause else {}),
            **({"output": self.output} if self.output else {}),
        }


#: How far a route's connections got, in order; a route is exercised when some
#: connection got to the last one.
_REACHED = ("connected", "accepted", "data delivered")


@dataclass
class Route:
    """What the check exercised on one path.

    Attributes:
        connections: how many client connections it opened there.
        accepted: how many the application accepted.
        data: how many data messages reached the application after an accept.
        coverage: the (side, state, message type) pairs exercised there.
    """

    connections: int = 0
    accepted: int = 0
    data: int = 0
    coverage: Coverage = field(default_factory=Coverage)

    def shortfall(self) -> str | None:
        """Why nothing past the handshake was tested on this route, or None when something was."""
        if not self.accepted:
            return "every connection was refused before the accept: check --path (with its query string), --header, --cookie and --origin"
        if not self.data:
            return "no data message ever reached the application after its accept: it closes or waits before it reads"
        return None


@dataclass
class Report:
    """The outcome of checking one application.

    ``fail_on`` decides which violations fail the check: ``"must"`` only
    MUST-level ones, ``"should"`` MUST and SHOULD, ``"any"`` every one.
    """

    target: str
    spec_version: str
    versions: list[SpecVersion]
    examples: int = 0
    duration_s: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    #: Why the check could not run to the end, if it could not (exit status 2).
    error: str | None = None
    #: What was exercised on each path.
    routes: dict[str, Route] = field(default_factory=dict)
    fail_on: str = "any"

    @property
    def failing(self) -> list[Violation]:
        """The violations at or above the ``fail_on`` level."""
        levels = _FAIL_LEVELS[self.fail_on]
        return [v for v in self.violations if v.level in levels]

    @property
    def inconclusive(self) -> str | None:
        """Why no verdict was earned: a route where nothing past the handshake was tested (None: a verdict was earned)."""
        if self.error is not None or self.failing:
            return None
        for path, route in sorted(self.routes.items()):
            problem = route.shortfall()
            if problem is not None:
                return f"on {path}: {problem}"
        return None

    @property
    def verdict(self) -> str:
        """``conformant``, ``violations``, ``inconclusive`` or ``error``."""
        if self.error is not None:
            return "error"
        if self.failing:
            return "violations"
        return "inconclusive" if self.inconclusive else "conformant"

    @property
    def conformant(self) -> bool:
        """Nothing at the ``fail_on`` level was found, and the check exercised every route past its handshake."""
        return self.verdict == "conformant"

    def add(self, violation: Violation) -> None:
        """Keep a finding, once per (clause, message type, states); the shortest reproducer wins."""
        for index, known in enumerate(self.violations):
            if known.key == violation.key:
                if len(violation.reproducer) < len(known.reproducer):
                    self.violations[index] = violation
                return
        self.violations.append(violation)

    def coverage_counts(self) -> dict[str, int]:
        """Pairs of the checked versions, and how many the run exercised."""
        pairs = all_pairs(self.versions)
        hit = self.coverage.hit()
        return {"transitions_total": len(pairs), "transitions_hit": sum(1 for pair in pairs if pair in hit)}

    # -- formats ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The contract's report object."""
        return {
            "target": self.target,
            "conformant": self.conformant,
            "spec_version": self.spec_version,
            "examples": self.examples,
            "duration_s": round(self.duration_s, 3),
            "violations": [v.to_json() for v in self.violations],
            "coverage": self.coverage_counts(),
            "verdict": self.verdict,
            **({"inconclusive": self.inconclusive} if self.inconclusive else {}),
            "routes": {
                path: {
                    "connections": route.connections,
                    "accepted": route.accepted,
                    "data_messages": route.data,
                    "transitions_hit": len(route.coverage.hit() & set(all_pairs(self.versions))),
                }
                for path, route in sorted(self.routes.items())
            },
            **({"error": self.error} if self.error else {}),
        }

    def to_text(self) -> str:
        """A report for a terminal."""
        counts = self.coverage_counts()
        # One field, one line: what the app chose is written out (visible),
        # and what it printed is indented under its heading.
        lines = [f"asgiws check app {visible(self.target)} (spec {visible(self.spec_version)}): {self.examples} examples in {self.duration_s:.1f}s"]
        if self.error:
            lines.append(f"error: {visible(self.error)}")
        for number, v in enumerate(self.violations, 1):
            lines += [
                "",
                f"{number}. {visible(v.clause)} [{v.level}] {visible(v.message_type or '(how the app ended)')} on {visible(v.path)}",
                f"   state: receive {visible(v.state[0])}, send {visible(v.state[1])}; spec {visible(v.spec_version)}",
                f"   {visible(v.summary)}",
                "   reproducer:",
                *(f"     {line}" for line in visible(v.reproducer, lines=True).splitlines()),
                *(["   the app printed:", *(f"     {line}" for line in visible(v.output, lines=True).splitlines())] if v.output else []),
            ]
        lines.append("")
        for path, route in sorted(self.routes.items()):
            hit = len(route.coverage.hit() & set(all_pairs(self.versions)))
            counted = f"{route.connections} connections, {route.accepted} accepted, {route.data} data messages"
            lines.append(f"{visible(path)}: {counted}; transitions exercised {hit}")
        lines += [f"{visible(self._verdict_line())}; transitions exercised: {counts['transitions_hit']}/{counts['transitions_total']}"]
        return "\n".join(lines) + "\n"

    def _verdict_line(self) -> str:
        if self.verdict == "inconclusive":
            return f"inconclusive ({self.inconclusive})"
        if self.verdict == "conformant":
            below = len(self.violations) - len(self.failing)
            return f"conformant (and {below} violation(s) below --fail-on {self.fail_on})" if below else "conformant"
        return f"{len(self.violations)} violation(s)"

    def to_junit(self) -> str:
        """JUnit XML: one test case per clause checked to be broken, for CI dashboards."""
        # Every value is written out first (visible): XML 1.0 has no escape
        # for most control characters, so none may reach the document.
        target = visible(self.target)
        suite = ET.Element(
            "testsuite",
            name=f"asgiws check app {target}",
            tests=str(max(1, len(self.violations))),
            failures=str(len(self.violations)),
            errors="1" if self.error else "0",
            time=f"{self.duration_s:.3f}",
        )
        if not self.violations:
            case = ET.SubElement(suite, "testcase", classname=target, name="websocket protocol")
            if self.error:
                ET.SubElement(case, "error", message=visible(self.error))
        for v in self.violations:
            name = visible(f"{v.clause} {v.message_type or 'ending'} on {v.path}")
            case = ET.SubElement(suite, "testcase", classname=target, name=name)
            failure = ET.SubElement(case, "failure", message=visible(v.summary), type=visible(v.clause))
            failure.text = visible(v.reproducer, lines=True)
        text: str = ET.tostring(suite, encoding="unicode", xml_declaration=True)
        return text + "\n"

    def to_html(self, diagram_svg: str | None = None) -> str:
        """One self-contained HTML page; every value that came from the app is escaped."""
        counts = self.coverage_counts()
        verdict = self._verdict_line()
        rows = "".join(
            f"<tr><td><code>{_e(v.clause)}</code></td><td>{_e(v.level)}</td><td><code>{_e(v.message_type or '(ending)')}</code></td>"
            f"<td><code>{_e(v.path)}</code></td><td>{_e(v.state[0])} / {_e(v.state[1])}</td><td>{_e(v.summary)}</td>"
            f"<td><details><summary>pytest</summary><pre>{_e(v.reproducer, lines=True)}</pre></details></td></tr>"
            for v in self.violations
        )
        table = (
            "<table><tr><th>clause</th><th>level</th><th>message</th><th>path</th><th>receive / send</th><th>what</th><th>reproducer</th></tr>"
            f"{rows}</table>"
            if self.violations
            else "<p>No violation found.</p>"
        )
        error = f'<p class="error">error: {_e(self.error)}</p>' if self.error else ""
        figure = f"<h2>Transitions exercised</h2><figure>{diagram_svg}</figure>" if diagram_svg else ""
        return (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>asgiws check app {_e(self.target)}</title><style>{_CSS}</style>"
            f"<h1>asgiws check app <code>{_e(self.target)}</code></h1>"
            f'<p class="verdict {"ok" if self.conformant else "bad"}">{_e(verdict)}</p>'
            f"<p>spec {_e(self.spec_version)} · {self.examples} examples in {self.duration_s:.1f}s · "
            f"transitions exercised {counts['transitions_hit']}/{counts['transitions_total']}</p>"
            f"{error}{table}{figure}</html>\n"
        )

    def to_sarif(self) -> str:
        """SARIF 2.1.0, as GitHub code scanning reads it: one rule per clause, one result per violation."""
        clauses = sorted({v.clause for v in self.violations})
        rules = [{"id": visible(clause), "shortDescription": {"text": visible(_rule_text(clause))}, "helpUri": _HELP} for clause in clauses]
        # A code scanning page shows these texts as they are: written out (visible).
        results = [
            {
                "ruleId": visible(v.clause),
                "level": _SARIF_LEVELS.get(v.level, "note"),
                "message": {"text": visible(f"{v.summary} [path {v.path}; receive {v.state[0]}, send {v.state[1]}; spec {v.spec_version}]")},
                "locations": [{"physicalLocation": _location(visible(self.target), v.cause)}],
            }
            for v in self.violations
        ]
        run = {"tool": {"driver": {"name": "asgiws", "informationUri": _HELP, "rules": rules}}, "results": results}
        document = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
        return json_document(document)

    def render(self, fmt: str, diagram_svg: str | None = None) -> str:
        """The report in ``fmt``: ``text``, ``json``, ``junit``, ``html`` or ``sarif``."""
        if fmt == "json":
            return json_document(self.to_json())
        if fmt == "junit":
            return self.to_junit()
        if fmt == "html":
            return self.to_html(diagram_svg)
        if fmt == "sarif":
            return self.to_sarif()
        return self.to_text()


_FAIL_LEVELS = {"must": {Level.MUST.value}, "should": {Level.MUST.value, Level.SHOULD.value}, "any": {level.value for level in Level}}
_SARIF_LEVELS = {Level.MUST.value: "error", Level.SHOULD.value: "warning"}
_HELP = "https://github.com/asgiws/asgiws/tree/main/docs"


def _rule_text(clause: str) -> str:
    known = _CLAUSES.get(clause)
    return known.summary if known is not None else _AMBIGUITIES[clause].resolution


def _location(target: str, cause: str | None) -> dict[str, Any]:
    # The file and line the exception came from when there is one, else the app's module.
    module = target.partition(":")[0]
    path, line = module.replace(".", "/") + ".py", 1
    if cause is not None:
        where = cause.rpartition(" at ")[2].partition(" in ")[0]
        name, _, number = where.rpartition(":")
        if number.isdigit() and path.rpartition("/")[2] == name:
            line = int(number)
    return {"artifactLocation": {"uri": path}, "region": {"startLine": line}}


def _e(value: object, *, lines: bool = False) -> str:
    return html.escape(visible(str(value), lines=lines), quote=True)


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}"
    "pre{white-space:pre-wrap;font-size:.8rem}.verdict{font-size:1.3rem;font-weight:bold}.ok{color:#2ca02c}.bad,.error{color:#d62728}"
    "figure svg{max-width:100%;height:auto}"
)
