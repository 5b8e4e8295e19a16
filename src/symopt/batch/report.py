"""A batch's results: one row per model, the summary table (rich on a terminal, aligned plain
text otherwise) and the JSON report for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from symopt.batch.job import FAILED, TIMED_OUT, UP_TO_DATE, WRITTEN
from symopt.cli.table import speedup


@dataclass
class Row:
    """One model's line of the summary."""

    source: str
    outputs: list[str]
    status: str
    statements: int | None = None
    cost_before: float | None = None
    cost_after: float | None = None
    seconds: float | None = None
    stop: str = ""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        known = self.cost_before is not None and self.cost_after is not None
        return [
            self.source,
            "" if self.statements is None else str(self.statements),
            f"{self.cost_before:g} -> {self.cost_after:g}" if known else "",
            speedup(self.cost_before, self.cost_after) if known else "",  # type: ignore[arg-type]
            "" if self.seconds is None else f"{self.seconds:.2f} s",
            self.status,
        ]


HEAD = ["file", "statements", "cost before -> after", "speedup", "time", "status"]


def counts(rows: Sequence[Row]) -> dict[str, int]:
    return {s: sum(r.status == s for r in rows) for s in (WRITTEN, UP_TO_DATE, FAILED, TIMED_OUT)}


def totals_line(rows: Sequence[Row], total: int, seconds: float) -> str:
    c = counts(rows)
    parts = [f"{n} {s}" for s, n in c.items() if n]
    missing = total - len(rows)
    if missing:
        parts.append(f"{missing} not run")
    files = "file" if total == 1 else "files"
    return f"{total} {files}: {', '.join(parts) or 'nothing to do'} in {seconds:.1f} s"


def _totals_row(rows: Sequence[Row]) -> list[str]:
    before = sum(r.cost_before or 0 for r in rows if r.cost_after is not None)
    after = sum(r.cost_after or 0 for r in rows if r.cost_after is not None)
    statements = sum(r.statements or 0 for r in rows)
    seconds = sum(r.seconds or 0 for r in rows)
    return [
        "total",
        str(statements),
        f"{before:g} -> {after:g}",
        speedup(before, after) if after else "",
        f"{seconds:.2f} s",
        "",
    ]


def plain_table(rows: Sequence[Row]) -> str:
    """The summary as aligned text columns."""
    grid = [HEAD, *(r.cells() for r in rows), _totals_row(rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(HEAD))]
    out = []
    for line in grid:
        cells = [
            c.ljust(w) if i in (0, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out) + "\n"


def print_table(rows: Sequence[Row], stream: IO[str], rich: bool, title: str) -> None:
    """The summary table on ``stream``: a rich table on a terminal, plain text otherwise."""
    if not rich:
        stream.write(plain_table(rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_footer=True)
    total = _totals_row(rows)
    for i, col in enumerate(HEAD):
        table.add_column(col, footer=total[i], justify="left" if i in (0, 5) else "right")
    style = {WRITTEN: "green", UP_TO_DATE: "dim", FAILED: "red", TIMED_OUT: "red"}
    for r in rows:
        table.add_row(*r.cells(), style=style.get(r.status))
    Console(file=stream).print(table)


def report_json(rows: Sequence[Row], meta: dict[str, object]) -> str:
    """The JSON report: ``meta`` (version, settings, totals) and one entry per file."""
    files = [
        {
            "source": r.source,
            "outputs": r.outputs,
            "status": r.status,
            "statements": r.statements,
            "cost_before": r.cost_before,
            "cost_after": r.cost_after,
            "seconds": r.seconds,
            "stop": r.stop or None,
            "error": r.error,
            "warnings": r.warnings,
        }
        for r in rows
    ]
    return json.dumps({**meta, "counts": counts(rows), "files": files}, indent=2) + "\n"
