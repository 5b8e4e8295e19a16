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
and, for a rational form, every denominator factor of the region (nothing is cancelled).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

from symopt.algebra.choose import product, signed_sum
from symopt.algebra.polynomial import Atoms, Coeff, Mono, integer_exponent, to_poly
from symopt.algebra.rational import (
    Exact,
    FactorKey,
    RationalForm,
    RationalWalk,
    add_exact,
    rounded,
    same_function,
)
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


def _from_poly(
    poly: Mapping[Mono, Coeff], atoms: list[Term], literals: Sequence[float] = ()
) -> Term | None:
    """An expanded term for ``poly`` (powers spelled as products); None if a coefficient is
    neither a double nor one operation on two of ``literals`` (:func:`_coefficient`)."""
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
        constant = _coefficient(Fraction(magnitude), literals)  # exact: Fraction(float|Fraction)
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


def _leaf_first(term: Term) -> Term:
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


def _coefficient(value: Fraction, literals: Sequence[float]) -> Term | None:
    """``value`` as one operation on two literals of the input (``8.314462618/96485.33212``):
    a constant subterm the e-graph folds to a rounded constant, exact over the reals (a
    literal rounded here would be a different real number, see docs/soundness.md)."""
    pool = sorted({abs(v) for v in literals if v != 0.0} | {1.0})
    for p in pool:
        for q in pool:
            if Fraction(p) / Fraction(q) == value:
                return App("div", (Num(p), Num(q)))
            if p <= q and Fraction(p) * Fraction(q) == value:
                return App("mul", (Num(p), Num(q)))
    return None


def _constant_nodes(terms: Sequence[Term]) -> set[int]:
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
    constant = _constant_nodes(terms)
    nodes = postorder(list(terms))
    return sum(table.op(n.op) for n in nodes if isinstance(n, App) and id(n) not in constant)


def _factored(term: Term) -> Term:
    """``term`` through the polynomial path (Horner forms, common factors, shared sub-sums)."""
    from symopt.algebra.pipeline import optimize_polynomials

    (out,), _ = optimize_polynomials([term], alternatives=2, budget=5_000)
    return _leaf_first(out)


def _rational_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    walk = RationalWalk(nonzero=nonzero, positive=positive)
    form = walk.convert(root)
    if form is None or not form.num:
        return None  # too large, or a zero numerator (dropping the denominators' domain)
    literals = [n.value for n in postorder([root]) if isinstance(n, Num)]
    num = _from_poly(form.num, walk.atoms.terms, literals)
    if num is None:
        return None
    numerator = _factored(num)
    if not form.dens:
        return numerator, walk.atoms.terms
    den = _from_poly(walk.denominator(form), walk.atoms.terms, literals)
    if den is None:
        return None
    return App("div", (numerator, _factored(den))), walk.atoms.terms


def _addends(root: Term) -> list[tuple[int, Term]]:
    """The signed addends of the sum chain at ``root``."""
    out: list[tuple[int, Term]] = []
    stack = [(1, root)]
    while stack:
        sign, node = stack.pop()
        if isinstance(node, App) and node.op in ("add", "sub"):
            stack.append((sign, node.args[0]))
            stack.append((-sign if node.op == "sub" else sign, node.args[1]))
        elif isinstance(node, App) and node.op == "neg":
            stack.append((-sign, node.args[0]))
        else:
            out.append((sign, node))
    return out


def _grouped_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    """A sum with the addends of each denominator combined (and their constants folded), but
    addends of different denominators kept apart: ``E0 - c1*T/(z*c2)*log(Q)`` →
    ``E0 - (c1/c2)*T*log(Q)/z`` (no common denominator for ``E0``)."""
    addends = _addends(root)
    if len(addends) < 2:
        return None
    walk = RationalWalk(nonzero=nonzero, positive=positive)
    groups: dict[tuple[tuple[FactorKey, int], ...], RationalForm] = {}
    for sign, term in addends:
        form = walk.convert(term)
        if form is None:
            return None
        key = tuple(sorted(form.dens.items()))
        if key not in groups:
            groups[key] = RationalForm({}, dict(form.dens))
        group = groups[key]
        group.num = add_exact(group.num, form.num, sign)
    literals = [n.value for n in postorder([root]) if isinstance(n, Num)]
    parts: list[tuple[float, Term]] = []
    for form in groups.values():
        if not form.num and form.dens:
            return None  # 1/x - 1/x: dropping it would define the sum at x = 0
        if not form.num:
            continue
        num = _from_poly(form.num, walk.atoms.terms, literals)
        den = _from_poly(walk.denominator(form), walk.atoms.terms, literals)
        if num is None or den is None:
            return None
        top, part_sign = _factored(num), 1.0
        if isinstance(top, App) and top.op == "neg":
            top, part_sign = top.args[0], -1.0
        parts.append((part_sign, App("div", (top, _factored(den))) if form.dens else top))
    if not parts:
        return None
    overall, total = signed_sum(parts)
    return (total if overall > 0 else App("neg", (total,))), walk.atoms.terms


