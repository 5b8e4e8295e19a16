"""Human-facing reports on stderr: per-expression stats and the phases that produced them (rich
tables on a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from symopt.cli.table import plain_table, render_table, speedup
from symopt.errors import SourceWarning
from symopt.limits import PhaseReport
from symopt.optimize import Fallback, Optimized

PHASE_COLUMNS = ("phase", "time", "nodes", "cycles", "stop")
"""The phase table's columns (``--stats`` and ``--explain``), one row per phase
(:func:`phase_row`)."""

PHASE_NUMBERS = PHASE_COLUMNS[1:4]
"""The phase table's right-aligned columns."""


def _arrow(a: float | None, b: float | None) -> str:
    """``a -> b``; ``-> b`` for a phase whose input is not terms (a polynomial phase)."""
    if b is None:
        return ""
    return f"-> {b:g}" if a is None else f"{a:g} -> {b:g}"


def phase_row(
    name: str,
    time: str,
    size: tuple[float | None, float | None],
    cost: tuple[float | None, float | None],
    stop: str,
    detail: Mapping[str, Any],
) -> list[str]:
    """One phase as the cells of :data:`PHASE_COLUMNS`: name, ``time`` (as the caller writes
    it), distinct nodes and cycles in -> out, stop (and the fallback it took, if any)."""
    if "fallback" in detail:
        stop += f": {detail['fallback']}"
    return [name, time, _arrow(*size), _arrow(*cost), stop]


def phase_cells(p: PhaseReport) -> list[str]:
    """One phase's :func:`phase_row`, its time in seconds."""
    size, cost = (p.size_in, p.size_out), (p.cost_in, p.cost_out)
    return phase_row(p.name, f"{p.seconds:.3f} s", size, cost, str(p.stop), p.detail)


def phase_lines(phases: list[PhaseReport], indent: str = "  ") -> str:
    """The phases as aligned plain text, under a header."""
    rows = [phase_cells(p) for p in phases]
    return plain_table(PHASE_COLUMNS, rows, right=PHASE_NUMBERS, header=True, indent=indent)


def render_phases(title: str, phases: list[PhaseReport]) -> None:
    """The phases as a table on stderr (rich on a terminal)."""
    rows = [phase_cells(p) for p in phases]
    render_table(
        title,
        PHASE_COLUMNS,
        rows,
        right=PHASE_NUMBERS,
        stream=sys.stderr,
        header=True,
        indent="  ",
    )


@dataclass(frozen=True)
class StatRow:
    label: str
    result: Optimized


def print_stats(rows: list[StatRow]) -> None:
    """Before/after cost and stop reason per expression, then its phases, on stderr. The
    iterations and e-nodes are the rule e-graph's; the time is the whole optimisation's."""
    if sys.stderr.isatty():
        _rich_table(rows)
        for row in rows:
            render_phases(f"phases of {row.label} ({row.result.strategy})", row.result.phases)
        return
    for row in rows:
        r = row.result
        rep = r.report
        sys.stderr.write(
            f"{row.label}: cost {r.cost_before:g} -> {r.cost_after:g} cycles "
            f"({speedup(r.cost_before, r.cost_after)}), stop: {r.stop_text}, "
            f"{len(rep.iterations)} iterations, {rep.enodes} e-nodes, {_total(r):.3f} s\n"
            + phase_lines(r.phases)
        )


def print_times(seconds: dict[str, float]) -> None:
    """The command's own steps (``simplify: time: parse 1.2 s, optimise 1.0 s, emit 0.3 s``),
    on stderr: with the phases above, where the wall time went."""
    steps = ", ".join(f"{step} {s:.3f} s" for step, s in seconds.items())
    sys.stderr.write(f"simplify: time: {steps}\n")


def _total(r: Optimized) -> float:
    return sum(p.seconds for p in r.phases)


def _rich_table(rows: list[StatRow]) -> None:
    columns = ("input", "before", "after", "speed-up", "stop", "iters", "e-nodes", "time")
    cells = [
        (
            row.label,
            f"{row.result.cost_before:g}",
            f"{row.result.cost_after:g}",
            speedup(row.result.cost_before, row.result.cost_after),
            row.result.stop_text,
            str(len(row.result.report.iterations)),
            str(row.result.report.enodes),
            f"{_total(row.result):.3f} s",
        )
        for row in rows
    ]
    right = [c for c in columns if c not in ("input", "stop")]
    render_table("symopt simplify", columns, cells, right=right, stream=sys.stderr)


def warn_fallback(where: str, fallback: Fallback, kept: str, output: str = "") -> None:
    """``FILE:LINE: warning: [OUTPUT: ]…`` for an output that failed verification and was
    replaced (``kept`` says by what), on stderr (:meth:`~symopt.optimize.Fallback.message`)."""
    sys.stderr.write(fallback.message(where, kept, output) + "\n")


def warn_source(warnings: Iterable[SourceWarning]) -> None:
    """The parser's warnings (``FILE:LINE:COL: warning: …`` with a caret snippet), on stderr."""
    for warning in warnings:
        sys.stderr.write(warning.format() + "\n")
