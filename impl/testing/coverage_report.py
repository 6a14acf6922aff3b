"""The transition coverage report: which pairs of the spec a run exercised.

One line per spec version with the pairs hit out of all of them (allowed and
refused counted apart), then every pair missed, so that a run short of 100%
says exactly what it never tried.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..coverage import Coverage, all_pairs
from ..spec import SpecVersion

__all__ = ["coverage_report"]


def coverage_report(coverage: Coverage, versions: Iterable[SpecVersion] = tuple(SpecVersion), *, misses: int | None = None) -> str:
    """The coverage record as a table: per version, pairs hit (allowed, refused) out of all, then the misses.

    ``misses`` caps how many missed pairs are listed (all by default).

    Example::

        (side, state, message type) pairs exercised
        version   hit  total  allowed  refused
        2.0        32     32       12       20
        ...
        all       192    192
    """
    chosen = tuple(versions)
    hit = coverage.hit()
    lines = ["(side, state, message type) pairs exercised", f"{'version':<8}{'hit':>5}{'total':>7}{'allowed':>9}{'refused':>9}"]
    for version in chosen:
        pairs = all_pairs([version])
        allowed = sum(1 for pair in pairs if coverage.allowed[pair])
        refused = sum(1 for pair in pairs if coverage.refused[pair])
        lines.append(f"{version.value:<8}{sum(1 for p in pairs if p in hit):>5}{len(pairs):>7}{allowed:>9}{refused:>9}")
    every = all_pairs(chosen)
    lines.append(f"{'all':<8}{sum(1 for p in every if p in hit):>5}{len(every):>7}")
    missed = coverage.missed(chosen)
    shown = missed if misses is None else missed[:misses]
    lines += [f"missed: {pair.key()}" for pair in shown]
    if len(shown) < len(missed):
        lines.append(f"... and {len(missed) - len(shown)} more")
    return "\n".join(lines)
