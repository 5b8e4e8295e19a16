"""The pure core: terms in, cheaper equivalent terms out, with the evidence (no I/O here).

:func:`optimize` folds constants, asks :mod:`symopt.strategy` which phases to run and runs them,
guards the result (never costlier than the input, tree sizes for ``sym`` output) and verifies it
numerically. Every phase reports itself (:class:`~symopt.limits.PhaseReport`)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from symopt.constfold import fold_constants
from symopt.costs.table import CostTable, load_cost_table
from symopt.egraph.runner import RunReport
from symopt.gcpause import PAUSE_GC_NODES, paused_gc
from symopt.ir import Interned, Term, intern, intern_until, reintern, tree_sizes
from symopt.limits import Budget, Limits, PhaseReport, StopReason, overall_stop
from symopt.phases import PhaseLog, Step
from symopt.rulesets.loader import load_ruleset
from symopt.rulesets.rule import Ruleset
from symopt.strategy import (
    EGRAPH,
    POLYNOMIAL,
    SPLIT_PER_FOLD,
    TREE_GROWTH,
    TREE_SLACK,
    VERIFY_PER_FOLD,
    Engine,
    Strategy,
    TreeBounds,
    choose_strategy,
)

__all__ = ["TREE_GROWTH", "TREE_SLACK", "Fallback", "Optimized", "optimize"]


POINT_SHOWN = 6
"""Symbols of a disagreeing sample point named in a warning (a model statement may read many)."""


@dataclass(frozen=True)
class Fallback:
    """An output that failed numerical verification and was replaced by its input."""

    index: int
    point: dict[str, float]
    expected: float
    got: float
    reason: str = "disagrees"
    """``disagrees``, or ``unverifiable`` (the input is finite at no sample point)."""

    def message(self, where: str, kept: str, output: str = "") -> str:
        """``WHERE: warning: [OUTPUT: ]…``: why the output was replaced (``kept`` says by
        what), naming at most :data:`POINT_SHOWN` symbols of the sample point."""
        items = [f"{k}={v:.17g}" for k, v in list(self.point.items())[:POINT_SHOWN]]
        more = len(self.point) - POINT_SHOWN
        at = ", ".join(items) + (f", ... ({more} more)" if more > 0 else "")
        subject = f"{output}: " if output else ""
        if self.reason == "unverifiable":
            return (
                f"{where}: warning: {subject}optimised form could not be verified: the input is "
                f"not finite at any sample point (first: {at}); {kept}"
            )
        return (
            f"{where}: warning: {subject}optimised form disagreed with the input at {at} "
            f"(expected {self.expected:.17g}, got {self.got:.17g}); {kept}"
        )


@dataclass
class Optimized:
    """What :func:`optimize` found: outputs (same order as inputs) and how it got there.

    ``cost_before``/``cost_after`` are ``nan`` when the input was not even hash-consed by the
    deadline (stop ``time limit (intern)``). ``phases``: one report per phase, in order;
    ``stop`` is the most limiting of their stop reasons and ``stopped_in`` the phase it cut
    (``""`` when nothing was cut); ``report`` is the rule e-graph's (every run merged; ``DONE``
    and 0 e-nodes when none ran); ``seconds`` the time per phase (an e-graph phase as
    ``saturate`` and ``extract``)."""

    inputs: list[Term]
    outputs: list[Term]
    cost_before: float
    cost_after: float
    report: RunReport
    verified: bool
    fallbacks: list[Fallback] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    phases: list[PhaseReport] = field(default_factory=list)
    strategy: str = EGRAPH
    stop: StopReason = StopReason.DONE
    stopped_in: str = ""

    @property
    def stop_text(self) -> str:
        """``time limit (sums)``: the stop reason and the phase it cut; just the reason when
        nothing was cut."""
        return f"{self.stop} ({self.stopped_in})" if self.stopped_in else str(self.stop)


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
    deadline: float | None = None,
) -> Optimized:
    """Optimise ``terms`` together (shared subterms are computed once) and return the result.

    The outputs are never costlier than the inputs; with ``verify`` each output is evaluated
    against its input at seeded random points and replaced by the input if they disagree.
    ``assumptions`` are user facts ``(term, relation)``, e.g. ``(Sym("x"), "Positive")``.
    ``polynomial`` forces the polynomial path on or off (default: :mod:`symopt.strategy`
    decides). ``tree_output``: the outputs will be written without temporaries (``sym``), so
    each is kept at most :data:`TREE_GROWTH` times (plus :data:`TREE_SLACK`) its input's size
    written out as a tree. ``deadline``: the absolute ``time.perf_counter()`` by which the
    phases stop (default: now + ``limits.time``); guarding and verification always run (the
    phases leave verification :data:`~symopt.strategy.VERIFY_PER_FOLD` times the fold's time).
    """
    table = resolve_costs(costs)
    rules = resolve_ruleset(ruleset, tier)
    limits = limits or Limits()
    budget = Budget.start(limits, deadline)
    started = time.perf_counter()
    interned = intern_until(terms, budget.deadline)
    if interned is None:
        return _not_interned(list(terms), started, verify)
    inputs: list[Term] = interned
    intern_seconds = time.perf_counter() - started
    log = PhaseLog(budget, table)
    size, before = log.measure(inputs)
    # The cyclic GC would rescan a large DAG for nothing (see symopt.gcpause); a small run
    # keeps it, so that what a failed allocation leaves in cycles is freed in time.
    with paused_gc() if size >= PAUSE_GC_NODES else nullcontext():
        max_tree = TreeBounds(inputs) if tree_output else None
        folded = log.run("fold", inputs, _fold)
        # A pass over every node, timed on this run: what later work is reckoned in (the
        # hash-consing walk, a little slower than the fold's, when the fold had nothing to do).
        walked = log.reports[-1].detail.get("skipped") is None
        fold_seconds = log.reports[-1].seconds if walked else intern_seconds
        if verify:  # verification always runs: leave it the time it will take
            log.budget = log.budget.minus(_verify_seconds(interned, fold_seconds))
        path = choose_strategy(size, rules, polynomial)
        engine = Engine(rules, table, assumptions)
        strategy = Strategy(engine, limits, log, max_tree, walk_seconds=fold_seconds)
        found = strategy.run(path, folded)
        guard = _guard(inputs, path, log, max_tree, SPLIT_PER_FOLD * fold_seconds)
        outputs = log.run("guard", found, guard, required=True)
        fallbacks: list[Fallback] = []
        if verify:
            checked = _verify(inputs, sample_ranges, seed, fallbacks)
            outputs = log.run("verify", outputs, checked, required=True)
    stop, stopped_in = overall_stop(log.reports)
    _, after = log.measure(outputs)
    return Optimized(
        inputs=inputs,
        outputs=outputs,
        cost_before=before or 0.0,
        cost_after=after or 0.0,
        report=strategy.egraphs.report,
        verified=verify,
        fallbacks=fallbacks,
        seconds=_seconds(log.reports),
        phases=log.reports,
        strategy=path,
        stop=stop,
        stopped_in=stopped_in,
    )


def _not_interned(terms: list[Term], started: float, verify: bool) -> Optimized:
    """The fallback when hash-consing the input did not finish by the deadline: the input as
    given, every phase skipped (nothing changed, so nothing to verify); stop ``time limit
    (intern)``. Its size and cost are not counted (``nan``: counting is another walk of the
    whole input, past the deadline)."""
    detail = {"fallback": "the input as given (every phase skipped; size and cost not counted)"}
    seconds = time.perf_counter() - started
    cut = PhaseReport("intern", seconds, stop=StopReason.TIME_LIMIT, detail=detail)
    return Optimized(
        inputs=terms,
        outputs=list(terms),
        cost_before=math.nan,
        cost_after=math.nan,
        report=RunReport(stop=StopReason.DONE),
        verified=verify,
        seconds={"intern": seconds},
        phases=[cut],
        strategy=EGRAPH,
        stop=StopReason.TIME_LIMIT,
        stopped_in="intern",
    )


def _fold(terms: list[Term], detail: dict[str, Any]) -> tuple[list[Term], StopReason]:
    """Constant folding; no walk when hash-consing counted no operation on literals only."""
    if isinstance(terms, Interned) and terms.constant_apps == 0 and terms.unchanged():
        detail["skipped"] = "no operation on literals only"
        return terms, StopReason.DONE
    return reintern(fold_constants(terms), terms), StopReason.DONE


def _verify_seconds(inputs: Interned, fold_seconds: float) -> float:
    """What verification will take: :data:`VERIFY_PER_FOLD` times the fold's time,
    :data:`VERIFY_PER_STATEMENT` per statement, and drawing the sample points of every symbol
    (timed here on a few: a per-symbol cost that the fold does not see, large for a sum of
    30,000 distinct symbols)."""
    symbols = inputs.symbols or 0
    base = VERIFY_PER_FOLD * fold_seconds + VERIFY_PER_STATEMENT * len(inputs)
    if symbols < VERIFY_PROBE_FROM:
        return base
    # Imported only here, and out of memory is no error here: under a tight memory limit
    # (batch workers) the verification phase, where it is caught, finds out again.
    try:
        from symopt.ir import Sym
        from symopt.verify.sampling import sample_env

        probe = [Sym(f"s{i}") for i in range(VERIFY_PROBE_SYMBOLS)]
        sample_env(probe[:1], VERIFY_POINTS)  # the first call pays numpy's set-up: not timed
        t0 = time.perf_counter()
        sample_env(probe, VERIFY_POINTS)
        per_symbol = (time.perf_counter() - t0) / VERIFY_PROBE_SYMBOLS
    except MemoryError:
        return base
    return base + VERIFY_SAMPLINGS * symbols * per_symbol


VERIFY_PER_STATEMENT = 35e-6
"""Seconds verification spends per output statement beyond the fold-like walk (its points are
evaluated statement by statement): exp5000's 5,000 statements took 0.245 s to verify against
a 0.035 s fold, and the deadline was overrun by what the fold-based reserve did not see."""
VERIFY_PROBE_FROM = 512
"""Inputs with fewer distinct symbols reserve no time for drawing their sample points."""
VERIFY_PROBE_SYMBOLS = 32
VERIFY_POINTS = 64
VERIFY_SAMPLINGS = 2
"""Drawing a symbol's points, their rescaled copies and the evaluation's per-symbol work:
about twice the draw alone (sum30k: 1.46 s to verify, 0.75 s of it drawing 30,000 symbols)."""


def _guard(
    inputs: list[Term],
    path: str,
    log: PhaseLog,
    max_tree: TreeBounds | None,
    split_seconds: float,
) -> Step:
    """The guard phase: the input where the result is costlier (past the budget also where it
    is not cheaper: then it need not be verified); on the polynomial path, root negations
    absorbed and long sums split into chains (while the budget leaves ``split_seconds``);
    tree sizes bounded for ``sym``."""

    def step(found: list[Term], detail: dict[str, Any]) -> tuple[list[Term], StopReason]:
        outputs = found
        spent = log.budget.exceeded()
        stop = spent or StopReason.DONE
        after, before = log.measure(found)[1] or 0.0, log.measure(inputs)[1] or 0.0
        if after > before or (spent is not None and after == before):
            outputs = inputs
            detail["fallback" if spent else "kept"] = "the input (the result was not cheaper)"
        elif path == POLYNOMIAL and (spent or log.budget.remaining() < split_seconds):
            stop = spent or StopReason.TIME_LIMIT  # past the budget, or too little left to split
            detail["fallback"] = "long sums not split into chains"
        elif path == POLYNOMIAL:
            from symopt.algebra.sums import absorb_negations, split_chains

            # Same additions without root negations, and shorter dependency chains.
            outputs = intern(split_chains(absorb_negations(found)))
        if max_tree is not None and outputs is not inputs:  # an input always fits
            outputs = _within_tree_sizes(inputs, outputs, max_tree.get())
        return outputs, stop

    return step


def _verify(
    inputs: list[Term],
    ranges: Mapping[str, tuple[float, float]] | None,
    seed: int,
    fallbacks: list[Fallback],
) -> Step:
    """The verify phase: every output that disagrees numerically with its input is replaced by
    the input (and listed in ``fallbacks``)."""

    def step(outputs: list[Term], detail: dict[str, Any]) -> tuple[list[Term], StopReason]:
        try:
            checked, found = _verified(inputs, outputs, ranges, seed)
        except MemoryError:
            # An output that could not be checked is not returned: the inputs are.
            detail["fallback"] = "could not verify: kept the inputs"
            return inputs, StopReason.OUT_OF_MEMORY
        fallbacks.extend(found)
        if found:
            detail["fallbacks"] = len(found)
        return checked, StopReason.DONE

    return step


def _seconds(phases: list[PhaseReport]) -> dict[str, float]:
    """Seconds per phase; an e-graph phase as its ``saturate`` and ``extract`` (summed)."""
    out: dict[str, float] = {}
    for p in phases:
        for name, s in p.detail.get("seconds", {p.name: p.seconds}).items():
            out[name] = out.get(name, 0.0) + s
    return out


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

    if all(a is b for a, b in zip(inputs, outputs, strict=True)):
        return outputs, []  # nothing changed (interned: the same objects), nothing to check
    checked = list(outputs)
    fallbacks: list[Fallback] = []
    for m in check_equivalent(inputs, outputs, ranges=ranges, seed=seed):
        checked[m.index] = inputs[m.index]
        fallbacks.append(Fallback(m.index, dict(m.point), m.expected, m.got, m.reason))
    return reintern(checked, outputs), fallbacks
