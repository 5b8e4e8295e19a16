"""``SparseBDF``: scipy's BDF for ``solve_ivp`` with a sparse LU that is ordered once.

scipy's ``BDF`` factorises ``I - c J`` with ``splu`` whenever the step size changes, and each
``splu`` computes a new column ordering (COLAMD) before factorising. The matrices of one solve
all have the same structure (that of ``I + J``), so ``SparseBDF`` orders once: a minimum-degree
ordering of the structure of ``I + J + Jᵀ`` (SuperLU's ``MMD_AT_PLUS_A``), applied
symmetrically (``P A Pᵀ``), which keeps the diagonal on the diagonal. Each factorisation is then
SuperLU's ``NATURAL`` ordering of the permuted matrix in symmetric mode (diagonal pivots
preferred; a row swap only where the diagonal is smaller than ``pivot_threshold`` times the
largest entry of its column, so the factorisation stays stable). The integrator itself is
scipy's, unchanged: same steps, same error control, same results up to rounding.

    from symopt.integrate import SparseBDF
    solve_ivp(rhs, span, y0, method=SparseBDF, jac=jac)            # or jac_sparsity=S

Opt-in ``lu_reuse=w`` also keeps a factorisation across small step-size changes, as CVODE
does (see :class:`SparseBDF`). Dense Jacobians (no ``jac_sparsity``, a dense ``jac``) fall back
to scipy's dense LU.
Needs scipy (``pip install 'symopt[scipy]'``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import BDF
from scipy.sparse import csc_matrix, issparse
from scipy.sparse.linalg import splu

DEFAULT_PIVOT_THRESHOLD = 0.01
"""SuperLU's ``diag_pivot_thresh`` for the permuted matrices: the diagonal is the pivot unless
it is below this fraction of its column's largest entry."""


def fill_reducing_order(structure: Any) -> np.ndarray:
    """A symmetric fill-reducing ordering ``q`` of a square sparse ``structure`` (any values:
    only the positions count): ``A[q][:, q]`` factorises with little fill for any matrix ``A``
    with nonzeros only on the diagonal and at the positions of ``structure``.

    Minimum degree on the structure of ``S + Sᵀ + I`` (SuperLU's ``MMD_AT_PLUS_A``), computed by
    factorising a diagonally dominant matrix of that structure without pivoting."""
    pattern = csc_matrix(structure, dtype=np.float64, copy=True)
    n = pattern.shape[0]
    if pattern.shape != (n, n):
        raise ValueError(f"the structure must be square, got shape {pattern.shape}")
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    pattern.data[:] = 1.0
    sym = abs(pattern) + abs(pattern.T)
    degree = np.asarray(sym.sum(axis=0)).ravel()
    dominant = csc_matrix(sym + csc_matrix((degree + 1.0, (np.arange(n), np.arange(n)))))
    lu = splu(dominant, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0)
    return np.argsort(lu.perm_c)


class _Permuter:
    """``A -> A[q][:, q]`` for CSC matrices, fast for the structure seen last (a gather of the
    values through a cached index map) and correct for any other (scipy's indexing)."""

    def __init__(self, order: np.ndarray) -> None:
        self.order = order
        self.indptr: np.ndarray | None = None
        self.indices: np.ndarray | None = None
        self.source = np.zeros(0, dtype=np.intp)
        self.permuted: Any = None

    def __call__(self, a: Any) -> Any:
        a = a.tocsc()
        if not a.has_sorted_indices:
            a.sort_indices()
        if not self._same_structure(a):
            self._learn(a)
        p = self.permuted
        return csc_matrix((a.data[self.source], p.indices, p.indptr), shape=a.shape)

    def _same_structure(self, a: Any) -> bool:
        return (
            self.indptr is not None
            and self.indices is not None
            and np.array_equal(a.indptr, self.indptr)
            and np.array_equal(a.indices, self.indices)
        )

    def _learn(self, a: Any) -> None:
        """Map each stored entry of the permuted matrix to its position in ``a.data``."""
        q = self.order
        positions = csc_matrix(
            (np.arange(1, a.nnz + 1, dtype=np.float64), a.indices, a.indptr), shape=a.shape
        )
        permuted = csc_matrix(positions[q][:, q])
        permuted.sort_indices()
        self.source = permuted.data.astype(np.intp) - 1
        self.permuted = permuted
        self.indptr, self.indices = a.indptr.copy(), a.indices.copy()


class _Lagged:
    """A factorisation of ``I - c₀ J`` standing in for ``I - c J``: solutions are scaled by
    ``2 / (1 + c / c₀)`` (exact where J's eigenvalues are 0 and in the stiff limit on average;
    the correction CVODE applies to a lagged Newton matrix)."""

    def __init__(self, factor: Any, scale: float) -> None:
        self.factor, self.scale = factor, scale


