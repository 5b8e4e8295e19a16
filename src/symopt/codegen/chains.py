"""Cutting very long operator chains of one C statement into consecutive statements.

A sum of many terms prints as ``a + b - c + …``, which C parses as a left-leaning tree as deep
as the sum is long; gcc walks such trees recursively, and one statement of 115k additions (the
enzyme equations of the multisite 7 model when the optimiser's deadline cuts its sum
factoring) overflows cc1's default 8 MB stack: gcc 12 -O2 dies with a segmentation fault.
:func:`chain_cuts` picks nodes down the chain's left spine at regular intervals and
:func:`cut_long_chains` makes each a temporary of its own, defined just before the statement
(the next piece reads it), so the C evaluates exactly the same operations in the same order
(bit-identical results), and a split body can cut between the pieces (one function of 115k
operations would take gcc a minute).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from symopt.codegen.infix import INFIX
from symopt.codegen.plan import Plan
from symopt.codegen.schedule import Root, Step, Temp
from symopt.ir import App, Term

CHAIN_LINKS = 500
"""Most infix operators down the left spine of one C expression; a longer chain is cut every
this many links (the pieces, about 1,000 operations with their products, then fit
:data:`symopt.codegen.split.PART_OPERATIONS`)."""


def chain_cuts(term: Term, bound: Mapping[int, str], links: int | None = None) -> list[App]:
    """Nodes of ``term``'s left spine (infix operators down the first operand, to a leaf, a
    call or a temporary in ``bound``) every ``links`` (default :data:`CHAIN_LINKS`) links from
    the bottom, bottom first; empty when the spine is no longer than ``links`` (``term``
    itself is never cut)."""
    links = CHAIN_LINKS if links is None else links
    if links < 1:
        raise ValueError(f"links must be at least 1, got {links}")
    spine: list[App] = []
    node = term
    while isinstance(node, App) and node.op in INFIX and (not spine or id(node) not in bound):
        spine.append(node)
        node = node.args[0]
    spine.reverse()  # bottom first; the root (spine[-1]) is the statement itself
    return [spine[k] for k in range(links - 1, len(spine) - 1, links)]


def cut_long_chains(plan: Plan) -> Plan:
    """``plan`` with every chain longer than :data:`CHAIN_LINKS` computed in pieces: new
    temporaries ``tN_0``, ``tN_1`` … (for temporary ``tN``) or ``outK_0`` … (for body entry
    ``K``) just before the statement; the same plan when nothing is that long."""
    steps: list[Step] = []
    bound = plan.bound
    taken = {plan.name(p.name) for p in (*plan.fn.outputs, *plan.fn.inputs)}
    for step in plan.steps:
        whole_temporary = isinstance(step, Root) and id(step.term) in plan.bound
        cuts = [] if whole_temporary else chain_cuts(step.term, plan.bound)
        if cuts:
            if bound is plan.bound:
                bound = dict(plan.bound)
            base = f"{step.name}_" if isinstance(step, Temp) else f"out{step.index}_"
            while any(f"{base}{k}" in taken for k in range(len(cuts))):
                base += "_"
            for k, cut in enumerate(cuts):
                steps.append(Temp(f"{base}{k}", cut))
                bound[id(cut)] = f"{base}{k}"
        steps.append(step)
    if bound is plan.bound:
        return plan
    return dataclasses.replace(plan, steps=steps, bound=bound)
