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
import io
import keyword
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from typing import Any

from .._context import parse_version
from ..coverage import Coverage
from ..engine import ASGIApp, Finding, Handshake, Outcome, SendBytes, SendText, Transcript, split_target
from ..spec import LATEST_VERSION, MessageType, Party, SpecVersion
from .report import Report, Route, Violation
from .script import Script, run_script, scripts
from .target import TargetError, lifespan, load_app

__all__ = ["ESTABLISHED", "NAME_LENGTH", "OUTPUT_EXCERPT", "Progress", "check_app", "replay", "reproducer"]

FindingKey = tuple[str, str | None, tuple[str, str], str | None]

_AFTER_OTHERS = "; shown after earlier connections: the app keeps state between connections, so in a fresh process the reproducer may need them too"

#: After this many connections, all of which ran into the timeout, the check
#: stops: each costs the whole timeout, and the next would only show it again.
ESTABLISHED = 2
_COSTLY = (Outcome.TIMED_OUT, Outcome.STALLED)
_STOPPED = f"; every connection ran into the timeout, so the check stopped after {ESTABLISHED}"


def _versions(spec_version: str) -> list[SpecVersion]:
    return list(SpecVersion) if spec_version == "all" else [parse_version(spec_version)]


def reproducer(target: str, script: Script, finding: Finding) -> str:
    """A pytest test that replays ``script`` against ``target`` and fails while the violation remains.

    It is built from values: its name is made of identifier characters only,
    and every text the application chose (the message type, the exception's
    text) reaches the source through ``repr()``, as a string literal. So it
    compiles whatever the app sent, and running it runs nothing the app wrote
    but the app itself.
    """
    actions = sorted({type(action).__name__ for action in _actions(script)})
    name = _identifier(f"test_{finding.clause}_{finding.message_type or 'ending'}")
    found = f"asgiws check app found: {finding.detail}"
    return (
        f"def {name}() -> None:\n"
        f"    {found!r}\n"
        f"    from asgiws.conformance import Script, replay\n"
        f"    from asgiws.engine import {', '.join(actions)}\n"
        f"{_app_import(target)}\n"
        f"    script = {script!r}\n"
        f"    assert replay(app, script) == [], {f'still breaks {finding.clause}'!r}\n"
    )


#: A reproducer's name is at most this long: a name is for reading, not for holding the whole message type.
NAME_LENGTH = 80


def _identifier(text: str) -> str:
    # Only ASCII letters, digits and underscores: whatever the app called its
    # message, the name is one token that Python reads as a name.
    name = re.sub(r"\W+", "_", text, flags=re.ASCII).strip("_").lower()[:NAME_LENGTH].rstrip("_")
    return name if name.startswith("test_") and name.isidentifier() else "test_finding"


def _actions(script: Script) -> Iterator[object]:
    # Every action the script's repr names, the overlapping client's too.
    while True:
        yield from (*script.messages, script.leave)
        if script.meanwhile is None:
            return
        script = script.meanwhile


def _app_import(target: str) -> str:
    # `from main import app` when the target is plainly written; otherwise the
    # target is data, loaded the way the checker loaded it.
    module, _, attribute = target.partition(":")
    if all(part.isidentifier() and not keyword.iskeyword(part) for part in (*module.split("."), *attribute.split("."))):
        return f"    from {module} import {_imported(attribute)}\n"
    return f"    from asgiws.conformance import load_app\n\n    app = load_app({target!r})\n"


def _imported(attribute: str) -> str:
    head, _, rest = attribute.partition(".")
    if not rest:
        return head if head == "app" else f"{head} as app"
    return f"{head} as _found\n    app = _found.{rest}"


def replay(app: ASGIApp, script: Script, *, timeout: float = 5.0) -> list[str]:
    """Run one client script against ``app``; the clauses it breaks (empty when it conforms)."""
    return [f.clause for f in asyncio.run(run_script(app, script, timeout=timeout)).findings]


@dataclass(frozen=True)
class Progress:
    """Where a check is, for a progress display.

    Attributes:
        phase: ``exploring`` (drawing new client behaviours) or ``shrinking``
            (making the script that showed a new finding as small as it gets).
        examples: examples run in this round so far.
        planned: examples a round runs when it finds nothing new.
        findings: distinct findings so far.
    """

    phase: str
    examples: int
    planned: int
    findings: int


