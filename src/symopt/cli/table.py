"""Printing rows on stdout: a rich table on a terminal, aligned plain text otherwise."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click


def speedup(before: float, after: float) -> str:
    """``before / after`` as ``3.25x``; ``inf`` when a nonzero cost fell to zero."""
    if after == 0:
        return "inf" if before else "1.00x"
    return f"{before / after:.2f}x"


def print_rows(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[str] = ()
) -> None:
    """Print ``rows`` under ``columns``; columns named in ``right`` are right-aligned. Plain text
    pads every column but the last and separates them with two spaces."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title)
        for col in columns:
            table.add_column(col, justify="right" if col in right else "left")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(len(columns))]
    for row in rows:
        cells = [
            cell.rjust(w) if col in right else cell.ljust(w)
            for col, cell, w in zip(columns[:-1], row[:-1], widths, strict=False)
        ]
        click.echo("  ".join([*cells, row[-1]]).rstrip())
