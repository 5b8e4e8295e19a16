"""Match-count probes: for every rewrite direction, a rule with the same pattern and guards but
no action, in its own ruleset. Running it counts what the rewrite would match without changing
the e-graph, so the runner can refuse a rewrite whose matches would take the e-graph far past
the node limit (one application of ``mul-assoc`` grew 8,700 e-nodes to 360,000)."""

from __future__ import annotations

from dataclasses import dataclass

from symopt.egraph.program import GUARD_RELATION, pattern_sexpr
from symopt.ir import PVar, Term
from symopt.rulesets.rule import Ruleset


@dataclass(frozen=True)
class Probe:
    ruleset: str
    growth: int
    """At most this many new e-nodes per match: the rhs's nodes that are not pattern variables."""


def _tree_nodes(term: Term) -> int:
    stack, count = [term], 0
    while stack:
        t = stack.pop()
        if not isinstance(t, PVar):
            count += 1
            stack.extend(t.children())
    return count


def probe_program(ruleset: Ruleset) -> tuple[str, dict[str, Probe]]:
    """Program text of the probes and the probe of each direction, by rewrite name."""
    lines: list[str] = []
    probes: dict[str, Probe] = {}
    for rule in ruleset.rules:
        guards = " ".join(f"({GUARD_RELATION[kind]} p_{var})" for var, kind in rule.guards)
        for name, lhs, rhs in rule.directions():
            probe = f"probe_{len(probes)}"
            lines.append(f"(ruleset {probe})")
            # The action must use every pattern variable: egglog counts the matches of an
            # action-less rule per distinct root only. A union with itself changes nothing.
            pattern = pattern_sexpr(lhs)
            lines.append(
                f"(rule ((= root__ {pattern}) {guards}) ((union root__ {pattern})) "
                f':ruleset {probe} :name "probe {name}")'
            )
            probes[name] = Probe(probe, _tree_nodes(rhs))
    return "\n".join(lines), probes
