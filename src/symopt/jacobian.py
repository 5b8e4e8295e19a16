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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symopt.diff import Builder, derivatives
from symopt.ir import Sym, Term, postorder
from symopt.verify import sample_env
from symopt.verify.evaluate import Program, compile_terms, run


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


def values_name(taken: Iterable[str]) -> str:
    """The name of the generated functions' values parameter: ``jac``, unless a parameter is
    called so (then ``jac2``, ``jac3``, …)."""
    names = set(taken)
    return next(
        c for c in ("jac", *(f"jac{k}" for k in range(2, len(names) + 3))) if c not in names
    )


def default_array(
    statements: Sequence[Term],
    arrays: Sequence[str],
    sizes: Mapping[str, int],
    outputs: Sequence[str],
    n_outputs: int,
) -> str | None:
    """The state: the input array read by the most ``statements``; among those tied, the one
    an output is named after (``u`` for ``du``), then one of ``n_outputs`` entries, then the one
    read most often, then the first of ``arrays`` (declaration order). None without arrays."""
    if not arrays:
        return None
    count = dict.fromkeys(arrays, 0)
    uses = dict.fromkeys(arrays, 0)
    for expr in statements:
        found: set[str] = set()
        for t in postorder([expr], None):
            if isinstance(t, Sym) and t.name in count:
                found.add(t.name)
        for name in found:
            count[name] += 1
    for t in _occurrences(statements):
        if t.name in uses:
            uses[t.name] += 1
    named = {o[1:] for o in outputs if o.startswith("d")}

    def rank(a: str) -> tuple[int, bool, bool, int, int]:
        size = sizes.get(a, 0)
        return count[a], a in named, size == n_outputs, uses[a], -arrays.index(a)

    return max(arrays, key=rank)


def _occurrences(statements: Sequence[Term]) -> list[Sym]:
    """Every symbol read, once per occurrence in the statements as written."""
    out: list[Sym] = []
    stack = list(statements)
    while stack:
        t = stack.pop()
        if isinstance(t, Sym):
            out.append(t)
        stack.extend(t.children())
    return out


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
    """A Jacobian row whose product with a direction disagrees with central differences;
    ``column`` is the entry of that row most to blame (the largest single-column error), with
    its ``value`` and its own central difference ``estimate`` at ``point``."""

    row: int
    column: int
    point: dict[str, float]
    value: float
    estimate: float


FD_RTOL = 1e-4
"""Relative tolerance of the finite-difference check (central differences with an optimal step
are good to about ``eps^(2/3)`` ≈ 4e-11 of the function's scale; curvature makes it worse)."""


