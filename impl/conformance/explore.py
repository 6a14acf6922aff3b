"""``asgiws check server --explore N``: Hypothesis drives app and client scripts against the live server.

Beyond the catalogue: Hypothesis draws a script for each end (the same words
the catalogue uses), plays it against the server, and judges it with every
rule that fits. A deviation is shrunk to a minimal scenario, printed as the
one line that ``--scenario`` replays. Each round looks for a deviation under
a clause not found yet, until the budget of examples is spent.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Sequence
from typing import Any

from .._context import parse_version
from ..spec.server import AXES, SERVER_RULES, Verdict
from .scenarios import APP_WORDS, CLIENT_WORDS, Scenario, parse_script
from .server import _one, check_url, start_server, stop_server
from .server_report import ScenarioResult, ServerReport

__all__ = ["explore", "scenario_strategy"]

_CODES = (*AXES["valid-close-code"][:3], *AXES["invalid-close-code"][:4])
_SIZES = ("0", "1", "5", "124")


def scenario_strategy() -> Any:
    """A Hypothesis strategy of literal scenarios: a decision, then a few actions at each end."""
    from hypothesis import strategies as st

    size, code = st.sampled_from(_SIZES), st.sampled_from(_CODES)
    decision = st.one_of(
        st.just("accept"),
        st.just("accept-headers"),
        st.builds(lambda s: f"accept:{s}", st.sampled_from(("a", "b", "other"))),
        st.just("close"),
        st.just("deny:403"),
        st.sampled_from(("return", "raise")),
    )
    app_action = st.one_of(
        st.just("receive"),
        st.builds(lambda n: f"send-text:{n}", size),
        st.builds(lambda n: f"send-bytes:{n}", size),
        st.sampled_from(("send-both", "send-neither", "close-none", "close")),
        st.builds(lambda c: f"close:{c}", code),
        st.builds(lambda c, n: f"close:{c}:{n}", code, size),
    )
    client_action = st.one_of(
        st.builds(lambda n: f"text:{n}", size),
        st.builds(lambda n: f"binary:{n}", size),
        st.builds(lambda n: f"ping:{n}", size),
        st.sampled_from(("close-empty", "read", "upgrade,vanish")),
        st.builds(lambda c: f"close:{c}", st.sampled_from(AXES["client-close-code"])),
        st.builds(lambda k: f"bad:{k}", st.sampled_from(AXES["bad-frame"])),
    )
    return st.builds(
        lambda d, a, c, offer: Scenario(
            "explored",
            parse_script(",".join([d, *a]), APP_WORDS),
            parse_script(",".join(c), CLIENT_WORDS),
            ((offer,),) if offer else (),
            SERVER_RULES,
        ),
        decision,
        st.lists(app_action, max_size=4),
        st.lists(client_action, max_size=3),
        st.sampled_from(("", "a", "a, b")),
    )


def _deviations(result: ScenarioResult) -> set[str]:
    return {check.clause for check in result.checks if check.verdict is Verdict.DEVIATION}


def explore(
    command: Sequence[str],
    *,
    url: str | None = None,
    examples: int = 100,
    scenarios: Sequence[Scenario] | None = None,
    timeout: float = 2.0,
    jobs: int = 8,
    spec_version: str | None = None,
    rounds: int = 5,
) -> ServerReport:
    """Explore generated scenarios against a server; a report of the minimal deviating scenarios found.

    Raises:
        ServerStartError: the server did not start.
    """
    from hypothesis import HealthCheck, find, settings
    from hypothesis.errors import FlakyFailure, NoSuchExample

    del scenarios, jobs  # exploration plays one scenario at a time, so that shrinking is sequential
    forced = parse_version(spec_version) if spec_version else None
    server = None
    if url:
        check_url(url, scenarios=[], timeout=timeout)  # answers, or raises
        port = int(url.rsplit(":", 1)[1].strip("/"))
    else:
        server = start_server(command)
        port = server.port
    found: list[ScenarioResult] = []
    known: set[str] = set()
    begun = time.monotonic()
    budget = settings(max_examples=max(1, examples // rounds), deadline=None, database=None, suppress_health_check=list(HealthCheck))

    def deviates(scenario: Scenario) -> bool:
        result, _ = asyncio.run(_one(port, scenario, timeout, forced))
        return bool(_deviations(result) - known)

    try:
        for _ in range(rounds):
            try:
                minimal = find(scenario_strategy(), deviates, settings=budget)
            except NoSuchExample:
                break
            except FlakyFailure:  # the deviation depends on timing and did not come back while shrinking
                continue
            result, _ = asyncio.run(_one(port, minimal, timeout, forced))
            fresh = _deviations(result) - known
            if not fresh:  # a flaky deviation: it did not come back on replay
                continue
            known |= fresh
            found.append(result)
    finally:
        if server is not None:
            stop_server(server)
    target = url or shlex.join(command)
    for number, result in enumerate(found, 1):
        result.scenario = Scenario(f"explored-{number}", result.scenario.app, result.scenario.client, result.scenario.offer, result.scenario.rules)
    return ServerReport(target, {"spec_version": None, "extensions": []}, found, time.monotonic() - begun)
