"""``asgiws check app`` on the command line: its options, their checks, ``[tool.asgiws]``, the progress bar.

Every option is checked before any work starts, and a bad one ends the command
with exit status 2 and one line saying what to do. Options can also be set in
the ``[tool.asgiws]`` table of the project's ``pyproject.toml`` (in the current
directory), with the same names (``path``, ``header``, ``fail-on``...; lists
for the repeatable ones); the command line wins.
"""

from __future__ import annotations

import argparse
import codecs
import json
import math
import os
import select
import subprocess
import sys
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TextIO, cast

from ._context import parse_version
from ._fields import bad_token
from .spec import LATEST_VERSION

__all__ = ["EXIT_INCONCLUSIVE", "EXIT_INTERRUPTED", "STALL_FACTOR", "STALL_MARGIN", "UsageError", "add_arguments", "run"]

#: ``conformant`` was not earned: nothing past the handshake was tested somewhere.
EXIT_INCONCLUSIVE = 3
_FORMATS = ("text", "json", "junit", "html", "sarif")
_LEVELS = ("must", "should", "any")


class UsageError(Exception):
    """An option that cannot work; the message says what to do instead."""


def add_arguments(app: argparse.ArgumentParser) -> None:
    """The options of ``asgiws check app``."""
    app.add_argument("target", metavar="MODULE:ATTR", help="the application, as for uvicorn (main:app)")
    app.add_argument("--path", action="append", metavar="PATH", help="a route to connect to, with its query string (repeatable; default /)")
    app.add_argument("--subprotocol", action="append", metavar="NAME", help="a subprotocol clients may offer (repeatable)")
    app.add_argument("--header", action="append", metavar="NAME:VALUE", help="a request header every client sends (repeatable)")
    app.add_argument("--cookie", action="append", metavar="NAME=VALUE", help="a cookie every client sends (repeatable)")
    app.add_argument("--origin", metavar="URL", help="the Origin header (default http://localhost:8000; 'none' sends none)")
    app.add_argument("--client", metavar="HOST:PORT", help="the client's address in the scope (default 127.0.0.1:50123)")
    app.add_argument("--scheme", choices=("ws", "wss"), help="the scope's scheme (default ws)")
    app.add_argument(
        "--seeds", action="append", metavar="FILE|NAME", help="example client messages (repeatable; shipped: graphql-transport-ws, graphql-ws)"
    )
    app.add_argument("--messages", metavar="MODULE:ATTR", help="a Hypothesis strategy of client messages (str, bytes, SendText, SendBytes)")
    app.add_argument("--spec-version", metavar="V|all", help=f"default {LATEST_VERSION.value}; 'all' checks 2.0 to 2.5")
    app.add_argument("--max-examples", type=int, metavar="N", help="client behaviours per round (default 200)")
    app.add_argument("--seed", type=int, metavar="N", help="the exploration's seed (default 0: the same answer on every run)")
    app.add_argument("--timeout", type=float, metavar="S", help="how long a busy app may run once its client is done (default 5)")
    app.add_argument("--fail-on", choices=_LEVELS, help="the lowest level that fails the check: must, should or any (default any)")
    app.add_argument("--format", choices=_FORMATS, default="text")
    app.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")
    app.add_argument(
        "--in-process",
        action="store_true",
        help="run the app in this process, without the guard (an app that calls os._exit then ends the check without a verdict)",
    )


