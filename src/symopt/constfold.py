"""IEEE folding of the input's constant subterms, before any rewriting.

``1e16 + 1`` in an input is a constant the emitted code would compute as ``1e16``: replacing the
subterm by the literal ``1e16`` changes no result, in IEEE arithmetic, at any point (an ``exact``
transformation). Doing it first matters for soundness: the e-graph treats literals as real
numbers and folds only exact results (``egraph/fold.egg``), so an input constant that rounds, left
unfolded, would reach the rules as a different real number than the one the input computes
with (``x*(1e16 + 1) - x*1e16`` is ``x`` over the reals, ``0`` as the input computes it).

Only operations whose IEEE result is the same in every target are folded: ``+ - * /``, negation
and ``sqrt`` (correctly rounded by IEEE 754), and only when the result is finite. A library
function of a literal (``log(2)``, ``exp(1)``, ``cos(0.5)``) is folded when this platform's libm
returns the correctly rounded value (checked with mpmath at 120 bits): the value a correctly
rounded libm computes, and the one GCC folds such a call to at compile time (with MPFR).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence

from symopt.ir import App, Num, Term, postorder, with_args

_FOLD: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "sqrt": math.sqrt,
}


_LIBM: dict[str, Callable[[float], float]] = {
    op: getattr(math, op) for op in ("exp", "log", "log10", "log2", "sin", "cos", "tan", "atan")
}
"""The functions folded where the platform's result is the correctly rounded one (checked with
mpmath, imported only when a literal is folded: not at start-up)."""


def _libm_value(op: str, value: float) -> float | None:
    """``op(value)`` when the platform's result is the correctly rounded one (else None)."""
    try:
        result = _LIBM[op](value)
    except (ValueError, OverflowError):
        return None
    underflow = abs(result) < sys.float_info.min and (result != 0.0 or op not in ("log", "sin"))
    if not math.isfinite(result) or (underflow and value != 0.0):
        return None  # an underflow (subnormal or 0) is not folded (docs/soundness.md)
    import mpmath

    with mpmath.workprec(120):
        x = mpmath.mpf(value)
        correct = float(mpmath.log(x, 2) if op == "log2" else getattr(mpmath, op)(x))
    return result if correct == result else None


def fold_value(op: str, values: Sequence[float]) -> float | None:
    """The IEEE result of ``op`` on literal ``values``, or None if not folded (another operator,
    a non-finite result, a division by zero, the square root of a negative number)."""
    if op in _LIBM:
        return _libm_value(op, values[0])
    fn = _FOLD.get(op)
    if fn is None:
        return None
    try:
        result = fn(*values)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def fold_constants(roots: Sequence[Term]) -> list[Term]:
    """``roots`` with every subterm built only from literals replaced by its IEEE value."""
    done: dict[int, Term] = {}
    for t in postorder(roots):
        if not isinstance(t, App):
            done[id(t)] = t
            continue
        args = tuple(done[id(a)] for a in t.args)
        if all(isinstance(a, Num) for a in args):
            value = fold_value(t.op, [a.value for a in args if isinstance(a, Num)])
            if value is not None:
                done[id(t)] = Num(value)
                continue
        done[id(t)] = with_args(t, args)
    return [done[id(r)] for r in roots]
