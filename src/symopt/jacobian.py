"""A model's sparse Jacobian: which array to differentiate by, the CSC structure and entries, and
the finite-difference check of the values (no I/O here).

Rows are the outputs: ``du[i]`` is row ``i`` when every output is an entry of one array output,
otherwise the outputs in file order. Columns are the entries ``u[0] … u[n-1]`` of the chosen
input array. The structure is compressed sparse column (CSC, as ``scipy.sparse.csc_matrix``):
the rows of column ``j`` are ``indices[indptr[j]:indptr[j+1]]``, increasing, and ``entries[k]``
is the value stored at position ``k``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symopt.diff import Builder, derivatives
from symopt.ir import Sym, Term, postorder
from symopt.verify import error_scale, evaluate, sample_env


@dataclass(frozen=True)
class Jacobian:
    """``d outputs / d array`` in CSC form; ``entries`` are symbolic (not yet optimised)."""

    array: str
    shape: tuple[int, int]
    indptr: tuple[int, ...]
    indices: tuple[int, ...]
    entries: tuple[Term, ...]

    @property
    def nnz(self) -> int:
        return len(self.entries)

    def position(self, k: int) -> tuple[int, int]:
        """``(row, column)`` of stored entry ``k``."""
        col = int(np.searchsorted(self.indptr, k, side="right")) - 1
        return self.indices[k], col


def default_array(statements: Sequence[tuple[Term, bool]], arrays: Sequence[str]) -> str | None:
    """The input array read by the most statements (``(expr, _)`` pairs); ties go to the first
    of ``arrays`` (declaration order). None without array inputs."""
    if not arrays:
        return None
    count = dict.fromkeys(arrays, 0)
    for expr, _ in statements:
        for name in {t.name for t in postorder([expr]) if isinstance(t, Sym)}:
            if name in count:
                count[name] += 1
    return max(arrays, key=lambda a: count[a])


def output_rows(targets: Sequence[Sym], sizes: Mapping[str, int]) -> tuple[list[int], int]:
    """Row of each output and the number of rows (see the module docstring)."""
    names = {t.name for t in targets}
    if len(names) == 1 and all(t.index is not None for t in targets):
        (name,) = names
        rows = [t.index for t in targets if t.index is not None]
        return rows, max(sizes.get(name, 0), max(rows) + 1)
    return list(range(len(targets))), len(targets)


def build_jacobian(
    terms: Sequence[Term], rows: Sequence[int], n_rows: int, array: str, n_cols: int
) -> Jacobian:
    """The Jacobian of ``terms`` (output ``k`` in row ``rows[k]``) by ``array[0 … n_cols-1]``."""
    per_output = derivatives(terms, array, Builder(terms))
    by_column: dict[int, list[tuple[int, Term]]] = {}
    for row, entries in zip(rows, per_output, strict=True):
        for col, term in entries.items():
            by_column.setdefault(col, []).append((row, term))
    n_cols = max(n_cols, max(by_column, default=-1) + 1)
    indptr = [0]
    indices: list[int] = []
    values: list[Term] = []
    for col in range(n_cols):
        for row, term in sorted(by_column.get(col, []), key=lambda e: e[0]):
            indices.append(row)
            values.append(term)
        indptr.append(len(indices))
    return Jacobian(array, (n_rows, n_cols), tuple(indptr), tuple(indices), tuple(values))


@dataclass(frozen=True)
class FDMismatch:
    """A Jacobian entry that disagrees with central finite differences."""

    row: int
    column: int
    point: dict[str, float]
    value: float
    estimate: float


FD_RTOL = 1e-4
"""Relative tolerance of the finite-difference check (FD with an optimal step is good to about
``eps^(2/3)`` ≈ 4e-11 relative to the function's scale; curvature makes it worse)."""


def check_finite_differences(
    terms: Sequence[Term],
    rows: Sequence[int],
    jac: Jacobian,
    entries: Sequence[Term],
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    points: int = 8,
    seed: int = 1,
) -> list[FDMismatch]:
    """Compare ``entries`` (``jac``'s values, e.g. optimised) with central differences of the
    output ``terms`` at ``points`` seeded sample points; one mismatch per failing entry.

    Step ``h = eps^(1/3) max(1, |u_j|)``; an entry fails where
    ``|J - FD| > FD_RTOL (|J| + |FD|) + 100 eps S / h`` at more than a quarter of the points
    where both are finite (``S``: the outputs' error scale, so that cancellation is allowed
    for; the quarter forgives a step across a jump of ``floor`` or a kink of ``abs``).
    """
    syms = list(dict.fromkeys(s for s in _symbols([*terms, *entries])))
    env = sample_env(syms, points, seed=seed, ranges=ranges)
    row_term = {row: k for k, row in enumerate(rows)}
    eps = sys.float_info.epsilon
    values = evaluate(list(entries), env) if entries else []
    scales = error_scale(list(terms), env)
    out: list[FDMismatch] = []
    with np.errstate(all="ignore"):
        for col in range(jac.shape[1]):
            lo, hi = jac.indptr[col], jac.indptr[col + 1]
            if lo == hi:
                continue
            key = Sym(jac.array, col)
            base = env.get(key, np.zeros(points))
            h = eps ** (1 / 3) * np.maximum(1.0, np.abs(base))
            wanted = [terms[row_term[jac.indices[k]]] for k in range(lo, hi)]
            plus = evaluate(wanted, {**env, key: base + h})
            minus = evaluate(wanted, {**env, key: base - h})
            for j, k in enumerate(range(lo, hi)):
                fd = (plus[j] - minus[j]) / (2 * h)
                got = np.broadcast_to(values[k], fd.shape)
                s = scales[row_term[jac.indices[k]]]
                tol = FD_RTOL * (np.abs(got) + np.abs(fd)) + 100 * eps * s / h
                finite = np.isfinite(fd) & np.isfinite(got) & np.isfinite(tol)
                bad = finite & (np.abs(got - fd) > tol)
                if bad.sum() * 4 > max(1, finite.sum()):
                    i = int(np.argmax(bad))
                    point = {s.key: float(v[i]) for s, v in env.items()}
                    out.append(FDMismatch(jac.indices[k], col, point, float(got[i]), float(fd[i])))
    return out


def _symbols(terms: Sequence[Term]) -> list[Sym]:
    return [t for t in postorder(list(terms)) if isinstance(t, Sym)]
