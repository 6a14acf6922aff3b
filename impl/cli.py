"""The ``asgiws`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

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
    from .coverage import Coverage
    from .diagrams import RenderError, diagram

    coverage = None
    if args.coverage:
        with open(args.coverage, encoding="utf-8") as file:
            coverage = Coverage.from_json(json.load(file))
    try:
        content = diagram(
            args.machine,
            args.format,
            version=parse_version(args.spec_version),
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


def _check_app(args: argparse.Namespace) -> int:
    from ._check_app_cli import run

    return run(args, _write)


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 violations, 2 usage error, 3 inconclusive)."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":  # pragma: no cover - exercised through `python -m asgiws`
    sys.exit(main())
