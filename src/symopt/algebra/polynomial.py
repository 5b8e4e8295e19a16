"""Terms as polynomials over atoms: ``{monomial: coefficient}``.

An *atom* is any subterm that is not polynomial structure: a symbol, a function call, a division
by a non-constant, a non-integer power. A monomial is a sorted tuple of ``(atom id, exponent)``.
Like terms are combined (true over the reals); a combination that cancels to exactly zero would
turn ``m - m`` into ``0`` (false for inf/nan), so such a term is refused (``None``) and left to
the rule-based path. Products of sums are expanded only while small.

Coefficients are combined exactly: in floating point while the result is exact, as a
``Fraction`` once it would round, and rounded to a double only at the end. So a sum that rounds
never feeds a cancellation (``1e16*x + 3*x - 1e16*x`` is ``3*x``, not ``4*x``), and a final
coefficient that overflows or underflows to 0 refuses the term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from symopt.ir import App, Num, Term, postorder

Mono = tuple[tuple[int, int], ...]
Poly = dict[Mono, float]
Coeff = float | Fraction
_Exact = dict[Mono, Coeff]

MAX_EXPANSION = 64
"""A product of sums is expanded only if the result has at most this many monomials."""


@dataclass
class Atoms:
    """Interning table for atoms: term ↔ small integer id."""

    terms: list[Term] = field(default_factory=list)
    index: dict[Term, int] = field(default_factory=dict)

    def id(self, term: Term) -> int:
        found = self.index.get(term)
        if found is None:
            found = self.index[term] = len(self.terms)
            self.terms.append(term)
        return found


class CancellationError(Exception):
    """Combining like terms would cancel a monomial to exactly zero (or overflow a coefficient)."""


def exact_add(a: Coeff, b: Coeff) -> Coeff:
    """``a + b`` without rounding: a float while exact (TwoSum check), else a Fraction."""
    if isinstance(a, float) and isinstance(b, float):
        s = a + b
        if math.isfinite(s):
            bp = s - a
            if (a - (s - bp)) + (b - bp) == 0.0:
                return s
    return Fraction(a) + Fraction(b)


def exact_mul(a: Coeff, b: Coeff) -> Coeff:
    """``a * b`` without rounding: a float while exact, else a Fraction."""
    if isinstance(a, float) and isinstance(b, float):
        if a in (1.0, -1.0) or b in (1.0, -1.0):
            return a * b
        p = a * b
        if a.is_integer() and b.is_integer() and abs(p) < 9007199254740992.0:  # below 2^53
            return p
        if math.isfinite(p) and p != 0.0 and Fraction(p) == Fraction(a) * Fraction(b):
            return p
    return Fraction(a) * Fraction(b)


def _add_into(acc: _Exact, other: _Exact, sign: float) -> None:
    for mono, coeff in other.items():
        total = exact_add(acc.get(mono, 0.0), -coeff if sign < 0 else coeff)
        if total == 0:
            raise CancellationError
        acc[mono] = total


def _mul(a: _Exact, b: _Exact) -> _Exact:
    out: _Exact = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            exps = dict(ma)
            for atom, e in mb:
                exps[atom] = exps.get(atom, 0) + e
            mono = tuple(sorted(exps.items()))
            total = exact_add(out.get(mono, 0.0), exact_mul(ca, cb))
            if total == 0:
                raise CancellationError
            out[mono] = total
    return out


def _rounded(poly: _Exact) -> Poly:
    """Each coefficient as the nearest double; CancellationError if one is not finite or 0."""
    out: Poly = {}
    for mono, coeff in poly.items():
        try:
            value = float(coeff)
        except OverflowError:
            raise CancellationError from None
        if value == 0.0 or not math.isfinite(value):
            raise CancellationError
        out[mono] = value
    return out


def integer_exponent(term: Term) -> int | None:
    """The exponent of a power the polynomial path expands (an integer from 2 to 16), or None."""
    if isinstance(term, Num) and term.value.is_integer() and 2 <= term.value <= 16:
        return int(term.value)
    return None


def to_poly(term: Term, atoms: Atoms, *, max_expansion: int = MAX_EXPANSION) -> Poly | None:
    """``term`` as a polynomial over atoms, or None if like terms would cancel to zero."""
    memo: dict[int, _Exact] = {}
    try:
        for node in postorder([term]):
            memo[id(node)] = _convert(node, memo, atoms, max_expansion)
        return _rounded(memo[id(term)])
    except CancellationError:
        return None


def _convert(node: Term, memo: dict[int, _Exact], atoms: Atoms, max_expansion: int) -> _Exact:
    if isinstance(node, Num):
        return {(): node.value} if node.value != 0.0 else {}
    if not isinstance(node, App):
        return {((atoms.id(node), 1),): 1.0}
    op = node.op
    if op in ("add", "sub"):
        acc = dict(memo[id(node.args[0])])
        _add_into(acc, memo[id(node.args[1])], 1.0 if op == "add" else -1.0)
        return acc
    if op == "neg":
        return {m: -c for m, c in memo[id(node.args[0])].items()}
    if op == "mul":
        a, b = memo[id(node.args[0])], memo[id(node.args[1])]
        if len(a) * len(b) <= max(max_expansion, len(a) + len(b)) or min(len(a), len(b)) == 1:
            return _mul(a, b)
    if op == "pow":
        k = integer_exponent(node.args[1])
        base = memo[id(node.args[0])]
        if k is not None and len(base) == 1:
            ((mono, coeff),) = base.items()
            power: Coeff = coeff
            for _ in range(k - 1):
                power = exact_mul(power, coeff)
            return {tuple((a, e * k) for a, e in mono): power}
    return {((atoms.id(node), 1),): 1.0}
