"""The pure core of ``symopt lint``: a parsed file in, findings out (no I/O).

Every candidate of a file is optimised in one :func:`symopt.optimize` call, as ``symopt compile``
does for a model (past 300 nodes that is the polynomial path, then bounded e-graphs region by
region; 250 small e-graphs of a 2,000-line module took 6x longer), and each output is compared
with its own input, so savings are attributed per expression or statement (SYM001, SYM002).
SYM003 is in :mod:`symopt.lint.repeated`, SYM004-SYM006 in :mod:`symopt.lint.patterns`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from symopt.costs.table import CostTable
from symopt.gcpause import paused_gc
from symopt.ir import Term, intern, symbols
from symopt.lint.findings import Finding
from symopt.lint.measure import cost_of, ops, percent, short
from symopt.lint.noqa import suppressed
from symopt.lint.parsed import Candidate, ParsedFile, Unit
from symopt.lint.patterns import patterns
from symopt.lint.repeated import repeated
from symopt.lint.settings import Engine, Settings

__all__ = ["Engine", "Settings", "analyze"]


@dataclass
class _Optimised:
    """A candidate's optimised form and its costs before and after."""

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
    big = [c for c in cands if ops(c.term) >= settings.min_ops]
    findings.extend(patterns(file, big, settings, engine))
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
            findings.extend(repeated(file, unit, settings, engine.costs))
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


def _cheaper(
    file: ParsedFile, cand: Candidate, best: _Optimised, settings: Settings
) -> Iterator[Finding]:
    if best.after >= best.before or percent(best.before, best.after) < settings.min_saving:
        return
    printed = file.printer(best.output, cand)
    if printed is None:
        return
    text, fixable = printed
    pct = percent(best.before, best.after)
    shown = text.removeprefix("(").removesuffix(")") if cand.wrap else text
    yield Finding(
        "SYM001",
        f"{pct:.0f}% cheaper ({best.before:g} -> {best.after:g} cycles): {short(shown)}",
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
