"""Finding the application to check, and starting it up the way a server would."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from ..engine import ASGIApp, Stalled, contained, watchdog

__all__ = ["TargetError", "lifespan", "load_app", "load_attribute"]


class TargetError(Exception):
    """The application could not be imported or started (exit status 2)."""


def load_attribute(target: str, what: str | None = None) -> Any:
    """Import ``package.module:attribute`` (the attribute may be dotted), as uvicorn does.

    The current directory is importable, so ``main:app`` works from a
    project's root.

    Raises:
        TargetError: the target is malformed or cannot be imported; an import
            that exits (``sys.exit()``) or is interrupted says so too.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        msg = f"{what + ': ' if what else ''}expected MODULE:ATTRIBUTE, for example main:app, not {target!r}"
        raise TargetError(msg)
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        found: Any = importlib.import_module(module_name)
    except (Exception, SystemExit, KeyboardInterrupt) as error:
        msg = f"could not import {module_name!r}: {type(error).__name__}: {error}"
        raise TargetError(msg) from None
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            msg = f"{module_name!r} has no attribute {attribute!r}"
            raise TargetError(msg) from None
    return found


def load_app(target: str) -> ASGIApp:
    """Import the ASGI application ``package.module:attribute``, as uvicorn does.

    Raises:
        TargetError: the target is malformed, cannot be imported, or is not an
            ASGI 3 application (an ``async`` callable).
    """
    found = load_attribute(target)
    if not callable(found) or _plainly_sync(found):
        msg = f"{target} is a {type(found).__name__}, not an ASGI application (an async callable taking scope, receive and send)"
        raise TargetError(msg)
    return found  # type: ignore[no-any-return]


def _plainly_sync(found: Any) -> bool:
    # A plain function, or an object whose class's __call__ is one, and not
    # async: it cannot be awaited. Anything less plain (a wrapper, a partial)
    # is given the benefit of the doubt.
    call = found if inspect.isfunction(found) else getattr(type(found), "__call__", None)  # noqa: B004 - the class's own method, not callability
    return inspect.isfunction(call) and not inspect.iscoroutinefunction(call)


@asynccontextmanager
async def _lifespan(app: ASGIApp, timeout: float) -> Any:
    # The lifespan protocol, as a server runs it: startup before any
    # connection, shutdown after the last. An app that does not speak it
    # (raises at once) is started without it, as uvicorn's "auto" mode does.
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.ensure_future(contained(app)(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    try:
        with watchdog(timeout):
            answer = await _answer(task, from_app, timeout)
    except TargetError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    if answer is None:
        yield scope["state"]
        return
    if answer["type"] == "lifespan.startup.failed":
        await asyncio.gather(task, return_exceptions=True)
        msg = f"the application's startup failed: {answer.get('message', '')}"
        raise TargetError(msg)
    try:
        yield scope["state"]
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        await _answer(task, from_app, timeout)
        task.cancel()


async def _answer(task: asyncio.Future[None], from_app: asyncio.Queue[dict[str, Any]], timeout: float) -> dict[str, Any] | None:
    getter: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(from_app.get())
    waiting: set[asyncio.Future[Any]] = {task, getter}
    done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    if task in done:
        if isinstance(task.exception(), Stalled):
            msg = f"the application's lifespan startup ran for more than {timeout}s without awaiting"
            raise TargetError(msg)
        return None  # no lifespan support: the app returned or raised
    msg = f"the application did not answer lifespan.startup within {timeout}s"
    raise TargetError(msg)


def lifespan(app: ASGIApp, timeout: float) -> AbstractAsyncContextManager[dict[str, Any]]:
    """Run the app's lifespan startup on entry and shutdown on exit; yields the lifespan state.

    Raises:
        TargetError: startup failed or never answered.
    """
    return _lifespan(app, timeout)
