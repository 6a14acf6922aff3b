"""Conformance checks in a project's own test suite.

One line adds a generated test that explores client behaviour against an app::

    from asgiws.conformance import conformance_test

    test_websocket_protocol = conformance_test("myproject.main:app", paths=["/ws"])

and the ``asgiws_check`` fixture (registered by asgiws's pytest plugin) judges
the traffic of the tests a project already has::

    def test_chat(asgiws_check):
        client = TestClient(asgiws_check(app))
        with client.websocket_connect("/ws") as websocket:
            ...

A test using the fixture fails at teardown if the app broke the protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..engine import ASGIApp
from ..middleware import CheckMiddleware, check
from .check import check_app

__all__ = ["asgiws_check", "conformance_test"]


def conformance_test(target: str, **options: Any) -> Callable[[], None]:
    """A test function that runs ``check_app(target, **options)`` and fails with its report.

    Assign it to a name starting with ``test_`` in a test module; the options
    are :func:`~asgiws.conformance.check_app`'s (``paths``, ``subprotocols``,
    ``spec_version``, ``max_examples``, ``seed``, ``timeout``).
    """

    def test() -> None:
        import pytest  # only ever called by pytest

        report = check_app(target, **options)
        if not report.conformant:
            pytest.fail(report.to_text(), pytrace=False)

    test.__name__ = test.__qualname__ = "test_websocket_protocol_of_" + target.replace(".", "_").replace(":", "_")
    test.__doc__ = f"asgiws check app {target}"
    return test


def asgiws_check() -> Iterator[Callable[..., CheckMiddleware]]:
    """Wrap apps with ``asgiws.check(app, mode="record")``; fail the test if any broke the protocol.

    The pytest plugin registers it as a fixture; defined here undecorated, so
    that importing :mod:`asgiws.conformance` does not import pytest.
    """
    import pytest

    wrapped: list[CheckMiddleware] = []

    def wrap(app: ASGIApp, *, spec_version: str | None = None) -> CheckMiddleware:
        middleware = check(app, mode="record", spec_version=spec_version)
        wrapped.append(middleware)
        return middleware

    yield wrap
    found = [str(violation) for middleware in wrapped for violation in middleware.violations]
    total = sum(middleware.total for middleware in wrapped)
    if total:
        more = [f"... and {total - len(found)} more, counted but not kept"] if total > len(found) else []
        pytest.fail("the app broke the WebSocket protocol:\n" + "\n".join(found + more), pytrace=False)
