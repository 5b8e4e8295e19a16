"""One optimiser, two strategies: which phases run on an input, and every threshold that decides
it.

- **Small inputs** (at most :data:`POLYNOMIAL_THRESHOLD` distinct nodes, or a ruleset without
  the algebraic laws): the rule e-graph saturates the whole input and extracts the cheapest
  equivalent (phase ``e-graph``).
- **Large inputs**: the polynomial phases (:mod:`symopt.algebra.pipeline`: ``polynomials``,
  ``factor``, ``choose``, ``sums``, ``products``), then the rule e-graph polishes the result,
  whole (phase ``polish``) while it has at most :data:`POLISH_MAX_NODES` distinct nodes, else
  region by region (phase ``regions``, :mod:`symopt.regions`).

Both paths price with the user's cost table. Every phase gets the :class:`~symopt.limits.Budget`
(an absolute deadline and a memory bound) and reports itself; the e-graphs are bounded by
deterministic budgets (e-nodes, iterations) so that results do not depend on the machine's
speed, and by the deadline only as the hard stop. Their e-node caps also shrink with the memory
left (:data:`~symopt.memory.BYTES_PER_ENODE`)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from symopt.costs.table import CostTable
from symopt.egraph.runner import Runner, RunReport
from symopt.ir import Term, intern, reintern, tree_sizes
from symopt.limits import Budget, Limits, PhaseReport, StopReason, worst
from symopt.memory import BYTES_PER_ENODE
from symopt.phases import PhaseLog, Step, free_cycles
from symopt.rulesets.rule import Ruleset

POLYNOMIAL_THRESHOLD = 300
"""Inputs with more distinct nodes than this take the polynomial path (when the ruleset allows
it, :func:`polynomial_allowed`)."""

POLISH_MAX_NODES = 2_000
"""The polynomial path's result is polished by one rule e-graph while at most this big;
larger results are polished region by region."""

POLISH_ENODES = 50_000
"""E-node cap of the whole-result polish."""

REGION_BATCH_NODES = 2_000
"""Distinct nodes of the regions polished together in one e-graph."""

REGION_ENODES = 20_000
"""E-node cap of the e-graph of one batch of regions."""

REGIONS_WRAPUP_PER_WALK = 5.0
"""The regions phase stops starting and running batches this many times
:attr:`Strategy.walk_seconds` before its deadline: putting the batches' forms back into the
whole result, re-interning it and pricing it are passes over every node."""

FACTOR_ALTERNATIVES = 2
"""Horner variants offered per polynomial class (while the node limit lasts)."""

MIN_ENODES = 64
"""An e-graph that the memory left could not hold this many e-nodes of is not started."""

VERIFY_PER_FOLD = 2.0
"""Verification always runs, after the deadline's phases: they leave it this many times the
time constant folding took (a pass over the same nodes, measured on this run, so it follows
the machine's load; verification took 1.8 to 2.2 times as long on bcr, egfr_net, multisite 5
and 6)."""

SPLIT_PER_FOLD = 4.0
"""The guard splits long sums into chains (polynomial path) only while the phases' deadline
leaves it this many times the fold's time (it took 2.9 to 4.4 times as long on sum30k,
sum100k, multisite 6 and 7); else it keeps the sums whole."""

TREE_GROWTH = 4
TREE_SLACK = 32
"""With ``tree_output``, an output written out as a tree has at most ``TREE_GROWTH * n +
TREE_SLACK`` nodes for an input of ``n``: ``x^3`` may become ``x*x*x``, and a 4x cheaper form
of a power tower may be twice as long, but never exponentially longer."""

EGRAPH = "e-graph"
POLYNOMIAL = "polynomial"


class TreeBounds:
    """Per input, the most nodes its output may have written out as a tree (``TREE_GROWTH * n
    + TREE_SLACK``), computed on first use: a pass over the input that a run cut by its budget
    does not need."""

    def __init__(self, inputs: list[Term]) -> None:
        self._inputs = inputs
        self._bounds: list[int] | None = None

    def get(self) -> list[int]:
        if self._bounds is None:
            self._bounds = [TREE_GROWTH * n + TREE_SLACK for n in tree_sizes(self._inputs)]
        return self._bounds


_ALGEBRAIC_LAWS = frozenset({"add-comm", "mul-comm", "add-assoc", "mul-assoc", "distribute"})


def polynomial_allowed(rules: Ruleset) -> bool:
    """The polynomial path applies comm/assoc/distributivity: only with rulesets that have them."""
    return {r.name for r in rules.rules} >= _ALGEBRAIC_LAWS


def choose_strategy(size: int, rules: Ruleset, forced: bool | None = None) -> str:
    """:data:`EGRAPH` or :data:`POLYNOMIAL` for an input of ``size`` distinct nodes
    (``forced``: the caller's choice of the polynomial path, ``None`` to decide here)."""
    if forced is None:
        forced = size > POLYNOMIAL_THRESHOLD and polynomial_allowed(rules)
    return POLYNOMIAL if forced else EGRAPH


@dataclass(frozen=True)
class Engine:
    """The rule-based e-graph as one optimisation uses it: ruleset, cost table, user facts."""

    rules: Ruleset
    table: CostTable
    assumptions: Sequence[tuple[Term, str]]

    def saturate(
        self,
        terms: list[Term],
        limits: Limits,
        max_tree: list[int] | None = None,
        deadline: float = float("inf"),
    ) -> tuple[list[Term], RunReport, dict[str, float]]:
        """Saturate ``terms`` under ``limits`` and extract the cheapest equivalents (each no
        larger than ``max_tree`` written out as a tree, where the extractor can); also the
        seconds of ``saturate`` and ``extract``."""
        from symopt.algebra.normal import normal_equivalents
        from symopt.algebra.reciprocals import share_reciprocals
        from symopt.egraph.extract import extract

        t0 = time.perf_counter()
        algebra = polynomial_allowed(self.rules)
        # Normal forms certified equal over the reals are unioned with their regions.
        equal = normal_equivalents(terms, self.table, self.assumptions) if algebra else []
        t1 = time.perf_counter()
        runner = Runner(self.rules, limits)
        with runner.run(terms, self.assumptions, equal) as (egraph, roots, report):
            t2 = time.perf_counter()
            picked = extract(egraph, roots, self.table, max_tree=max_tree, deadline=deadline)
            outputs = intern(picked)
        if algebra:
            outputs = share_reciprocals(outputs, self.table)
        seconds = {"normal": t1 - t0, "saturate": t2 - t1, "extract": time.perf_counter() - t2}
        return outputs, report, seconds

    def startup_bytes(self) -> int:
        """Resident memory the first e-graph would take to load the rules' program."""
        return Runner(self.rules).startup_bytes()


@dataclass
class EGraphRuns:
    """The rule e-graph runs of one optimisation, merged: iterations and matches of every run,
    the largest e-graph, the most limiting stop (``DONE`` when none ran)."""

    report: RunReport
    seconds: dict[str, float]

    @classmethod
    def empty(cls) -> EGraphRuns:
        return cls(RunReport(stop=StopReason.DONE), {})

    def add(self, report: RunReport, seconds: dict[str, float]) -> None:
        mine = self.report
        ran = bool(self.seconds)
        mine.stop = worst([mine.stop, report.stop]) if ran else report.stop
        mine.iterations += report.iterations
        mine.enodes = max(mine.enodes, report.enodes)
        mine.seconds += report.seconds
        mine.rule_matches.update(report.rule_matches)
        for k, v in seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + v


def egraph_limits(
    limits: Limits, budget: Budget, cap: int, reserve: int = 0
) -> tuple[Limits, bool]:
    """``limits`` for one e-graph: at most ``cap`` e-nodes and what the memory left (less
    ``reserve`` bytes, e.g. for loading the program) holds, until the deadline. Also whether
    memory is what bounds the e-nodes."""
    by_memory = max(0.0, budget.headroom() - reserve) / BYTES_PER_ENODE
    nodes = int(min(limits.nodes, cap, by_memory))
    bounded = replace(limits, nodes=max(1, nodes), time=budget.remaining(), memory=budget.memory)
    return bounded, by_memory < min(limits.nodes, cap)


@dataclass(frozen=True)
class Saturation:
    """One rule e-graph run of a phase: the extracted ``outputs``, the run's report and
    seconds, and its stop (``MEMORY_LIMIT`` where the memory left set the e-node cap)."""

    outputs: list[Term]
    report: RunReport
    seconds: dict[str, float]
    stop: StopReason


@dataclass
class Strategy:
    """Runs the phases of one strategy on folded terms, recording each in ``log``."""

    engine: Engine
    limits: Limits
    log: PhaseLog
    max_tree: TreeBounds | None = None
    walk_seconds: float = 0.0
    """A pass over every input node, timed on this run (the fold's): what the phases' own
    wrap-up is reckoned in."""

    def __post_init__(self) -> None:
        self.egraphs = EGraphRuns.empty()

    def run(self, path: str, terms: list[Term]) -> list[Term]:
        """The best terms the phases of ``path`` found (each phase keeps its input when it
        finds nothing cheaper or the budget is spent)."""
        if path == EGRAPH:
            return self.log.run(EGRAPH, terms, self._whole(self.limits.nodes, self.max_tree))
        staged = self._polynomial(terms)
        size, staged_cost = self.log.measure(staged)
        if size <= POLISH_MAX_NODES:
            return self.log.run("polish", staged, self._whole(POLISH_ENODES, self.max_tree))
        _, before = self.log.measure(terms)
        base = staged if (staged_cost or 0.0) <= (before or 0.0) else terms
        return self.log.run("regions", base, self._regions)

    def _whole(self, cap: int, bounds: TreeBounds | None) -> Step:
        """A phase body saturating the terms whole in one e-graph of at most ``cap`` e-nodes;
        its input is kept if the extracted form is costlier (under ``max_tree`` it may be)."""

        def step(terms: list[Term], detail: dict[str, Any]) -> tuple[list[Term], StopReason]:
            run = self._saturate(terms, cap, bounds)
            if run is None:
                return terms, StopReason.MEMORY_LIMIT
            outputs, report, seconds = run.outputs, run.report, run.seconds
            detail.update(seconds=seconds, enodes=report.enodes, iterations=len(report.iterations))
            if (self.log.measure(outputs)[1] or 0.0) > (self.log.measure(terms)[1] or 0.0):
                detail["kept"] = "its input (the extracted form was costlier)"
                return terms, run.stop
            return outputs, run.stop

        return step

    def _saturate(
        self,
        terms: list[Term],
        cap: int,
        bounds: TreeBounds | None = None,
        budget: Budget | None = None,
    ) -> Saturation | None:
        """Saturate ``terms`` in one e-graph of at most ``cap`` e-nodes, and what the memory
        left holds once the rules' program is loaded, until the deadline of ``budget`` (default:
        the phases') (each output no larger than ``bounds`` allow); recorded in
        :attr:`egraphs`. ``None``: not started, as the memory left could not hold
        :data:`MIN_ENODES` (stop ``MEMORY_LIMIT``)."""
        budget = budget or self.log.budget
        reserve = self.engine.startup_bytes()
        limits, memory_bound = egraph_limits(self.limits, budget, cap, reserve)
        if limits.nodes < MIN_ENODES and memory_bound:
            return None
        max_tree = bounds.get() if bounds is not None else None
        outputs, report, seconds = self.engine.saturate(terms, limits, max_tree, budget.deadline)
        self.egraphs.add(report, seconds)
        stop = report.stop
        if stop is StopReason.NODE_LIMIT and memory_bound:
            stop = StopReason.MEMORY_LIMIT  # the e-node cap was the memory's
        return Saturation(outputs, report, seconds, stop)

    def _polynomial(self, terms: list[Term]) -> list[Term]:
        from symopt.algebra.pipeline import optimize_polynomials

        budget = self.log.budget
        t0 = time.perf_counter()
        try:
            staged, report = optimize_polynomials(
                terms,
                alternatives=FACTOR_ALTERNATIVES,
                max_ways=self.limits.nodes,
                deadline=budget.deadline,
                memory=budget.memory,
                costs=self.engine.table,
            )
        except MemoryError:
            seconds = time.perf_counter() - t0
            fallback: dict[str, Any] = {"fallback": "kept its input"}
            oom = StopReason.OUT_OF_MEMORY
            self.log.add(PhaseReport("polynomials", seconds, stop=oom, detail=fallback))
            free_cycles(oom)
            return terms
        for phase in report.phases:
            self.log.add(phase)
        return staged

    def _regions(self, terms: list[Term], detail: dict[str, Any]) -> tuple[list[Term], StopReason]:
        """The non-polynomial regions of a large result, each batch saturated in its own
        e-graph; a batch is replaced only when it got cheaper, skipped past the budget."""
        from symopt.regions import replace_regions

        stops: list[StopReason] = []
        # The batches stop early enough for putting their forms back (a few passes over the
        # whole result: 0.17 s after exp5000's last batch at --time-limit 1, 4.6 folds).
        budget = self.log.budget.minus(REGIONS_WRAPUP_PER_WALK * self.walk_seconds)
        table = self.engine.table

        def optimise(batch: list[Term]) -> list[Term] | None:
            spent = budget.exceeded()
            if spent is not None:
                stops.append(spent)
                return None
            run = self._saturate(batch, REGION_ENODES, budget=budget)
            if run is None:
                stops.append(StopReason.MEMORY_LIMIT)
                return None
            stops.append(run.stop)
            cheaper = _emitted_cost(run.outputs, table) < _emitted_cost(batch, table)
            return run.outputs if cheaper else None

        result = replace_regions(terms, optimise, REGION_BATCH_NODES, deadline=budget.deadline)
        detail.update(batches=len(stops), stops=dict(Counter(map(str, stops))))
        return reintern(result, terms), worst(stops)


def _emitted_cost(terms: list[Term], table: CostTable) -> float:
    """Cost as printed code computes it (integer powers lowered to multiplies where cheaper):
    a rewrite the printer makes anyway is no reason to replace a region."""
    from symopt.codegen.lower import lower_all

    return table.dag_cost(intern(lower_all(terms, table)))
