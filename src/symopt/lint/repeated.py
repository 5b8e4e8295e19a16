"""SYM003: a subexpression written more than once in a function, model or line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from symopt.costs.table import CostTable
from symopt.ir import App, Term
from symopt.lint.findings import Finding
from symopt.lint.measure import short
from symopt.lint.parsed import Candidate, ParsedFile, Unit
from symopt.lint.settings import Settings


def repeated(
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
        total = sum(table.op(t.op) for t in _shared_reps(canon) if isinstance(t, App))
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
        shown = short(text[0]) if text else "this subexpression"
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


def _shared_reps(canon: dict[int, Term]) -> list[Term]:
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
