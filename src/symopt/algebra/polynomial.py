"""Terms as polynomials over atoms: ``{monomial: coefficient}``.

An *atom* is any subterm that is not polynomial structure: a symbol, a function call, a division
by a non-constant, a non-integer power. A monomial is a sorted tuple of ``(atom id, exponent)``.
Like terms are combined (true over the reals, the ``algebra`` tier): a combination that cancels
to exactly zero drops the monomial (``m - m`` is ``0`` for every real ``m``; it differs only at
inf/nan inputs), and a polynomial with no monomial left is ``0``. Products of sums (and
integer powers) are expanded only while small and not larger than the subterm as written
(:func:`expansion_allowed`): a factored input such as a deep Horner form stays factored (the
product is an opaque atom), so its size stays linear.

Coefficients are combined exactly: in floating point while the result is exact, as a
``Fraction`` once it would round, and rounded to a double only at the end. So a sum that rounds
never feeds a cancellation (``1e16*x + 3*x - 1e16*x`` is ``3*x``, not ``4*x``; ``1e16*x - 1e16*x``
is exactly ``0``), and a final coefficient that overflows or underflows to 0 refuses the term.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from symopt.ir import App, Num, Term, postorder

Mono = tuple[tuple[int, int], ...]
Poly = dict[Mono, float]
Coeff = float | Fraction
_Exact = dict[Mono, Coeff]

MAX_EXPANSION = 64
"""A product of sums is expanded only if the result has at most this many monomials."""

EXPANSION_FLOOR = 64
"""An expansion of at most this size (:func:`poly_size`) is always allowed (if within
:data:`MAX_EXPANSION` monomials); a larger one only if it is at most :data:`EXPANSION_GROWTH`
times the size of the subterm as written."""

EXPANSION_GROWTH = 2
"""How much larger than the subterm as written an expansion may be (counted as a tree whose
leaves are its atoms: the polynomial structure above the nearest atoms)."""

_POLYNOMIAL_OPS = frozenset({"add", "sub", "neg", "mul", "pow"})

_TREE_CAP = 1 << 62
"""Tree sizes saturate here (a deep shared DAG would otherwise need huge integers)."""


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
    """A final coefficient overflows or underflows when rounded to a double."""


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


def add_into(acc: _Exact, other: _Exact, sign: float) -> None:
    """``acc += sign*other`` in place, with exact coefficients (a zero sum drops the
    monomial)."""
    for mono, coeff in other.items():
        total = exact_add(acc.get(mono, 0.0), -coeff if sign < 0 else coeff)
        if total == 0:
            acc.pop(mono, None)  # exact cancellation: the monomial is gone (over the reals)
        else:
            acc[mono] = total


def mul_exact(a: _Exact, b: _Exact) -> _Exact:
    """``a*b`` with exact coefficients (a zero coefficient drops the monomial)."""
    out: _Exact = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            exps = dict(ma)
            for atom, e in mb:
                exps[atom] = exps.get(atom, 0) + e
            mono = tuple(sorted(exps.items()))
            total = exact_add(out.get(mono, 0.0), exact_mul(ca, cb))
            if total == 0:
                out.pop(mono, None)
            else:
                out[mono] = total
    return out


def _rounded(poly: _Exact) -> Poly:
    """Each coefficient (exact, nonzero) as the nearest double; CancellationError if one
    overflows or underflows to 0."""
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


def poly_size(poly: Poly) -> int:
    """Size of ``poly`` written out flat: per monomial one term plus one factor per unit of
    degree (``x^3`` is built as ``x*x*x``)."""
    return sum(1 + sum(e for _, e in mono) for mono in poly)


def expansion_allowed(size: int, tree: int) -> bool:
    """May a product (or power) be expanded into a polynomial of ``size`` (:func:`poly_size`)
    when the subterm as written has ``tree`` nodes (a tree whose leaves are atoms)?"""
    return size <= max(EXPANSION_FLOOR, EXPANSION_GROWTH * tree)


@dataclass
class _Walk:
    """Per-node state of one :func:`to_poly` walk, keyed by ``id``: the polynomial, an upper
    bound of its :func:`poly_size` (exact but for like terms combined), the subterm's tree size
    down to its atoms (an atom counts 1) and how many parents have not read it yet."""

    atoms: Atoms
    max_expansion: int
    polys: dict[int, _Exact] = field(default_factory=dict)
    sizes: dict[int, int] = field(default_factory=dict)
    trees: dict[int, int] = field(default_factory=dict)
    unread: dict[int, int] = field(default_factory=dict)

    def read(self, node: Term) -> _Exact:
        """The polynomial of ``node`` (not to be changed); forgotten after its last read."""
        key = id(node)
        self.unread[key] -= 1
        return self.polys[key] if self.unread[key] else self.polys.pop(key)

    def take(self, node: Term) -> _Exact:
        """The polynomial of ``node`` for the reading parent to change: the stored one when no
        other parent reads it later (a long sum is then built in place, linearly), else a copy."""
        key = id(node)
        self.unread[key] -= 1
        return self.polys.pop(key) if self.unread[key] == 0 else dict(self.polys[key])

    def skip(self, node: Term) -> None:
        """``node`` is not read by this parent (an atom's argument)."""
        key = id(node)
        self.unread[key] -= 1
        if self.unread[key] == 0:
            self.polys.pop(key, None)


def to_poly(term: Term, atoms: Atoms, *, max_expansion: int = MAX_EXPANSION) -> Poly | None:
    """``term`` as a polynomial over atoms (``{}`` is 0), or None if a final coefficient would
    overflow or underflow."""
    return to_polys([term], atoms, max_expansion=max_expansion)[0]


def to_polys(
    terms: Sequence[Term],
    atoms: Atoms,
    *,
    max_expansion: int = MAX_EXPANSION,
    stop: Callable[[], bool] | None = None,
) -> list[Poly | None]:
    """:func:`to_poly` of each term, in one walk of their shared DAG: a subterm shared by
    several terms is converted once, and a polynomial is dropped after its last reader (so a
    model whose statements read each other stays linear in time and memory). Once ``stop()``
    (asked every 4096 nodes; e.g. a :meth:`~symopt.limits.Budget.cut`) says so, the walk stops:
    terms not converted by then are None (kept as written)."""
    walk = _Walk(atoms, max_expansion)
    nodes = list(postorder(list(terms)))
    unread = walk.unread
    for node in nodes:
        for arg in node.children():
            unread[id(arg)] = unread.get(id(arg), 0) + 1
    for term in terms:
        unread[id(term)] = unread.get(id(term), 0) + 1
    for k, node in enumerate(nodes):
        if k % 4096 == 4095 and stop is not None and stop():
            return [_finished(walk, t) for t in terms]
        key = id(node)
        walk.trees[key] = min(_TREE_CAP, 1 + sum(walk.trees[id(a)] for a in node.children()))
        walk.polys[key], walk.sizes[key] = _convert(node, walk)
        if not unread.get(key):
            walk.polys.pop(key)
    return [_finished(walk, t) for t in terms]


def _finished(walk: _Walk, term: Term) -> Poly | None:
    """The rounded polynomial of ``term`` if converted (None if not, or if a coefficient
    overflows or underflows)."""
    if id(term) not in walk.polys:
        return None
    try:
        return _rounded(walk.read(term))
    except CancellationError:
        return None


def _convert(node: Term, walk: _Walk) -> tuple[_Exact, int]:
    """The polynomial of ``node`` (its children converted) and a bound of its size."""
    if isinstance(node, Num):
        return ({(): node.value}, 1) if node.value != 0.0 else ({}, 0)
    if not isinstance(node, App):
        return {((walk.atoms.id(node), 1),): 1.0}, 2
    op, args, sizes = node.op, node.args, walk.sizes
    if op not in _POLYNOMIAL_OPS:
        for arg in args:
            walk.skip(arg)
    elif op in ("add", "sub"):
        acc = walk.take(args[0])
        add_into(acc, walk.read(args[1]), 1.0 if op == "add" else -1.0)
        return acc, sizes[id(args[0])] + sizes[id(args[1])]
    if op == "neg":
        return {m: -c for m, c in walk.read(args[0]).items()}, sizes[id(args[0])]
    tree = walk.trees[id(node)]
    if op == "mul":
        a, b = walk.read(args[0]), walk.read(args[1])
        small = len(a) * len(b) <= max(walk.max_expansion, len(a) + len(b))
        # The product's size before like terms combine: a term per pair of monomials, and
        # every factor of a monomial of one side once per monomial of the other side.
        size_a, size_b = sizes[id(args[0])], sizes[id(args[1])]
        size = len(a) * len(b) + len(b) * (size_a - len(a)) + len(a) * (size_b - len(b))
        if (small or min(len(a), len(b)) == 1) and expansion_allowed(size, tree):
            return mul_exact(a, b), size
    elif op == "pow":
        base = walk.read(args[0])
        walk.skip(args[1])
        k = integer_exponent(args[1])
        if k is not None and len(base) == 1:
            ((mono, coeff),) = base.items()
            power: Coeff = coeff
            for _ in range(k - 1):
                power = exact_mul(power, coeff)
            size = 1 + k * (sizes[id(args[0])] - 1)
            if expansion_allowed(size, tree):
                return {tuple((a, e * k) for a, e in mono): power}, size
    walk.trees[id(node)] = 1  # an atom: one leaf of the polynomials above it
    return {((walk.atoms.id(node), 1),): 1.0}, 2