def check_finite_differences(
    terms: Sequence[Term],
    rows: Sequence[int],
    jac: Jacobian,
    entries: Sequence[Term],
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    points: int = 16,
    seed: int = 1,
) -> list[FDMismatch]:
    """Compare ``entries`` (``jac``'s values, e.g. optimised) with central differences of the
    output ``terms``; one mismatch per failing row (empty: all agree).

    All columns at once: at each of ``points`` seeded sample points, a random direction ``v``
    (``v_j = ±(0.5 … 1.5) max(1, |u_j|)``) and steps ``h = eps^(1/3)`` and ``h/2``; row ``r``
    fails where ``|(J v)_r - FD_r| > FD_RTOL (sum_j |J_rj v_j| + |FD_r|) + 200 eps S_r / h + T_r``
    (``FD``: the half-step difference; ``S``: the output's error scale, allowing for
    cancellation; ``T``: the two steps' difference, bounding the truncation error) at more than
    a quarter of the points where both are finite (forgiving a step across a jump of ``floor``
    or a kink of ``abs``). A failing row is then checked column by column to name the entry.
    """
    row_term = {row: k for k, row in enumerate(rows)}
    listed = [row for row in range(jac.shape[0]) if row in row_term]
    rhs = compile_terms(terms[row_term[row]] for row in listed)
    jacobian = compile_terms(entries)
    syms = list(dict.fromkeys([*rhs.symbols(), *jacobian.symbols()]))
    env = sample_env(syms, points, seed=seed, ranges=ranges)
    rng = np.random.default_rng(seed)
    n_rows, n_cols = jac.shape
    cols = np.repeat(np.arange(n_cols), np.diff(jac.indptr))
    idx = np.asarray(jac.indices, dtype=np.intp)
    base = {j: env.get(Sym(jac.array, j), np.zeros(points)) for j in range(n_cols)}
    direction = {
        j: rng.choice([-1.0, 1.0], points) * rng.uniform(0.5, 1.5, points) * np.maximum(1, abs(u))
        for j, u in base.items()
    }
    h = sys.float_info.epsilon ** (1 / 3)
    wanted = [terms[row_term[row]] for row in listed]
    with np.errstate(all="ignore"):
        values = _values(jacobian, env, points)
        coarse = _central(rhs, env, jac.array, {j: d * h for j, d in direction.items()}, h, points)
        half = h / 2
        fd = _central(
            rhs, env, jac.array, {j: d * half for j, d in direction.items()}, half, points
        )
        # Richardson: the half-step estimate is off by about a third of the two's difference;
        # allowing the whole difference keeps fast oscillation (sin(u^9)) from failing a row.
        truncation = np.abs(coarse - fd)
        scales = run(rhs, env, points, with_scale=True)[1]
        assert scales is not None
        contrib = values * np.stack([direction[j] for j in cols.tolist()]) if len(cols) else values
        jv = np.zeros((n_rows, points))
        size = np.zeros((n_rows, points))
        np.add.at(jv, idx, contrib)
        np.add.at(size, idx, np.abs(contrib))
        out = []
        for k, row in enumerate(listed):
            noise = 100 * sys.float_info.epsilon * scales[k] / half
            tol = FD_RTOL * (size[row] + np.abs(fd[k])) + noise + truncation[k]
            finite = np.isfinite(fd[k]) & np.isfinite(jv[row]) & np.isfinite(tol)
            bad = finite & (np.abs(jv[row] - fd[k]) > tol)
            if bad.sum() * 4 > max(1, finite.sum()):
                i = int(np.argmax(bad))
                point = {s.key: float(v[i]) for s, v in env.items()}
                column, value, estimate = _blame(wanted[k], row, jac, values, env, i)
                out.append(FDMismatch(row, column, point, value, estimate))
    return out


def _values(entries: Program, env: Mapping[Sym, np.ndarray], points: int) -> np.ndarray:
    """The entries at every point, shape ``(nnz, points)``."""
    if not entries.roots:
        return np.zeros((0, points))
    got = run(entries, env, points, with_scale=False)[0]
    return np.stack([np.broadcast_to(v, (points,)) for v in got])


def _central(
    terms: Program,
    env: Mapping[Sym, np.ndarray],
    array: str,
    step: Mapping[int, np.ndarray],
    h: float,
    n: int,
) -> np.ndarray:
    """``(f(u + step) - f(u - step)) / 2h`` per term and point (one evaluation at both)."""
    both = {s: np.concatenate([np.broadcast_to(v, (n,))] * 2) for s, v in env.items()}
    for j, s in step.items():
        u = np.broadcast_to(env.get(Sym(array, j), 0.0), (n,))
        both[Sym(array, j)] = np.concatenate([u + s, u - s])
    got = run(terms, both, 2 * n, with_scale=False)[0]
    values = [np.broadcast_to(v, (2 * n,)) for v in got]
    return np.stack([(v[:n] - v[n:]) / (2 * h) for v in values])


def _blame(
    term: Term, row: int, jac: Jacobian, values: np.ndarray, env: Mapping[Sym, np.ndarray], i: int
) -> tuple[int, float, float]:
    """The column of ``row`` whose entry differs most from its own central difference at
    point ``i``, the entry and the difference (column ``-1`` if the row has no entries)."""
    point = {s: v[i : i + 1] for s, v in env.items()}
    worst, column, value, estimate = -1.0, -1, float("nan"), float("nan")
    h0 = sys.float_info.epsilon ** (1 / 3)
    for col in range(jac.shape[1]):
        for k in range(jac.indptr[col], jac.indptr[col + 1]):
            if jac.indices[k] != row:
                continue
            u = point.get(Sym(jac.array, col), np.zeros(1))
            h = h0 * max(1.0, float(abs(u[0])))
            fd = _central(compile_terms([term]), point, jac.array, {col: np.full(1, h)}, h, 1)[0][0]
            got = float(values[k][i])
            err = abs(got - float(fd))
            if err > worst:
                worst, column, value, estimate = err, col, got, float(fd)
    return column, value, estimate
