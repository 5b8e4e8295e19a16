"""The one table renderer: a rich table on a terminal, aligned plain text otherwise."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import TextIO


def speedup(before: float, after: float) -> str:
    """``before / after`` as ``3.25x``; ``inf`` when a nonzero cost fell to zero; ``?`` when
    either was not counted (``nan``)."""
    if math.isnan(before) or math.isnan(after):
        return "?"
    if after == 0:
        return "inf" if before else "1.00x"
    return f"{before / after:.2f}x"


def plain_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[str] = (),
    header: bool = False,
    indent: str = "",
) -> str:
    """``rows`` (under a ``columns`` header line if ``header``) as aligned text: columns named in
    ``right`` right-aligned, the others left-aligned, two spaces apart; no trailing blanks."""
    lines = [list(columns), *map(list, rows)] if header else [list(r) for r in rows]
    widths = [max((len(r[i]) for r in lines), default=0) for i in range(len(columns))]
    out = []
    for row in lines:
        cells = [
            cell.rjust(w) if col in right else cell.ljust(w)
            for col, cell, w in zip(columns, row, widths, strict=True)
        ]
        out.append(indent + "  ".join(cells).rstrip() + "\n")
    return "".join(out)


def render_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[str] = (),
    stream: TextIO | None = None,
    header: bool = False,
    indent: str = "",
) -> None:
    """Write a table to ``stream`` (default stdout): rich, with ``title`` and a header, on a
    terminal; :func:`plain_table` otherwise."""
    out = stream if stream is not None else sys.stdout
    if out.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title or None)
        for col in columns:
            table.add_column(col, justify="right" if col in right else "left")
        for row in rows:
            table.add_row(*row)
        Console(file=out).print(table)
    else:
        out.write(plain_table(columns, rows, right=right, header=header, indent=indent))
    out.flush()


def print_rows(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[str] = ()
) -> None:
    """``rows`` on stdout (plain text without a header line, as tools read it)."""
    render_table(title, columns, rows, right=right)