def _structured_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    """A sum of fractions (optionally divided by one more term) over the least common multiple
    of its denominators, nothing expanded: each addend's numerator times its missing factors,
    and the product of the factors (``(a/(x - y) - b/(y - z))/(x - z)`` →
    ``(a*(y - z) - b*(x - y))/((x - y)*(y - z)*(x - z))``)."""
    body, outer = root, None
    if isinstance(root, App) and root.op == "div" and not isinstance(root.args[1], Num):
        body, outer = root.args
    addends = _addends(body)
    walk = RationalWalk(nonzero=nonzero, positive=positive)
    forms = [(sign, walk.convert(term)) for sign, term in addends]
    dens: dict[FactorKey, int] = {}
    for _, form in forms:
        if form is None:
            return None
        for key, m in form.dens.items():
            dens[key] = max(dens.get(key, 0), m)
    if not dens:
        return None
    literals = [n.value for n in postorder([root]) if isinstance(n, Num)]
    factor_terms: dict[FactorKey, Term] = {}
    for key in dens:
        built = _from_poly(walk.factors[key], walk.atoms.terms, literals)
        if built is None:
            return None
        factor_terms[key] = _factored(built)
    parts: list[tuple[float, Term]] = []
    for (sign, addend), (_, form) in zip(addends, forms, strict=True):
        assert form is not None
        if not form.num:
            continue
        numerator = _numerator_as_written(addend, form.num, walk)
        if numerator is None:
            num = _from_poly(form.num, walk.atoms.terms, literals)
            if num is None:
                return None
            numerator = (1.0, _factored(num))
        missing = [factor_terms[k] for k, m in dens.items() for _ in range(m - form.dens.get(k, 0))]
        parts.append((sign * numerator[0], product([numerator[1], *missing])))
    if not parts:
        return None
    overall, total = signed_sum(parts)
    factors = [factor_terms[k] for k, m in sorted(dens.items()) for _ in range(m)]
    denominator = product([*factors, outer] if outer is not None else factors)
    quotient = App("div", (total, denominator))
    return (quotient if overall > 0 else App("neg", (quotient,))), walk.atoms.terms


def _numerator_as_written(
    addend: Term, num: Exact, walk: RationalWalk
) -> tuple[float, Term] | None:
    """``(±1, n)`` with ``±n`` equal to the numerator ``num`` of ``addend = n/d`` as written
    (``y0*(x - x1)*(x - x2)`` stays a product instead of being expanded), or None."""
    if not (isinstance(addend, App) and addend.op == "div"):
        return None
    written = walk.convert(addend.args[0])
    if written is None or written.dens or not written.num:
        return None
    for sign in (1.0, -1.0):
        if all(num.get(m) == sign * c for m, c in written.num.items()) and len(num) == len(
            written.num
        ):
            return sign, addend.args[0]
    return None


def _polynomial_candidate(root: Term) -> tuple[Term, list[Term]] | None:
    atoms = Atoms()
    if to_poly(root, atoms) is None:
        return None
    return _factored(root), atoms.terms


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
            built = _from_poly(primitive, walk.atoms.terms)
            if built is None:
                return None
            kept.append(_factored(built))
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
        makers.insert(1, lambda t: _rational_candidate(t, nonzero, positive))
        makers.insert(2, lambda t: _grouped_candidate(t, nonzero, positive))
        makers.insert(3, lambda t: _structured_candidate(t, nonzero, positive))
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
    constant = _constant_nodes([root, cand])

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
    roots = intern(list(terms))
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
