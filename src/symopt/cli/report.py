"""Human-facing reports on stderr: per-expression stats (rich table on a terminal)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from symopt.optimize import Optimized


@dataclass(frozen=True)
class StatRow:
    label: str
    result: Optimized


def _ratio(before: float, after: float) -> str:
    if after == 0:
        return "inf" if before else "1.00x"
    return f"{before / after:.2f}x"


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
            f"({_ratio(r.cost_before, r.cost_after)}), stop: {rep.stop}, "
            f"{len(rep.iterations)} iterations, {rep.enodes} e-nodes, {rep.seconds:.3f} s\n"
        )


def _rich_table(rows: list[StatRow]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="symopt simplify")
    for col in ("input", "before", "after", "speed-up", "stop", "iters", "e-nodes", "time"):
        table.add_column(col, justify="left" if col in ("input", "stop") else "right")
    for row in rows:
        r = row.result
        rep = r.report
        table.add_row(
            row.label,
            f"{r.cost_before:g}",
            f"{r.cost_after:g}",
            _ratio(r.cost_before, r.cost_after),
            str(rep.stop),
            str(len(rep.iterations)),
            str(rep.enodes),
            f"{rep.seconds:.3f} s",
        )
    Console(stderr=True).print(table)


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
