"""symopt vs SymPy vs the input on the everyday corpus (issue 13), under symopt's cost table.

Per expression of benchmarks/corpus/everyday.toml: the DAG cost (``CostTable.dag_cost``, the
cost symopt minimises) of the input, of ``symopt.optimize`` (default ruleset, verification on,
the entry's assumptions as facts and sample ranges), and of SymPy ``simplify`` followed by
``cse`` (SymPy gets the same assumptions as symbol properties: ``x > 0`` is ``positive=True``).
Every output is compared with the input at sample points where the input is defined, over the
reals (mpmath, allowing rounding): a different real number is *wrong*; one right over the reals
whose doubles disagree beyond rounding (``symopt.verify.check_equivalent``, its own seed) is
counted apart ("off in doubles"). Where SymPy
is cheaper than symopt, SymPy's form is judged for the domain: the domain conditions of both
forms (denominators != 0, log arguments > 0, sqrt arguments >= 0, ...) are compared factor by
factor; where they differ, a witness is searched by solving a differing condition for one
variable and evaluating both forms there (input undefined and output defined, or the reverse,
proves a domain change). "unclear" (conditions differ, no witness found) counts as keeping the
domain, the strict reading for symopt's target.

SymPy runs in a forked child per expression with a timeout (some ``simplify`` calls hang).

Usage: python benchmarks/peers.py [--only GLOB ...] [--limit N] [--no-sympy] [--json PATH|-]
       [--timeout 30] [--time-limit 1.0] [--exclude-fpbench] [--corpus PATH] [--report PATH]
       [--sympy-real] [--from-json PATH]
Times are wall seconds on this machine (noisy under load: compare ratios from one run); symopt's
are also given in CPU seconds of the process (steadier under load).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import multiprocessing as mp
import statistics
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from symopt import Limits, optimize
from symopt.codegen import to_sym
from symopt.costs import CostTable, load_cost_table
from symopt.grammar.parser import parse_expr
from symopt.ir import App, Num, Sym, Term, intern, postorder, substitute, symbols
from symopt.rulesets.assume import Assumption, facts, parse_assumption, sample_ranges
from symopt.rulesets.check_real import OutOfScopeError, real_value, working_bits
from symopt.verify import check_equivalent, error_scale, sample_env
from symopt.verify.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "corpus" / "everyday.toml"
CHECK_SEED = 20261129
"""Seed of the independent numerical check (symopt's own verification uses seed 0)."""
REAL_CHECK_POINTS = 48
"""Sample points at which each changed output is compared with its input over the reals."""


@dataclass(frozen=True)
class Entry:
    """One corpus expression."""

    name: str
    expr: str
    source: str
    assume: tuple[str, ...] = ()
    fpbench: bool = False


@dataclass
class Row:
    """What one expression measured."""

    name: str
    expr: str
    cost_input: float
    cost_symopt: float
    symopt_form: str
    symopt_seconds: float
    symopt_cpu_seconds: float
    """CPU seconds of the process (all threads) during ``optimize``: less noisy under load."""
    symopt_wrong: bool = False
    """A different real number than the input somewhere the input is defined."""
    symopt_ieee: bool = False
    """Right over the reals, but its doubles disagree with the input's beyond rounding."""
    cost_sympy: float | None = None
    """SymPy ``cse(simplify(e))`` cost; None when SymPy timed out or failed."""
    cost_sympy_simplify: float | None = None
    sympy_form: str = ""
    sympy_seconds: float = 0.0
    sympy_status: str = "skipped"
    """``ok``, ``timeout``, ``error: …`` or ``skipped``."""
    sympy_wrong: bool = False
    sympy_ieee: bool = False
    sympy_domain: str = ""
    """Only where SymPy is cheaper than symopt: ``keeps``, ``unclear`` or ``changes: …``."""
    fpbench: bool = False
    notes: list[str] = field(default_factory=list)


def load_corpus(path: Path) -> list[Entry]:
    """The corpus entries of a TOML file (``[[expr]]`` tables)."""
    doc = tomllib.loads(path.read_text())
    out: list[Entry] = []
    seen: set[str] = set()
    for item in doc.get("expr", []):
        name = item["name"]
        if name in seen:
            raise ValueError(f"{path}: expression {name!r} is given twice")
        seen.add(name)
        out.append(
            Entry(
                name=name,
                expr=item["expr"],
                source=item["source"],
                assume=tuple(item.get("assume", ())),
                fpbench=bool(item.get("fpbench", False)),
            )
        )
    return out


def select(entries: Sequence[Entry], only: Sequence[str], limit: int | None, no_fp: bool) -> list:
    """Entries matching any ``only`` glob (all if none), without FPBench ones if asked."""
    chosen = [
        e
        for e in entries
        if (not only or any(fnmatch.fnmatch(e.name, g) for g in only)) and not (no_fp and e.fpbench)
    ]
    return chosen[:limit] if limit is not None else chosen


# ---- SymPy side (runs in a forked child) ---------------------------------------------------------


def _sympy_assumed(term: Term, assumptions: Sequence[Assumption], *, all_real: bool = False) -> Any:
    """``term`` in SymPy, with ``x > 0`` / ``x >= 0`` assumptions as symbol properties (and
    every other symbol ``real`` with ``all_real``)."""
    import sympy as sp

    from symopt.sympy_interop import to_sympy

    expr = to_sympy(term)
    props: dict[str, dict[str, bool]] = {}
    if all_real:
        props = {s.name: {} for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    for a in assumptions:
        if a.sym.index is None and a.relation == "Positive":
            props[a.sym.name] = {"positive": True}
        elif a.sym.index is None and a.relation == "Nonnegative":
            props.setdefault(a.sym.name, {"nonnegative": True})
    return expr.subs({sp.Symbol(n): sp.Symbol(n, real=True, **p) for n, p in props.items()})


def _from_cse(replacements: list[tuple[Any, Any]], reduced: Any) -> Term:
    """SymPy ``cse`` output as one term DAG (each replacement shared where it is used)."""
    from symopt.sympy_interop import from_sympy

    bound: dict[str, Term] = {}

    def inline(t: Term) -> Term | None:
        return bound.get(t.name) if isinstance(t, Sym) and t.index is None else None

    for sym, expr in replacements:
        bound[sym.name] = substitute(from_sympy(expr), inline)
    return intern([substitute(from_sympy(reduced), inline)])[0]


def _plain_symbols(expr: Any) -> Any:
    """``expr`` with assumption-carrying symbols replaced by plain ones (for conversion)."""
    import sympy as sp

    return expr.subs({s: sp.Symbol(s.name) for s in expr.free_symbols if isinstance(s, sp.Symbol)})


def sympy_side(
    term: Term,
    assumptions: Sequence[Assumption],
    table: CostTable,
    beat: float,
    all_real: bool = False,
) -> dict[str, Any]:
    """SymPy ``simplify`` then ``cse``: forms, costs, seconds; the domain verdict when the
    result costs less than ``beat`` (symopt's cost)."""
    import sympy as sp

    from symopt.sympy_interop import from_sympy

    expr = _sympy_assumed(term, assumptions, all_real=all_real)
    t0 = time.perf_counter()
    simplified = sp.simplify(expr)
    replacements, reduced = sp.cse(simplified, symbols=sp.numbered_symbols("cse_"))
    seconds = time.perf_counter() - t0
    simple_term = intern([from_sympy(_plain_symbols(simplified))])[0]
    cse_term = _from_cse(
        [(s, _plain_symbols(x)) for s, x in replacements], _plain_symbols(reduced[0])
    )
    best = min((simple_term, cse_term), key=lambda t: table.dag_cost([t]))
    out: dict[str, Any] = {
        "form": to_sym(best),
        "cost": table.dag_cost([best]),
        "cost_simplify": table.dag_cost([simple_term]),
        "seconds": seconds,
    }
    if out["cost"] < beat:
        out["domain"] = domain_verdict(term, best, assumptions)
    return out


def _child(conn: Any, args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", sympy_side(*args)))
    except Exception as exc:  # report any SymPy/conversion failure to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:200]))
    finally:
        conn.close()


def run_sympy(
    term: Term,
    assumptions: Sequence[Assumption],
    table: CostTable,
    beat: float,
    timeout: float,
    all_real: bool = False,
) -> tuple[str, dict[str, Any]]:
    """:func:`sympy_side` in a forked child, killed after ``timeout`` seconds."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, (term, assumptions, table, beat, all_real)))
    t0 = time.perf_counter()
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            proc.kill()
            return "timeout", {"seconds": time.perf_counter() - t0}
        status, payload = parent.recv()
    except EOFError:
        status, payload = "error", "child died"
    finally:
        proc.join(5)
        parent.close()
    if status == "error":
        return f"error: {payload}", {"seconds": time.perf_counter() - t0}
    return "ok", payload


# ---- domain of SymPy's form ----------------------------------------------------------------------


def conditions(term: Term) -> list[tuple[str, Term]]:
    """Where ``term`` is defined over the reals, as ``(kind, subterm)``: ``nonzero`` (a
    denominator), ``positive`` (log argument), ``nonnegative`` (sqrt argument, base of a
    non-integer power), ``unit`` (asin/acos argument in [-1, 1])."""
    out: list[tuple[str, Term]] = []
    for t in postorder([term]):
        if not isinstance(t, App):
            continue
        if t.op == "div":
            out.append(("nonzero", t.args[1]))
        elif t.op in ("log", "log2", "log10"):
            out.append(("positive", t.args[0]))
        elif t.op == "log1p":
            out.append(("positive", App("add", (Num(1.0), t.args[0]))))
        elif t.op == "sqrt":
            out.append(("nonnegative", t.args[0]))
        elif t.op in ("asin", "acos"):
            out.append(("unit", t.args[0]))
        elif t.op == "pow":
            exp = t.args[1]
            if isinstance(exp, Num) and exp.value.is_integer():
                if exp.value < 0:
                    out.append(("nonzero", t.args[0]))
            else:
                out.append(("nonnegative", t.args[0]))
    return out


def _condition_keys(term: Term, assumptions: Sequence[Assumption]) -> set[tuple[str, str]]:
    """Comparable keys of :func:`conditions`: a denominator by its irreducible factors (so
    ``x*(x + 1)`` and ``x^2 + x`` agree), the others by their normalised expression; a condition
    the assumptions already guarantee (SymPy proves it from the symbol properties) is left out."""
    import sympy as sp

    keys: set[tuple[str, str]] = set()
    for kind, sub in conditions(term):
        expr = sp.together(_sympy_assumed(sub, assumptions))
        if kind != "nonzero":
            implied = {"positive": expr.is_positive, "nonnegative": expr.is_nonnegative}
            if not implied.get(kind):
                keys.add((kind, sp.srepr(sp.expand(_plain_symbols(expr)))))
            continue
        num = sp.numer(expr).replace(sp.Abs, lambda a: a)  # |f| = 0 exactly where f = 0
        for factor, _mult in sp.factor_list(num)[1]:
            if not factor.is_nonzero:
                keys.add((kind, sp.srepr(_monic(_plain_symbols(factor)))))
    return keys


def _monic(factor: Any) -> Any:
    import sympy as sp

    try:
        poly = sp.Poly(factor, *sorted(factor.free_symbols, key=str))
        return sp.expand(factor / poly.LC())
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return sp.expand(factor)


_TARGETS = {"nonzero": (0.0,), "positive": (0.0, -1.0), "nonnegative": (-1.0,), "unit": (2.0,)}


def domain_verdict(inp: Term, out: Term, assumptions: Sequence[Assumption]) -> str:
    """``keeps``, ``unclear`` or ``changes: …`` (see the module docstring)."""
    try:
        if _condition_keys(inp, assumptions) == _condition_keys(out, assumptions):
            return "keeps"
    except Exception:  # factoring failed: fall back to the witness search
        pass
    witness = _witness(inp, out, sample_ranges(assumptions), _bounds(assumptions))
    return f"changes: {witness}" if witness else "unclear"


def _bounds(assumptions: Sequence[Assumption]) -> dict[str, tuple[float, float, bool, bool]]:
    """Per symbol key: the assumed interval ``(lower, upper, lower_open, upper_open)``."""
    out: dict[str, tuple[float, float, bool, bool]] = {}
    for a in assumptions:
        lo, hi, lo_open, hi_open = out.get(a.sym.key, (-math.inf, math.inf, True, True))
        if (a.lower, not a.lower_open) > (lo, not lo_open):
            lo, lo_open = a.lower, a.lower_open
        if (a.upper, a.upper_open) < (hi, hi_open):
            hi, hi_open = a.upper, a.upper_open
        out[a.sym.key] = (lo, hi, lo_open, hi_open)
    return out


def _allowed(value: float, bound: tuple[float, float, bool, bool] | None) -> bool:
    if bound is None:
        return True
    lo, hi, lo_open, hi_open = bound
    above = value > lo if lo_open else value >= lo
    below = value < hi if hi_open else value <= hi
    return above and below


def _witness(
    inp: Term,
    out: Term,
    ranges: dict[str, tuple[float, float]],
    bounds: dict[str, tuple[float, float, bool, bool]],
) -> str | None:
    """A point within the assumptions where exactly one of ``inp`` and ``out`` is defined
    (finite), if one is found on a domain boundary of either."""
    import sympy as sp

    from symopt.sympy_interop import to_sympy

    rng = np.random.default_rng(7)
    syms = symbols([inp, out])
    for kind, sub in conditions(inp) + conditions(out):
        expr = to_sympy(sub)
        for var in sorted(expr.free_symbols, key=str):
            for target in _TARGETS[kind]:
                for _ in range(3):
                    fixed = {s: _draw(rng, s.key, ranges) for s in syms if s.key != str(var)}
                    sub_expr = expr.subs({sp.Symbol(s.key): v for s, v in fixed.items()})
                    try:
                        roots = sp.solve(sub_expr - target, var)
                    except Exception:  # SymPy cannot solve it: try the next
                        continue
                    for root in roots:
                        found = _judge(inp, out, fixed, str(var), root, bounds)
                        if found:
                            return found
    return None


def _draw(rng: np.random.Generator, key: str, ranges: dict[str, tuple[float, float]]) -> float:
    lo, hi = ranges.get(key, (-3.0, 3.0))
    return float(rng.uniform(lo, hi))


def _judge(
    inp: Term,
    out: Term,
    fixed: dict[Sym, float],
    var: str,
    root: Any,
    bounds: dict[str, tuple[float, float, bool, bool]],
) -> str | None:
    try:
        value = complex(root)
    except TypeError:
        return None
    if value.imag != 0 or not math.isfinite(value.real):
        return None
    if not _allowed(value.real, bounds.get(var)):
        return None
    point = {**{s.key: v for s, v in fixed.items()}, var: value.real}
    env = {s: np.array([point[s.key]]) for s in symbols([inp, out])}
    with np.errstate(all="ignore"):
        a, b = (float(v[0]) for v in evaluate([inp, out], env))
    if math.isfinite(a) == math.isfinite(b):
        return None
    at = ", ".join(f"{k}={v:.6g}" for k, v in sorted(point.items()))
    return f"at {at}: input={a:.6g}, sympy={b:.6g}"


# ---- measuring -----------------------------------------------------------------------------------


def measure(
    entry: Entry,
    table: CostTable,
    limits: Limits,
    *,
    with_sympy: bool,
    timeout: float,
    sympy_real: bool = False,
) -> Row:
    """symopt and SymPy on one corpus expression."""
    term = intern([parse_expr(entry.expr, path=entry.name)])[0]
    assumptions = [parse_assumption(text) for text in entry.assume]
    ranges = sample_ranges(assumptions)
    t0, c0 = time.perf_counter(), time.process_time()
    res = optimize(
        [term],
        costs=table,
        limits=limits,
        assumptions=facts(assumptions, symbols([term])),
        sample_ranges=ranges,
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = Row(
        name=entry.name,
        expr=entry.expr,
        cost_input=table.dag_cost([term]),
        cost_symopt=res.cost_after,
        symopt_form=to_sym(res.outputs[0]),
        symopt_seconds=seconds,
        symopt_cpu_seconds=cpu,
        fpbench=entry.fpbench,
    )
    row.symopt_wrong, row.symopt_ieee = _wrong(term, res.outputs[0], ranges)
    if res.fallbacks:
        row.notes.append("symopt verification fell back to the input")
    if with_sympy:
        status, got = run_sympy(term, assumptions, table, res.cost_after, timeout, sympy_real)
        row.sympy_status, row.sympy_seconds = status, got["seconds"]
        if status == "ok":
            row.cost_sympy, row.cost_sympy_simplify = got["cost"], got["cost_simplify"]
            row.sympy_form = got["form"]
            sympy_term = intern([parse_expr(got["form"], path=f"sympy:{entry.name}")])[0]
            row.sympy_wrong, row.sympy_ieee = _wrong(term, sympy_term, ranges)
            row.sympy_domain = got.get("domain", "")
    return row


def _wrong(inp: Term, out: Term, ranges: dict[str, tuple[float, float]]) -> tuple[bool, bool]:
    """``(wrong, ieee)``. ``wrong``: at one of :data:`REAL_CHECK_POINTS` sample points where
    ``inp`` is defined over the reals, ``out`` is undefined or its real value (mpmath, no
    overflow or underflow: :mod:`symopt.rulesets.check_real`) differs from the input's by more
    than rounding (``1e-9`` times the larger error scale, as in verification: folded constants
    such as ``x/100 → x*0.01`` round). ``ieee``: not wrong, but the double values disagree beyond
    rounding (``symopt.verify.check_equivalent``, rescaled points included: an overflow or
    underflow the input does not have)."""
    if out == inp:
        return False, False
    env = sample_env(symbols([inp, out]), REAL_CHECK_POINTS, seed=CHECK_SEED, ranges=ranges)
    with np.errstate(all="ignore"):
        scale = np.fmax(*error_scale([inp, out], env))
    for i in range(REAL_CHECK_POINTS):
        if not math.isfinite(scale[i]):
            continue
        point = {s.key: float(v[i]) for s, v in env.items()}
        bits = 2 * working_bits([inp, out], point)
        try:
            a, b = real_value(inp, point, bits), real_value(out, point, bits)
        except OutOfScopeError:
            continue
        if a is not None and (b is None or abs(float(a - b)) > 1e-9 * scale[i] + 1e-300):
            return True, False
    with np.errstate(all="ignore"):
        found = check_equivalent([inp], [out], n=256, seed=CHECK_SEED, ranges=ranges)
    return False, bool(found)


# ---- report --------------------------------------------------------------------------------------


def _saving(before: float, after: float) -> float:
    return 1.0 - after / before if before else 0.0


def tool_summary(rows: Sequence[Row], cost: str, seconds: str) -> dict[str, Any]:
    """Cheaper/equal/costlier counts vs the input, median and total saving, seconds."""
    judged = [r for r in rows if getattr(r, cost) is not None]
    pairs = [(r.cost_input, float(getattr(r, cost))) for r in judged]
    savings = [_saving(b, a) for b, a in pairs]
    total_in = sum(b for b, _ in pairs)
    return {
        "n": len(judged),
        "cheaper": sum(a < b for b, a in pairs),
        "equal": sum(a == b for b, a in pairs),
        "costlier": sum(a > b for b, a in pairs),
        "median_saving": statistics.median(savings) if savings else 0.0,
        "total_saving": _saving(total_in, sum(a for _, a in pairs)),
        "seconds": sum(getattr(r, seconds) for r in rows),
    }


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    """The whole report as data (what ``--json`` prints)."""
    sympy_rows = [r for r in rows if r.sympy_status != "skipped"]
    beats = sympy_beats(rows)
    keeping = [r for r in beats if not r.sympy_domain.startswith("changes")]
    ok_keep = [r for r in sympy_rows if r.cost_sympy is not None and r.cost_sympy < r.cost_input]
    keep_cheaper = [
        r for r in ok_keep if not r.sympy_domain.startswith("changes") and not r.sympy_wrong
    ]
    return {
        "expressions": len(rows),
        "symopt": {**tool_summary(rows, "cost_symopt", "symopt_seconds")}
        | {
            "cpu_seconds": sum(r.symopt_cpu_seconds for r in rows),
            "wrong": sum(r.symopt_wrong for r in rows),
            "ieee_only": sum(r.symopt_ieee for r in rows),
        },
        "sympy": {**tool_summary(sympy_rows, "cost_sympy", "sympy_seconds")}
        | {
            "wrong": sum(r.sympy_wrong for r in sympy_rows),
            "ieee_only": sum(r.sympy_ieee for r in sympy_rows),
            "timeouts": sum(r.sympy_status == "timeout" for r in sympy_rows),
            "errors": sum(r.sympy_status.startswith("error") for r in sympy_rows),
        },
        "sympy_cheaper_than_symopt": len(beats),
        "sympy_cheaper_keeping_domain": len(keeping),
        "sympy_cheaper_than_input_keeping_domain": len(keep_cheaper),
        "symopt_at_least_as_cheap_where_sympy_keeps_domain_and_is_cheaper": (
            sum(r.cost_symopt <= (r.cost_sympy or 0) for r in keep_cheaper) / len(keep_cheaper)
            if keep_cheaper
            else 1.0
        ),
    }


def sympy_beats(rows: Sequence[Row]) -> list[Row]:
    """Rows where SymPy's (correct) form costs less than symopt's."""
    return [
        r
        for r in rows
        if r.cost_sympy is not None and r.cost_sympy < r.cost_symopt and not r.sympy_wrong
    ]


def render_text(rows: Sequence[Row], summ: dict[str, Any]) -> str:
    """Per-expression table, summary, and the list of expressions where SymPy is cheaper."""
    lines = [
        f"{'expression':30} {'input':>7} {'symopt':>7} {'sympy':>7} {'symopt s':>8} "
        f"{'sympy s':>8}  flags"
    ]
    for r in rows:
        sp_cost = f"{r.cost_sympy:7g}" if r.cost_sympy is not None else f"{'-':>7}"
        flags = [
            *(["symopt WRONG"] if r.symopt_wrong else []),
            *(["symopt ieee"] if r.symopt_ieee else []),
            *(["sympy WRONG"] if r.sympy_wrong else []),
            *(["sympy ieee"] if r.sympy_ieee else []),
            *([r.sympy_status] if r.sympy_status not in ("ok", "skipped") else []),
            *(["fpbench"] if r.fpbench else []),
        ]
        lines.append(
            f"{r.name[:30]:30} {r.cost_input:7g} {r.cost_symopt:7g} {sp_cost} "
            f"{r.symopt_seconds:8.3f} {r.sympy_seconds:8.3f}  {' '.join(flags)}".rstrip()
        )
    lines += ["", *render_summary(summ), "", *render_beats(rows), "", *render_small_savings(rows)]
    return "\n".join(lines) + "\n"


def render_summary(summ: dict[str, Any]) -> list[str]:
    out = [f"expressions: {summ['expressions']}"]
    for tool in ("symopt", "sympy"):
        s = summ[tool]
        if not s["n"]:
            continue
        extra = f", {s['timeouts']} timeouts, {s['errors']} errors" if tool == "sympy" else ""
        out.append(
            f"{tool:7}: cheaper {s['cheaper']}/{s['n']} ({s['cheaper'] / s['n']:.0%}), "
            f"equal {s['equal']}, costlier {s['costlier']}, wrong {s['wrong']} "
            f"(+{s['ieee_only']} right over the reals, off in doubles){extra}; "
            f"median saving {s['median_saving']:.1%}, total saving {s['total_saving']:.1%}; "
            f"{s['seconds']:.1f} s"
            + (f" ({s['cpu_seconds']:.1f} s CPU)" if "cpu_seconds" in s else "")
        )
    if summ["sympy"]["n"]:
        out.append(
            f"SymPy cheaper than symopt: {summ['sympy_cheaper_than_symopt']} "
            f"({summ['sympy_cheaper_keeping_domain']} keeping the domain or unclear); "
            f"where SymPy keeps the domain and beats the input "
            f"({summ['sympy_cheaper_than_input_keeping_domain']}), symopt is at least as cheap on "
            f"{summ['symopt_at_least_as_cheap_where_sympy_keeps_domain_and_is_cheaper']:.0%}"
        )
    return out


def render_small_savings(rows: Sequence[Row], threshold: float = 0.15) -> list[str]:
    """symopt's savings against ``threshold`` (issue 13's median target), and every expression
    it saves less on, one line each."""
    saving = {r.name: _saving(r.cost_input, r.cost_symopt) for r in rows}
    small = [r for r in rows if 0 < saving[r.name] < threshold]
    none = [r for r in rows if saving[r.name] <= 0]
    big = len(rows) - len(small) - len(none)
    out = [
        f"symopt saves >= {threshold:.0%} on {big}, less on {len(small)}, nothing on {len(none)} "
        f"(a median >= {threshold:.0%} needs {len(rows) // 2 + 1})"
    ]
    for title, group in ((f"saving below {threshold:.0%}", small), ("no saving", none)):
        out.append(f"{title} ({len(group)}):")
        out += [f"  {r.name} {r.cost_input:g} -> {r.cost_symopt:g}: {r.expr}" for r in group]
    return out


def render_beats(rows: Sequence[Row]) -> list[str]:
    beats = sympy_beats(rows)
    out = [f"Expressions where SymPy is cheaper than symopt ({len(beats)}):"]
    for r in beats:
        out += [
            f"- {r.name}: input {r.cost_input:g}, symopt {r.cost_symopt:g}, "
            f"sympy {r.cost_sympy:g}; domain: {r.sympy_domain}",
            f"    input : {r.expr}",
            f"    symopt: {r.symopt_form}",
            f"    sympy : {r.sympy_form}",
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--only", nargs="*", default=[], metavar="GLOB", help="expression names")
    ap.add_argument("--limit", type=int, default=None, help="at most N expressions")
    ap.add_argument("--exclude-fpbench", action="store_true", help="skip fpbench = true entries")
    ap.add_argument("--no-sympy", action="store_true", help="symopt only")
    ap.add_argument(
        "--sympy-real",
        action="store_true",
        help="declare every SymPy symbol real (default: complex)",
    )
    ap.add_argument("--timeout", type=float, default=30.0, help="SymPy seconds per expression")
    ap.add_argument("--time-limit", type=float, default=Limits().time, help="symopt's limit")
    ap.add_argument("--costs", default="throughput")
    ap.add_argument("--json", metavar="PATH|-", help="write the JSON report here")
    ap.add_argument("--report", type=Path, help="also write the text report to this file")
    ap.add_argument("--from-json", type=Path, help="print the text report of an earlier --json")
    args = ap.parse_args(argv)
    if args.from_json:
        doc = json.loads(args.from_json.read_text())
        earlier = [Row(**r) for r in doc["rows"]]
        print(render_text(earlier, summary(earlier)), end="")
        return 0
    entries = select(load_corpus(args.corpus), args.only, args.limit, args.exclude_fpbench)
    table = load_cost_table(args.costs)
    limits = Limits(time=args.time_limit)
    if not args.no_sympy:
        import sympy  # noqa: F401 - imported once here, before the children fork

    optimize([parse_expr("x*y + x*z")], costs=table, limits=limits)  # load the rules once
    rows: list[Row] = []
    for entry in entries:
        rows.append(
            measure(
                entry,
                table,
                limits,
                with_sympy=not args.no_sympy,
                timeout=args.timeout,
                sympy_real=args.sympy_real,
            )
        )
        print(f"  {entry.name}", file=sys.stderr, flush=True)
    summ = summary(rows)
    text = render_text(rows, summ)
    if args.json:
        doc = json.dumps({"summary": summ, "rows": [asdict(r) for r in rows]}, indent=2)
        if args.json == "-":
            print(doc)
        else:
            Path(args.json).write_text(doc + "\n")
    if args.json != "-":
        print(text, end="")
    if args.report:
        args.report.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
