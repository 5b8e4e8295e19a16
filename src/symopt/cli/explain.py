"""``--explain``: what the optimiser did, on stderr (rich tables on a terminal, text, or JSON).

Commands build one :func:`symopt.explain.explain` dict per optimisation run and hand the list to
:func:`render_explain`; :func:`explain_options` adds the ``--explain`` and ``--output-format``
options to a command.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import click

from symopt.cli.report import PHASE_COLUMNS, PHASE_NUMBERS, phase_row
from symopt.cli.table import plain_table, render_table, speedup
from symopt.guard_hints import hint_lines

F = Callable[..., Any]
Explanation = dict[str, Any]

FORMATS = ("text", "json")


def explain_options(fn: F) -> F:
    """``--explain`` and ``--output-format text|json`` (the format of the explanation)."""
    fn = click.option(
        "--output-format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="Format of --explain: text (a table on a terminal) or one JSON document.",
    )(fn)
    return click.option(
        "--explain",
        is_flag=True,
        help="Rules matched, e-graph growth per iteration, stop reason and cost per operator "
        "before -> after (stderr).",
    )(fn)


def render_explain(
    entries: Sequence[Explanation],
    fmt: str = "text",
    stream: TextIO | None = None,
    *,
    command: str = "simplify",
) -> None:
    """Write explanations: ``json`` as one document ``{"command", "results": [...]}``; ``text``
    as rich tables when ``stream`` is a terminal, else as plain aligned text."""
    out = stream if stream is not None else sys.stderr
    if fmt == "json":
        out.write(json.dumps({"command": command, "results": list(entries)}, indent=2) + "\n")
    elif out.isatty():
        _render_rich(entries, out)
    else:
        out.write("".join(plain_text(e) for e in entries))
    out.flush()


def _summary(e: Explanation) -> str:
    cost = e["cost"]
    head = f"{e['label']}: " if e["label"] else ""
    fallbacks = f", {len(e['fallbacks'])} kept unoptimised" if e["fallbacks"] else ""
    ratio = speedup(cost["before"], cost["after"])
    return (
        f"{head}cost {cost['before']:g} -> {cost['after']:g} cycles ({ratio}, "
        f"table {cost['table']}), stop: {e['stop']} after {len(e['iterations'])} iterations, "
        f"{e['enodes']} e-nodes, {e['seconds']:.3f} s{fallbacks}"
    )


def _phases(e: Explanation) -> str:
    return ", ".join(f"{phase} {s * 1e3:.1f} ms" for phase, s in e["phases"].items())


def _phase_cells(p: dict[str, Any]) -> list[str]:
    """One phase of ``phase_reports`` as the ``--stats`` table's row, its time in ms."""
    size, cost = (p["size"]["in"], p["size"]["out"]), (p["cost"]["in"], p["cost"]["out"])
    time = f"{p['seconds'] * 1e3:.1f} ms"
    return phase_row(p["name"], time, size, cost, p["stop"], p.get("detail", {}))


def _op_cells(row: dict[str, Any]) -> list[str]:
    b, a = row["before"], row["after"]
    return [row["op"], str(b["count"]), f"{b['cycles']:g}", str(a["count"]), f"{a['cycles']:g}"]


def _columns(header: Sequence[str], rows: list[list[str]]) -> str:
    return plain_table(header, rows, right=header[1:], header=True, indent="  ")


def plain_text(e: Explanation) -> str:
    """One explanation as plain text (what a pipe or a file gets)."""
    parts = [_summary(e) + "\n"]
    if e["phases"]:
        parts.append(f"  time: {_phases(e)}\n")
    if e.get("phase_reports"):
        rows = [_phase_cells(p) for p in e["phase_reports"]]
        parts.append(_columns(PHASE_COLUMNS, rows))
    for ex in e["expressions"]:
        parts.append(f"  in:  {ex['input']}\n  out: {ex['output']}\n")
    iters = [
        [
            str(it["index"]),
            str(it["enodes"]),
            str(it["matches"]),
            str(it["other_matches"]),
            f"{it['seconds'] * 1e3:.1f} ms",
        ]
        for it in e["iterations"]
    ]
    parts.append(_columns(["iteration", "e-nodes", "matches", "fact/fold", "time"], iters))
    fired = ", ".join(f"{name} {n}" for name, n in e["rules"].items()) or "none"
    wrapped = textwrap.fill(
        f"rule matches: {fired}", width=100, initial_indent="  ", subsequent_indent="    "
    )
    parts.append(wrapped + "\n")
    ops = [_op_cells(r) for r in e["operators"]]
    total = ["total", "", f"{e['cost']['before']:g}", "", f"{e['cost']['after']:g}"]
    parts.append(_columns(["operator", "before", "cycles", "after", "cycles"], [*ops, total]))
    parts.extend(f"  {line}\n" for line in hint_lines(e.get("blocked_guards", [])))
    return "".join(parts)


def _render_rich(entries: Sequence[Explanation], out: TextIO) -> None:
    from rich.console import Console

    console = Console(file=out)
    for e in entries:
        console.print(_summary(e), markup=False, highlight=False)
        if e["phases"]:
            console.print(f"  time: {_phases(e)}", markup=False, highlight=False)
        if e.get("phase_reports"):
            rows = [_phase_cells(p) for p in e["phase_reports"]]
            title = f"phases ({e.get('strategy', '')})"
            render_table(title, PHASE_COLUMNS, rows, right=PHASE_NUMBERS, stream=out)
        for ex in e["expressions"]:
            console.print(
                f"  in:  {ex['input']}\n  out: {ex['output']}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        iters = [
            [
                str(it["index"]),
                str(it["enodes"]),
                str(it["matches"]),
                str(it["other_matches"]),
                f"{it['seconds'] * 1e3:.1f} ms",
            ]
            for it in e["iterations"]
        ]
        growth = ["iteration", "e-nodes", "matches", "fact/fold", "time"]
        render_table("e-graph growth", growth, iters, right=growth, stream=out)
        fired = [[name, str(n)] for name, n in e["rules"].items()]
        render_table("rule matches", ["rule", "matches"], fired, right=["matches"], stream=out)
        ops = [*map(_op_cells, e["operators"])]
        ops.append(["total", "", f"{e['cost']['before']:g}", "", f"{e['cost']['after']:g}"])
        cols = ["operator", "before", "cycles", "after", "cycles"]
        title = f"cost per operator ({e['cost']['table']} cycles)"
        render_table(title, cols, ops, right=cols[1:], stream=out)
        for line in hint_lines(e.get("blocked_guards", [])):
            console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
