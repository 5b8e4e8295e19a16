"""Normal forms offered to the rule e-graph as equal alternatives of small arithmetic regions.

Rules rewrite one step at a time, so a form several steps away may lie past the node limit:
``x0 + x1 - x2 + (x1 + x2 - x0) + (x2 + x0 - x1)`` is ``x0 + x1 + x2``, a Horner form is the same
whether a power is written ``x^5`` or ``x*x*x*x*x``, ``1/(x + 1) - 2/x + 1/(x - 1)`` is
``2/(x*(x*x - 1))``. For each *region* (a maximal subterm of ``+ - * /``, negation and small
integer powers; function calls, other powers and symbols are its atoms) of at most
:data:`MAX_REGION` nodes, the canonical polynomial (:mod:`symopt.algebra.polynomial`) or rational
function (:mod:`symopt.algebra.rational`) is built, factored by the polynomial path
(:func:`symopt.algebra.pipeline.optimize_polynomials`: Horner forms, common factors), and offered
to the e-graph as an equivalent of the region when it is cheaper; the extractor then chooses by
cost, and the rules may improve on it further.

Domain (the ``algebra`` tier): a candidate is offered only if it keeps every atom of the region
that is not a plain symbol (``sqrt(y)/x - sqrt(y)/x + z`` must not lose ``sqrt(y)``'s domain)
and, for a rational form, every denominator factor of the region (nothing is cancelled), and is
certified exact (:func:`symopt.algebra.rational.same_function`). The rational candidates live in
:mod:`symopt.algebra.fraction_forms`, the term building in :mod:`symopt.algebra.normal_terms`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from symopt.algebra.choose import product
from symopt.algebra.fraction_forms import (
    grouped_candidate,
    rational_candidate,
    split_candidate,
    structured_candidate,
)
from symopt.algebra.normal_terms import as_double, constant_nodes, factored, folded_cost, from_poly
from symopt.algebra.polynomial import Atoms, integer_exponent, to_poly
from symopt.algebra.rational import Exact, RationalWalk, rounded, same_function
from symopt.costs.table import CostTable
from symopt.ir import App, Num, Sym, Term, intern, postorder

MAX_REGION = 40
"""Regions with more distinct nodes than this get no normal form."""

MAX_TOTAL = 2_000
"""Inputs with more distinct nodes than this get no normal forms (the polynomial path and the
rules handle large inputs; this is for everyday expressions)."""

MAX_WORK = 240
"""Regions are normalised, in order, until their nodes add up to this many: everyday
expressions are far smaller; a large model's statements are left to the polynomial path and the
rules, so normal forms never cost a large model more than a few milliseconds."""

_NONZERO = frozenset({"Positive", "Nonzero"})
"""Fact relations that make a term nonzero."""

_ARITH = frozenset({"add", "sub", "mul", "div", "neg"})


def _arith(node: Term) -> bool:
    if not isinstance(node, App):
        return False
    if node.op == "pow":
        return integer_exponent(node.args[1]) is not None
    return node.op in _ARITH


def _region_ops(root: Term) -> list[str]:
    """Operators of the distinct arithmetic nodes of the region under ``root`` (the walk stops
    past :data:`MAX_REGION` nodes)."""
    seen: set[int] = set()
    ops: list[str] = []
    stack = [root]
    while stack and len(ops) <= MAX_REGION:
        node = stack.pop()
        if id(node) in seen or not _arith(node):
            continue
        seen.add(id(node))
        assert isinstance(node, App)
        ops.append(node.op)
        stack.extend(node.args)
    return ops


def region_roots(terms: Sequence[Term]) -> list[Term]:
    """Arithmetic nodes that are a root or an argument of a non-arithmetic node."""
    roots: dict[int, Term] = {id(t): t for t in terms if _arith(t)}
    for node in postorder(terms):
        if isinstance(node, App) and not _arith(node):
            for arg in node.args:
                if _arith(arg):
                    roots.setdefault(id(arg), arg)
        elif isinstance(node, App) and node.op == "pow" and _arith(node.args[0]):
            roots.setdefault(id(node.args[0]), node.args[0])
    return list(roots.values())


def _polynomial_candidate(root: Term) -> tuple[Term, list[Term]] | None:
    atoms = Atoms()
    if to_poly(root, atoms) is None:
        return None
    return factored(root), atoms.terms


def _content(poly: Exact) -> Fraction:
    """The rational content of ``poly`` (gcd of numerators over lcm of denominators), signed so
    that most coefficients of ``poly / content`` are positive (``b + c - a``, not ``a - b - c``)."""
    fracs = [Fraction(c) for c in poly.values()]
    num = 0
    den = 1
    for f in fracs:
        num = math.gcd(num, f.numerator)
        den = den * f.denominator // math.gcd(den, f.denominator)
    sign = -1 if 2 * sum(f < 0 for f in fracs) > len(fracs) else 1
    return Fraction(sign * num, den)


def _factors(root: Term) -> list[Term]:
    """The factors of a product chain (``a*b*c``; a division by a literal is a factor
    ``1/c``)."""
    out: list[Term] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, App) and node.op == "mul":
            stack.extend(node.args)
        elif isinstance(node, App) and node.op == "div" and isinstance(node.args[1], Num):
            stack.append(node.args[0])
            out.append(App("div", (Num(1.0), node.args[1])))
        else:
            out.append(node)
    return out


def content_form(root: Term) -> tuple[Fraction, Term, list[Term]] | None:
    """``(C, P, atoms)`` with ``root == C*P`` over the reals: each sum factor of a product has
    its rational content taken out (``(a + b + c)*0.5 - a`` is ``0.5*(b + c - a)``) and like
    terms combined; the contents multiply into ``C``. None if ``root`` has no such factor."""
    factors = _factors(root)
    if len(factors) < 2:
        return None
    total = Fraction(1)
    kept: list[Term] = []
    atoms: list[Term] = []
    changed = False
    for factor in factors:
        walk = RationalWalk()
        form = walk.convert(factor) if _arith(factor) else None
        if form is None or form.dens or not form.num:
            kept.append(factor)
            atoms.append(factor)
            continue
        c = _content(form.num)
        primitive = rounded({m: Fraction(v) / c for m, v in form.num.items()})
        if primitive is None:
            return None
        total *= c
        atoms.extend(walk.atoms.terms)
        if primitive != {(): 1.0}:
            built = from_poly(primitive, walk.atoms.terms)
            if built is None:
                return None
            kept.append(factored(built))
        changed = True
    if not changed or not kept:
        return None
    return total, product(kept), atoms


def _content_candidate(root: Term) -> tuple[Term, list[Term]] | None:
    found = content_form(root)
    if found is None:
        return None
    c, term, atoms = found
    value = as_double(c)
    if value is None:
        return None
    if value == 1.0:
        return term, atoms
    if value == -1.0:
        return App("neg", (term,)), atoms
    return App("mul", (term, Num(value))) if value > 0 else App(
        "neg", (App("mul", (term, Num(-value))),)
    ), atoms


def sqrt_candidate(node: Term, table: CostTable) -> Term | None:
    """``sqrt(C*P)`` → ``sqrt(C)*sqrt(P)`` for a content ``C > 0`` whose square root is exact
    (Heron's ``sqrt(s/2*(s/2 - a)*…)`` → ``sqrt(s*(b + c - a)*…)*0.25``): both sides are
    defined exactly where ``P >= 0``."""
    if not (isinstance(node, App) and node.op == "sqrt" and _arith(node.args[0])):
        return None
    if len(_region_ops(node.args[0])) > MAX_REGION:
        return None
    found = content_form(node.args[0])
    if found is None:
        return None
    c, term, atoms = found
    if c <= 0:
        return None
    scale = as_double(c)
    if scale is None:
        return None
    root_c = math.sqrt(scale)
    if Fraction(root_c) ** 2 != c:
        return None
    cand: Term = App("sqrt", (term,))
    if root_c != 1.0:
        cand = App("mul", (cand, Num(root_c)))
    if not _keeps_domain(atoms, cand) or folded_cost([cand], table) >= folded_cost([node], table):
        return None
    return cand if same_function(node.args[0], App("mul", (term, Num(scale)))) else None


def _keeps_domain(atoms: list[Term], candidate: Term) -> bool:
    """Every atom that is not a symbol (a call, a division kept whole, …) is still a subterm
    of ``candidate``: cancelling ``sqrt(y) - sqrt(y)`` or ``1/x - 1/x`` would extend the
    domain."""
    partial = [a for a in atoms if not isinstance(a, Sym)]
    if not partial:
        return True
    present = set(postorder([candidate]))
    return all(a in present for a in partial)


def candidates(
    root: Term,
    table: CostTable,
    nonzero: frozenset[Term] = frozenset(),
    positive: frozenset[Term] = frozenset(),
) -> Term | None:
    """The cheapest normal form of the region under ``root``, if cheaper than ``root``
    (``nonzero``: atoms known nonzero, see :class:`~symopt.algebra.rational.RationalWalk`)."""
    ops = _region_ops(root)
    if len(ops) > MAX_REGION or len(ops) < 2 or not {"add", "sub", "div"} & set(ops):
        return None  # too large, too small, or a bare product (the rules handle those)
    makers: list[Callable[[Term], tuple[Term, list[Term]] | None]]
    makers = [_polynomial_candidate, _content_candidate]
    if "div" in ops:
        makers.insert(1, lambda t: rational_candidate(t, nonzero, positive))
        makers.insert(2, lambda t: grouped_candidate(t, nonzero, positive))
        makers.insert(3, lambda t: structured_candidate(t, nonzero, positive))
        makers.append(lambda t: split_candidate(t, nonzero, positive))
    best, best_cost = None, folded_cost([root], table)
    for make in makers:
        found = make(root)
        if found is None:
            continue
        cand, atoms = found
        if cand == root or not _keeps_domain(atoms, cand):
            continue
        if not same_function(root, cand, nonzero, positive):
            continue
        cost = folded_cost([cand], table)
        if cost < best_cost:
            best, best_cost = cand, cost
    return best


def _kept_without(roots: Sequence[Term], skip: Term) -> set[Term]:
    """Nodes still reachable from ``roots`` when ``skip`` is no longer computed."""
    kept: set[Term] = set()
    stack = [r for r in roots if r is not skip]
    while stack:
        node = stack.pop()
        if node in kept:
            continue
        kept.add(node)
        if isinstance(node, App):
            stack.extend(a for a in node.args if a is not skip)
    return kept


def _saves(roots: Sequence[Term], root: Term, cand: Term, table: CostTable) -> bool:
    """Replacing ``root`` by ``cand`` makes the whole program cheaper: subterms ``root`` shares
    with the rest stay computed (a factored form of each of several statements can lose the
    products they shared and cost as much in all, yet run slower)."""
    kept = _kept_without(roots, root)
    freed = [n for n in postorder([root]) if n not in kept]
    added = [n for n in postorder([cand]) if n not in kept]
    constant = constant_nodes([root, cand])

    def cost(nodes: list[Term]) -> float:
        return sum(table.op(n.op) for n in nodes if isinstance(n, App) and id(n) not in constant)

    return cost(added) < cost(freed)


def normal_equivalents(
    terms: Sequence[Term], table: CostTable, assumptions: Sequence[tuple[Term, str]] = ()
) -> list[tuple[Term, Term]]:
    """``(subterm, normal form)`` pairs for the small regions of ``terms`` (and square roots of
    them) whose normal form makes the program cheaper (each pair equal over the reals, on the
    same domain; ``assumptions`` are the user facts, ``(term, relation)``: a denominator factor
    known nonzero may be cancelled)."""
    nonzero = frozenset(t for t, rel in assumptions if rel in _NONZERO)
    positive = frozenset(t for t, rel in assumptions if rel == "Positive")
    roots = intern(terms)
    if sum(1 for _ in postorder(roots)) > MAX_TOTAL:
        return []
    found: list[tuple[Term, Term | None]] = []
    work = 0
    for region in region_roots(roots):
        work += len(_region_ops(region))
        if work > MAX_WORK:
            break
        found.append((region, candidates(region, table, nonzero, positive)))
    found += [(n, sqrt_candidate(n, table)) for n in postorder(roots) if work <= MAX_WORK]
    pairs: list[tuple[Term, Term]] = []
    for node, cand in found:
        if cand is None:
            continue
        cand = intern([cand])[0]
        if _saves(roots, node, cand, table):
            pairs.append((node, cand))
    return pairs
