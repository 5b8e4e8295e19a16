"""Rational-function normal form of small arithmetic terms: ``N / D`` with ``N`` and ``D``
polynomials over atoms (exact coefficients, as in :mod:`symopt.algebra.polynomial`).

Sums of fractions are combined over the least common multiple of their denominators, where a
denominator is a list of *factors*: each polynomial divisor as written (its sign normalised; a
monomial divisor split into its atoms). Nothing is ever cancelled between ``N`` and ``D``: every
factor of every denominator of the input stays a factor of ``D``, so ``N / D`` is undefined
(over the reals) exactly where the input is (``(x - 1)/(x*x - 1) → 1/(x + 1)`` would remove
the singularity at ``x = 1``: that is the ``fast`` tier). Over the reals ``a/b ± c/d`` is
``(a*d ± c*b)/(b*d)`` wherever both sides are defined, the ``algebra`` tier's promise.

A division by a literal becomes a multiplication by its exact reciprocal (rounded once, at the
end, like every coefficient). A division by a term that has a denominator itself (``1/(1/x)``)
is kept as an opaque atom: cancelling it would extend the domain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from symopt.algebra.polynomial import (
    Atoms,
    Coeff,
    Mono,
    Poly,
    add_into,
    exact_mul,
    integer_exponent,
    mul_exact,
)
from symopt.ir import App, Num, Term

Exact = dict[Mono, Coeff]
FactorKey = tuple[tuple[Mono, Coeff], ...]

MAX_MONOMIALS = 32
"""A numerator or denominator with more monomials than this gives up (no normal form)."""


CERTIFY_MONOMIALS = 1024
"""The products compared by :func:`same_function` may have this many monomials."""


class TooLargeError(Exception):
    """The normal form would exceed :data:`MAX_MONOMIALS` (or a coefficient does not fit)."""


@dataclass
class RationalForm:
    """``num / Π factor^multiplicity`` (factors by key, see :class:`RationalWalk`)."""

    num: Exact
    dens: dict[FactorKey, int] = field(default_factory=dict)


def add_exact(a: Exact, b: Exact, sign: int = 1) -> Exact:
    """``a + sign*b`` with exact coefficients (a zero sum drops the monomial); too many
    monomials are a :class:`TooLargeError`."""
    out = dict(a)
    add_into(out, b, sign)
    _check(out)
    return out


def _mul(a: Exact, b: Exact, limit: int = MAX_MONOMIALS) -> Exact:
    out = mul_exact(a, b)
    _check(out, limit)
    return out


def _scale(a: Exact, c: Coeff) -> Exact:
    return {m: exact_mul(v, c) for m, v in a.items()}


def _check(poly: Exact, limit: int = MAX_MONOMIALS) -> None:
    if len(poly) > limit:
        raise TooLargeError


def _constant(poly: Exact) -> Coeff | None:
    """The value of a constant polynomial (nonzero), or None."""
    if len(poly) == 1 and () in poly:
        return poly[()]
    return None


def _reciprocal(c: Coeff) -> Coeff:
    if isinstance(c, float) and c in (1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 4.0, -4.0):
        return 1.0 / c
    return 1 / Fraction(c)


@dataclass
class RationalWalk:
    """Converts terms to :class:`RationalForm` over a shared atom table and factor table."""

    atoms: Atoms = field(default_factory=Atoms)
    factors: dict[FactorKey, Exact] = field(default_factory=dict)
    memo: dict[int, RationalForm] = field(default_factory=dict)
    nonzero: frozenset[Term] = frozenset()
    """Atoms known to be nonzero (user facts such as ``Ks > 0``): a singularity where one of
    them is 0 lies outside the domain anyway, so a denominator factor that is such an atom may
    be cancelled, and a division by a fraction whose denominator has only such factors (or
    :attr:`positive` polynomials) is a multiplication (``a/(b/Ks) = a*Ks/b``)."""
    positive: frozenset[Term] = frozenset()
    """Atoms known to be positive: a polynomial of them with positive coefficients (``2*x + 1``
    for ``x > 0``) is never 0."""

    def convert(self, term: Term) -> RationalForm | None:
        """The normal form of ``term``, or None if it would be too large."""
        try:
            return self._cancel_known_nonzero(self._walk(term))
        except TooLargeError:
            return None

    def _known_nonzero_atom(self, key: FactorKey) -> int | None:
        """The atom id of a denominator factor that is one atom known to be nonzero."""
        if len(key) == 1 and len(key[0][0]) == 1 and key[0][1] == 1:
            ((atom, e),) = key[0][0]
            if e == 1 and self.atoms.terms[atom] in self.nonzero:
                return atom
        return None

    def _never_zero(self, key: FactorKey) -> bool:
        """A denominator factor that is an atom known nonzero, or a polynomial with positive
        coefficients of atoms known positive."""
        if self._known_nonzero_atom(key) is not None:
            return True
        return bool(self.positive) and all(
            c > 0 and all(self.atoms.terms[a] in self.positive for a, _ in mono) for mono, c in key
        )

    def _cancel_known_nonzero(self, form: RationalForm) -> RationalForm:
        """``form`` with known-nonzero atom factors cancelled between numerator and
        denominator (as far as every monomial of the numerator has them)."""
        if not self.nonzero or not form.num:
            return form
        num, dens = form.num, dict(form.dens)
        for key, m in form.dens.items():
            atom = self._known_nonzero_atom(key)
            if atom is None:
                continue
            common = min(min((e for a, e in mono if a == atom), default=0) for mono in num)
            k = min(m, common)
            if k:
                num = {_lower(mono, atom, k): c for mono, c in num.items()}
                dens[key] = m - k
                if not dens[key]:
                    del dens[key]
        return RationalForm(num, dens)

    def _walk(self, node: Term) -> RationalForm:
        found = self.memo.get(id(node))
        if found is None:
            found = self.memo[id(node)] = self._convert(node)
        return found

    def _atom(self, node: Term) -> RationalForm:
        return RationalForm({((self.atoms.id(node), 1),): 1.0})

    def _convert(self, node: Term) -> RationalForm:
        if isinstance(node, Num):
            return RationalForm({(): node.value} if node.value != 0.0 else {})
        if not isinstance(node, App):
            return self._atom(node)
        op, args = node.op, node.args
        if op in ("add", "sub"):
            return self._combine(self._walk(args[0]), self._walk(args[1]), op == "add")
        if op == "neg":
            inner = self._walk(args[0])
            return RationalForm({m: -c for m, c in inner.num.items()}, dict(inner.dens))
        if op == "mul":
            a, b = self._walk(args[0]), self._walk(args[1])
            dens = dict(a.dens)
            for k, m in b.dens.items():
                dens[k] = dens.get(k, 0) + m
            return RationalForm(_mul(a.num, b.num), dens)
        if op == "div":
            return self._divide(node, self._walk(args[0]), args[1])
        power = integer_exponent(args[1]) if op == "pow" else None
        if power is not None:
            base = self._walk(args[0])
            out = base
            for _ in range(power - 1):
                dens = {f: m + base.dens.get(f, 0) for f, m in out.dens.items()}
                out = RationalForm(_mul(out.num, base.num), dens)
            return out
        return self._atom(node)

    def _combine(self, a: RationalForm, b: RationalForm, add: bool) -> RationalForm:
        """``a ± b`` over the least common multiple of their denominators."""
        dens = {k: max(a.dens.get(k, 0), b.dens.get(k, 0)) for k in a.dens | b.dens}
        num_a = self._times_factors(a.num, dens, a.dens)
        num_b = self._times_factors(b.num, dens, b.dens)
        return RationalForm(add_exact(num_a, num_b, 1 if add else -1), dens)

    def _times_factors(
        self, num: Exact, want: dict[FactorKey, int], have: dict[FactorKey, int]
    ) -> Exact:
        for key, m in want.items():
            for _ in range(m - have.get(key, 0)):
                num = _mul(num, self.factors[key])
        return num

    def _divide(self, node: Term, a: RationalForm, divisor: Term) -> RationalForm:
        """``a`` divided by ``divisor``, each factor of a product divisor its own denominator
        factor (``(x - y)*(x - z)`` stays two factors, so sums over it combine by their lcm);
        the division node as an opaque atom if a factor cannot be divided by."""
        out = a
        for factor in _product_factors(divisor):
            step = self._divide_form(out, self._walk(factor))
            if step is None:
                return self._atom(node)
            out = step
        return out

    def _divide_form(self, a: RationalForm, b: RationalForm) -> RationalForm | None:
        if b.dens and all(self._never_zero(k) for k in b.dens):
            # a/(n/d) with d a product of factors known nonzero: a*d/n
            a = RationalForm(_mul(a.num, self.denominator(b)), dict(a.dens))
            b = RationalForm(b.num)
        if b.dens or not b.num:
            return None  # 1/(1/x), or a division by zero: kept as written
        c = _constant(b.num)
        if c is not None:
            return RationalForm(_scale(a.num, _reciprocal(c)), dict(a.dens))
        dens = dict(a.dens)
        num = a.num
        if len(b.num) == 1:
            ((mono, coeff),) = b.num.items()
            num = _scale(num, _reciprocal(coeff))
            for atom, e in mono:
                key = self._factor({((atom, 1),): 1.0})
                dens[key] = dens.get(key, 0) + e
            return RationalForm(num, dens)
        poly = b.num
        if max(poly.items())[1] < 0:  # the leading (highest) monomial made positive: x - 1
            poly = {m: -v for m, v in poly.items()}
            num = {m: -v for m, v in num.items()}
        key = self._factor(poly)
        dens[key] = dens.get(key, 0) + 1
        return RationalForm(num, dens)

    def _factor(self, poly: Exact) -> FactorKey:
        key = tuple(sorted(poly.items()))
        self.factors.setdefault(key, poly)
        return key

    def denominator(self, form: RationalForm, limit: int = MAX_MONOMIALS) -> Exact:
        """``Π factor^multiplicity`` as one polynomial."""
        out: Exact = {(): 1.0}
        for key, m in sorted(form.dens.items()):
            for _ in range(m):
                out = _mul(out, self.factors[key], limit)
        return out


def _product_factors(term: Term) -> list[Term]:
    """The factors of a product chain (``term`` itself if it is no product)."""
    out: list[Term] = []
    stack = [term]
    while stack:
        node = stack.pop()
        if isinstance(node, App) and node.op == "mul":
            stack.extend(reversed(node.args))
        else:
            out.append(node)
    return out


def _lower(mono: Mono, atom: int, k: int) -> Mono:
    """``mono`` divided by ``atom^k`` (the monomial has at least that power)."""
    return tuple((a, e - k if a == atom else e) for a, e in mono if a != atom or e > k)


def rounded(poly: Exact) -> Poly | None:
    """Each coefficient as the nearest double; None if one overflows or underflows to 0."""
    out: Poly = {}
    for mono, coeff in poly.items():
        try:
            value = float(coeff)
        except OverflowError:
            return None
        if value == 0.0 or not math.isfinite(value):
            return None
        out[mono] = value
    return out


def same_function(
    a: Term,
    b: Term,
    nonzero: frozenset[Term] = frozenset(),
    positive: frozenset[Term] = frozenset(),
) -> bool:
    """Whether ``a`` and ``b`` are the same rational function of the same atoms, with every
    literal read as the real number its double denotes (``N_a * D_b == N_b * D_a`` with exact
    coefficients). False when undecided (a form too large). This certifies a normal form before
    it is unioned with its term: the e-graph treats literals as real numbers, so a coefficient
    rounded on the way (``x/3 + y/3 → (x + y)*0.333…``) must never be claimed equal.
    ``nonzero``: as for :class:`RationalWalk` (a nested fraction over known-nonzero atoms is
    then compared as a fraction, not as an opaque atom)."""
    walk = RationalWalk(nonzero=nonzero, positive=positive)
    fa, fb = walk.convert(a), walk.convert(b)
    if fa is None or fb is None:
        return False
    try:
        left = _mul(fa.num, walk.denominator(fb, CERTIFY_MONOMIALS), CERTIFY_MONOMIALS)
        right = _mul(fb.num, walk.denominator(fa, CERTIFY_MONOMIALS), CERTIFY_MONOMIALS)
    except TooLargeError:
        return False
    return left == right
