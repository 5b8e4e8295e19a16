"""Guards that blocked a rewrite, for ``--explain``: which fact was missing and the ``--assume``
that would supply it.

A guarded rule whose left side still matches a subterm of the output, where its right side
would be cheaper, did not fire because the e-graph could not prove its guard (``r^1.5 →
r*sqrt(r)`` needs ``r >= 0``). For a guard on a plain symbol, ``--assume 'r >= 0'`` (or an
``assume`` line in a model) supplies the fact; a guard on a compound term is reported without a
hint. Only the guards a user fact can give are reported (``positive``, ``nonnegative``,
``nonzero``); guards that hold for a literal are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symopt.costs.table import CostTable
from symopt.ir import App, Num, PVar, Sym, Term, postorder, substitute
from symopt.rulesets.rule import Ruleset

ASSUME_FOR: dict[str, str] = {"positive": "> 0", "nonnegative": ">= 0", "nonzero": "!= 0"}
"""The user fact that supplies each guard (see :mod:`symopt.rulesets.assume`)."""

MAX_HINTS = 10


def match(pattern: Term, term: Term, env: dict[str, Term] | None = None) -> dict[str, Term] | None:
    """Bindings of ``pattern``'s variables making it ``term`` (syntactically), or None."""
    env = {} if env is None else env
    if isinstance(pattern, PVar):
        bound = env.get(pattern.name)
        if bound is None:
            env[pattern.name] = term
            return env
        return env if bound == term else None
    if isinstance(pattern, App):
        if not isinstance(term, App) or term.op != pattern.op:
            return None
        if len(term.args) != len(pattern.args):
            return None
        for p, t in zip(pattern.args, term.args, strict=True):
            if match(p, t, env) is None:
                return None
        return env
    return env if pattern == term else None


def _instantiate(pattern: Term, env: dict[str, Term]) -> Term:
    return substitute(pattern, lambda t: env[t.name] if isinstance(t, PVar) else None)


def _holds(guard: str, value: Term) -> bool:
    """The guard is true of a literal (literals are sign-free)."""
    if not isinstance(value, Num):
        return False
    v = value.value
    return {"positive": v > 0, "nonnegative": v >= 0, "nonzero": v != 0}.get(guard, True)


def blocked_guards(
    outputs: Sequence[Term], ruleset: Ruleset, costs: CostTable
) -> list[dict[str, Any]]:
    """One entry per (rule, subterm) of ``outputs`` where a missing fact blocked a cheaper
    rewrite: ``{"rule", "term", "needs": [{"term", "fact", "assume"}]}`` (``assume`` None for a
    compound term)."""
    from symopt.codegen import to_sym

    out: list[dict[str, Any]] = []
    nodes = [n for n in postorder(list(outputs)) if isinstance(n, App)]
    for rule in ruleset.rules:
        guards = [(v, g) for v, g in rule.guards if g in ASSUME_FOR]
        if not guards:
            continue
        for node in nodes:
            env = match(rule.lhs, node)
            if env is None:
                continue
            needs = [(env[v], g) for v, g in guards if v in env and not _holds(g, env[v])]
            if not needs or costs.dag_cost([_instantiate(rule.rhs, env)]) >= costs.dag_cost([node]):
                continue
            out.append(
                {
                    "rule": rule.name,
                    "term": to_sym(node),
                    "needs": [
                        {
                            "term": to_sym(t),
                            "fact": f"{to_sym(t)} {ASSUME_FOR[g]}",
                            "assume": f"{t.key} {ASSUME_FOR[g]}" if isinstance(t, Sym) else None,
                        }
                        for t, g in needs
                    ],
                }
            )
            if len(out) >= MAX_HINTS:
                return out
    return out


def hint_lines(blocked: Sequence[dict[str, Any]]) -> list[str]:
    """Plain-text lines for :func:`blocked_guards` entries."""
    lines = []
    for entry in blocked:
        for need in entry["needs"]:
            how = (
                f"--assume '{need['assume']}' would enable it"
                if need["assume"]
                else "not provable from the facts known"
            )
            lines.append(
                f"guard blocked {entry['rule']} on {entry['term']}: needs {need['fact']}; {how}"
            )
    return lines