class _Established(BaseException):
    # A BaseException, so that Hypothesis lets it through instead of shrinking it.
    """Every connection so far ran into the timeout: the check has its finding."""


@dataclass(frozen=True)
class _Options:
    paths: tuple[str, ...]
    subprotocols: tuple[str, ...]
    versions: tuple[SpecVersion, ...]
    max_examples: int
    seed: int | None
    timeout: float
    handshake: Handshake
    messages: tuple[SendText | SendBytes, ...]
    opening: tuple[SendText | SendBytes, ...]
    strategy: Any


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
    progress: Callable[[Progress], None] | None = None,
    handshake: Handshake | None = None,
    messages: Sequence[SendText | SendBytes] = (),
    opening: Sequence[SendText | SendBytes] = (),
    message_strategy: Any = None,
    fail_on: str = "any",
) -> Report:
    """Check the application ``target`` (``module:attribute``) and return the report.

    Args:
        target: where the app lives, as for uvicorn (``main:app``).
        app: the application itself, when it is already imported.
        paths: the WebSocket paths clients connect to, each with its query
            string if the app needs one (``/ws?token=abc``).
        subprotocols: subprotocol names clients may offer (plus one the app does not know).
        spec_version: a spec version to judge against (the latest by default), or
            ``"all"`` to check portability to older servers too.
        max_examples: examples per round of exploration.
        seed: make the exploration repeatable.
        timeout: how long a busy application may run after its client is done.
            It also bounds the application's lifespan startup (a startup that
            fails or never answers is reported in ``Report.error``) and how
            long it may hold the event loop without awaiting before the
            watchdog interrupts it. When the first ``ESTABLISHED`` connections
            all run into it, the check stops there, with that finding.
        progress: called after every example with a :class:`Progress`.
        handshake: how clients connect (headers, cookies, Origin, client
            address, scheme); a browser at ``http://localhost:8000`` by default.
        messages: example client messages, mixed with random data and mutated
            (see :func:`load_messages`).
        opening: messages clients usually send first, in order (a protocol's
            greeting, such as GraphQL's ``connection_init``).
        message_strategy: a Hypothesis strategy of client messages (``str``,
            ``bytes``, ``SendText`` or ``SendBytes``) to mix in as well.
        fail_on: ``"must"``, ``"should"`` or ``"any"``: the lowest level of
            violation that fails the check (``Report.conformant``).
    """
    application = app if app is not None else load_app(target)
    versions = _versions(spec_version)
    report = Report(target=target, spec_version=spec_version, versions=versions, fail_on=fail_on)
    options = _Options(
        tuple(paths),
        tuple(subprotocols),
        tuple(versions),
        max_examples,
        seed,
        timeout,
        handshake or Handshake(),
        tuple(messages),
        tuple(opening),
        message_strategy,
    )
    start = time.perf_counter()
    with asyncio.Runner() as runner:
        try:
            _explore(runner, application, report, target, options, progress)
        except TargetError as error:  # the app could not be started: nothing was checked
            report.error = str(error)
    report.duration_s = time.perf_counter() - start
    return report


