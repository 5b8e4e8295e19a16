"""The pure core: terms in, cheaper equivalent terms out, with the evidence (no I/O here)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from symopt.constfold import fold_constants
from symopt.costs.table import CostTable, load_cost_table
from symopt.egraph.runner import Runner, RunReport
from symopt.ir import Term, intern, postorder, tree_sizes
from symopt.limits import SEVERITY, Limits, StopReason
from symopt.rulesets.loader import load_ruleset
from symopt.rulesets.rule import Ruleset


@dataclass(frozen=True)
class Fallback:
    """An output that failed numerical verification and was replaced by its input."""

    index: int
    point: dict[str, float]
    expected: float
    got: float
    reason: str = "disagrees"
    """``disagrees``, or ``unverifiable`` (the input is finite at no sample point)."""


@dataclass
class Optimized:
    """What :func:`optimize` found: outputs (same order as inputs) and how it got there."""

    inputs: list[Term]
    outputs: list[Term]
    cost_before: float
    cost_after: float
    report: RunReport
    verified: bool
    fallbacks: list[Fallback] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def resolve_ruleset(ruleset: Ruleset | str, tier: str | None) -> Ruleset:
    rs = load_ruleset(ruleset) if isinstance(ruleset, str) else ruleset
    return rs.up_to(tier) if tier else rs


def resolve_costs(costs: CostTable | str) -> CostTable:
    return load_cost_table(costs) if isinstance(costs, str) else costs


def optimize(
    terms: Sequence[Term],
    *,
    ruleset: Ruleset | str = "default",
    costs: CostTable | str = "throughput",
    tier: str | None = None,
    limits: Limits | None = None,
    verify: bool = True,
    sample_ranges: Mapping[str, tuple[float, float]] | None = None,
    seed: int = 0,
    assumptions: Sequence[tuple[Term, str]] = (),
    polynomial: bool | None = None,
    tree_output: bool = False,
) -> Optimized:
    """Optimise ``terms`` together (shared subterms are computed once) and return the result.

    The outputs are never costlier than the inputs; with ``verify`` each output is evaluated
    against its input at seeded random points and replaced by the input if they disagree.
    ``assumptions`` are user facts ``(term, relation)``, e.g. ``(Sym("x"), "Positive")``.
    ``polynomial`` forces the polynomial path on or off; by default it is used for inputs of more
    than :data:`POLYNOMIAL_THRESHOLD` distinct nodes when the ruleset has the algebraic laws.
    ``tree_output``: the outputs will be written without temporaries (``sym``), so each is kept
    at most :data:`TREE_GROWTH` times (plus :data:`TREE_SLACK`) its input's size written out as
    a tree (a result cheap as a DAG but exponentially large as a tree gives way to the cheapest
    one that fits, or to the input).
    """
    table = resolve_costs(costs)
    rules = resolve_ruleset(ruleset, tier)
    limits = limits or Limits()
    inputs = intern(list(terms))
    max_tree = [TREE_GROWTH * n + TREE_SLACK for n in tree_sizes(inputs)] if tree_output else None
    engine = _Engine(rules, table, assumptions)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    before = table.dag_cost(inputs)
    folded = intern(fold_constants(inputs))
    staged = folded
    if polynomial is None:
        polynomial = _distinct(inputs) > POLYNOMIAL_THRESHOLD and polynomial_allowed(rules)
    staged_cost = before
    try:
        poly_report = None
        if polynomial:
            from symopt.algebra.pipeline import optimize_polynomials

            staged, poly_report = optimize_polynomials(
                folded, budget=limits.nodes, deadline=t0 + limits.time
            )
            timings.update({f"poly-{k}": v for k, v in poly_report.seconds.items()})
        t1 = time.perf_counter()
        staged_cost = table.dag_cost(staged) if polynomial else before
        if poly_report is None:
            outputs, report = engine.saturate(staged, limits, timings, max_tree)
        elif _distinct(staged) <= EGRAPH_MAX_NODES:
            remaining = max(0.0, limits.time - (t1 - t0))
            cap = max(POLISH_SECONDS, 0.1 * limits.time)
            polish = replace(limits, nodes=min(limits.nodes, 50_000), time=min(remaining, cap))
            outputs, report = engine.saturate(staged, polish, timings, max_tree)
        else:
            base = staged if staged_cost <= before else folded
            outputs, stops = _polish_regions(
                base, engine, limits, timings, deadline=t0 + limits.time
            )
            stop = max([poly_report.stop, *stops], key=SEVERITY.index)
            report = RunReport(stop=stop, enodes=poly_report.enodes, seconds=t1 - t0)
    except MemoryError:
        # A phase ran out of memory: keep the best result found before it (the polynomial
        # path's, or the input) and say so.
        outputs = list(staged)
        report = RunReport(stop=StopReason.OUT_OF_MEMORY, seconds=time.perf_counter() - t0)
    t2 = time.perf_counter()
    if polynomial and staged_cost < table.dag_cost(outputs):
        outputs = list(staged)
    if table.dag_cost(outputs) > before:
        outputs = list(inputs)
    elif polynomial:
        from symopt.algebra.sums import absorb_negations, split_chains

        # Same additions without root negations, and shorter dependency chains.
        outputs = split_chains(absorb_negations(outputs))
    if max_tree is not None:
        outputs = _within_tree_sizes(inputs, outputs, max_tree)
    fallbacks: list[Fallback] = []
    if verify:
        outputs, fallbacks = _verified(inputs, outputs, sample_ranges, seed)
        timings["verify"] = time.perf_counter() - t2
    return Optimized(
        inputs=inputs,
        outputs=outputs,
        cost_before=before,
        cost_after=table.dag_cost(outputs),
        report=report,
        verified=verify,
        fallbacks=fallbacks,
        seconds=timings,
    )


def _distinct(interned: list[Term]) -> int:
    """Distinct nodes of already hash-consed terms (no second interning pass)."""
    return sum(1 for _ in postorder(interned))


def _within_tree_sizes(inputs: list[Term], outputs: list[Term], bounds: list[int]) -> list[Term]:
    """Outputs, each replaced by its input if it is larger than its bound written out as a
    tree."""
    sizes = tree_sizes(outputs)
    if all(n <= bound for n, bound in zip(sizes, bounds, strict=True)):
        return outputs
    kept = zip(inputs, outputs, sizes, bounds, strict=True)
    return intern([o if n <= bound else i for i, o, n, bound in kept])


def _verified(
    inputs: list[Term],
    outputs: list[Term],
    ranges: Mapping[str, tuple[float, float]] | None,
    seed: int,
) -> tuple[list[Term], list[Fallback]]:
    """Outputs with every one that disagrees numerically with its input replaced by the input."""
    from symopt.verify import check_equivalent

    checked = list(outputs)
    fallbacks: list[Fallback] = []
    for m in check_equivalent(inputs, outputs, ranges=ranges, seed=seed):
        checked[m.index] = inputs[m.index]
        fallbacks.append(Fallback(m.index, dict(m.point), m.expected, m.got, m.reason))
    return intern(checked), fallbacks


@dataclass(frozen=True)
class _Engine:
    """The rule-based e-graph as one optimisation uses it: ruleset, cost table, user facts."""

    rules: Ruleset
    table: CostTable
    assumptions: Sequence[tuple[Term, str]]

    def saturate(
        self,
        terms: list[Term],
        limits: Limits,
        timings: dict[str, float],
        max_tree: list[int] | None = None,
    ) -> tuple[list[Term], RunReport]:
        """Saturate ``terms`` under ``limits`` and extract the cheapest equivalents (each no
        larger than ``max_tree`` written out as a tree, where the extractor can)."""
        from symopt.egraph.extract import extract

        t0 = time.perf_counter()
        with Runner(self.rules, limits).run(terms, self.assumptions) as (egraph, roots, report):
            t1 = time.perf_counter()
            outputs = intern(extract(egraph, roots, self.table, max_tree=max_tree))
        timings.update(saturate=t1 - t0, extract=time.perf_counter() - t1)
        return outputs, report


def _polish_regions(
    terms: list[Term],
    engine: _Engine,
    limits: Limits,
    timings: dict[str, float],
    deadline: float,
) -> tuple[list[Term], list[StopReason]]:
    """The non-polynomial regions of a large result, each batch saturated in its own e-graph
    (:mod:`symopt.regions`) until ``deadline``; a batch is replaced only when it got cheaper.
    Also returns why each batch stopped (``TIME_LIMIT`` for a batch skipped at the deadline)."""
    from symopt.regions import replace_regions

    t0 = time.perf_counter()
    stops: list[StopReason] = []

    def optimise(batch: list[Term]) -> list[Term] | None:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            stops.append(StopReason.TIME_LIMIT)
            return None
        nodes = min(limits.nodes, REGION_NODES)
        bounded = replace(limits, nodes=nodes, time=min(remaining, POLISH_SECONDS))
        out, report = engine.saturate(batch, bounded, {})
        stops.append(report.stop)
        cheaper = _emitted_cost(out, engine.table) < _emitted_cost(batch, engine.table)
        return out if cheaper else None

    result = intern(replace_regions(terms, optimise, EGRAPH_MAX_NODES, deadline=deadline))
    timings["regions"] = time.perf_counter() - t0
    return result, stops


def _emitted_cost(terms: list[Term], table: CostTable) -> float:
    """Cost as printed code computes it (integer powers lowered to multiplies where cheaper):
    a rewrite the printer makes anyway is no reason to replace a region."""
    from symopt.codegen.lower import lower_all

    return table.dag_cost(intern(lower_all(terms, table)))


TREE_GROWTH = 4
TREE_SLACK = 32
"""With ``tree_output``, an output written out as a tree has at most ``TREE_GROWTH * n +
TREE_SLACK`` nodes for an input of ``n``: ``x^3`` may become ``x*x*x``, and a 4x cheaper form
of a power tower may be twice as long, but never exponentially longer."""

POLYNOMIAL_THRESHOLD = 300
"""Inputs with more distinct nodes than this take the polynomial path first."""

EGRAPH_MAX_NODES = 2_000
"""The polynomial path's result is polished by the rule-based e-graph while at most this big."""

REGION_NODES = 20_000
"""E-node cap of the e-graph of one batch of regions of a result too large to polish whole."""

POLISH_SECONDS = 2.0
"""Time cap of that polish (or a tenth of the time limit if more; e-nodes are capped at 50,000)."""

_ALGEBRAIC_LAWS = frozenset({"add-comm", "mul-comm", "add-assoc", "mul-assoc", "distribute"})


def polynomial_allowed(rules: Ruleset) -> bool:
    """The polynomial path applies comm/assoc/distributivity: only with rulesets that have them."""
    return {r.name for r in rules.rules} >= _ALGEBRAIC_LAWS
