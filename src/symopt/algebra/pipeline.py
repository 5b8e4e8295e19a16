"""The polynomial phases for large inputs: polynomials → factorings (Horner alternatives) →
sharing-aware choice → common sub-sums → common sub-products. Statements that are not
polynomial (or whose coefficients would overflow or underflow) are kept as they are; a statement
whose like terms all cancel becomes ``0``; atoms inside them still share with the rest through
hash-consing.

Each phase reports itself (:class:`~symopt.limits.PhaseReport`) and checks the budget (deadline
and memory) at its boundaries and every :data:`CHECK_EVERY` statements. Its fallback when the
budget is spent: ``polynomials`` and ``factor`` keep the remaining statements as written,
(and a statement already started is finished as flat sums, without Horner steps), ``choose``
keeps its first (linear) round, or keeps every statement as written when the budget was spent
before it began, ``sums`` and ``products`` stop pairing (what was paired is kept) or are
skipped. The result is
always complete and correct."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from symopt.algebra.choose import OpCosts, build, choose
from symopt.algebra.factorings import Factorings
from symopt.algebra.polynomial import Atoms, Poly, to_polys
from symopt.algebra.sums import share_products, share_sums
from symopt.ir import App, Num, Term, intern, reintern
from symopt.limits import Budget, Cut, PhaseReport, StopReason, worst
from symopt.phases import PhaseLog, Step, measure

if TYPE_CHECKING:
    from symopt.costs.table import CostTable

CHECK_EVERY = 64
"""Statements between two budget checks inside the ``polynomials`` and ``factor`` phases."""

COLLECT_MIN_TERMS = 1_000
"""A statement written as a sum of at least this many terms (a huge sum) is also built at once
as its flat sum with like terms collected (phase ``collect``): linear, and what the statement
becomes if the deadline cuts the phases after it."""

CHOICE_ROUNDS = 4
"""Refinement rounds of the sharing-aware choice (one past the budget)."""


@dataclass
class PolyReport:
    """The polynomial phases' reports, the statements kept as written and the factorings'
    size (polynomial classes and the ways offered to compute them)."""

    phases: list[PhaseReport] = field(default_factory=list)
    classes: int = 0
    kept: list[int] = field(default_factory=list)

    @property
    def stop(self) -> StopReason:
        """The most limiting stop of the phases."""
        return worst([p.stop for p in self.phases])

    @property
    def timed_out(self) -> bool:
        return any(p.stop is StopReason.TIME_LIMIT for p in self.phases)


def optimize_polynomials(
    terms: Sequence[Term],
    *,
    alternatives: int = 2,
    max_ways: int = 200_000,
    deadline: float = float("inf"),
    memory: int | None = None,
    costs: CostTable | None = None,
) -> tuple[list[Term], PolyReport]:
    """Cheaper equivalent terms (over the reals) for polynomial statements, chosen with the
    adds and multiplies of ``costs`` (``None``: one cycle each).

    ``max_ways`` bounds the ways that get Horner alternatives; ``deadline`` (a ``perf_counter``
    time) and ``memory`` (resident bytes) bound every phase (see the module's docstring)."""
    budget = Budget(deadline, memory)
    log = PhaseLog(budget, costs)
    report = PolyReport()
    terms = terms if isinstance(terms, list) else list(terms)  # an Interned list stays one
    polys, atoms = _polynomials(terms, budget, report)
    collected = _collect(terms, polys, atoms, budget, report, costs)
    cut = budget.cut()  # the factor phase's: asked by the factorings and between statements
    graph = Factorings(alternatives=alternatives, max_ways=max_ways, stop=cut)
    roots = _factor(polys, graph, cut, report)
    outputs = _choose(terms, polys, roots, graph, atoms, budget, report, costs, collected)
    size, cost = log.measure(outputs)
    report.phases[-1].size_out, report.phases[-1].cost_out = size, cost
    shared = log.run("sums", outputs, _step(share_sums, budget))
    shared = log.run("products", shared, _step(share_products, budget))
    report.phases += log.reports
    report.classes = len(graph.classes)
    return shared, report


def _polynomials(
    terms: list[Term], budget: Budget, report: PolyReport
) -> tuple[list[Poly | None], Atoms]:
    """Each statement as a polynomial (``None``: kept as written) over the atoms."""
    t0 = time.perf_counter()
    atoms = Atoms()
    cut = budget.cut()
    polys: list[Poly | None] = [None] * len(terms)
    if not cut():  # the walk's set-up (a pass over every node) is not cut
        polys = to_polys(terms, atoms, stop=cut)
    cut()
    stop = cut.stop
    report.phases.append(
        PhaseReport("polynomials", time.perf_counter() - t0, stop=stop, detail=_kept(polys, stop))
    )
    return polys, atoms


def _collect(
    terms: list[Term],
    polys: list[Poly | None],
    atoms: Atoms,
    budget: Budget,
    report: PolyReport,
    costs: CostTable | None,
) -> dict[int, Term]:
    """Phase ``collect`` (only when some statement is a huge sum, :data:`COLLECT_MIN_TERMS`):
    each such statement built as the flat sum of its polynomial (like terms collected, equal
    coefficients grouped: the factorings' flat ways), kept where cheaper than as written. What
    a later phase cut by the budget falls back to. Past the budget it is skipped."""
    huge = [i for i, p in enumerate(polys) if p and _is_huge_sum(terms[i])]
    if not huge:
        return {}
    t0 = time.perf_counter()
    out: dict[int, Term] = {}
    unlike = 0
    cut = budget.cut()
    if not cut():
        flat = Factorings(alternatives=1, max_ways=0)
        flat.flat = True  # flat sums only: linear in the polynomial's size
        ops = OpCosts.of(costs)
        choice: dict[int, int] = {}  # every class's first (flat) way
        for i in huge:
            poly = polys[i]
            assert poly is not None
            if _summands(terms[i], len(poly)) <= len(poly):
                unlike += 1  # no two terms alike (a mass-action sum): nothing to collect
                continue
            before = _cost([terms[i]], costs)
            if _flat_cost(poly, ops) < before:  # else nothing to collect: not built
                sign, cid = flat.add(poly)
                choice.update(dict.fromkeys(range(len(choice), len(flat.classes)), 0))
                term = intern(build(flat, choice, [(sign, cid)], atoms.terms))[0]
                if _cost([term], costs) < before:
                    out[i] = term
            if cut():
                break
    stop = cut.stop
    detail: dict[str, Any] = {"statements": len(huge), "collected": len(out)}
    if unlike:
        detail["no like terms"] = unlike
    if stop.cut:
        detail["fallback"] = f"{len(huge) - len(out)} huge sums not collected"
    report.phases.append(PhaseReport("collect", time.perf_counter() - t0, stop=stop, detail=detail))
    return out


def _is_huge_sum(term: Term) -> bool:
    """``term`` is written as a sum of at least :data:`COLLECT_MIN_TERMS` terms; looks at no
    more nodes than that."""
    most = COLLECT_MIN_TERMS - 1
    return _summands(term, most, max_sums=2 * COLLECT_MIN_TERMS) > most


def _summands(term: Term, most: int, max_sums: int | None = None) -> int:
    """The terms of the sum ``term`` is written as (additions, subtractions and negations at
    the top), counted until more than ``most`` are found or ``max_sums`` sum nodes were
    opened (the ones still unopened then count as terms): linear in that, not in the size of
    the terms (nor exponential in a sum of shared sums)."""
    stack = [term]
    summands = 0
    sums = 0
    while stack and summands <= most and (max_sums is None or sums < max_sums):
        node = stack.pop()
        if isinstance(node, App) and node.op in ("add", "sub", "neg"):
            sums += 1
            stack.extend(node.args)
        else:
            summands += 1
    return summands + len(stack)


def _flat_cost(poly: Poly, ops: OpCosts) -> float:
    """Cost of ``poly`` written as a flat sum of monomials (an upper bound of what
    :func:`_collect` builds: it also groups equal coefficients)."""
    muls = sum(sum(e for _, e in mono) - 1 + (abs(c) != 1.0) for mono, c in poly.items())
    return (len(poly) - 1) * ops.add + max(0, muls) * ops.mul


def _cost(terms: list[Term], costs: CostTable | None) -> float:
    size, cost = measure(terms, costs)
    return float(size) if cost is None else cost


def _factor(
    polys: list[Poly | None], graph: Factorings, cut: Cut, report: PolyReport
) -> list[tuple[float, int] | None]:
    """The class of each polynomial (``None``: kept as written, or zero). ``cut`` is the one
    ``graph`` asks: once it fires there, the classes go on as flat sums until the next
    check between statements, from which on the statements are kept as written."""
    t0 = time.perf_counter()
    roots: list[tuple[float, int] | None] = []
    stopped = False
    for i, poly in enumerate(polys):
        if not stopped and i % CHECK_EVERY == 0:
            stopped = cut()
        if stopped and poly:
            polys[i] = None  # the fallback: kept as written
            poly = None
        roots.append(graph.add(poly) if poly else None)
    stop = cut.stop
    detail: dict[str, Any] = {"classes": len(graph.classes), "ways": graph.ways}
    detail.update(_kept(polys, stop))
    if graph.flat:
        kept = detail.get("fallback", "")
        detail["fallback"] = "flat sums from there on" + (f"; {kept}" if kept else "")
    report.phases.append(PhaseReport("factor", time.perf_counter() - t0, stop=stop, detail=detail))
    return roots


def _kept(polys: list[Poly | None], stop: StopReason) -> dict[str, object]:
    if not stop.cut:
        return {}
    return {"fallback": f"{sum(p is None for p in polys)} statements kept as written"}


def _choose(
    terms: list[Term],
    polys: list[Poly | None],
    roots: list[tuple[float, int] | None],
    graph: Factorings,
    atoms: Atoms,
    budget: Budget,
    report: PolyReport,
    costs: CostTable | None,
    collected: dict[int, Term],
) -> list[Term]:
    """One way per class (fewer refinement rounds once the budget runs out), built as terms;
    with the budget already spent, every statement is kept as written (nothing chosen yet is
    worth building past the deadline), or as ``collected`` (its flat sum, already built)."""
    t0 = time.perf_counter()
    cut = budget.cut()
    if cut() and any(r is not None for r in roots):
        roots = [None] * len(roots)
        polys[:] = [None if p else p for p in polys]
        detail: dict[str, Any] = {"fallback": "every statement kept as written"}
    else:
        detail = {"fallback": "fewer refinement rounds"}
    chosen = [r for r in roots if r is not None]
    choice = choose(
        graph,
        [c for _, c in chosen],
        rounds=1 if cut.reason else CHOICE_ROUNDS,
        costs=OpCosts.of(costs),
        stop=cut,
    )
    built = iter(build(graph, choice, chosen, atoms.terms))
    outputs: list[Term] = []
    used = 0
    for i, (term, root) in enumerate(zip(terms, roots, strict=True)):
        if polys[i] == {}:
            outputs.append(Num(0.0))  # every monomial cancelled exactly (over the reals)
        elif root is None and i in collected:  # not chosen (cut by the budget): collected
            outputs.append(collected[i])
            used += 1
        elif root is None:
            report.kept.append(i)
            outputs.append(term)
        else:
            outputs.append(next(built))
    if cut.reason is None:
        detail = {}
    elif used:
        detail["fallback"] = f"{used} huge sums collected; {detail['fallback']}"
    stop = cut.stop
    report.phases.append(PhaseReport("choose", time.perf_counter() - t0, stop=stop, detail=detail))
    return reintern(outputs, terms)  # every statement kept as written: no walk


def _step(share: Callable[..., list[Term]], budget: Budget) -> Step:
    """A phase body running ``share`` (``share_sums`` or ``share_products``) until the budget
    is spent (clock and memory at every check); cut, it keeps what it
    shared so far and says why."""

    def run(terms: list[Term], detail: dict[str, Any]) -> tuple[list[Term], StopReason]:
        cut = budget.cut()  # asked every 1024th pairing step
        out = intern(share(terms, stop=cut))
        if cut.reason is not None:
            detail["fallback"] = "pairing stopped; what was paired is kept"
        cut()  # past the budget only after the last pairing step: said, nothing to fall back
        return out, cut.stop

    return run
