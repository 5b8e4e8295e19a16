"""Human-facing reports on stderr: per-expression stats (rich table on a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from symopt.cli.table import render_table, speedup
from symopt.errors import SourceWarning
from symopt.optimize import Fallback, Optimized


@dataclass(frozen=True)
class StatRow:
    label: str
    result: Optimized


def print_stats(rows: list[StatRow]) -> None:
    """Before/after cost and stop reason per expression, on stderr."""
    if sys.stderr.isatty():
        _rich_table(rows)
        return
    for row in rows:
        r = row.result
        rep = r.report
        sys.stderr.write(
            f"{row.label}: cost {r.cost_before:g} -> {r.cost_after:g} cycles "
            f"({speedup(r.cost_before, r.cost_after)}), stop: {rep.stop}, "
            f"{len(rep.iterations)} iterations, {rep.enodes} e-nodes, {rep.seconds:.3f} s\n"
        )


def _rich_table(rows: list[StatRow]) -> None:
    columns = ("input", "before", "after", "speed-up", "stop", "iters", "e-nodes", "time")
    cells = [
        (
            row.label,
            f"{row.result.cost_before:g}",
            f"{row.result.cost_after:g}",
            speedup(row.result.cost_before, row.result.cost_after),
            str(row.result.report.stop),
            str(len(row.result.report.iterations)),
            str(row.result.report.enodes),
            f"{row.result.report.seconds:.3f} s",
        )
        for row in rows
    ]
    right = [c for c in columns if c not in ("input", "stop")]
    render_table("symopt simplify", columns, cells, right=right, stream=sys.stderr)


POINT_SHOWN = 6
"""Symbols of a disagreeing sample point named in a warning (a model statement may read many)."""


def warn_fallback(where: str, fallback: Fallback, kept: str, output: str = "") -> None:
    """``FILE:LINE: warning: [OUTPUT: ]…`` for an output that failed verification and was
    replaced (``kept`` says by what), on stderr."""
    sys.stderr.write(fallback_message(where, fallback, kept, output) + "\n")


def fallback_message(where: str, fallback: Fallback, kept: str, output: str = "") -> str:
    """The text of :func:`warn_fallback`."""
    items = [f"{k}={v:.17g}" for k, v in list(fallback.point.items())[:POINT_SHOWN]]
    more = len(fallback.point) - POINT_SHOWN
    at = ", ".join(items) + (f", ... ({more} more)" if more > 0 else "")
    subject = f"{output}: " if output else ""
    if fallback.reason == "unverifiable":
        return (
            f"{where}: warning: {subject}optimised form could not be verified: the input is not "
            f"finite at any sample point (first: {at}); {kept}"
        )
    return (
        f"{where}: warning: {subject}optimised form disagreed with the input at {at} "
        f"(expected {fallback.expected:.17g}, got {fallback.got:.17g}); {kept}"
    )


def warn_source(warnings: Iterable[SourceWarning]) -> None:
    """The parser's warnings (``FILE:LINE:COL: warning: …`` with a caret snippet), on stderr."""
    for warning in warnings:
        sys.stderr.write(warning.format() + "\n")
