"""The pure core of ``symopt lint``: a parsed file in, findings out (no I/O).

Every candidate of a file is optimised in one :func:`symopt.optimize` call, as ``symopt compile``
does for a model (past 300 nodes that is the polynomial path, then bounded e-graphs region by
region; 250 small e-graphs of a 2,000-line module took 6x longer), and each output is compared
with its own input, so savings are attributed per expression or statement.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from symopt.costs.table import CostTable
from symopt.egraph.runner import Limits
from symopt.gcpause import paused_gc
from symopt.ir import App, Num, Term, intern, postorder, symbols
from symopt.lint.findings import Finding
from symopt.lint.noqa import suppressed
from symopt.lint.parsed import Candidate, ParsedFile, Unit
from symopt.rulesets.rule import Ruleset

MESSAGE_WIDTH = 60
"""A suggestion longer than this is shortened in the message (``--show-fixes`` prints it whole)."""


@dataclass(frozen=True)
class Settings:
    """What to report: enabled codes and thresholds."""

    enabled: frozenset[str]
    min_ops: int = 2
    min_saving: float = 10.0
    max_cost: float | None = None
    max_model_cost: float | None = None


@dataclass(frozen=True)
class Engine:
    """How to optimise: the resolved ruleset (already cut to the tier), costs and limits."""

    ruleset: Ruleset
    costs: CostTable
    limits: Limits
    verify: bool = True
    algebra: bool = True
    """Whether rewrites of the algebra tier are allowed (they are unless ``--tier exact``)."""


@dataclass
class _Optimised:
    before: float
    after: float
    output: Term


def analyze(file: ParsedFile, settings: Settings, engine: Engine) -> list[Finding]:
    """Findings of ``file``, sorted by position, ``# symopt: noqa`` comments applied."""
    with paused_gc():  # builds and reads 10^5..10^6 acyclic nodes for a large model
        return _analyze(file, settings, engine)


def _analyze(file: ParsedFile, settings: Settings, engine: Engine) -> list[Finding]:
    cands = [c for u in file.units for c in u.candidates]
    optimised = _optimise(file, cands, engine) if _wants_optimiser(settings) else {}
    findings: list[Finding] = []
    big = [c for c in cands if _ops(c.term) >= settings.min_ops]
    findings.extend(_patterns(file, big, settings, engine))
    for cand in big:
        best = optimised.get(id(cand))
        if "SYM001" in settings.enabled and best is not None:
            findings.extend(_cheaper(file, cand, best, settings))
    if "SYM002" in settings.enabled and settings.max_cost is not None:
        for cand in cands:
            best = optimised.get(id(cand))
            findings.extend(_over_budget(file, cand, best, settings.max_cost, engine.costs))
    for unit in file.units:
        if "SYM003" in settings.enabled:
            findings.extend(_repeated(file, unit, settings, engine.costs))
        if "SYM002" in settings.enabled and settings.max_model_cost is not None:
            findings.extend(_unit_over_budget(file, unit, optimised, settings, engine.costs))
    lines = file.text.splitlines()
    kept = [f for f in findings if f.code in settings.enabled and not suppressed(f, lines)]
    return sorted(kept, key=lambda f: f.sort_key)


def _wants_optimiser(settings: Settings) -> bool:
    return "SYM001" in settings.enabled or (
        "SYM002" in settings.enabled
        and (settings.max_cost is not None or settings.max_model_cost is not None)
    )


# -- costs -------------------------------------------------------------------------------------


def _ops(term: Term) -> int:
    """Operations as written (every occurrence counts)."""
    count = 0
    stack = [term]
    while stack:
        t = stack.pop()
        if isinstance(t, App):
            count += 1
            stack.extend(t.args)
    return count


def tree_cost(term: Term, table: CostTable) -> float:
    """Cycles to evaluate ``term`` computing every occurrence of a subterm (as Python does)."""
    cost: dict[int, float] = {}
    for t in postorder([term]):
        own = table.op(t.op) if isinstance(t, App) else 0.0
        cost[id(t)] = own + sum(cost[id(a)] for a in t.children())
    return cost[id(term)]


def cost_of(file: ParsedFile, term: Term, table: CostTable, interned: bool = False) -> float:
    """What ``term`` costs in ``file``'s language (see :attr:`ParsedFile.tree_costs`);
    ``interned``: ``term`` is already hash-consed (no second pass needed)."""
    if file.tree_costs:
        return tree_cost(term, table)
    return table.dag_cost([term] if interned else intern([term]))