def _explore(  # noqa: PLR0917 - the check's parts, passed on
    runner: asyncio.Runner,
    application: ASGIApp,
    report: Report,
    target: str,
    options: _Options,
    progress: Callable[[Progress], None] | None,
) -> None:
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import Flaky, NoSuchExample

    seen: set[FindingKey] = set()
    found: dict[FindingKey, tuple[Script, Finding]] = {}
    counter = {"examples": 0, "round": 0, "costly": 0}
    startup, state = _started(runner, application, options.timeout)

    def run(script: Script) -> tuple[list[Finding], str]:
        coverage = Coverage()
        with _captured() as output:
            transcript = runner.run(
                run_script(application, script, timeout=options.timeout, coverage=coverage, state=state, handshake=options.handshake)
            )
        _count(report, script.path, transcript, coverage)
        counter["costly"] += transcript.outcome in _COSTLY
        # The simulated server delivers only what a server may: a finding
        # against it is never the application's (AMB-32).
        return [f for f in transcript.findings if f.side is Party.APPLICATION], output.getvalue()

    def tell(phase: str) -> None:
        if progress is not None:
            progress(Progress(phase, counter["round"], options.max_examples, len(seen)))

    def established() -> bool:
        # Every connection so far ran into the timeout: that is the finding,
        # and more connections would cost the timeout each to show it again.
        return counter["costly"] >= ESTABLISHED and counter["costly"] == counter["examples"]

    def new_violation(script: Script) -> bool:
        if established():
            raise _Established  # out of Hypothesis at once, without shrinking anything more
        counter["examples"] += 1
        counter["round"] += 1
        findings, _ = run(script)
        fresh = [f for f in findings if f.key not in seen]
        for finding in fresh:
            found.setdefault(finding.key, (script, finding))
        tell("shrinking" if found else "exploring")
        return bool(fresh)

    # The default profile, not whichever one the caller's test suite loaded.
    budget = settings(
        settings.get_profile("default"), max_examples=options.max_examples, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    strategy = scripts(
        list(options.versions),
        list(options.paths),
        list(options.subprotocols),
        messages=options.messages,
        opening=options.opening,
        message_strategy=options.strategy,
    )
    try:
        while True:
            found.clear()
            counter["round"] = 0
            try:
                minimal = find(strategy, new_violation, settings=budget, random=random.Random(options.seed))
            except NoSuchExample:
                break
            except _Established:
                _keep(report, target, seen, [(script, replace(f, detail=f.detail + _STOPPED), "") for script, f in found.values()])
                break
            except Flaky:
                # The app keeps state across connections (a shared room, a
                # cache), so a script does not always show the same thing
                # again: report the first script that showed it, unshrunk.
                minimal = next(iter(found.values()))[0]
            # The shrunk script: keep what it shows that is new, with its own reproducer.
            findings, printed = run(minimal)
            # Nothing new: it showed it only after other connections; say so.
            fresh = [f for f in findings if f.key not in seen] or [replace(f, detail=f.detail + _AFTER_OTHERS) for _, f in list(found.values())[:1]]
            _keep(report, target, seen, [(minimal, finding, printed) for finding in fresh])
    finally:
        with _captured():
            runner.run(startup.__aexit__(None, None, None))
        report.examples = counter["examples"]


def _started(runner: asyncio.Runner, application: ASGIApp, timeout: float) -> tuple[AbstractAsyncContextManager[dict[str, Any]], dict[str, Any]]:
    # The lifespan startup, once, before any connection (WS-054).
    with _captured():
        startup = lifespan(application, timeout)
        return startup, runner.run(startup.__aenter__())


def _keep(report: Report, target: str, seen: set[FindingKey], shown: list[tuple[Script, Finding, str]]) -> None:
    # Each finding, with the script that showed it and what the app printed;
    # the report keeps one per key (Report.add).
    for script, finding, printed in shown:
        seen.add(finding.key)
        report.add(_violation(target, script, finding, printed))


@contextmanager
def _captured() -> Iterator[io.StringIO]:
    # What the application prints is kept out of the report stream (a JSON
    # report on standard output must stay JSON) and shown beside a finding.
    buffer = io.StringIO()
    with redirect_stdout(buffer), redirect_stderr(buffer):
        yield buffer


def _count(report: Report, target: str, transcript: Transcript, coverage: Coverage) -> None:
    route = report.routes.setdefault(split_target(target)[0], Route())
    refused = {id(v.message) for v in transcript.violations}
    route.connections += 1
    route.accepted += any(_is(m, MessageType.ACCEPT) and id(m) not in refused for m in transcript.sent)
    route.data += sum(1 for m in transcript.received if _is(m, MessageType.RECEIVE))
    route.coverage.merge(coverage)
    report.coverage.merge(coverage)


def _is(message: Any, kind: MessageType) -> bool:
    return isinstance(message, Mapping) and message.get("type") == kind.value


#: At most this much of what the application printed is kept with a finding.
OUTPUT_EXCERPT = 2000


def _violation(target: str, script: Script, finding: Finding, printed: str) -> Violation:
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
        output=printed[-OUTPUT_EXCERPT:],
    )
