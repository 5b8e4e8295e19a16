"""Real-number evaluation for the ``algebra`` tier check: what a term means over ℝ at a point.

Doubles blur the answer exactly where the ``algebra`` tier differs from ``exact``: a rule that is
true over the reals may round or overflow differently (``(a*b)*c → a*(b*c)`` at 1e300), and one
that is false by a relative 1e-12 hides inside a double tolerance. :func:`real_disagreement`
evaluates both sides with mpmath, without overflow or underflow (mpmath exponents are unbounded),
at a working precision and at twice that: where the rule is true the difference of the sides is
rounding, so it shrinks by about 2^-bits from one precision to the other (or is 0); where it is
false the difference stays. The precision is fitted to the magnitudes at the point
(:func:`working_bits`). An exponential of an argument beyond ±1e5 is out of scope (the point is
left to the double check). A side is
*undefined* where a real operation is: x/0, log of x <= 0, log1p of x <= -1, sqrt of x < 0,
asin/acos outside [-1, 1], a negative base with a non-integer exponent, 0 to a negative power.
``pow(0, 0)`` is 1 and ``atan2(0, 0)`` is 0, as in IEEE.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath

from symopt.ir import App, Num, Sym, Term, postorder

BASE_BITS = 256
"""Working precision at a point whose values share one binade; each binade between the largest
and the smallest nonzero value (inputs and literals) adds a bit, so a sum of two such values is
exact (``(1e300 + 1) - 1e300`` is 1, not 0)."""
SHRINK_BITS = 200
"""A true rule's difference shrinks by at least 2^-SHRINK_BITS when the precision doubles."""

MP = Any
"""An ``mpmath.mpf`` (mpmath ships no type hints)."""


class UndefinedError(Exception):
    """A real operation outside its domain (raised inside :func:`real_value`)."""


class OutOfScopeError(Exception):
    """An exponential of an argument beyond ±:data:`EXP_LIMIT`: its value is astronomically
    outside the double range (and slow to compute), so the point is left to the double check."""


EXP_LIMIT = 1e5


def _exp_like(fn: Callable[[MP], MP]) -> Callable[[MP], MP]:
    def inner(a: MP) -> MP:
        if abs(a) > EXP_LIMIT:
            raise OutOfScopeError
        return fn(a)

    return inner


def _div(a: MP, b: MP) -> MP:
    if b == 0:
        raise UndefinedError
    return a / b


def _log(base: float | None) -> Callable[[MP], MP]:
    def log(a: MP) -> MP:
        if a <= 0:
            raise UndefinedError
        return mpmath.log(a) if base is None else mpmath.log(a, base)

    return log


def _log1p(a: MP) -> MP:
    if a <= -1:
        raise UndefinedError
    return mpmath.log1p(a)


def _sqrt(a: MP) -> MP:
    if a < 0:
        raise UndefinedError
    return mpmath.sqrt(a)


def _unit(fn: Callable[[MP], MP]) -> Callable[[MP], MP]:
    def inner(a: MP) -> MP:
        if abs(a) > 1:
            raise UndefinedError
        return fn(a)

    return inner


def _pow(a: MP, b: MP) -> MP:
    if a == 0:
        if b < 0:
            raise UndefinedError
        return mpmath.mpf(1) if b == 0 else mpmath.mpf(0)
    if a < 0:
        if b != mpmath.floor(b):
            raise UndefinedError
        if abs(b * mpmath.log(-a)) > EXP_LIMIT:
            raise OutOfScopeError
        value = mpmath.power(a, b)
        return value.real if isinstance(value, mpmath.mpc) else value
    if abs(b * mpmath.log(a)) > EXP_LIMIT:
        raise OutOfScopeError
    return mpmath.power(a, b)


def _cbrt(a: MP) -> MP:
    return -mpmath.cbrt(-a) if a < 0 else mpmath.cbrt(a)


def _atan2(y: MP, x: MP) -> MP:
    return mpmath.mpf(0) if x == 0 and y == 0 else mpmath.atan2(y, x)


