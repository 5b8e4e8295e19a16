"""Numerical equivalence check of an optimised term list against its input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symopt.ir import Term, symbols
from symopt.verify.evaluate import compile_terms, run
from symopt.verify.sampling import sample_env


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

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v!r}" for k, v in self.point.items())
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
    """Compare ``before[i]`` and ``after[i]`` at ``n`` shared sample points (see ``sample_env``).

    Only points where ``before`` is finite are judged; there ``after`` must be finite and within
    ``rtol * max(error_scale(before), error_scale(after)) + atol``. A point whose error scale is
    undefined on both sides (nan) is judged on finiteness only. Returns one :class:`Mismatch` per
    failing term (its worst point, by error/tolerance), in term order; empty if all agree.
    """
    if len(before) != len(after):
        raise ValueError(f"term lists differ in length: {len(before)} vs {len(after)}")
    count = len(before)
    program = compile_terms([*before, *after])
    env = sample_env(program.symbols(), n, seed=seed, ranges=ranges)
    values, scales = run(program, env, n, with_scale=True)
    assert scales is not None

    out: list[Mismatch] = []
    with np.errstate(all="ignore"):
        for i in range(count):
            b, a = values[i], values[count + i]
            judged = np.isfinite(b)
            if not judged.any():
                continue
            error = np.abs(a - b)
            scale = np.fmax(scales[i], scales[count + i])
            tol = rtol * np.where(np.isnan(scale), np.inf, scale) + atol
            bad = judged & ~(np.isfinite(a) & (error <= tol))
            if not bad.any():
                continue
            ratio = np.where(np.isfinite(a), error / tol, np.inf)
            ratio = np.where(np.isnan(ratio), np.inf, ratio)
            worst = int(np.flatnonzero(bad)[np.argmax(ratio[bad])])
            point = {s.key: float(env[s][worst]) for s in symbols([before[i], after[i]])}
            out.append(
                Mismatch(
                    index=i,
                    point=point,
                    expected=float(b[worst]),
                    got=float(a[worst]),
                    error=float(error[worst]),
                    tolerance=float(tol[worst]),
                )
            )
    return out
