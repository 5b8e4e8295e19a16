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

Dense Jacobians (no ``jac_sparsity``, a dense ``jac``) fall back to scipy's dense LU.
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


class SparseBDF(BDF):
    """scipy's ``BDF`` whose sparse LU uses a fill-reducing ordering computed once from the
    Jacobian's structure (see the module's docstring). Extra option (through
    ``solve_ivp(..., pivot_threshold=...)``): SuperLU's diagonal pivot threshold, default
    ``DEFAULT_PIVOT_THRESHOLD``. ``self.order_q`` is the ordering (``None`` for a dense
    Jacobian)."""

    def __init__(
        self,
        fun: Any,
        t0: float,
        y0: Any,
        t_bound: float,
        *,
        pivot_threshold: float = DEFAULT_PIVOT_THRESHOLD,
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

        def lu(a: Any) -> Any:
            self.nlu += 1
            return splu(
                permute(a),
                permc_spec="NATURAL",
                diag_pivot_thresh=threshold,
                options={"SymmetricMode": True},
            )

        def solve_lu(factor: Any, b: np.ndarray) -> np.ndarray:
            x = np.empty_like(b)
            x[order] = factor.solve(b[order])
            return x

        self.lu = lu
        self.solve_lu = solve_lu