class _Reuse:
    """Decides when a factorisation of ``I - c₀ J`` may serve for ``I - c J``: the same
    Jacobian object, ``|c / c₀ - 1| <= window``, and not twice in one step attempt (a Newton
    failure after a reuse then gets a fresh factorisation)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.jac: Any = None
        self.c = 0.0
        self.factor: Any = None
        self.reused_at: float | None = None

    def lookup(self, c: float | None, jac: Any, t: float) -> _Lagged | None:
        """A lagged factorisation for ``I - c J`` (``c``: :func:`_step_coefficient`), or
        ``None``."""
        if self.factor is None or jac is not self.jac or t == self.reused_at:
            return None
        if c is None or self.c == 0.0 or abs(c / self.c - 1.0) > self.window:
            return None
        self.reused_at = t
        return _Lagged(self.factor, 2.0 / (1.0 + c / self.c))

    def store(self, c: float | None, jac: Any, factor: Any) -> None:
        self.jac, self.c, self.factor = jac, (0.0 if c is None else c), factor
        self.reused_at = None


def _step_coefficient(a: Any, jac: Any) -> float | None:
    """``c`` of ``a = I - c J``, read at J's largest diagonal entry (``None``: J's diagonal is
    zero)."""
    diagonal = jac.diagonal()
    k = int(np.argmax(np.abs(diagonal)))
    if diagonal[k] == 0:
        return None
    return float(np.real((1.0 - a[k, k]) / diagonal[k]))  # c is real (h / alpha)


class SparseBDF(BDF):
    """scipy's ``BDF`` whose sparse LU uses a fill-reducing ordering computed once from the
    Jacobian's structure (see the module's docstring). Extra options (through
    ``solve_ivp(..., pivot_threshold=..., lu_reuse=...)``): SuperLU's diagonal pivot threshold
    (default ``DEFAULT_PIVOT_THRESHOLD``); ``lu_reuse=w > 0`` lets a factorisation of
    ``I - c0 J`` serve ``I - c J`` while J is unchanged and ``|c / c0 - 1| <= w`` (the Newton
    update scaled by ``2 / (1 + c / c0)``; fewer factorisations, different Newton iterates, the
    same error control). ``self.order_q`` is the ordering (``None`` for a dense Jacobian),
    ``self.lu_reused`` counts reused factorisations (``nlu`` counts the fresh ones)."""

    jac: Any

    def __init__(
        self,
        fun: Any,
        t0: float,
        y0: Any,
        t_bound: float,
        *,
        pivot_threshold: float = DEFAULT_PIVOT_THRESHOLD,
        lu_reuse: float = 0.0,
        **options: Any,
    ) -> None:
        super().__init__(fun, t0, y0, t_bound, **options)
        self.order_q: np.ndarray | None = None
        if not issparse(self.J):
            return
        structure = csc_matrix(self.J)
        sparsity = options.get("jac_sparsity")
        if sparsity is not None:
            structure = abs(structure) + abs(csc_matrix(sparsity, dtype=np.float64))
        order = fill_reducing_order(structure)
        self.order_q = order
        permute = _Permuter(order)
        threshold = float(pivot_threshold)

        reuse = _Reuse(float(lu_reuse)) if lu_reuse > 0 else None
        self.lu_reused = 0
        if reuse is not None:
            self.jac = self._remember_jacobian(self.jac)
        self._last_jac = self.J

        def lu(a: Any) -> Any:
            c = _step_coefficient(a, self._last_jac) if reuse is not None else None
            if reuse is not None:
                lagged = reuse.lookup(c, self._last_jac, self.t)
                if lagged is not None:
                    self.lu_reused += 1
                    return lagged
            self.nlu += 1
            factor = splu(
                permute(a),
                permc_spec="NATURAL",
                diag_pivot_thresh=threshold,
                options={"SymmetricMode": True},
            )
            if reuse is not None:
                reuse.store(c, self._last_jac, factor)
            return factor

        def solve_lu(factor: Any, b: np.ndarray) -> np.ndarray:
            x = np.empty_like(b)
            if isinstance(factor, _Lagged):
                x[order] = factor.factor.solve(b[order]) * factor.scale
            else:
                x[order] = factor.solve(b[order])
            return x

        self.lu = lu
        self.solve_lu = solve_lu

    def _remember_jacobian(self, jac: Any) -> Any:
        """``jac`` that also records the matrix it returns (the one ``I - c J`` is formed
        from, which scipy's step keeps in a local variable)."""
        if jac is None:
            return None

        def remembered(t: float, y: np.ndarray) -> Any:
            self._last_jac = jac(t, y)
            return self._last_jac

        return remembered
