"""The Python side of a loaded function: ``f(*inputs, out=None)`` generated per signature (the
checks inlined, so a call costs little more than the C call itself) and ``f.many``."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from symopt.native import checks
from symopt.native.signature import Arg, Signature

if TYPE_CHECKING:
    from symopt.native.sparse import FAndJac, SparseJacobian

_T = TypeVar("_T")

Many = Callable[[int, list[np.ndarray], list[tuple[np.ndarray, bool]]], None]
"""Evaluates every point: ``(n, outputs, inputs)``, each input ``(array, batched)``."""


class Function:
    """A model as a Python callable (see docs/python.md).

    ``f(*inputs)`` returns the output (a tuple if several; a scalar output as a float) in new
    arrays; ``f(*inputs, out=du)`` (``out=(dx, dy)`` for several) writes into given arrays and
    returns them. ``f.many(*inputs)`` evaluates many points: a batched array input is 2-d (one
    row per point), a batched scalar input 1-d; a 1-d array input or a float is shared by every
    point. Attributes: ``signature``, ``lang``, ``source`` (the generated code), ``path`` (the
    shared library or ``None``); with a Jacobian (``load(..., jacobian=True)``) also ``jac``,
    ``f_and_jac`` and ``jac_sparsity``.
    """

    signature: Signature
    lang: str
    source: str
    path: str | None
    _many: Many
    _jac: SparseJacobian | None = None
    _f_and_jac: FAndJac | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # replaced per signature
        raise NotImplementedError

    def __repr__(self) -> str:
        names = ", ".join(a.name for a in self.signature.inputs)
        return f"<symopt {self.lang} function {self.signature.name}({names})>"

    @property
    def jac(self) -> SparseJacobian:
        """``f.jac(*inputs)``: the sparse Jacobian as a ``scipy.sparse.csc_matrix``."""
        return self._need_jacobian(self._jac)

    @property
    def f_and_jac(self) -> FAndJac:
        """``f.f_and_jac(*inputs)``: ``(f(*inputs), f.jac(*inputs))`` from one call."""
        return self._need_jacobian(self._f_and_jac)

    @property
    def jac_sparsity(self) -> Any:
        """The Jacobian's structure as a ``csc_matrix`` of ones (``solve_ivp``'s
        ``jac_sparsity``)."""
        return self._need_jacobian(self._jac).sparsity

    def _need_jacobian(self, value: _T | None) -> _T:
        if value is None:
            raise AttributeError(
                f"{self.signature.name} was loaded without a Jacobian; "
                "use symopt.load(..., jacobian=True)"
            )
        return value

    def many(self, *args: Any, out: Any = None) -> Any:
        """Evaluate at many points; the loop runs in C for ``lang="c"``."""
        sig = self.signature
        fn = f"{sig.name}.many"
        if len(args) != len(sig.inputs):
            raise TypeError(f"{fn}() takes {len(sig.inputs)} arguments, got {len(args)}")
        inputs = [_many_input(fn, a, v) for a, v in zip(sig.inputs, args, strict=True)]
        counts = {arr.shape[0] for arr, batched in inputs if batched}
        if len(counts) > 1:
            raise ValueError(f"{fn}(): batched arguments have different numbers of rows {counts}")
        n = counts.pop() if counts else 1
        outs = _many_outputs(fn, sig, n, out)
        self._many(n, outs, inputs)
        return outs[0] if len(outs) == 1 else tuple(outs)


def make_function(
    sig: Signature,
    lang: str,
    source: str,
    path: str | None,
    call: Any,
    many: Many,
    by_object: Any = None,
) -> Function:
    """A :class:`Function` whose ``__call__`` is generated for ``sig``; ``call`` is the C
    function (ctypes, ``lang="c"``, taking pointers) or the generated Python function;
    ``by_object`` the C entry taking the arrays themselves, if usable (the fastest)."""
    mode = "python" if lang != "c" else "buffer" if by_object is None else "object"
    namespace: dict[str, Any] = {
        "_fn": call,
        "_obj": by_object,
        "_nd": np.ndarray,
        "_f8": checks.F8,
        "_empty": np.empty,
        "_ad": ctypes.addressof,
        "_cb": ctypes.c_char.from_buffer,
        "_ArgErr": ctypes.ArgumentError,
        "_sig": sig,
        "_checks": checks,
        "_slow": _slow_call,
    }
    exec(_call_source(sig, mode), namespace)
    cls = type(f"Function_{sig.name}", (Function,), {"__call__": namespace["__call__"]})
    fn: Function = cls()
    fn.signature, fn.lang, fn.source, fn.path, fn._many = sig, lang, source, path, many
    return fn


def _fast_check(arg: Arg, v: str, mode: str, output: bool = False) -> str:
    """The inlined check of array ``v``; the slow path decides (and explains) when it fails.
    In ``buffer`` mode contiguity and writeability are left to ``c_char.from_buffer``, which
    refuses a non-contiguous or read-only array (the call then takes the slow path)."""
    size = (
        f"{v}.shape != ({arg.size},)"
        if arg.exact
        else f"{v}.ndim != 1 or {v}.shape[0] < {arg.size}"
    )
    layout = "" if mode == "buffer" else f" or not {v}.flags.c_contiguous"
    if output and mode == "object":
        layout += f" or not {v}.flags.writeable"
    return f"{v}.__class__ is not _nd or {v}.dtype is not _f8 or {size}{layout}"


def _tuple(names: list[str]) -> str:
    return "(" + "".join(n + ", " for n in names) + ")"


def _call_source(sig: Signature, mode: str) -> str:
    """Source of ``__call__(self, *inputs, out=None)`` for ``sig``: ``mode`` is ``object``
    (C, arrays passed as objects), ``buffer`` (C, pointers from ``c_char.from_buffer``) or
    ``python``."""
    name = repr(sig.name)
    params = [f"a{k}" for k in range(len(sig.inputs))]
    outs = [f"o{k}" for k in range(len(sig.outputs))]
    lines = [f"def __call__(self, {''.join(p + ', ' for p in params)}out=None):"]
    for k, arg in enumerate(sig.inputs):
        if arg.is_array:
            lines.append(f"    if {_fast_check(arg, f'a{k}', mode)}:")
            lines.append(f"        a{k} = _checks.array_input({name}, _sig.inputs[{k}], a{k})")
    lines.append("    if out is None:")
    for k, a in enumerate(sig.outputs):
        lines.append(f"        o{k} = _empty({a.size if a.is_array else 1})")
    lines.append("    else:")
    if len(outs) == 1:
        lines.append("        o0 = out")
    else:
        count = len(outs)
        lines.append(f"        {_tuple(outs)} = _checks.outputs_tuple({name}, {count}, out)")
    for k, arg in enumerate(sig.outputs):
        shaped = arg if arg.is_array else Arg(arg.name, True, 1, True)
        lines.append(f"        if {_fast_check(shaped, f'o{k}', mode, output=True)}:")
        lines.append(f"            o{k} = _checks.output({name}, _sig.outputs[{k}], o{k})")
    if mode == "object":
        lines += [
            "    try:",
            f"        _obj({', '.join([*outs, *params])})",
            "    except _ArgErr:",
            f"        _slow(_fn, _sig, {_tuple(outs)}, {_tuple(params)})",
        ]
    elif mode == "buffer":
        pointers = [f"_ad(_cb({o}))" for o in outs]
        pointers += [
            f"_ad(_cb({p}))" if a.is_array else p for p, a in zip(params, sig.inputs, strict=True)
        ]
        lines += [
            "    try:",
            f"        _fn({', '.join(pointers)})",
            "    except (TypeError, ValueError, BufferError, _ArgErr):",
            f"        _slow(_fn, _sig, {_tuple(outs)}, {_tuple(params)})",
        ]
    else:
        for k, arg in enumerate(sig.inputs):
            if not arg.is_array:
                lines.append(f"    a{k} = _checks.scalar_input({name}, _sig.inputs[{k}], a{k})")
        lines.append(f"    _fn({', '.join([*outs, *params])})")
    results = [
        o if a.is_array else f"float({o}[0])" for o, a in zip(outs, sig.outputs, strict=True)
    ]
    lines.append("    if out is not None:")
    lines.append(f"        return {'out' if len(outs) == 1 else _tuple(outs)}")
    lines.append(f"    return {results[0] if len(results) == 1 else _tuple(results)}")
    return "\n".join(lines) + "\n"


def _slow_call(fn: Any, sig: Signature, outs: tuple[Any, ...], args: tuple[Any, ...]) -> None:
    """The C call when the fast one failed: a read-only array (no writable buffer to take the
    address of), a scalar input that is not a float, or a bad ``out``."""
    name = sig.name
    pointers: list[Any] = []
    for arg, o in zip(sig.outputs, outs, strict=True):
        pointers.append(checks.output(name, arg, o).ctypes.data)
    for arg, a in zip(sig.inputs, args, strict=True):
        if arg.is_array:
            pointers.append(checks.array_input(name, arg, a).ctypes.data)
        else:
            pointers.append(checks.scalar_input(name, arg, a))
    fn(*pointers)


def _many_input(fn: str, arg: Arg, value: Any) -> tuple[np.ndarray, bool]:
    """``(array, batched)``: a shared value is 1-d (a scalar: one element), a batched one has
    a row per point (a scalar: 1-d). Rows must be contiguous; rows may be strided."""
    a = value if isinstance(value, np.ndarray) else np.asarray(value, dtype=checks.F8)
    if a.dtype != checks.F8:
        raise TypeError(f"{fn}(): argument '{arg.name}' must be float64, got {a.dtype}")
    if not arg.is_array:
        if a.ndim == 0:
            return a.reshape(1), False
        if a.ndim == 1 and a.strides[0] % 8 == 0:
            return a, True
        raise ValueError(f"{fn}(): argument '{arg.name}' must be a float or a 1-d array")
    if a.ndim == 1:
        return checks.array_input(fn, arg, a), False
    rows_ok = a.ndim == 2 and (a.strides[1] == 8 or a.shape[1] <= 1) and a.strides[0] % 8 == 0
    length_ok = a.ndim == 2 and (a.shape[1] == arg.size if arg.exact else a.shape[1] >= arg.size)
    if not (rows_ok and length_ok):
        raise ValueError(
            f"{fn}(): argument '{arg.name}' must be a float64 array of shape {arg.shape} "
            f"(shared) or (n, {arg.shape.strip('(,)')}) with contiguous rows, got shape {a.shape}"
        )
    return a, True


def _many_outputs(fn: str, sig: Signature, n: int, out: Any) -> list[np.ndarray]:
    """New or checked output arrays: ``(n, size)`` for an array output, ``(n,)`` for a scalar."""
    shapes = [(n, a.size) if a.is_array else (n,) for a in sig.outputs]
    if out is None:
        return [np.empty(s) for s in shapes]
    given = [out] if len(shapes) == 1 else list(checks.outputs_tuple(fn, len(shapes), out))
    for arr, shape, arg in zip(given, shapes, sig.outputs, strict=True):
        if (
            not isinstance(arr, np.ndarray)
            or arr.dtype != checks.F8
            or arr.shape != shape
            or not arr.flags.c_contiguous
            or not arr.flags.writeable
        ):
            raise ValueError(
                f"{fn}(): out '{arg.name}' must be a writeable C-contiguous float64 array of "
                f"shape {shape}"
            )
    return given


def strides(inputs: list[tuple[np.ndarray, bool]]) -> list[int]:
    """Row strides in doubles (0: shared)."""
    return [a.strides[0] // 8 if batched else 0 for a, batched in inputs]
