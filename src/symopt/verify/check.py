"""Numerical equivalence check of an optimised term list against its input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symopt.ir import Interned, Sym, Term, symbols
from symopt.verify.evaluate import Program, compile_terms, stream
from symopt.verify.sampling import sample_env

UNVERIFIABLE = "unverifiable"

RESCALES: tuple[float, ...] = (1e-300, 1e-150, 1e-50, 1e50, 1e150, 1e300)
"""Factors applied to the first :data:`RESCALED` points of every unranged symbol, for extra
points where terms with extreme constants (``1e308*u``) are moderate."""
RESCALED = 8

UNDERFLOW_SCALE = 1e-200
"""Error scales below this may hide an underflow (rescaled points with one are not judged)."""


@dataclass(frozen=True)
class Mismatch:
    """The worst disagreeing sample point of one term."""

    index: int
    """Which term of the list."""
    point: dict[str, float]
    """Values of the term's symbols at that point, keyed ``"x"``, ``"u[3]"``."""
    expected: float
    """Value of the input term."""
    got: float
    """Value of the optimised term (may be nan/inf)."""
    error: float
    """``|got - expected|``."""
    tolerance: float
    reason: str = "disagrees"
    """``disagrees``, or ``unverifiable`` when the input was not finite at any sample point."""

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in self.point.items())
        if self.reason == UNVERIFIABLE:
            return f"term {self.index}: the input is not finite at any sample point"
        return (
            f"term {self.index}: expected {self.expected!r}, got {self.got!r} "
            f"(error {self.error:.3g} > tolerance {self.tolerance:.3g}) at {where or 'any point'}"
        )


def check_equivalent(
    before: Sequence[Term],
    after: Sequence[Term],
    *,
    n: int = 64,
    seed: int = 0,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    rtol: float = 1e-9,
    atol: float = 1e-300,
) -> list[Mismatch]:
    """Compare ``before[i]`` and ``after[i]`` at ``n`` shared sample points (see ``sample_env``)
    and at rescaled copies of some of them (:data:`RESCALES`, unranged symbols only; there an
    optimised value that is not finite, or a point where an error scale overflows or underflows,
    is not judged, as rewrites may move an overflow).

    Only points where ``before`` is finite are judged; there ``after`` must be finite and within
    ``rtol * max(error_scale(before), error_scale(after)) + atol``; where ``before`` is exactly 0
    at every judged point (an exact cancellation, not an underflow), ``after`` must be 0 to within
    ``rtol`` times its own error scale (a huge input scale cannot hide ``1e308*u - 1e308*u → u``).
    A point whose error scale is undefined on both sides (nan) is judged on finiteness only. A
    changed term whose input is finite at no point is a mismatch too (reason ``unverifiable``).
    Returns one :class:`Mismatch` per failing term (its worst point, by error/tolerance), in term
    order.
    """
    if len(before) != len(after):
        raise ValueError(f"term lists differ in length: {len(before)} vs {len(after)}")
    # Before and after interleaved: each pair is judged as soon as both are computed, and their
    # arrays dropped (holding every root's values took ~2 KB per output).
    program = compile_terms([t for pair in zip(before, after, strict=True) for t in pair])
    env = _with_rescaled(
        sample_env(_sampled(before, program), n, seed=seed, ranges=ranges), ranges, n
    )
    total = n + len(RESCALES) * min(RESCALED, n)
    pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    out: list[Mismatch] = []

    def judge(j: int, value: np.ndarray, scale: np.ndarray | None) -> None:
        i, side = divmod(j, 2)
        if program.roots[2 * i] == program.roots[2 * i + 1]:
            return  # structurally unchanged
        assert scale is not None
        other = pending.pop(i, None)
        if other is None:
            pending[i] = (value, scale)
            return
        (b, sb), (a, sa) = (other, (value, scale)) if side else ((value, scale), other)
        found = _worst_point(b, a, sb, sa, n=n, rtol=rtol, atol=atol)
        if found is not None:
            worst, tolerance = found
            point = {s.key: float(env[s][worst]) for s in symbols([before[i], after[i]])}
            if tolerance is None:
                out.append(Mismatch(i, point, float(b[0]), float(a[0]), np.inf, 0.0, UNVERIFIABLE))
            else:
                expected, got = float(b[worst]), float(a[worst])
                out.append(Mismatch(i, point, expected, got, abs(got - expected), tolerance))

    stream(program, env, total, judge, with_scale=True)
    out.sort(key=lambda m: m.index)
    return out


def _sampled(before: Sequence[Term], program: Program) -> list[Sym]:
    """The symbols in the order they are sampled in: first appearance in ``before``, then in
    ``after`` (each symbol's special points depend on its place: the order of the program,
    which interleaves the two, would move them)."""
    if isinstance(before, Interned) and before.unchanged() and before.symbol_order is not None:
        first = list(before.symbol_order)  # counted when the inputs were interned
    else:
        first = symbols(list(before))
    known = set(first)
    return first + [s for s in program.symbols() if s not in known]


def _worst_point(
    b: np.ndarray,
    a: np.ndarray,
    sb: np.ndarray,
    sa: np.ndarray,
    *,
    n: int,
    rtol: float,
    atol: float,
) -> tuple[int, float | None] | None:
    """The worst failing point of a term (input values ``b``, output ``a``, their error scales)
    and the tolerance there (``None``: the input is finite at no point); ``None`` if it passes."""
    with np.errstate(all="ignore"):
        judged = np.isfinite(b)
        if not judged.any():
            return 0, None
        error = np.abs(a - b)
        scale = np.fmax(sb, sa)
        tol = rtol * np.where(np.isnan(scale), np.inf, scale) + atol
        own = rtol * np.where(np.isnan(sa), np.inf, sa) + atol
        if _identically_zero(b[:n], sb[:n]):
            tol = np.fmin(tol, own)
        bad = judged & ~(np.isfinite(a) & (error <= tol))
        # At rescaled points a legitimate rewrite may overflow or underflow where the input
        # did not (a/b/c → a/(b*c)): only finite values with moderate scales are compared.
        moderate = np.isfinite(sb) & np.isfinite(sa) & (sb >= UNDERFLOW_SCALE)
        bad[n:] &= np.isfinite(a[n:]) & moderate[n:]
        if not bad.any():
            return None
        ratio = np.where(np.isfinite(a), error / tol, np.inf)
        ratio = np.where(np.isnan(ratio), np.inf, ratio)
        worst = int(np.flatnonzero(bad)[np.argmax(ratio[bad])])
        return worst, float(tol[worst])


def _with_rescaled(
    env: dict[Sym, np.ndarray], ranges: Mapping[str, tuple[float, float]] | None, n: int
) -> dict[Sym, np.ndarray]:
    """``env`` with the first :data:`RESCALED` points appended once per factor of
    :data:`RESCALES`, scaled for unranged symbols (a ranged one keeps its values)."""
    ranges = ranges or {}
    k = min(RESCALED, n)
    out: dict[Sym, np.ndarray] = {}
    for sym, values in env.items():
        ranged = sym.key in ranges or sym.name in ranges
        extra = [values[:k] if ranged else values[:k] * f for f in RESCALES]
        out[sym] = np.concatenate([values, *extra])
    return out


def _identically_zero(values: np.ndarray, scales: np.ndarray) -> bool:
    """The input computed exactly 0 at every point where it is finite, as a cancellation of
    terms (error scale at least :data:`UNDERFLOW_SCALE`), not as an underflow."""
    finite = np.isfinite(values)
    return bool(
        finite.any() and (values[finite] == 0).all() and (scales[finite] >= UNDERFLOW_SCALE).all()
    )