def _config(start: Path) -> dict[str, Any]:
    # [tool.asgiws] of ./pyproject.toml; a file without the table configures nothing.
    path = start / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("asgiws", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        msg = f"{path} is not valid TOML ({error}); fix it or remove [tool.asgiws]"
        raise UsageError(msg) from None
    known = {action.replace("_", "-") for action in _OPTIONS}
    unknown = sorted(set(table) - known)
    if unknown:
        msg = f"[tool.asgiws] in {path} has unknown keys {unknown}; known: {', '.join(sorted(known))}"
        raise UsageError(msg)
    return {key.replace("-", "_"): value for key, value in table.items()}


_OPTIONS: dict[str, Any] = {
    "path": ["/"],
    "subprotocol": [],
    "header": [],
    "cookie": [],
    "origin": "http://localhost:8000",
    "client": "127.0.0.1:50123",
    "scheme": "ws",
    "seeds": [],
    "messages": None,
    "spec_version": LATEST_VERSION.value,
    "max_examples": 200,
    "seed": 0,  # a CI job's answer must not change from one run to the next: another seed explores elsewhere
    "timeout": 5.0,
    "fail_on": "any",
}


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Every option: the command line's, else ``[tool.asgiws]``'s, else the default; each checked."""
    config = _config(Path.cwd())
    chosen = {name: getattr(args, name) if getattr(args, name) is not None else config.get(name, default) for name, default in _OPTIONS.items()}
    for name in ("path", "subprotocol", "header", "cookie", "seeds"):
        if isinstance(chosen[name], str):
            chosen[name] = [chosen[name]]
    _check_numbers(chosen)
    for path in chosen["path"]:
        if not path.startswith("/"):
            raise UsageError(f"--path {path!r} must start with '/' (for example /{path})")
    for name in chosen["subprotocol"]:
        if bad_token([name]):  # the scope check's own test (RFC 6455 §4.1)
            raise UsageError(f"--subprotocol {name!r} is not a token: no spaces, commas or separators (one name per --subprotocol)")
    if chosen["spec_version"] != "all":
        try:
            parse_version(chosen["spec_version"])
        except ValueError as error:
            raise UsageError(str(error)) from None
    if chosen["fail_on"] not in _LEVELS:
        raise UsageError(f"fail-on must be one of {', '.join(_LEVELS)}, not {chosen['fail_on']!r}")
    if args.output is not None and not Path(args.output).resolve().parent.is_dir():
        raise UsageError(f"--output {args.output!r}: the folder {str(Path(args.output).resolve().parent)!r} does not exist")
    return chosen


def _check_numbers(chosen: dict[str, Any]) -> None:
    examples, timeout = chosen["max_examples"], chosen["timeout"]
    if not isinstance(examples, int) or examples < 1:
        raise UsageError(f"--max-examples must be a whole number of at least 1, not {examples!r}")
    if not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout <= 0:
        raise UsageError(f"--timeout must be a number of seconds above 0, not {timeout!r}")


def _pair(value: str, separator: str, option: str) -> tuple[str, str]:
    name, found, rest = value.partition(separator)
    if not found or not name.strip():
        raise UsageError(f"{option} {value!r} must be NAME{separator}VALUE")
    return name.strip(), rest.strip()


def _handshake(chosen: dict[str, Any]) -> Any:
    from .engine import Handshake

    host, found, port = str(chosen["client"]).rpartition(":")
    if not found or not port.isdigit() or not host:
        raise UsageError(f"--client {chosen['client']!r} must be HOST:PORT, for example 127.0.0.1:50123")
    origin = None if chosen["origin"] in ("", "none") else chosen["origin"]
    return Handshake(
        origin=origin,
        scheme=chosen["scheme"],
        client=(host, int(port)),
        headers=tuple(_pair(h, ":", "--header") for h in chosen["header"]),
        cookies=tuple(_pair(c, "=", "--cookie") for c in chosen["cookie"]),
    )


class _Bar:
    """A progress bar on a terminal: the phase, examples done of planned, findings so far."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = 24

    def __call__(self, progress: Any) -> None:
        done = min(progress.examples, progress.planned)
        filled = round(self.width * done / progress.planned)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"\r  {progress.phase:<9} [{bar}] {done}/{progress.planned} examples, {progress.findings} finding(s)"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def run(args: argparse.Namespace, write: Callable[[str, str | None], None]) -> int:
    """Run ``asgiws check app``; the exit status (0, 1 violations, 2 usage, 3 inconclusive).

    Unless ``--in-process`` is given, the check runs in a child process
    watched by this one (:func:`_guarded`), so that an application that ends
    its process (``os._exit``) or holds it for good cannot end the check
    without a word.
    """
    try:
        chosen = _settings(args)
        handshake = _handshake(chosen)
    except UsageError as error:
        print(f"asgiws check app: {error}", file=sys.stderr)
        return 2
    bar = args.output is None and sys.stderr.isatty() and args.format == "text"
    if not args.in_process:
        return _guarded(args, bar=bar)
    return _check(args, write, chosen, handshake, bar=_Bar(sys.stderr) if bar else None)


def _check(
    args: argparse.Namespace, write: Callable[[str, str | None], None], chosen: dict[str, Any], handshake: Any, *, bar: _Bar | None, beat: Any = None
) -> int:
    # Hypothesis keeps files; they go to a cache folder, not the user's
    # project. It reads the variable when it is first imported, below.
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    if "hypothesis" not in sys.modules:
        os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(cache / "asgiws" / "hypothesis"))
    from .conformance import SeedError, TargetError, check_app, load_app, load_seeds
    from .conformance.target import load_attribute

    try:
        app = load_app(args.target)
        seeds = [load_seeds(source) for source in chosen["seeds"]]
        strategy = load_attribute(chosen["messages"], "--messages") if chosen["messages"] else None
    except (TargetError, SeedError) as error:
        print(f"asgiws check app: {error}", file=sys.stderr)
        return 2

    def progress(done: Any) -> None:
        if bar is not None:
            bar(done)
        if beat is not None:
            beat()

    report = check_app(
        args.target,
        app=app,
        paths=chosen["path"],
        subprotocols=chosen["subprotocol"],
        spec_version=chosen["spec_version"],
        max_examples=chosen["max_examples"],
        seed=chosen["seed"],
        timeout=chosen["timeout"],
        progress=progress,
        handshake=handshake,
        messages=[message for found in seeds for message in found.messages],
        opening=[message for found in seeds for message in found.opening],
        message_strategy=strategy,
        fail_on=chosen["fail_on"],
    )
    if bar is not None:
        bar.close()
    write(report.render(args.format, _coverage_svg(report) if args.format == "html" else None), args.output)
    if report.error:
        print(f"asgiws check app: {report.error}", file=sys.stderr)
        return 2
    return {"conformant": 0, "violations": 1, "inconclusive": EXIT_INCONCLUSIVE}[report.verdict]


