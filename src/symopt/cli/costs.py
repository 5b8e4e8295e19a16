"""``symopt costs show``: print a cycle cost table with the source of every number."""

from __future__ import annotations

import sys

import click


@click.group()
def costs() -> None:
    """Inspect cycle cost tables."""


@costs.command("show")
@click.argument("spec", default="throughput", metavar="[NAME|PATH]")
def show(spec: str) -> None:
    """Print every operator's cost in cycles and where the number comes from."""
    from symopt.costs.table import load_cost_table

    table = load_cost_table(spec)
    rows = [(op, f"{cycles:g}", table.sources.get(op, "")) for op, cycles in table.cycles.items()]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        out = Table(title=f"cost table {table.name}")
        out.add_column("operator")
        out.add_column("cycles", justify="right")
        out.add_column("source")
        for row in rows:
            out.add_row(*row)
        Console().print(out)
        return
    op_w = max((len(r[0]) for r in rows), default=0)
    cyc_w = max((len(r[1]) for r in rows), default=0)
    for op, cycles, source in rows:
        click.echo(f"{op.ljust(op_w)}  {cycles.rjust(cyc_w)}  {source}".rstrip())
