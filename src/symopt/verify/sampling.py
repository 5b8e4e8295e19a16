"""Seeded sample points for numerical checks."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from symopt.ir import Sym

SPECIAL_POINTS: tuple[float, ...] = (1.0, 0.5, 2.0)
"""Fixed values placed among the samples of every symbol (never 0 by default)."""

POSITIVE_RANGE: tuple[float, float] = (0.1, 3.0)
FULL_RANGE: tuple[float, float] = (-3.0, 3.0)


def sample_env(
    symbols: Sequence[Sym],
    n: int,
    *,
    seed: int = 0,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> dict[Sym, np.ndarray]:
    """Draw ``n`` points: a float64 array of shape (n,) per symbol.

    Layout of the points (the same indices for every symbol, so a point is all-positive or not
    for all symbols at once):

    * the first ``min(3, n // 4)`` points are special values from :data:`SPECIAL_POINTS`
      (1.0, 0.5, 2.0), rotated per symbol so that neighbouring symbols differ there;
    * by default, half of the rest is uniform in [0.1, 3] (so log/sqrt inputs are valid) and
      the other half uniform in [-3, 3].

    ``ranges`` maps a base name (``"u"``, every ``u[i]``) or an exact key (``"u[3]"``, ``"x"``) to
    ``(lo, hi)``; the exact key wins. A ranged symbol is uniform in [lo, hi] at every point, and
    keeps only the special values inside [lo, hi]. Each symbol draws from its own generator seeded
    by ``seed`` and its key, so its values don't depend on which other symbols are sampled.
    """
    if n < 1:
        raise ValueError(f"need at least one sample point, got n={n}")
    ranges = ranges or {}
    n_special = min(len(SPECIAL_POINTS), n // 4)
    out: dict[Sym, np.ndarray] = {}
    for k, sym in enumerate(dict.fromkeys(symbols)):
        key = sym.key
        rng = np.random.default_rng([seed % 2**64, zlib.crc32(key.encode())])
        shift = k % len(SPECIAL_POINTS)
        rotated = SPECIAL_POINTS[shift:] + SPECIAL_POINTS[:shift]
        bounds = ranges.get(key, ranges.get(sym.name))
        if bounds is None:
            special = list(rotated[:n_special])
            rest = n - n_special
            half = (rest + 1) // 2
            body = [rng.uniform(*POSITIVE_RANGE, half), rng.uniform(*FULL_RANGE, rest - half)]
        else:
            lo, hi = (float(b) for b in bounds)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise ValueError(f"bad sampling range for {key}: ({lo}, {hi})")
            special = [v for v in rotated if lo <= v <= hi][:n_special]
            body = [rng.uniform(lo, hi, n - len(special))]
        out[sym] = np.concatenate([np.asarray(special, dtype=np.float64), *body])
    return out