# -- the guard: the check in a child process ------------------------------------------------------

#: The guarded check was interrupted by the user (Ctrl-C), as shells number it.
EXIT_INTERRUPTED = 130

#: The child may go this many times ``--timeout``, plus ``STALL_MARGIN`` seconds,
#: without finishing an example; then it is ended (exit status 2).
STALL_FACTOR = 10
STALL_MARGIN = 10.0


def _guarded(args: argparse.Namespace, *, bar: bool) -> int:
    """Run the check in a child process; relay what it prints; exit 2 with a reason when it ends without a verdict."""
    chosen = _settings(args)
    stall = STALL_FACTOR * chosen["timeout"] + STALL_MARGIN
    beats, beat_end = os.pipe()  # the child writes "." after each example, then "=STATUS"
    options = {name: value for name, value in vars(args).items() if name != "run"}
    payload = json.dumps({"args": options, "bar": bar, "beat": beat_end})
    child = subprocess.Popen(
        [sys.executable, "-m", "asgiws._check_app_cli"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(beat_end,),
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    os.close(beat_end)
    # Popen(..., stdin=PIPE, stdout=PIPE, stderr=PIPE) made all three.
    out, err, into = cast("IO[bytes]", child.stdout), cast("IO[bytes]", child.stderr), cast("IO[bytes]", child.stdin)
    relays = [_relay(out, sys.stdout), _relay(err, sys.stderr)]
    into.write(payload.encode())
    into.close()
    try:
        status, stalled = _watch(beats, stall)
    except KeyboardInterrupt:  # the user's Ctrl-C: the child is ended too, and no traceback
        status, stalled = EXIT_INTERRUPTED, True
        print("asgiws check app: interrupted; no verdict", file=sys.stderr)
    if stalled:  # it stopped finishing examples, or the user stopped it: end it, by its PID
        child.kill()
    returned = child.wait(STALL_MARGIN)
    os.close(beats)
    for relay in relays:
        relay.join()
    out.close()
    err.close()
    if status is not None:
        return status
    if stalled:
        reason = f"no example finished for {stall:.0f}s: the application holds the checker's process and cannot be interrupted; it was ended"
    else:
        reason = f"the application ended the checker's process (os._exit, a signal or a crash; exit status {returned}) before it could report"
    print(f"asgiws check app: {reason}; no verdict", file=sys.stderr)
    return 2


def _watch(beats: int, stall: float) -> tuple[int | None, bool]:
    # The child's status once it reports it (None when it ends without one),
    # and whether it went ``stall`` seconds without a beat.
    received = b""
    while select.select([beats], [], [], stall)[0]:
        chunk = os.read(beats, 1024)
        if not chunk:
            return None, False
        received = received[-16:] + chunk  # beats need no keeping
        _, found, status = received.rpartition(b"=")
        if found and status.endswith(b"\n"):
            return int(status), False
    return None, True


def _relay(source: IO[bytes], sink: TextIO) -> threading.Thread:
    # What the child prints goes where this process prints, as it comes (the progress bar too).
    def copy() -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")  # a character may span two reads
        while chunk := os.read(source.fileno(), 4096):
            sink.write(decoder.decode(chunk))
            sink.flush()

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread


def _child() -> int:
    """The guarded check, in the child process: the options from standard input, beats and the status on the pipe it was given."""
    payload = json.loads(sys.stdin.read())
    args = argparse.Namespace(**{**payload["args"], "in_process": True})
    beat = payload["beat"]
    chosen = _settings(args)
    from .cli import _write

    bar = _Bar(sys.stderr) if payload["bar"] else None
    status = _check(args, _write, chosen, _handshake(chosen), bar=bar, beat=lambda: os.write(beat, b"."))
    sys.stdout.flush()
    os.write(beat, f"={status}\n".encode())
    return status


def _coverage_svg(report: Any) -> str | None:
    from .diagrams import RenderError, diagram

    try:
        svg = diagram("joint", "svg", coverage=report.coverage)
    except RenderError:
        return None  # the report says what it found without the picture
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    return text[text.index("<svg") :]


if __name__ == "__main__":  # pragma: no cover - the guarded check's child process, measured through _child in tests
    code = _child()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # threads the application started must not keep the child alive: the report is out
