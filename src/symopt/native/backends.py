"""Turning build products into a :class:`~symopt.native.caller.Function`: a shared library
through ctypes (argument types resolved once), or generated Python/NumPy source run in a fresh
namespace."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from symopt.native.caller import Function, make_function, strides
from symopt.native.cwrap import many_name
from symopt.native.signature import Signature


def native_function(sig: Signature, library: str, source: str) -> Function:
    """The C function ``sig.name`` of ``library`` and its ``_many`` loop."""
    lib = ctypes.CDLL(library)
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

    fn = make_function(sig, "c", source, library, call, many)
    fn._library = lib  # type: ignore[attr-defined]  # keep the handle alive with the function
    return fn


def python_function(sig: Signature, lang: str, source: str) -> Function:
    """The generated module ``source`` (``lang`` ``python`` or ``numpy``) run in a fresh
    namespace; ``numpy``'s ``many`` evaluates all points at once (rows become vectors)."""
    namespace: dict[str, Any] = {"__name__": f"symopt_generated_{sig.name}"}
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

    return make_function(sig, lang, source, None, call, vectorised if lang == "numpy" else loop)
