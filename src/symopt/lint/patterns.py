"""SYM004-SYM006: specific costly patterns (a small integer power, a division by a power of
two, a product of exponentials), each with a local replacement checked numerically."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator

from symopt.costs.table import CostTable
from symopt.ir import App, Num, Term
from symopt.lint.findings import Finding
from symopt.lint.measure import cost_of, percent, short
from symopt.lint.parsed import Candidate, ParsedFile
from symopt.lint.settings import Engine, Settings


def patterns(
    file: ParsedFile, cands: list[Candidate], settings: Settings, engine: Engine
) -> Iterator[Finding]:
    """Specific costly patterns inside the candidates, each with a local replacement, checked
    numerically against the original subexpression (all of a file's in one check)."""
    found: list[tuple[Candidate, str, App, Term]] = []
    for cand in cands:
        stack: list[Term] = [cand.term]
        while stack:
            t = stack.pop()
            if not isinstance(t, App):
                continue
            stack.extend(reversed(t.args))
            hit = _pattern(t, file, settings, engine)
            if hit is not None:
                found.append((cand, hit[0], t, hit[1]))
    if found and engine.verify:
        from symopt.verify import check_equivalent

        bad = {
            m.index
            for m in check_equivalent(
                [f[2] for f in found], [f[3] for f in found], ranges=file.ranges or None
            )
        }
        found = [f for i, f in enumerate(found) if i not in bad]
    for cand, code, orig, repl in found:
        finding = _pattern_finding(file, cand, code, orig, repl, settings, engine.costs)
        if finding is not None:
            yield finding


def _pattern_finding(
    file: ParsedFile,
    cand: Candidate,
    code: str,
    orig: App,
    repl: Term,
    settings: Settings,
    table: CostTable,
) -> Finding | None:
    before = cost_of(file, orig, table)
    after = cost_of(file, repl, table)
    if after >= before or percent(before, after) < settings.min_saving:
        return None
    loc = file.where(orig) or cand.loc
    printed = file.printer(repl, Candidate(repl, loc, flavor=cand.flavor))
    if printed is None:
        return None
    text, fixable = printed
    whole = orig is cand.term
    if whole:
        fix = f"({text})" if cand.wrap and isinstance(repl, App) else text
    else:
        fix = _paren(text, repl, *_parent(cand.term, orig))
    return Finding(
        code,
        f"{_PATTERN_MESSAGES[code]} ({before:g} -> {after:g} cycles): {short(text)}",
        file.path,
        loc,
        before,
        after,
        fix,
        # A subexpression's end is only known in Python; elsewhere fix the whole candidate.
        fixable=fixable and (whole or loc.end_column is not None),
    )


_PATTERN_MESSAGES = {
    "SYM004": "integer power as multiplies",
    "SYM005": "division by a power of two as a multiply",
    "SYM006": "one exp of the sum",
}


def _pattern(
    t: App, file: ParsedFile, settings: Settings, engine: Engine
) -> tuple[str, Term] | None:
    """``(code, replacement)`` if ``t`` is one of the costly patterns."""
    if t.op == "pow" and "SYM004" in settings.enabled and file.kind == "python":
        base, exponent = t.args
        if isinstance(exponent, Num) and exponent.value in (2.0, 3.0, 4.0):
            n = int(exponent.value)
            if n == 2 or engine.algebra:
                repl: Term = base
                for _ in range(n - 1):
                    repl = App("mul", (repl, base))
                if n == 4:
                    sq = App("mul", (base, base))
                    repl = App("mul", (sq, sq))
                return "SYM004", repl
    if t.op == "div" and "SYM005" in settings.enabled:
        divisor = t.args[1]
        if isinstance(divisor, Num) and _exact_reciprocal(divisor.value):
            return "SYM005", App("mul", (t.args[0], Num(1.0 / divisor.value)))
    if t.op == "mul" and "SYM006" in settings.enabled and engine.algebra:
        a, b = t.args
        if isinstance(a, App) and isinstance(b, App) and a.op == b.op == "exp":
            return "SYM006", App("exp", (App("add", (a.args[0], b.args[0])),))
    return None


def _exact_reciprocal(c: float) -> bool:
    """``1/c`` is exact and ``x/c == x*(1/c)`` for every x: ``c`` a power of two whose
    reciprocal is a normal double."""
    if not math.isfinite(c) or c == 0:
        return False
    mantissa, _ = math.frexp(abs(c))
    r = 1.0 / c
    normal = math.isfinite(r) and abs(r) >= sys.float_info.min
    return mantissa == 0.5 and normal and abs(c) != 1.0


def _parent(root: Term, target: Term) -> tuple[App, int]:
    stack: list[Term] = [root]
    while stack:
        t = stack.pop()
        if isinstance(t, App):
            for i, a in enumerate(t.args):
                if a is target:
                    return t, i
            stack.extend(t.args)
    raise ValueError("not a subterm")


_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2}


def _paren(text: str, repl: Term, parent: App, slot: int) -> str:
    """``text`` parenthesised unless it keeps its structure in ``parent``'s argument ``slot``."""
    if parent.op not in _PREC and parent.op not in ("neg", "pow"):
        return text  # a function argument
    mine = _PREC.get(repl.op, 9) if isinstance(repl, App) else 9
    theirs = _PREC.get(parent.op, 3)
    if mine > theirs or (mine == theirs and slot == 0):
        return text
    return f"({text})"
