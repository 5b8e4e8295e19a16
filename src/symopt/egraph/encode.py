"""Inserting IR terms into an egglog e-graph as binding command objects (program text for large
data is ~100x slower), sent in batches: each subterm used once is written inline in its parent,
the others are set as ``(Bound k)`` (:data:`~symopt.egraph.schema.BOUND`) and referred to by key."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from symopt.egraph.engine import EGraph, bindings
from symopt.egraph.engine import span as command_span
from symopt.egraph.schema import BOUND, constructor
from symopt.ir import App, Num, PVar, Sym, Term, intern, postorder

_BATCH = 2000

_KEYS = itertools.count()
"""Keys of ``(Bound k)``, never reused in a process (also not after a ``pop`` removed them:
egglog 13.2 mis-resolved a global ``let`` name bound again after a ``pop``, and a key reused
there is not worth the risk)."""


def _leaf(term: Term, b: ModuleType, span: Any) -> Any:
    if isinstance(term, Num):
        if math.copysign(1.0, term.value) < 0:  # negative, or -0.0
            inner = b.Call(span, "Num", [b.Lit(span, b.Float(-term.value))])
            return b.Call(span, "Neg", [inner])
        return b.Call(span, "Num", [b.Lit(span, b.Float(term.value))])
    if isinstance(term, Sym):
        if term.index is None:
            return b.Call(span, "Var", [b.Lit(span, b.String(term.name))])
        return b.Call(
            span, "Idx", [b.Lit(span, b.String(term.name)), b.Lit(span, b.Int(term.index))]
        )
    if isinstance(term, PVar):
        raise ValueError("pattern variables cannot be inserted into an e-graph")
    raise TypeError(f"not a term: {term!r}")


INLINE_HEIGHT = 32
"""A subterm written inline (not bound to a name) is at most this high: deeper ones are bound
(the bindings convert and check nested expressions recursively)."""


def bound(key: int) -> Any:
    """The expression ``(Bound key)``."""
    b = bindings()
    span = command_span()
    return b.Call(span, BOUND, [b.Lit(span, b.Int(key))])


def insert_terms(egraph: EGraph, terms: Sequence[Term]) -> list[int]:
    """Add ``terms`` to ``egraph``; returns the key of each root (its e-class is ``(Bound k)``).

    Only the roots, the subterms used more than once and every :data:`INLINE_HEIGHT`-th level of
    a deep one are set in ``Bound``; the rest is written inline in its one parent. (A global
    ``let`` per node, as before, made a table each, ~18 KB: a 6,000-node insertion took 32 MB,
    and every rebuild visited all those tables.)"""
    b = bindings()
    span = command_span()
    roots = intern(terms)
    uses = _uses(roots)
    root_ids = {id(r) for r in roots}
    keys: dict[int, int] = {}
    inline: dict[int, tuple[Any, int]] = {}  # id -> (expression to use in a parent, its height)
    batch: list[object] = []
    for term in postorder(roots):
        if isinstance(term, App):
            parts = [inline[id(a)] for a in term.args]
            expr = b.Call(span, constructor(term.op), [e for e, _ in parts])
            height = 1 + max(h for _, h in parts)
            shared = uses.get(id(term), 0) > 1 or height >= INLINE_HEIGHT
        else:
            expr, height, shared = _leaf(term, b, span), 0, False
        if shared or id(term) in root_ids:
            key = keys[id(term)] = next(_KEYS)
            batch.append(b.ActionCommand(b.Set(span, BOUND, [b.Lit(span, b.Int(key))], expr)))
            expr, height = bound(key), 0
            if len(batch) >= _BATCH:
                egraph.run_program(*batch)
                batch.clear()
        inline[id(term)] = (expr, height)
    if batch:
        egraph.run_program(*batch)
    return [keys[id(r)] for r in roots]


def _uses(roots: list[Term]) -> dict[int, int]:
    """Per distinct node below ``roots``, how often it is an argument (twice in ``x*x``)."""
    uses: dict[int, int] = {}
    for t in postorder(roots):
        if isinstance(t, App):
            for a in t.args:
                uses[id(a)] = uses.get(id(a), 0) + 1
    return uses


def assert_facts(egraph: EGraph, facts: Sequence[tuple[Term, str]]) -> None:
    """Add user facts such as ``(Sym("x"), "Positive")``: the term is inserted (if new) and the
    fact relation asserted on its e-class."""
    b = bindings()
    span = command_span()
    keys = insert_terms(egraph, [t for t, _ in facts])
    cmds = [
        b.ActionCommand(b.Expr_(span, b.Call(span, relation, [bound(key)])))
        for key, (_, relation) in zip(keys, facts, strict=True)
    ]
    egraph.run_program(*cmds)


def union_terms(egraph: EGraph, pairs: Sequence[tuple[Term, Term]]) -> None:
    """Insert both terms of each pair (if new) and merge their e-classes: the caller vouches
    that they are equal (on the same domain, in the tier of the ruleset)."""
    b = bindings()
    span = command_span()
    keys = insert_terms(egraph, [t for pair in pairs for t in pair])
    cmds = [
        b.ActionCommand(b.Union(span, bound(keys[2 * i]), bound(keys[2 * i + 1])))
        for i in range(len(pairs))
    ]
    egraph.run_program(*cmds)
