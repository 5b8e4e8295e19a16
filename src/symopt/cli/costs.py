"""``symopt costs show|calibrate``: print a cost table, or measure one on this machine."""

from __future__ import annotations

import click

from symopt.cli.io import check_output
from symopt.cli.options import output_format_option
from symopt.cli.table import print_rows


@click.group()
def costs() -> None:
    """Inspect cycle cost tables, or measure one on this machine."""


@costs.command("show")
@click.argument("spec", default="throughput", metavar="[NAME|PATH]")
@output_format_option()
def show(spec: str, output_format: str) -> None:
    """Print every operator's cost in cycles and where the number comes from."""
    import json

    from symopt.costs.table import load_cost_table

    table = load_cost_table(spec)
    if output_format == "json":
        ops = {
            op: {"cycles": cycles, "source": table.sources.get(op, "")}
            for op, cycles in table.cycles.items()
        }
        click.echo(json.dumps({"table": table.name, "ops": ops}, indent=2))
        return
    rows = [(op, f"{cycles:g}", table.sources.get(op, "")) for op, cycles in table.cycles.items()]
    print_rows(
        f"cost table {table.name}", ("operator", "cycles", "source"), rows, right=("cycles",)
    )


@costs.command("calibrate")
@click.option(
    "-o",
    "--output",
    default=None,
    callback=check_output,
    help="Write the table here (atomically), not stdout.",
)
@click.option(
    "--kind",
    type=click.Choice(["throughput", "latency"]),
    default="throughput",
    show_default=True,
    help="Independent evaluations (throughput) or one dependent chain (latency).",
)
@click.option("--name", default=None, help="Table name in [meta] (default: the output's stem).")
@click.option("--cc", default=None, help="C compiler command (default: $CC, cc, gcc or clang).")
@click.option("--cflags", default="", help="Extra compiler flags, e.g. '-march=native'.")
@click.option(
    "--ghz",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="Nominal frequency for clock_gettime timing (non-x86; default: read from the OS).",
)
@click.option("--quick", is_flag=True, help="Fewer repetitions (noisier; for tests).")
def calibrate(
    output: str | None,
    kind: str,
    name: str | None,
    cc: str | None,
    cflags: str,
    ghz: float | None,
    quick: bool,
) -> None:
    """Measure every operator's cost on this machine and write a cost table (TOML).

    Compiles a C micro-benchmark with the system compiler (-O2, no auto-vectorisation), times
    each operator against an operator-free baseline, and rounds to whole cycles (at least 1).
    Load the result with --costs FILE. Method: docs/costs.md.
    """
    import shlex
    import time
    from pathlib import Path

    from symopt.cli.io import write_output
    from symopt.costs.calibrate import calibrate as run_calibration
    from symopt.costs.calibrate import to_toml
    from symopt.costs.table import parse_cost_table

    start = time.perf_counter()
    cal = run_calibration(kind, cc=cc, cflags=shlex.split(cflags), quick=quick, ghz=ghz)
    dest = output if output not in (None, "-") else None
    table_name = name or (Path(dest).stem if dest else f"calibrated-{kind}")
    text = to_toml(cal, table_name)
    parse_cost_table(text, name=table_name, path="<calibration>")  # loadable with --costs
    write_output(text, output)
    click.echo(
        f"calibrated {len(cal.cycles)} operators ({kind}) in {time.perf_counter() - start:.1f} s "
        f"with {cal.timer} ({cal.frequency}) on {cal.machine}"
        + (f"; wrote {dest}" if dest else ""),
        err=True,
    )
