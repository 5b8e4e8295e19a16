"""Result rows and their rendering as a text table or a Markdown table."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

NAIVE = "naive"
FAST_MATH_VARIANT = "naive -ffast-math (unsafe)"
SYMPY = "sympy-cse"
SYMOPT = "symopt"


@dataclass
class Result:
    """One variant of one model; ``None`` = not measured (the reason is in ``notes``)."""

    variant: str
    gen_s: float | None = None
    compile_s: float | None = None
    instr: float | None = None
    ns: float | None = None
    err: float | None = None
    notes: list[str] = field(default_factory=list)


HEADER = [
    "variant",
    "generate s",
    "gcc -O2 s",
    "instr/call",
    "ns/call",
    "max rel err",
    "instr ÷ naive",
    "ns ÷ naive",
    "instr ÷ sympy",
    "ns ÷ sympy",
]


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _fmt_int(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _fmt_ns(x: float | None) -> str:
    return "—" if x is None else (f"{x:,.1f}" if x < 1000 else f"{x:,.0f}")


def _fmt_err(x: float | None) -> str:
    if x is None:
        return "—"
    return "0" if x == 0 else ("nan" if math.isnan(x) else f"{x:.1e}")


def _ratio(x: float | None, base: float | None) -> str:
    return "—" if x is None or not base else f"{x / base:.3f}"


def _find(results: list[Result], name: str) -> Result | None:
    return next((r for r in results if r.variant == name), None)


def rows(results: list[Result]) -> list[list[str]]:
    """The table body: formatted cells per variant, with ratios to naive and to sympy-cse."""
    naive = _find(results, NAIVE) or Result(NAIVE)
    sympy = _find(results, SYMPY) or Result(SYMPY)
    body = []
    for r in results:
        body.append(
            [
                r.variant,
                _fmt_s(r.gen_s),
                _fmt_s(r.compile_s),
                _fmt_int(r.instr),
                _fmt_ns(r.ns),
                _fmt_err(r.err),
                _ratio(r.instr, naive.instr),
                _ratio(r.ns, naive.ns),
                _ratio(r.instr, sympy.instr),
                _ratio(r.ns, sympy.ns),
            ]
        )
    return body


def notes(results: list[Result]) -> list[str]:
    return [f"{r.variant}: {note}" for r in results for note in r.notes]


def text_table(title: str, results: list[Result]) -> str:
    """A fixed-width table for the terminal, followed by the notes."""
    table = [HEADER, *rows(results)]
    widths = [max(len(row[c]) for row in table) for c in range(len(HEADER))]
    lines = [title]
    for k, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.extend(f"  * {n}" for n in notes(results))
    return "\n".join(lines)


def markdown_table(title: str, results: list[Result]) -> str:
    """The same table in Markdown, notes as a list below it."""
    lines = [f"### {title}", "", "| " + " | ".join(HEADER) + " |"]
    lines.append("|---|" + "---:|" * (len(HEADER) - 1))
    lines.extend("| " + " | ".join(row) + " |" for row in rows(results))
    extra = notes(results)
    if extra:
        lines.append("")
        lines.extend(f"- {n}" for n in extra)
    return "\n".join(lines) + "\n"