# -- optimisation ------------------------------------------------------------------------------


def _optimise(file: ParsedFile, cands: list[Candidate], engine: Engine) -> dict[int, _Optimised]:
    """Optimised form and costs per candidate (keyed by ``id``); candidates whose output failed
    verification are left out."""
    from symopt.optimize import optimize
    from symopt.rulesets.assume import facts

    out: dict[int, _Optimised] = {}
    for batch in _batches(cands):
        terms = [c.term for c in batch]
        result = optimize(
            terms,
            ruleset=engine.ruleset,
            costs=engine.costs,
            limits=engine.limits,
            verify=engine.verify,
            sample_ranges=file.ranges or None,
            assumptions=facts(file.assumptions, symbols(intern(terms))) if file.assumptions else (),
            tree_output=True,
        )
        failed = {fb.index for fb in result.fallbacks}
        for i, cand in enumerate(batch):
            if i in failed:
                continue
            before = cost_of(file, result.inputs[i], engine.costs, interned=True)
            after = cost_of(file, result.outputs[i], engine.costs, interned=True)
            out[id(cand)] = _Optimised(before, after, result.outputs[i])
    return out


def _batches(cands: list[Candidate]) -> Iterator[list[Candidate]]:
    """The candidates of a file as one batch (a list of them when a file grows past what one
    optimisation should hold; not needed so far)."""
    if cands:
        yield cands


# -- SYM001 ------------------------------------------------------------------------------------


def _percent(before: float, after: float) -> float:
    return 100.0 * (before - after) / before if before > 0 else 0.0


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"


def _cheaper(
    file: ParsedFile, cand: Candidate, best: _Optimised, settings: Settings
) -> Iterator[Finding]:
    if best.after >= best.before or _percent(best.before, best.after) < settings.min_saving:
        return
    printed = file.printer(best.output, cand)
    if printed is None:
        return
    text, fixable = printed
    pct = _percent(best.before, best.after)
    shown = text.removeprefix("(").removesuffix(")") if cand.wrap else text
    yield Finding(
        "SYM001",
        f"{pct:.0f}% cheaper ({best.before:g} -> {best.after:g} cycles): {_short(shown)}",
        file.path,
        cand.loc,
        best.before,
        best.after,
        text,
        fixable=fixable,
    )


# -- SYM002 ------------------------------------------------------------------------------------


def _over_budget(
    file: ParsedFile, cand: Candidate, best: _Optimised | None, budget: float, table: CostTable
) -> Iterator[Finding]:
    cost = best.before if best is not None else cost_of(file, cand.term, table)
    if cost <= budget:
        return
    after = best.after if best is not None and best.after < cost else None
    hint = f"; an equivalent form costs {after:g}" if after is not None else ""
    yield Finding(
        "SYM002",
        f"costs {cost:g} cycles, over the budget of {budget:g}{hint}",
        file.path,
        cand.loc,
        cost,
        after,
    )


def _unit_over_budget(
    file: ParsedFile,
    unit: Unit,
    optimised: dict[int, _Optimised],
    settings: Settings,
    table: CostTable,
) -> Iterator[Finding]:
    """A model's function (as ``symopt compile`` emits it: optimised) or a Python function (as
    written) over ``--max-model-cost``; expression files have no function."""
    budget = settings.max_model_cost
    if budget is None or file.kind == "expressions" or not unit.candidates:
        return
    if file.kind == "model":
        outs = [optimised[id(c)].output if id(c) in optimised else c.term for c in unit.candidates]
        cost = table.dag_cost(intern(outs))
        what = "the model's optimised function"
    else:
        cost = sum(cost_of(file, c.term, table) for c in unit.candidates)
        what = f"function {unit.name}"
    if cost > budget:
        yield Finding(
            "SYM002",
            f"{what} costs {cost:g} cycles, over the budget of {budget:g}",
            file.path,
            unit.loc,
            cost,
        )


# -- SYM003 ------------------------------------------------------------------------------------


