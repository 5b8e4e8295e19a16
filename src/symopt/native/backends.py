"""Turning build products into a :class:`~symopt.native.caller.Function`: a shared library
through ctypes (argument types resolved once), or generated Python/NumPy source run in a fresh
namespace."""

from __future__ import annotations

import ctypes
import functools
import sys
from typing import Any

import numpy as np

from symopt.native.caller import Function, make_function, strides
from symopt.native.cwrap import many_name, object_name, offset_name
from symopt.native.signature import Signature


def native_function(
    sig: Signature, library: str, source: str, lib: ctypes.CDLL | None = None
) -> Function:
    """The C function ``sig.name`` of ``library`` (``lib``, if already loaded) and its
    ``_many`` loop."""
    lib = ctypes.CDLL(library) if lib is None else lib
    call = getattr(lib, sig.name)
    call.argtypes = [ctypes.c_void_p] * len(sig.outputs) + [
        ctypes.c_void_p if a.is_array else ctypes.c_double for a in sig.inputs
    ]
    call.restype = None
    loop = getattr(lib, many_name(sig.name))
    loop.argtypes = [ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_void_p]
    loop.argtypes += [ctypes.c_void_p, ctypes.c_void_p]
    loop.restype = None

    def many(n: int, outs: list[np.ndarray], inputs: list[tuple[np.ndarray, bool]]) -> None:
        out_ptrs = (ctypes.c_void_p * max(1, len(outs)))(*(o.ctypes.data for o in outs))
        out_strides = (ctypes.c_ssize_t * max(1, len(outs)))(*(o.strides[0] // 8 for o in outs))
        in_ptrs = (ctypes.c_void_p * max(1, len(inputs)))(*(a.ctypes.data for a, _ in inputs))
        in_strides = (ctypes.c_ssize_t * max(1, len(inputs)))(*strides(inputs))
        loop(n, out_ptrs, out_strides, in_ptrs, in_strides)

    by_object = None
    offset = data_offset()
    if offset is not None and hasattr(lib, object_name(sig.name)):
        ctypes.c_ssize_t.in_dll(lib, offset_name(sig.name)).value = offset
        by_object = getattr(lib, object_name(sig.name))
        by_object.argtypes = [ctypes.py_object] * len(sig.outputs) + [
            ctypes.py_object if a.is_array else ctypes.c_double for a in sig.inputs
        ]
        by_object.restype = None
    fn = make_function(sig, "c", source, library, call, many, by_object)
    fn._library = lib  # type: ignore[attr-defined]  # keep the handle alive with the function
    return fn


@functools.cache
def data_offset() -> int | None:
    """Where an ndarray object keeps its data pointer (``PyArrayObject.data``, right after the
    object header), checked on probe arrays; ``None`` if the layout is not the expected one
    (another interpreter or NumPy), and the pointer entry is used instead."""
    if sys.implementation.name != "cpython":
        return None
    offset: int = object.__basicsize__
    probes = [np.arange(3.0), np.empty(0), np.zeros((2, 3))[1]]
    for probe in probes:
        if ctypes.c_void_p.from_address(id(probe) + offset).value != probe.ctypes.data:
            return None
    return offset


def python_function(
    sig: Signature, lang: str, source: str, namespace: dict[str, Any] | None = None
) -> Function:
    """The generated module ``source`` (``lang`` ``python`` or ``numpy``) run in a fresh
    namespace (or its ``namespace``, already run); ``numpy``'s ``many`` evaluates all points
    at once (rows become vectors)."""
    if namespace is None:
        namespace = {"__name__": f"symopt_generated_{sig.name}"}
        exec(compile(source, f"<symopt {lang} {sig.name}>", "exec"), namespace)
    call = namespace[sig.name]

    def loop(n: int, outs: list[np.ndarray], inputs: list[tuple[np.ndarray, bool]]) -> None:
        for i in range(n):
            out_rows = [o[i] if o.ndim == 2 else o[i : i + 1] for o in outs]
            in_rows: list[Any] = []
            for arg, (a, batched) in zip(sig.inputs, inputs, strict=True):
                if arg.is_array:
                    in_rows.append(a[i] if batched else a)
                else:
                    in_rows.append(float(a[i] if batched else a[0]))
            call(*out_rows, *in_rows)

    def vectorised(n: int, outs: list[np.ndarray], inputs: list[tuple[np.ndarray, bool]]) -> None:
        out_views = [o.T if o.ndim == 2 else o[None, :] for o in outs]
        in_views: list[Any] = []
        for arg, (a, batched) in zip(sig.inputs, inputs, strict=True):
            if arg.is_array:
                in_views.append(a.T if batched else a[:, None])
            else:
                in_views.append(a if batched else float(a[0]))
        call(*out_views, *in_views)

    fn = make_function(sig, lang, source, None, call, vectorised if lang == "numpy" else loop)
    fn._namespace = namespace  # type: ignore[attr-defined]  # the Jacobian's functions
    return fn


def attach_jacobian(fn: Function, source: str) -> None:
    """Give ``fn`` (built with a Jacobian) its ``jac``, ``f_and_jac`` and ``jac_sparsity``,
    from the same library or module: ``NAME_jac``, ``NAME_f_and_jac`` and the structure
    constants ``NAME_jac_indptr`` and ``NAME_jac_indices``."""
    from symopt.native.sparse import FAndJac, SparseJacobian

    sig = fn.signature
    info = sig.jacobian
    assert info is not None
    jac_sig, both_sig = sig.jacobian_signatures()
    indptr_name, indices_name = f"{sig.name}_jac_indptr", f"{sig.name}_jac_indices"
    if fn.path is not None:
        lib = fn._library  # type: ignore[attr-defined]
        values = native_function(jac_sig, fn.path, source, lib)
        both = native_function(both_sig, fn.path, source, lib)
        indptr: Any = _int_array(lib, indptr_name, info.cols + 1)
        indices: Any = _int_array(lib, indices_name, max(1, info.nnz))
    else:
        namespace = fn._namespace  # type: ignore[attr-defined]
        values = python_function(jac_sig, fn.lang, source, namespace)
        both = python_function(both_sig, fn.lang, source, namespace)
        indptr, indices = namespace[indptr_name], namespace[indices_name]
    jacobian = SparseJacobian(info, values, indptr, indices)
    fn._jac = jacobian
    fn._f_and_jac = FAndJac(both, jacobian)


def _int_array(lib: ctypes.CDLL, name: str, size: int) -> np.ndarray:
    """The library's ``const int NAME[size]`` (a view of the library's memory)."""
    return np.ctypeslib.as_array((ctypes.c_int * size).in_dll(lib, name))
