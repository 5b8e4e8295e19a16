"""A loaded model's sparse Jacobian as ``scipy.sparse.csc_matrix`` values.

The structure (``indptr``, ``indices``) is read once from the build product; each call has the
compiled ``NAME_jac`` (or ``NAME_f_and_jac``) fill a values array, which becomes the matrix's
``data`` without a copy (the index arrays are shared by every matrix returned). scipy is
imported on first use only: ``f.jac.values(...)`` gives the raw values without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from symopt.errors import ConfigError
from symopt.native.signature import JacobianInfo

if TYPE_CHECKING:
    from symopt.native.caller import Function


def _csc_matrix() -> Any:
    try:
        from scipy.sparse import csc_matrix
    except ImportError:
        raise ConfigError(
            "sparse Jacobians need scipy: pip install 'symopt[scipy]' "
            "(or use .values(...) for the raw CSC values)"
        ) from None
    return csc_matrix


class SparseJacobian:
    """``J(*inputs)``: ``d outputs / d array`` as a new ``csc_matrix``; ``J(*inputs, out=M)``
    refills ``M`` (a matrix this object returned, or any CSC matrix of the same structure) in
    place and returns it.

    Attributes: ``array`` (the input differentiated by), ``shape``, ``nnz``, ``indptr`` and
    ``indices`` (int32, read-only), ``values`` (the compiled function filling the ``nnz``
    values in CSC order: ``values(*inputs, out=data)``) and ``sparsity`` (the structure as a
    matrix of ones, e.g. for ``solve_ivp(jac_sparsity=...)``).
    """

    def __init__(self, info: JacobianInfo, values: Function, indptr: Any, indices: Any) -> None:
        self.array = info.array
        self.shape = (info.rows, info.cols)
        self.nnz = info.nnz
        self.values = values
        self.indptr = _index_array(indptr, info.cols + 1)
        self.indices = _index_array(indices, info.nnz)

    def __repr__(self) -> str:
        rows, cols = self.shape
        return f"<symopt sparse Jacobian d/d{self.array}: {rows}x{cols}, {self.nnz} nonzeros>"

    def matrix(self, data: np.ndarray) -> Any:
        """A ``csc_matrix`` holding ``data`` (not copied) with this structure."""
        return _csc_matrix()((data, self.indices, self.indptr), shape=self.shape, copy=False)

    @property
    def sparsity(self) -> Any:
        """The structure as a ``csc_matrix`` of ones (a new matrix each time)."""
        return self.matrix(np.ones(self.nnz))

    def __call__(self, *args: Any, out: Any = None) -> Any:
        if out is None:
            return self.matrix(self.values(*args))
        self.values(*args, out=self._data_of(out))
        return out

    def _data_of(self, out: Any) -> np.ndarray:
        """The ``data`` array of ``out``, which must have this structure."""
        ok = (
            getattr(out, "format", None) == "csc"
            and tuple(out.shape) == self.shape
            and (out.indptr is self.indptr or np.array_equal(out.indptr, self.indptr))
            and (out.indices is self.indices or np.array_equal(out.indices, self.indices))
        )
        if not ok:
            raise ValueError(
                f"{self.values.signature.name}(): out must be a CSC matrix with this Jacobian's "
                f"structure ({self.shape[0]}x{self.shape[1]}, {self.nnz} nonzeros)"
            )
        data: np.ndarray = out.data
        return data


class FAndJac:
    """``f_and_jac(*inputs)``: ``(f(*inputs), J)`` from one compiled call that computes the
    subexpressions the outputs and the Jacobian share once; ``out=(du, M)`` (``out=(dx, dy,
    M)`` for several outputs) fills given arrays and matrix."""

    def __init__(self, both: Function, jacobian: SparseJacobian) -> None:
        self.both = both
        self.jacobian = jacobian
        self._outputs = len(both.signature.outputs) - 1

    def __repr__(self) -> str:
        return f"<symopt f_and_jac {self.both.signature.name}>"

    def __call__(self, *args: Any, out: Any = None) -> tuple[Any, Any]:
        jac = self.jacobian
        if out is None:
            *values, data = self.both(*args)
            return _outputs(values), jac.matrix(data)
        if not isinstance(out, tuple) or len(out) != self._outputs + 1:
            raise ValueError(
                f"{self.both.signature.name}(): out must be a tuple of {self._outputs} "
                "output array(s) and the Jacobian matrix"
            )
        *given, matrix = out
        self.both(*args, out=(*given, jac._data_of(matrix)))
        return _outputs(given), matrix


def _outputs(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else tuple(values)


def _index_array(values: Any, size: int) -> np.ndarray:
    """A read-only int32 copy of the first ``size`` entries of ``values``."""
    out = np.array(values[:size], dtype=np.int32)
    out.flags.writeable = False
    return out
