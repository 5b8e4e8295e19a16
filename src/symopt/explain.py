"""Why an optimisation came out as it did, as plain data (JSON-ready; no I/O here).

:func:`explain` turns an :class:`~symopt.optimize.Optimized` into a dict: which rewrite rules
matched and how often, the e-graph's growth per iteration, the stop reason, and the cost per
operator before and after (each shared subterm counted once, times its cycle cost), and one
report per phase (``phase_reports``: time, distinct nodes and cost in → out, stop reason);
``phases`` keeps the seconds per step.
"""

from __future__ import annotations

import math
from typing import Any

from symopt.costs.table import CostTable
from symopt.guard_hints import blocked_guards
from symopt.optimize import Optimized
from symopt.rulesets.rule import Ruleset


def rewrite_names(ruleset: Ruleset) -> set[str]:
    """Names the runner reports for the rewrites of ``ruleset`` (``name``, ``name<=``)."""
    return {name for rule in ruleset.rules for name, _, _ in rule.directions()}


def _split(matches: dict[str, int], rewrites: set[str] | None) -> tuple[dict[str, int], int]:
    """Rewrite matches by rule (most first) and the total of the other (fact, fold) matches."""
    if rewrites is None:
        return _most_first(matches), 0
    own = {k: v for k, v in matches.items() if k in rewrites}
    return _most_first(own), sum(v for k, v in matches.items() if k not in rewrites)


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def operator_rows(
    before: dict[str, tuple[int, float]], after: dict[str, tuple[int, float]]
) -> list[dict[str, Any]]:
    """Join two :meth:`CostTable.breakdown` s: one row per operator in either, costliest first."""
    ops = sorted(
        set(before) | set(after),
        key=lambda op: (-max(before.get(op, (0, 0.0))[1], after.get(op, (0, 0.0))[1]), op),
    )
    rows = []
    for op in ops:
        nb, cb = before.get(op, (0, 0.0))
        na, ca = after.get(op, (0, 0.0))
        rows.append(
            {"op": op, "before": {"count": nb, "cycles": cb}, "after": {"count": na, "cycles": ca}}
        )
    return rows


def explain(
    result: Optimized,
    costs: CostTable,
    *,
    ruleset: Ruleset | None = None,
    label: str = "",
    with_expressions: bool = True,
) -> dict[str, Any]:
    """The explanation of one :func:`~symopt.optimize.optimize` run.

    With ``ruleset``, the runner's built-in fact and constant-folding rules are counted apart
    from the rewrites (``other_matches``). ``with_expressions`` includes every input and output
    as text (leave it off for big models). ``costs`` must be the table the run used.
    """
    from symopt.codegen import to_sym

    rewrites = rewrite_names(ruleset) if ruleset is not None else None
    rules, other = _split(dict(result.report.rule_matches), rewrites)
    iterations = []
    for it in result.report.iterations:
        by_rule, it_other = _split(it.matches, rewrites)
        iterations.append(
            {
                "index": it.index,
                "enodes": it.enodes,
                "seconds": it.seconds,
                "matches": sum(by_rule.values()),
                "other_matches": it_other,
                "rules": by_rule,
            }
        )
    pairs = zip(result.inputs, result.outputs, strict=True) if with_expressions else []
    return {
        "label": label,
        "expressions": [{"input": to_sym(a), "output": to_sym(b)} for a, b in pairs],
        "cost": {
            "before": _counted(result.cost_before),
            "after": _counted(result.cost_after),
            "table": costs.name,
        },
        "stop": result.stop_text,
        "stopped_in": result.stopped_in,
        "strategy": result.strategy,
        "enodes": result.report.enodes,
        "seconds": result.report.seconds,
        "phases": dict(result.seconds),
        "phase_reports": [p.as_dict() for p in result.phases],
        "iterations": iterations,
        "rules": rules,
        "other_matches": other,
        "operators": operator_rows(costs.breakdown(result.inputs), costs.breakdown(result.outputs)),
        "verified": result.verified,
        "fallbacks": [fb.index for fb in result.fallbacks],
        "blocked_guards": blocked_guards(result.outputs, ruleset, costs) if ruleset else [],
    }


def _counted(cost: float) -> float | None:
    """A cost for JSON: ``None`` when it was not counted (``nan``)."""
    return None if math.isnan(cost) else cost