_OPS: dict[str, Callable[..., MP]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": _div,
    "neg": lambda a: -a,
    "pow": _pow,
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "tan": mpmath.tan,
    "asin": _unit(mpmath.asin),
    "acos": _unit(mpmath.acos),
    "atan": mpmath.atan,
    "sinh": _exp_like(mpmath.sinh),
    "cosh": _exp_like(mpmath.cosh),
    "tanh": mpmath.tanh,
    "exp": _exp_like(mpmath.exp),
    "expm1": _exp_like(mpmath.expm1),
    "log": _log(None),
    "log1p": _log1p,
    "log2": _log(2),
    "log10": _log(10),
    "sqrt": _sqrt,
    "cbrt": _cbrt,
    "abs": abs,
    "floor": mpmath.floor,
    "ceil": mpmath.ceil,
    "atan2": _atan2,
    "hypot": mpmath.hypot,
    "min": min,
    "max": max,
    "fma": lambda a, b, c: a * b + c,
}


def real_value(term: Term, point: Mapping[str, float], bits: int) -> MP | None:
    """``term``'s real value at ``point`` (symbol key → value), computed with ``bits`` of
    working precision; ``None`` where the reals leave it undefined. Raises
    :class:`OutOfScopeError` for an exponential far outside the double range."""
    with mpmath.workprec(bits):
        done: dict[int, MP] = {}
        try:
            for t in postorder([term]):
                if isinstance(t, Num):
                    done[id(t)] = mpmath.mpf(t.value)
                elif isinstance(t, Sym):
                    done[id(t)] = mpmath.mpf(point[t.key])
                elif isinstance(t, App):
                    done[id(t)] = _OPS[t.op](*(done[id(a)] for a in t.args))
                else:
                    raise ValueError(f"cannot evaluate {t!r} over the reals")
        except UndefinedError:
            return None
        return done[id(term)]


@dataclass(frozen=True)
class RealVerdict:
    """Why two terms differ over the reals at a point (``lhs``/``rhs`` as doubles, nan where
    undefined)."""

    reason: str
    lhs: float
    rhs: float


def _as_float(v: MP | None) -> float:
    return float("nan") if v is None else float(v)


def working_bits(terms: list[Term], point: Mapping[str, float]) -> int:
    """:data:`BASE_BITS` plus two bits per binade spanned by the nonzero values of ``point``
    and the literals of ``terms``."""
    values = [v for v in point.values() if v != 0]
    values += [t.value for t in postorder(terms) if isinstance(t, Num) and t.value != 0]
    exps = [math.frexp(v)[1] for v in values if math.isfinite(v)]
    return BASE_BITS + (max(exps) - min(exps) if exps else 0)


def _difference(lhs: Term, rhs: Term, point: Mapping[str, float], bits: int) -> MP:
    a, b = real_value(lhs, point, bits), real_value(rhs, point, bits)
    assert a is not None and b is not None  # the domain does not depend on the precision
    with mpmath.workprec(bits):
        return abs(a - b)


def _shrinks(lhs: Term, rhs: Term, point: Mapping[str, float], bits: int, high: MP) -> bool:
    """Whether the difference ``high`` (at ``2*bits``) is 0 or 2^-SHRINK_BITS of the one at
    ``bits`` (should that vanish by chance, whether the one at ``4*bits`` shrinks from
    ``high``)."""
    if high == 0:
        return True
    low = _difference(lhs, rhs, point, bits)
    if low == 0:
        low, high = high, _difference(lhs, rhs, point, 4 * bits)
    return bool(high == 0 or high <= low * mpmath.ldexp(1, -SHRINK_BITS))


def real_disagreement(lhs: Term, rhs: Term, point: Mapping[str, float]) -> RealVerdict | None:
    """``None`` if ``lhs`` and ``rhs`` are the same real number at ``point`` (or both
    undefined), else why not (see the module docstring): the difference of the sides must be 0
    or shrink by 2^-SHRINK_BITS when the working precision (:func:`working_bits`) doubles.
    Raises :class:`OutOfScopeError` (see there)."""
    bits = working_bits([lhs, rhs], point)
    a, b = real_value(lhs, point, 2 * bits), real_value(rhs, point, 2 * bits)
    if a is None and b is None:
        return None
    if a is None or b is None:
        why = (
            "rhs is defined where lhs is not (it widens the domain)"
            if a is None
            else "rhs is undefined where lhs is defined (it narrows the domain)"
        )
        return RealVerdict(why, _as_float(a), _as_float(b))
    with mpmath.workprec(2 * bits):
        high = abs(a - b)
    if _shrinks(lhs, rhs, point, bits, high):
        return None
    return RealVerdict("lhs and rhs are different real numbers", float(a), float(b))


__all__ = [
    "BASE_BITS",
    "OutOfScopeError",
    "RealVerdict",
    "real_disagreement",
    "real_value",
    "working_bits",
]
