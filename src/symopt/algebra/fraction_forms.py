"""Rational-function candidates for :mod:`symopt.algebra.normal`: a sum of fractions over one
common denominator (expanded and factored, or structured: numerators as written times the
missing factors), or combined per denominator. Each is a candidate only: the caller certifies it
(:func:`symopt.algebra.rational.same_function`) and checks its domain and cost."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import wraps
from typing import ParamSpec, TypeVar

from symopt.algebra.choose import product, signed_sum
from symopt.algebra.normal_terms import factored, from_poly
from symopt.algebra.rational import (
    Exact,
    FactorKey,
    RationalForm,
    RationalWalk,
    TooLargeError,
    add_exact,
)
from symopt.ir import App, Num, Term, postorder

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _none_if_too_large(candidate: Callable[_P, _R | None]) -> Callable[_P, _R | None]:
    """A candidate whose forms outgrow :data:`~symopt.algebra.rational.MAX_MONOMIALS` on the
    way (a common denominator of six binomials expanded) is no candidate."""

    @wraps(candidate)
    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R | None:
        try:
            return candidate(*args, **kwargs)
        except TooLargeError:
            return None

    return guarded


@_none_if_too_large
def rational_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    walk = RationalWalk(nonzero=nonzero, positive=positive)
    form = walk.convert(root)
    if form is None or not form.num:
        return None  # too large, or a zero numerator (dropping the denominators' domain)
    literals = [n.value for n in postorder([root]) if isinstance(n, Num)]
    num = from_poly(form.num, walk.atoms.terms, literals)
    if num is None:
        return None
    numerator = factored(num)
    if not form.dens:
        return numerator, walk.atoms.terms
    den = from_poly(walk.denominator(form), walk.atoms.terms, literals)
    if den is None:
        return None
    return App("div", (numerator, factored(den))), walk.atoms.terms


def signed_addends(root: Term) -> list[tuple[int, Term]]:
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


@_none_if_too_large
def grouped_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    """A sum with the addends of each denominator combined (and their constants folded), but
    addends of different denominators kept apart: ``E0 - c1*T/(z*c2)*log(Q)`` →
    ``E0 - (c1/c2)*T*log(Q)/z`` (no common denominator for ``E0``)."""
    addends = signed_addends(root)
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
        num = from_poly(form.num, walk.atoms.terms, literals)
        den = from_poly(walk.denominator(form), walk.atoms.terms, literals)
        if num is None or den is None:
            return None
        top, part_sign = factored(num), 1.0
        if isinstance(top, App) and top.op == "neg":
            top, part_sign = top.args[0], -1.0
        parts.append((part_sign, App("div", (top, factored(den))) if form.dens else top))
    if not parts:
        return None
    overall, total = signed_sum(parts)
    return (total if overall > 0 else App("neg", (total,))), walk.atoms.terms


@_none_if_too_large
def structured_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    """A sum of fractions (optionally divided by one more term) over the least common multiple
    of its denominators, nothing expanded: each addend's numerator times its missing factors,
    and the product of the factors (``(a/(x - y) - b/(y - z))/(x - z)`` →
    ``(a*(y - z) - b*(x - y))/((x - y)*(y - z)*(x - z))``)."""
    body, outer = root, None
    if isinstance(root, App) and root.op == "div" and not isinstance(root.args[1], Num):
        body, outer = root.args
    addends = signed_addends(body)
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
        built = from_poly(walk.factors[key], walk.atoms.terms, literals)
        if built is None:
            return None
        factor_terms[key] = factored(built)
    parts: list[tuple[float, Term]] = []
    for (sign, addend), (_, form) in zip(addends, forms, strict=True):
        assert form is not None
        if not form.num:
            continue
        numerator = numerator_as_written(addend, form.num, walk)
        if numerator is None:
            num = from_poly(form.num, walk.atoms.terms, literals)
            if num is None:
                return None
            numerator = (1.0, factored(num))
        missing = [factor_terms[k] for k, m in dens.items() for _ in range(m - form.dens.get(k, 0))]
        parts.append((sign * numerator[0], product([numerator[1], *missing])))
    if not parts:
        return None
    overall, total = signed_sum(parts)
    factors = [factor_terms[k] for k, m in sorted(dens.items()) for _ in range(m)]
    denominator = product([*factors, outer] if outer is not None else factors)
    quotient = App("div", (total, denominator))
    return (quotient if overall > 0 else App("neg", (quotient,))), walk.atoms.terms


def numerator_as_written(addend: Term, num: Exact, walk: RationalWalk) -> tuple[float, Term] | None:
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


@_none_if_too_large
def split_candidate(
    root: Term, nonzero: frozenset[Term] = frozenset(), positive: frozenset[Term] = frozenset()
) -> tuple[Term, list[Term]] | None:
    """A fraction over a monomial split into its polynomial part plus what stays a fraction:
    ``x - (x*x*x - a)/(3*x*x)`` (one fraction ``(2*x^3 + a)/(3*x^2)``) → ``x*(2/3) +
    a*(1/3)/(x*x)``. Only when some term keeps every atom of the denominator in a denominator
    (the domain, ``x != 0``, is kept: ``2*x^3/(3*x^2)`` alone would lose it)."""
    walk = RationalWalk(nonzero=nonzero, positive=positive)
    form = walk.convert(root)
    if form is None or not form.num or not form.dens:
        return None
    den = walk.denominator(form)
    if len(den) != 1:
        return None
    ((den_mono, den_coeff),) = den.items()
    den_powers = dict(den_mono)
    whole: Exact = {}
    parts: dict[tuple[tuple[int, int], ...], Exact] = {}
    for mono, coeff in form.num.items():
        powers = dict(mono)
        rest = {a: e - min(e, powers.get(a, 0)) for a, e in den_powers.items()}
        left = tuple(sorted((a, e - min(e, den_powers.get(a, 0))) for a, e in mono))
        left = tuple((a, e) for a, e in left if e)
        key = tuple(sorted((a, e) for a, e in rest.items() if e))
        target = whole if not key else parts.setdefault(key, {})
        target[left] = target.get(left, 0) + Fraction(coeff) / Fraction(den_coeff)
    kept = {a for key in parts for a, _ in key}
    if not whole or not parts or kept != set(den_powers):
        return None
    literals = [n.value for n in postorder([root]) if isinstance(n, Num)]
    terms: list[tuple[float, Term]] = []
    for key, num in [((), whole), *sorted(parts.items())]:
        top = from_poly(num, walk.atoms.terms, literals)
        if top is None:
            return None
        sign, top = 1.0, factored(top)
        if isinstance(top, App) and top.op == "neg":
            sign, top = -1.0, top.args[0]
        if key:
            bottom = from_poly({key: 1}, walk.atoms.terms, literals)
            if bottom is None:
                return None
            top = App("div", (top, bottom))
        terms.append((sign, top))
    terms.sort(key=lambda p: p[0] < 0)  # a positive term first: no negation up front
    sign, out = terms[0]
    for s, t in terms[1:]:
        out = App("add" if s == sign else "sub", (out, t))
    return (out if sign > 0 else App("neg", (out,))), walk.atoms.terms
