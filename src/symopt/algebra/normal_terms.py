"""Terms for normal forms (:mod:`symopt.algebra.normal`): polynomials with exact coefficients
written out and factored, coefficients that are no double kept as one operation on two input
literals, and the cost of a term with its constant subterms folded."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import lru_cache

from symopt.algebra.choose import product, signed_sum
from symopt.algebra.polynomial import Coeff, Mono
from symopt.costs.table import CostTable
from symopt.ir import App, Num, Sym, Term, postorder


def from_poly(
    poly: Mapping[Mono, Coeff], atoms: list[Term], literals: Sequence[float] = ()
) -> Term | None:
    """An expanded term for ``poly`` (powers spelled as products); None if a coefficient is
    neither a double nor one operation on two of ``literals`` (:func:`coefficient`)."""
    if not poly:
        return Num(0.0)
    parts: list[tuple[float, Term]] = []
    for mono, coeff in sorted(poly.items()):
        factors = [atoms[a] for a, e in mono for _ in range(e)]
        sign = 1.0 if coeff > 0 else -1.0
        magnitude: Coeff = coeff if coeff > 0 else -coeff
        value = as_double(magnitude)
        if value is not None:
            parts.append((sign, product(factors, value) if factors else Num(value)))
            continue
        constant = coefficient(Fraction(magnitude), literals)  # exact: Fraction(float|Fraction)
        if constant is None:
            return None
        parts.append((sign, App("mul", (product(factors), constant)) if factors else constant))
    sign, term = signed_sum(parts)
    return term if sign > 0 else App("neg", (term,))


def as_double(value: Coeff) -> float | None:
    """``value`` as a double if it is exactly one (finite, nonzero), else None."""
    try:
        out = float(value)
    except OverflowError:
        return None
    if out == 0.0 or not math.isfinite(out) or Fraction(out) != value:
        return None
    return out


def leaf_first(term: Term) -> Term:
    """``(x + y)*k`` → ``k*(x + y)`` for a symbol or literal ``k`` (how people write it, and how
    the rules' forms come out: an equal-cost tie in the e-graph then keeps that spelling)."""
    done: dict[int, Term] = {}
    for node in postorder([term]):
        if isinstance(node, App):
            args = tuple(done[id(a)] for a in node.args)
            leaf = (Num, Sym)
            if node.op == "mul" and isinstance(args[1], leaf) and not isinstance(args[0], leaf):
                args = (args[1], args[0])
            same = all(n is o for n, o in zip(args, node.args, strict=True))
            done[id(node)] = node if same else App(node.op, args)
        else:
            done[id(node)] = node
    return done[id(term)]


def coefficient(value: Fraction, literals: Sequence[float]) -> Term | None:
    """``value`` as one operation on two literals of the input (``8.314462618/96485.33212``):
    a constant subterm the e-graph folds to a rounded constant, exact over the reals (a
    literal rounded here would be a different real number, see docs/soundness.md)."""
    pool = sorted({abs(v) for v in literals if v != 0.0} | {1.0, 2.0})
    for p in pool:
        for q in pool:
            if Fraction(p) / Fraction(q) == value:
                return App("div", (Num(p), Num(q)))
            if p <= q and Fraction(p) * Fraction(q) == value:
                return App("mul", (Num(p), Num(q)))
    return None


def constant_nodes(terms: Sequence[Term]) -> set[int]:
    """Ids of the subterms built only from literals."""
    constant: set[int] = set()
    for node in postorder(list(terms)):
        if isinstance(node, Num) or (
            isinstance(node, App) and all(id(a) in constant for a in node.args)
        ):
            constant.add(id(node))
    return constant


def folded_cost(terms: Sequence[Term], table: CostTable) -> float:
    """:meth:`CostTable.dag_cost` with subterms built only from literals free (the e-graph
    folds them to a constant)."""
    constant = constant_nodes(terms)
    nodes = postorder(list(terms))
    return sum(table.op(n.op) for n in nodes if isinstance(n, App) and id(n) not in constant)


@lru_cache(maxsize=2048)
def factored(term: Term) -> Term:
    """``term`` through the polynomial path (Horner forms, common factors, shared sub-sums).
    Memoised: the candidates of a region factor the same numerators and denominators (terms are
    immutable and compare by structure)."""
    from symopt.algebra.pipeline import optimize_polynomials

    (out,), _ = optimize_polynomials([term], alternatives=2, max_ways=5_000)
    return leaf_first(out)
