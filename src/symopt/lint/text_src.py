"""Model files (``*.sym``) and expression files (``*.expr``, ``*.txt``) → candidates.

A model is one unit (the scope of SYM003 and ``--max-model-cost``) whose candidates are its
statements' right-hand sides, as written (a ``let`` local read by a statement stays a symbol,
so each suggestion can replace its statement's text). An expression file has one unit per line;
a line may be ``name = expr``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from symopt.codegen.sym import to_sym
from symopt.grammar.parser import parse_expr, strip_comment
from symopt.ir import Term
from symopt.lint.findings import Location
from symopt.lint.parsed import Candidate, ParsedFile, Unit
from symopt.rulesets.assume import sample_ranges

_NAMED = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)")
"""``name = `` before an expression-file line's expression."""


def _sym_printer(term: Term, cand: Candidate) -> tuple[str, bool]:
    return to_sym(term), True


def _code_end(raw: str) -> int:
    """Exclusive 1-based column where the line's code ends (comment and blanks dropped)."""
    return len(strip_comment(raw).rstrip()) + 1


def _first_code(raw: str, start: int) -> int:
    """1-based column of the first non-blank character at or after 0-based ``start``."""
    return start + len(raw[start:]) - len(raw[start:].lstrip()) + 1


def parse_model_file(
    text: str, path: str, extra_ranges: Mapping[str, tuple[float, float]] | None = None
) -> ParsedFile:
    """A model's statements as candidates of one unit. ``extra_ranges`` (a sidecar's sampling
    ranges) narrow verification, on top of the model's own ``assume`` lines."""
    from symopt.model import parse_model

    model = parse_model(text, path)
    lines = text.splitlines()
    unit = Unit("model", Location(1, 1))
    for stmt in model.statements:
        raw = lines[stmt.line - 1]
        eq = raw.index("=", stmt.target.span.column - 1)
        loc = Location(stmt.line, _first_code(raw, eq + 1), stmt.line, _code_end(raw))
        unit.candidates.append(Candidate(stmt.expr, loc))
    ranges = {**sample_ranges(list(model.assumptions)), **(extra_ranges or {})}
    return ParsedFile(
        path,
        "model",
        text,
        [unit],
        _sym_printer,
        ranges=ranges,
        assumptions=list(model.assumptions),
    )


def parse_expression_lines(text: str, path: str) -> ParsedFile:
    """One unit per expression line (``expr`` or ``name = expr``)."""
    units = []
    for number, raw in enumerate(text.splitlines(), start=1):
        code = strip_comment(raw)
        if not code.strip():
            continue
        named = _NAMED.match(code)
        start = named.end() if named else 0
        padded = " " * start + code[start:]  # keep columns as in the file
        term = parse_expr(padded, path=path, line=number)
        loc = Location(number, _first_code(raw, start), number, _code_end(raw))
        units.append(Unit(f"line {number}", loc, [Candidate(term, loc)]))
    return ParsedFile(path, "expressions", text, units, _sym_printer)
