"""The ``asgiws`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ._catalog import citations, lookup
from ._check_app_cli import add_arguments
from ._context import parse_version
from ._export import spec_json, spec_markdown
from ._version import __version__
from .spec import LATEST_VERSION, Ambiguity, Party

__all__ = ["main"]

#: Exit statuses shared by every subcommand (see DESIGN: the public contract).
EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2

_PARTIES = {Party.SERVER: "the server", Party.APPLICATION: "the application", Party.BOTH: "server and application"}


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)


def _spec(args: argparse.Namespace) -> int:
    text = json.dumps(spec_json(), indent=2) + "\n" if args.format == "json" else spec_markdown()
    _write(text, args.output)
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    entry = lookup(args.clause_id)
    if entry is None:
        print(f"asgiws explain: unknown clause {args.clause_id!r}; `asgiws spec --format markdown` lists them all", file=sys.stderr)
        return EXIT_USAGE
    places = citations().get(entry.id, ())
    if isinstance(entry, Ambiguity):
        lines = [
            f"{entry.id}  ambiguity",
            f"Question:   {entry.question}",
            f"asgiws:     {entry.resolution}",
            f"Because:    {entry.reason}",
            f"Affects:    {', '.join(entry.affects) or 'no check'}",
        ]
    else:
        lines = [
            f"{entry.id}  {entry.level.value}  binds {_PARTIES[entry.binds]}",
            f"Source:     {entry.source}",
            f"Rule:       {entry.summary}",
        ]
        if entry.unchecked:
            lines.append(f"Not checked: {entry.unchecked}")
    if places:
        lines += ["Enforced by:", *(f"  - {place}" for place in places)]
    print("\n".join(lines))
    return EXIT_OK


def _diagram(args: argparse.Namespace) -> int:
    from .diagrams import RenderError, diagram

    # Every argument is checked before any work.
    try:
        version = parse_version(args.spec_version)
        coverage = _coverage(args.coverage) if args.coverage else None
        if args.output is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
            raise ValueError(f"--output {args.output}: no such directory")
    except ValueError as error:
        print(f"asgiws diagram: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        content = diagram(
            args.machine,
            args.format,
            version=version,
            denial=args.denial,
            clauses=args.clauses,
            forbidden=args.forbidden,
            coverage=coverage,
        )
    except RenderError as error:
        print(f"asgiws diagram: {error}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(content, str):
        _write(content, args.output)
    elif args.output is None:
        sys.stdout.buffer.write(content)
    else:
        with open(args.output, "wb") as file:
            file.write(content)
    return EXIT_OK


def _coverage(path: str) -> Any:
    from .coverage import Coverage

    try:
        with open(path, encoding="utf-8") as file:
            return Coverage.from_json(json.load(file))
    except OSError as error:
        raise ValueError(f"--coverage {path}: {error.strerror or error}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"--coverage {path}: not a coverage record (JSON, as check app's coverage or Coverage.to_json writes): {error}") from None


def _check_app(args: argparse.Namespace) -> int:
    from ._check_app_cli import run

    return run(args, _write)


def _check_server(args: argparse.Namespace) -> int:
    from .conformance.scenarios import catalogue, parse_scenario
    from .conformance.server import ServerStartError, check_server, check_url

    if args.list:
        print("\n".join(f"{s.name}  {s.line}" for s in catalogue()))
        return EXIT_OK
    try:
        scenarios = [parse_scenario(name) for name in args.scenario or ()] or None
        if args.spec_version:
            parse_version(args.spec_version)
        targets = sum(bool(t) for t in (args.command, args.url, args.matrix))
        if targets != 1:
            raise ValueError("give exactly one of -- COMMAND..., --url ws://127.0.0.1:PORT or --matrix FILE")
    except ValueError as error:
        print(f"asgiws check server: {error}", file=sys.stderr)
        return EXIT_USAGE
    options = {"scenarios": scenarios, "timeout": args.timeout, "jobs": args.jobs, "spec_version": args.spec_version}
    if args.explore:
        return _explore(args, options)
    try:
        if args.matrix:
            from .conformance.matrix import run_matrix

            matrix = run_matrix(args.matrix, **options)
            _write(matrix.render(args.format), args.output)
            return EXIT_OK if matrix.conformant else EXIT_VIOLATIONS
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        report = check_url(args.url, **options) if args.url else check_server(command, keep_log=args.log, **options)
    except (ServerStartError, OSError, ValueError) as error:
        print(f"asgiws check server: {error}", file=sys.stderr)
        return EXIT_USAGE
    _write(report.render(args.format), args.output)
    return EXIT_OK if report.conformant else EXIT_VIOLATIONS


def _fuzz(args: argparse.Namespace) -> int:
    try:
        from .testing.adapters import adapter_named, detect_adapter
        from .testing.campaign import TargetError, fuzz, load_target, progress_bar
        from .testing.known import BaselineError, known_differences
    except ImportError as error:  # pragma: no cover - the testing extra is part of every dev install
        print(f"asgiws fuzz: {error}; pip install 'asgiws[testing]'", file=sys.stderr)
        return EXIT_USAGE
    # Every argument is checked before any work.
    try:
        if args.max_examples < 1:
            raise ValueError(f"--max-examples must be at least 1, not {args.max_examples}")
        if args.seed is not None and args.seed < 0:
            raise ValueError(f"--seed must not be negative, not {args.seed}")
        if args.record is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.record))):
            raise ValueError(f"--record {args.record}: no such directory")
        if args.output is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
            raise ValueError(f"--output {args.output}: no such directory")
        baseline = known_differences(args.known) if args.known is not None else None
        chosen = adapter_named(args.adapter) if args.adapter is not None else None
        factory = load_target(args.target)
    except (ValueError, BaselineError, TargetError) as error:
        print(f"asgiws fuzz: {error}", file=sys.stderr)
        return EXIT_USAGE
    live = sys.stderr.isatty()
    report = fuzz(
        factory,
        target=args.target,
        known=baseline,
        known_name=args.known or "",
        record=args.record is not None,
        max_examples=args.max_examples,
        seed_value=args.seed,
        progress=progress_bar() if live else None,
        adapter=chosen or detect_adapter(factory),
    )
    if live:
        print(file=sys.stderr)
    if report.recorded is not None:
        report.recorded.dump(args.record)
    _write(report.render(args.format), args.output)
    # Recording notes every difference for review: nothing it meets is a failure.
    return EXIT_OK if report.ok or args.record is not None else EXIT_VIOLATIONS


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    # A usage error is one line on standard error and exit status 2, as for every other check.
    def error(message: str) -> NoReturn:
        print(f"{parser.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)

    setattr(parser, "error", error)  # noqa: B010 - argparse calls self.error; this parser's errors are one line


def _explore(args: argparse.Namespace, options: dict[str, Any]) -> int:
    from .conformance.explore import explore
    from .conformance.server import ServerStartError

    try:
        found = explore(args.command[1:] if args.command[:1] == ["--"] else args.command, url=args.url, examples=args.explore, **options)
    except (ServerStartError, ValueError) as error:
        print(f"asgiws check server: {error}", file=sys.stderr)
        return EXIT_USAGE
    _write(found.render(args.format), args.output)
    return EXIT_OK if found.conformant else EXIT_VIOLATIONS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asgiws", description="The ASGI WebSocket protocol as one executable specification.")
    parser.add_argument("--version", action="version", version=f"asgiws {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    spec = commands.add_parser("spec", help="export the whole machine: states, transitions, schemas, clauses, versions")
    spec.add_argument("--format", choices=("json", "markdown"), default="json")
    spec.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    spec.set_defaults(run=_spec)

    explain = commands.add_parser("explain", help="print a clause, its source and where asgiws enforces it")
    explain.add_argument("clause_id", metavar="CLAUSE_ID", help="for example WS-024, RFC-010, J-03 or AMB-16")
    explain.set_defaults(run=_explain)

    picture = commands.add_parser("diagram", help="draw a machine as DOT, Mermaid, SVG or PNG")
    picture.add_argument("--machine", choices=("receive", "send", "joint"), default="joint")
    picture.add_argument("--format", choices=("dot", "mermaid", "svg", "png"), default="dot")
    picture.add_argument("--spec-version", default=LATEST_VERSION.value, metavar="V", help="named in the title; default %(default)s")
    picture.add_argument("--no-denial", dest="denial", action="store_false", help="leave out the Denial Response extension")
    picture.add_argument("--clauses", action="store_true", help="label each edge with its clause IDs")
    picture.add_argument("--forbidden", action="store_true", help="also show what each state refuses")
    picture.add_argument("--coverage", metavar="FILE", help="colour edges by a coverage record (JSON)")
    picture.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    picture.set_defaults(run=_diagram)

    check = commands.add_parser("check", help="check an ASGI application against the spec")
    kinds = check.add_subparsers(dest="kind", required=True, metavar="KIND")
    app = kinds.add_parser("app", help="explore client behaviour against an application, report every violation")
    add_arguments(app)
    app.set_defaults(run=_check_app)

    server = kinds.add_parser(
        "server",
        help="run the scenarios against an ASGI server, judged on the wire and at the app",
        description="Start COMMAND ({app} is the probe app's import string, {port} a free loopback port), "
        "or use a server already running the probe app (--url), or several (--matrix), and judge every scenario.",
    )
    server.add_argument("--scenario", action="append", metavar="NAME", help="a catalogue name or an 'app=...;client=...;offer=...' line (repeatable)")
    server.add_argument("--list", action="store_true", help="print the catalogue and exit")
    server.add_argument("--spec-version", metavar="V", help="judge at this spec version instead of the one the server advertises")
    server.add_argument("--timeout", type=float, default=2.0, metavar="S", help="bound on every wait, in seconds (default %(default)s)")
    server.add_argument("--jobs", type=int, default=8, metavar="N", help="scenarios run at once (default %(default)s)")
    server.add_argument("--explore", type=int, default=0, metavar="N", help="also let Hypothesis try N generated scenarios and shrink a deviation")
    server.add_argument("--format", choices=("text", "json", "junit", "html", "sarif"), default="text")
    server.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")
    server.add_argument("--log", type=Path, metavar="FILE", help="keep the server's log here (default: a temporary file named in the report)")
    server.add_argument("--url", metavar="ws://127.0.0.1:PORT", help="a server the user started with asgiws.conformance.probe:app")
    server.add_argument("--matrix", metavar="FILE", help="a TOML list of named server commands; one report with a table")
    server.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND ...", help="the server command, after --")
    server.set_defaults(run=_check_server)
    fuzzing = commands.add_parser("fuzz", help="fuzz a WebSocket class against the spec; fail on differences its baseline does not list")
    fuzzing.add_argument(
        "target", metavar="MODULE:ATTR", help="the class (or a factory of scope, receive, send), e.g. starlette.websockets:WebSocket"
    )
    fuzzing.add_argument("--known", metavar="FILE|NAME", help="the baseline of known differences: a file, or starlette, litestar, quart")
    fuzzing.add_argument(
        "--adapter", metavar="NAME", help="how the class spells its calls: starlette, litestar or quart (default: read from the class's package)"
    )
    fuzzing.add_argument("--record", metavar="FILE", help="write every difference met to this baseline file instead of failing")
    fuzzing.add_argument("--max-examples", type=int, default=200, metavar="N", help="examples per round (default %(default)s)")
    fuzzing.add_argument("--seed", type=int, metavar="N", help="the run's seed (default 0: the same answer on every run)")
    fuzzing.add_argument("--format", choices=("text", "json", "junit"), default="text")
    fuzzing.add_argument("--output", metavar="FILE", help="write the report here instead of standard output")
    fuzzing.set_defaults(run=_fuzz)
    _one_line_errors(fuzzing)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 violations, 2 usage error, 3 inconclusive)."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":  # pragma: no cover - exercised through `python -m asgiws`
    sys.exit(main())
