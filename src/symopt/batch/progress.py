"""Feedback while a batch runs: a rich progress bar on a terminal (files done/total, the files
being compiled, elapsed time, ETA), one plain line per finished file otherwise, or nothing."""

from __future__ import annotations

import sys
from typing import IO, Protocol

from symopt.batch.report import Row
from symopt.cli.table import speedup


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def started(self, source: str) -> None: ...
    def finished(self, row: Row) -> None: ...
    def stop(self) -> None: ...


def plain_line(row: Row) -> str:
    """``STATUS SOURCE -> OUTPUT (N statements, cost A -> B, X, T s)``."""
    detail = []
    if row.statements is not None:
        detail.append(f"{row.statements} statements")
    if row.cost_before is not None and row.cost_after is not None:
        detail.append(f"cost {row.cost_before:g} -> {row.cost_after:g}")
        detail.append(speedup(row.cost_before, row.cost_after))
    if row.seconds is not None:
        detail.append(f"{row.seconds:.2f} s")
    target = f" -> {row.outputs[0]}" if row.outputs and row.status != "failed" else ""
    tail = f" ({', '.join(detail)})" if detail else ""
    return f"{row.status}: {row.source}{target}{tail}"


class Silent:
    def start(self, total: int) -> None:
        pass

    def started(self, source: str) -> None:
        pass

    def finished(self, row: Row) -> None:
        pass

    def stop(self) -> None:
        pass


class PlainLines(Silent):
    """One line per finished file on ``stream``."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def finished(self, row: Row) -> None:
        self.stream.write(plain_line(row) + "\n")
        self.stream.flush()


class Bar(Silent):
    """A rich progress bar on stderr; finished files scroll above it."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self.console = Console(file=sys.stderr)
        self.progress = RichProgress(
            TextColumn("[bold]symopt batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", markup=False),
            console=self.console,
            transient=True,
        )
        self.current: list[str] = []

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("batch", total=total, current="")
        self.progress.start()

    def _show(self) -> None:
        shown = ", ".join(self.current[:3]) + (" …" if len(self.current) > 3 else "")
        self.progress.update(self.task, current=shown)

    def started(self, source: str) -> None:
        self.current.append(source)
        self._show()

    def finished(self, row: Row) -> None:
        from rich.text import Text

        if row.source in self.current:
            self.current.remove(row.source)
        colour = {"written": "green", "up to date": "dim"}.get(row.status, "red")
        self.progress.console.print(Text(plain_line(row), style=colour), highlight=False)
        self.progress.advance(self.task)
        self._show()

    def stop(self) -> None:
        self.progress.stop()