def _repeated(
    file: ParsedFile, unit: Unit, settings: Settings, table: CostTable
) -> Iterator[Finding]:
    """Subexpressions written more than once in ``unit`` (outermost repetitions only), where
    computing them once saves at least ``min_saving`` % of the unit's cost."""
    roots = [c.term for c in unit.candidates]
    canon, ops, tree, counts = _canonical(roots, table)
    if not counts or max(counts.values()) < 2:
        return
    groups: dict[int, list[Term]] = {}
    stack = list(reversed(roots))
    while stack:
        t = stack.pop()
        if not isinstance(t, App):
            continue
        c = id(canon[id(t)])
        if counts[c] >= 2 and ops[c] >= settings.min_ops:
            groups.setdefault(c, []).append(t)
            continue
        stack.extend(reversed(t.args))
    if file.tree_costs:
        total = sum(tree[id(canon[id(r)])] for r in roots)
    else:
        total = sum(table.op(t.op) for t in shared_reps(canon) if isinstance(t, App))
    flavor = "numpy" if any(c.flavor == "numpy" for c in unit.candidates) else "math"
    for occurrences in groups.values():
        if len(occurrences) < 2:
            continue
        term = canon[id(occurrences[0])]
        each = tree[id(term)] if file.tree_costs else _shared_cost([term], canon, table)
        saving = (len(occurrences) - 1) * each
        if total <= 0 or 100.0 * saving / total < settings.min_saving:
            continue
        locs = [loc for o in occurrences if (loc := file.where(o)) is not None]
        if len(locs) < 2:
            continue
        text = file.printer(term, Candidate(term, locs[0], flavor=flavor))
        shown = _short(text[0]) if text else "this subexpression"
        others = ", ".join(f"{loc.line}:{loc.column}" for loc in locs[1:])
        once = (
            "symopt compile computes it once; a `let` would name it"
            if file.kind == "model"
            else f"computing it once saves {saving:g} cycles"
        )
        yield Finding(
            "SYM003",
            f"{shown} is computed {len(occurrences)} times (also at {others}); {once}",
            file.path,
            locs[0],
            total,
            total - saving,
            related=tuple(locs[1:]),
        )


def _canonical(
    roots: Sequence[Term], table: CostTable
) -> tuple[dict[int, Term], dict[int, int], dict[int, float], Counter[int]]:
    """For every node of ``roots`` (by ``id``) the first node structurally equal to it (its
    representative), and per representative its operations, tree cost and number of
    occurrences (the roots are trees as parsed: every occurrence its own node). One linear
    pass, keyed by operator and the children's representatives (no deep comparisons)."""
    shared: dict[object, Term] = {}
    canon: dict[int, Term] = {}
    ops: dict[int, int] = {}
    tree: dict[int, float] = {}
    counts: Counter[int] = Counter()
    cycles = table.cycles
    stack: list[tuple[Term, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        t, ready = stack.pop()
        if not isinstance(t, App):
            canon[id(t)] = shared.setdefault(t, t)
            continue
        if not ready:
            stack.append((t, True))
            stack.extend((a, False) for a in t.args)
            continue
        kids = tuple(id(canon[id(a)]) for a in t.args)
        rep = shared.setdefault((t.op, kids), t)
        counts[id(rep)] += 1
        if rep is t:
            ops[id(t)] = 1 + sum(ops.get(k, 0) for k in kids)
            tree[id(t)] = cycles[t.op] + sum(tree.get(k, 0.0) for k in kids)
        canon[id(t)] = rep
    return canon, ops, tree, counts


def shared_reps(canon: dict[int, Term]) -> list[Term]:
    """The distinct representatives of a :func:`_canonical` mapping."""
    return list({id(t): t for t in canon.values()}.values())


def _shared_cost(terms: Sequence[Term], canon: dict[int, Term], table: CostTable) -> float:
    """DAG cost of ``terms`` with structurally equal subterms counted once (via ``canon``)."""
    seen: set[int] = set()
    total = 0.0
    for t in _occurrences(terms):
        rep = id(canon[id(t)])
        if isinstance(t, App) and rep not in seen:
            seen.add(rep)
            total += table.op(t.op)
    return total


def _occurrences(roots: Sequence[Term]) -> Iterator[Term]:
    """Every node of the trees (each occurrence, unlike :func:`postorder` on shared DAGs)."""
    stack = list(roots)
    while stack:
        t = stack.pop()
        yield t
        stack.extend(t.children())


# -- SYM004 / SYM005 / SYM006 ----------------------------------------------------------------


def _patterns(
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
    if after >= before or _percent(before, after) < settings.min_saving:
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
        f"{_PATTERN_MESSAGES[code]} ({before:g} -> {after:g} cycles): {_short(text)}",
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
