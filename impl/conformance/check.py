"""``asgiws check app``: explore client behaviour with Hypothesis and report every distinct violation.

Hypothesis draws whole client scripts (:mod:`.script`); each runs against the
application in the connection runner of :mod:`asgiws.engine`. When a run finds a
violation not seen before, Hypothesis shrinks the script to the smallest one
that still shows it, and the check starts again looking for the next new
one, until a whole round of examples finds nothing new. So each distinct
(clause, message type, states) is reported once, with a minimal
reproducer, however often it occurred.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from .._context import parse_version
from ..coverage import Coverage
from ..engine import ASGIApp, Finding
from ..spec import LATEST_VERSION, Party, SpecVersion
from .report import Report, Violation
from .script import Script, run_script, scripts
from .target import TargetError, lifespan, load_app

__all__ = ["check_app", "replay", "reproducer"]

FindingKey = tuple[str, str | None, tuple[str, str], str | None]

_AFTER_OTHERS = "; shown after earlier connections: the app keeps state between connections, so in a fresh process the reproducer may need them too"


def _versions(spec_version: str) -> list[SpecVersion]:
    return list(SpecVersion) if spec_version == "all" else [parse_version(spec_version)]


def reproducer(target: str, script: Script, finding: Finding) -> str:
    """A pytest test that replays ``script`` against ``target`` and fails while the violation remains."""
    module, _, attribute = target.partition(":")
    actions = sorted({type(action).__name__ for action in (*script.messages, script.leave)})
    name = f"test_{finding.clause.lower().replace('-', '_')}_{(finding.message_type or 'ending').replace('.', '_')}"
    return (
        f"def {name}() -> None:\n"
        f'    """asgiws check app found: {finding.detail.replace(chr(34), chr(39))}"""\n'
        f"    from asgiws.conformance import Script, replay\n"
        f"    from asgiws.engine import {', '.join(actions)}\n"
        f"    from {module} import {_imported(attribute)}\n\n"
        f"    script = {script!r}\n"
        f"    assert replay(app, script) == [], 'still breaks {finding.clause}'\n"
    )


def _imported(attribute: str) -> str:
    head = attribute.split(".", maxsplit=1)[0]
    return head if head == "app" and "." not in attribute else f"{head} as app"


def replay(app: ASGIApp, script: Script, *, timeout: float = 5.0) -> list[str]:
    """Run one client script against ``app``; the clauses it breaks (empty when it conforms)."""
    return [f.clause for f in asyncio.run(run_script(app, script, timeout=timeout)).findings]


def check_app(
    target: str,
    *,
    app: ASGIApp | None = None,
    paths: Sequence[str] = ("/",),
    subprotocols: Sequence[str] = (),
    spec_version: str = LATEST_VERSION.value,
    max_examples: int = 200,
    seed: int | None = None,
    timeout: float = 5.0,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Check the application ``target`` (``module:attribute``) and return the report.

    Args:
        target: where the app lives, as for uvicorn (``main:app``).
        app: the application itself, when it is already imported.
        paths: the WebSocket paths clients connect to.
        subprotocols: subprotocol names clients may offer (plus one the app does not know).
        spec_version: a spec version to judge against (the latest by default), or
            ``"all"`` to check portability to older servers too.
        max_examples: examples per round of exploration.
        seed: make the exploration repeatable.
        timeout: how long a busy application may run after its client is done.
            It also bounds the application's lifespan startup; a startup that
            fails or never answers is reported in ``Report.error``.
        progress: called after every example with (examples so far, violations so far).
    """
    application = app if app is not None else load_app(target)
    versions = _versions(spec_version)
    report = Report(target=target, spec_version=spec_version, versions=versions)
    start = time.perf_counter()

    with asyncio.Runner() as runner:
        try:
            _explore(runner, application, report, target, versions, paths, subprotocols, max_examples, seed, timeout, progress)
        except TargetError as error:  # the app could not be started: nothing was checked
            report.error = str(error)
    report.duration_s = time.perf_counter() - start
    return report


def _explore(  # noqa: PLR0917 - check_app's options, passed on
    runner: asyncio.Runner,
    application: ASGIApp,
    report: Report,
    target: str,
    versions: list[SpecVersion],
    paths: Sequence[str],
    subprotocols: Sequence[str],
    max_examples: int,
    seed: int | None,
    timeout: float,
    progress: Callable[[int, int], None] | None,
) -> None:
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import Flaky, NoSuchExample

    coverage = report.coverage
    seen: set[FindingKey] = set()
    found: dict[FindingKey, tuple[Script, Finding]] = {}
    counter = {"examples": 0}
    startup = lifespan(application, timeout)
    state = runner.run(startup.__aenter__())  # once, before any connection (WS-054)

    def run(script: Script, into: Coverage) -> list[Finding]:
        findings = runner.run(run_script(application, script, timeout=timeout, coverage=into, state=state)).findings
        # The simulated server delivers only what a server may: a finding
        # against it is never the application's (AMB-32).
        return [f for f in findings if f.side is Party.APPLICATION]

    def new_violation(script: Script) -> bool:
        counter["examples"] += 1
        findings = run(script, coverage)
        fresh = [f for f in findings if f.key not in seen]
        for finding in fresh:
            found.setdefault(finding.key, (script, finding))
        if progress is not None:
            progress(counter["examples"], len(seen))
        return bool(fresh)

    # The default profile, not whichever one the caller's test suite loaded.
    budget = settings(
        settings.get_profile("default"),
        max_examples=max_examples,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    strategy = scripts(versions, list(paths), list(subprotocols))
    try:
        while True:
            found.clear()
            try:
                minimal = find(strategy, new_violation, settings=budget, random=random.Random(seed))
            except NoSuchExample:
                break
            except Flaky:
                # The app keeps state across connections (a shared room, a
                # cache), so a script does not always show the same thing
                # again: report the first script that showed it, unshrunk.
                minimal = next(iter(found.values()))[0]
            # The shrunk script: keep what it shows that is new, with its own reproducer.
            findings = run(minimal, Coverage())
            fresh = [f for f in findings if f.key not in seen]
            if not fresh:  # it showed it only after other connections: say so
                first = next(iter(found.values()))[1]
                fresh = [replace(first, detail=first.detail + _AFTER_OTHERS)]
            for finding in fresh:
                seen.add(finding.key)
                report.add(_violation(target, minimal, finding))
    finally:
        runner.run(startup.__aexit__(None, None, None))
        report.examples = counter["examples"]


def _violation(target: str, script: Script, finding: Finding) -> Violation:
    return Violation(
        clause=finding.clause,
        side=finding.side.value,
        path=script.path,
        message_type=finding.message_type,
        state=finding.state,
        detail=finding.detail,
        reproducer=reproducer(target, script, finding),
        spec_version=script.spec_version,
        cause=finding.cause,
    )
