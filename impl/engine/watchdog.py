"""Taking control back from an application that never awaits, or that raises what asyncio lets out of its loop.

A timeout on an event loop only fires when the loop runs. An application that
computes without awaiting (``while True: pass``) holds the loop, so that no
``asyncio`` deadline can stop it: a server's every other connection freezes,
and so would the checker. :func:`watchdog` keeps a heartbeat on the loop and a
thread that watches it; when the loop has not turned for ``limit`` seconds,
the thread raises :class:`Stalled` in the thread that runs the loop, where the
application is running. It is a ``BaseException``, so that an application's
``except Exception`` does not swallow it. Time the loop's thread spends ready
to run but waiting for a CPU that other processes hold (read from Linux's
``/proc/self/task/<id>/schedstat``) is not the application's doing and is not
counted: on a loaded CI machine a healthy application is not found stalling.

asyncio also lets ``SystemExit`` and ``KeyboardInterrupt`` out of its loop,
ending whatever ran it. A server catches them like any error of the
application (uvicorn logs "Exception in ASGI application" and goes on);
:func:`contained` makes them an ordinary error of the application,
:class:`AppExit`, so that the checker judges them as a server lives them.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import ASGIApp

__all__ = ["AppExit", "Stalled", "contained", "waiting_clock", "watchdog"]


class Stalled(BaseException):
    """Raised in the application when it has held the event loop for longer than the limit without awaiting."""


class AppExit(Exception):
    """The application raised ``SystemExit`` or ``KeyboardInterrupt``; :attr:`error` is what it raised."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


def contained(app: ASGIApp) -> ASGIApp:
    """``app``, with ``SystemExit`` and ``KeyboardInterrupt`` raised as :class:`AppExit`."""

    async def run(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        try:
            await app(scope, receive, send)
        except (SystemExit, KeyboardInterrupt) as error:
            raise AppExit(error) from None

    return run


# One watchdog per loop: a connection run inside another (a second client
# meanwhile) is already watched.
_WATCHED: ContextVar[bool] = ContextVar("_WATCHED", default=False)


class _Heartbeat:
    # When the loop last ran a callback of ours; each beat schedules the next.
    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop, self.interval = loop, interval
        self.last = time.monotonic()
        self.handle = loop.call_later(interval, self.beat)

    def beat(self) -> None:
        self.last = time.monotonic()
        self.handle = self.loop.call_later(self.interval, self.beat)


def waiting_clock(native_id: int) -> Callable[[], float]:
    """A clock of the seconds a thread has spent ready to run but waiting for a CPU.

    Read from Linux's ``schedstat`` for the thread; where there is none (another
    system, or a kernel without it) the clock stands still at 0, and a stall is
    measured in wall-clock time alone.
    """
    path = f"/proc/self/task/{native_id}/schedstat"

    def waited() -> float:
        try:
            with open(path, "rb") as stats:
                return int(stats.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    return waited


@contextmanager
def watchdog(limit: float, *, waiting: Callable[[], float] | None = None) -> Iterator[None]:
    """While the block runs on the current event loop, raise :class:`Stalled` in it whenever the loop stops turning for ``limit`` seconds.

    The seconds are the loop thread's own: running, or blocked in a call, but
    not waiting for a CPU (``waiting`` tells how long it has, by default
    :func:`waiting_clock` for the current thread).
    """
    if _WATCHED.get():
        yield
        return
    interval = min(limit / 4, 0.25)
    heart = _Heartbeat(asyncio.get_running_loop(), interval)
    done = threading.Event()
    ident = threading.get_ident()
    waited = waiting or waiting_clock(threading.get_native_id())
    guard = threading.Lock()  # the watcher raises only while it holds it, and never once the block has ended

    def watch() -> None:
        # The wait is read here, not on each beat, to keep file reads off the
        # loop: its baseline is taken at most one interval after the beat.
        beat, waited_then = heart.last, waited()
        while not done.wait(interval):
            waited_now = waited()
            if heart.last != beat:  # the loop turned: count from here
                beat, waited_then = heart.last, waited_now
                continue
            with guard:
                held = time.monotonic() - beat - (waited_now - waited_then)
                if not done.is_set() and held > limit:
                    # The loop's thread is running the application's code: the
                    # exception is raised there, at its next bytecode.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(Stalled))
                    # Once per limit, for an application that catches it and spins on.
                    heart.last = beat = time.monotonic()
                    waited_then = waited_now

    watcher = threading.Thread(target=watch, name="asgiws-watchdog", daemon=True)
    token = _WATCHED.set(True)
    watcher.start()
    try:
        yield
    finally:
        _stop(guard, done)
        watcher.join()
        heart.handle.cancel()
        _WATCHED.reset(token)


def _stop(guard: AbstractContextManager[Any], done: threading.Event) -> None:
    # An exception raised just as the block ended arrives at the latest at the
    # first bytecode after the watcher lets go of the guard: here, where it is
    # dropped, since the block it was meant for is over.
    while True:
        try:
            with guard:
                done.set()
        except Stalled:
            continue
        return
