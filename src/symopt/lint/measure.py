"""Costs and shared helpers of the lint checks: operations, tree and DAG costs, messages."""

from __future__ import annotations

from symopt.costs.table import CostTable
from symopt.ir import App, Term, intern, postorder
from symopt.lint.parsed import ParsedFile

MESSAGE_WIDTH = 60
"""A suggestion longer than this is shortened in the message (``--show-fixes`` prints it whole)."""


def ops(term: Term) -> int:
    """Operations as written (every occurrence counts)."""
    count = 0
    stack = [term]
    while stack:
        t = stack.pop()
        if isinstance(t, App):
            count += 1
            stack.extend(t.args)
    return count


def tree_cost(term: Term, table: CostTable) -> float:
    """Cycles to evaluate ``term`` computing every occurrence of a subterm (as Python does)."""
    cost: dict[int, float] = {}
    for t in postorder([term]):
        own = table.op(t.op) if isinstance(t, App) else 0.0
        cost[id(t)] = own + sum(cost[id(a)] for a in t.children())
    return cost[id(term)]


def cost_of(file: ParsedFile, term: Term, table: CostTable, interned: bool = False) -> float:
    """What ``term`` costs in ``file``'s language (see :attr:`ParsedFile.tree_costs`);
    ``interned``: ``term`` is already hash-consed (no second pass needed)."""
    if file.tree_costs:
        return tree_cost(term, table)
    return table.dag_cost([term] if interned else intern([term]))


def percent(before: float, after: float) -> float:
    return 100.0 * (before - after) / before if before > 0 else 0.0


def short(text: str) -> str:
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"
