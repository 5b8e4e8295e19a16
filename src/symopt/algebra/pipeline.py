"""The polynomial path for large inputs: polynomials → factorization e-graph → sharing-aware
choice → common sub-sums → common sub-products. Statements that are not polynomial (or whose
coefficients would overflow or underflow) are kept as they are; a statement whose like terms all
cancel becomes ``0``; atoms inside them still share with the rest
through hash-consing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from symopt.algebra.choose import build, choose
from symopt.algebra.factor_graph import FactorGraph
from symopt.algebra.polynomial import Atoms, to_polys
from symopt.algebra.sums import share_products, share_sums
from symopt.ir import Num, Term, intern
from symopt.limits import StopReason


@dataclass
class PolyReport:
    classes: int = 0
    enodes: int = 0
    budget_exhausted: bool = False
    timed_out: bool = False
    kept: list[int] = field(default_factory=list)  # statements left as written
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def stop(self) -> StopReason:
        """Why the polynomial path stopped where it did (for reports)."""
        if self.timed_out:
            return StopReason.TIME_LIMIT
        if self.budget_exhausted:
            return StopReason.NODE_LIMIT
        return StopReason.SATURATED


def optimize_polynomials(
    terms: Sequence[Term],
    *,
    alternatives: int = 2,
    budget: int = 200_000,
    deadline: float = float("inf"),
) -> tuple[list[Term], PolyReport]:
    """Cheaper equivalent terms (over the reals) for polynomial statements.

    ``budget`` bounds the e-nodes that get alternatives; past ``deadline`` (a ``perf_counter``
    time) every phase takes its cheap way out (statements not yet converted are kept as
    written, classes get one Horner variant, one choice round, sub-sum and sub-product pairing
    stop where they are) and ``report.timed_out`` is set; the result is still complete and
    correct. Each phase is linear in time and memory in the size of the input (up to
    logarithmic factors of the factorization depth)."""
    report = PolyReport()
    t0 = time.perf_counter()
    atoms = Atoms()
    polys = to_polys(terms, atoms, deadline=deadline)
    t1 = time.perf_counter()
    graph = FactorGraph(alternatives=alternatives, budget=budget, deadline=deadline)
    roots: list[tuple[float, int] | None] = []
    for poly in polys:
        roots.append(graph.add(poly) if poly else None)  # None: kept as written, or zero
    t2 = time.perf_counter()
    chosen = [r for r in roots if r is not None]
    late = time.perf_counter() > deadline
    choice = choose(graph, [c for _, c in chosen], rounds=1 if late else 4)
    built = iter(build(graph, choice, chosen, atoms.terms))
    t3 = time.perf_counter()
    outputs: list[Term] = []
    for i, (term, root) in enumerate(zip(terms, roots, strict=True)):
        if polys[i] == {}:
            outputs.append(Num(0.0))  # every monomial cancelled exactly (over the reals)
        elif root is None:
            report.kept.append(i)
            outputs.append(term)
        else:
            outputs.append(next(built))
    late = late or time.perf_counter() > deadline
    if not chosen:
        shared = outputs  # every statement kept as written (or 0): already hash-consed
    else:
        shared = intern(outputs) if late else share_sums(intern(outputs), deadline=deadline)
    t4 = time.perf_counter()
    late = late or time.perf_counter() > deadline
    shared = shared if late else share_products(shared, deadline=deadline)
    t5 = time.perf_counter()
    report.timed_out = late or t5 > deadline
    report.classes = len(graph.classes)
    report.enodes = graph.enodes
    report.budget_exhausted = graph.enodes >= budget
    report.seconds = {
        "polynomials": t1 - t0,
        "factor": t2 - t1,
        "choose": t3 - t2,
        "sums": t4 - t3,
        "products": t5 - t4,
    }
    return shared, report
