"""The app driver: an ASGI application against a client whose every action Hypothesis draws.

:class:`AppDriver` is :func:`asgiws.engine.run_connection` with a
:class:`~asgiws.testing.drawn_client.DrawnClient`: the same simulated server,
judge and verdicts on the ending as ``asgiws check app``, with the client's
behaviour drawn from a test's ``st.data()``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import strategies as st

from ..coverage import Coverage
from ..engine import ASGIApp, Transcript, run_connection, websocket_scope
from .drawn_client import DrawnClient

__all__ = ["AppDriver"]


class AppDriver:
    """Run an ASGI application against the simulated server, with the client's behaviour drawn by Hypothesis.

    A :class:`~asgiws.testing.drawn_client.DrawnClient` and :func:`~asgiws.engine.run_connection`:
    the client connects, then draws each action among those a conformant
    server may deliver at that point.

    Args:
        app: the ASGI application, ``async def app(scope, receive, send)``.
        scope: the connection scope; a minimal one of the latest spec
            version, without extensions, by default.
        coverage: count the pairs every message exercises in this record.
        timeout: how long, in seconds, to wait for the application to finish
            or to wait for a message, each time.
        max_actions: how many actions the client takes before it leaves.

    Example::

        @given(st.data())
        def test_my_app(data):
            transcript = AppDriver(app).run(data)
            assert transcript.findings == []
    """

    def __init__(
        self,
        app: ASGIApp,
        scope: dict[str, Any] | None = None,
        *,
        coverage: Coverage | None = None,
        timeout: float = 1.0,
        max_actions: int = 10,
    ) -> None:
        self.app = app
        self.scope = scope if scope is not None else websocket_scope()
        self.coverage = coverage
        self.timeout = timeout
        self.max_actions = max_actions

    def run(self, data: st.DataObject) -> Transcript:
        """Run the application once on a new event loop; the client's actions are drawn from ``data``."""
        return asyncio.run(self.run_async(data))

    async def run_async(self, data: st.DataObject) -> Transcript:
        """Run the application once on the running event loop."""
        client = DrawnClient(data, max_actions=self.max_actions)
        # The drawn client connects itself: its first action is drawn like the others.
        return await run_connection(self.app, self.scope, client, coverage=self.coverage, timeout=self.timeout, connected=False)
