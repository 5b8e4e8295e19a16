"""Argument checks of a loaded function: each call checks its arrays once, cheaply, on a fast
path the generated ``__call__`` inlines; these are the slow paths, which convert what they
safely can (a list, a NumPy scalar) and otherwise raise a clear error."""

from __future__ import annotations

from typing import Any

import numpy as np

from symopt.native.signature import Arg

F8 = np.dtype(np.float64)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        layout = "" if value.flags.c_contiguous else "non-contiguous "
        return f"a {layout}{value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__}"


def _fits(arg: Arg, length: int) -> bool:
    return length == arg.size if arg.exact else length >= arg.size


def scalar_input(fn: str, arg: Arg, value: Any) -> float:
    """A scalar input as a float (a NumPy scalar or 0-d array is accepted)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{fn}(): argument '{arg.name}' must be a float, got {_describe(value)}"
        ) from None


def array_input(fn: str, arg: Arg, value: Any) -> np.ndarray:
    """An array input: a C-contiguous 1-d float64 array of the right length. A list or tuple
    is converted; an array of another dtype or layout is refused (converting it would copy on
    every call without telling)."""
    if not isinstance(value, np.ndarray):
        if not isinstance(value, list | tuple):
            raise TypeError(
                f"{fn}(): argument '{arg.name}' must be a float64 array of shape {arg.shape}, "
                f"got {_describe(value)}"
            )
        value = np.asarray(value, dtype=F8)
    return _check(fn, arg, value, "argument")


def output(fn: str, arg: Arg, value: Any) -> np.ndarray:
    """An ``out=`` array: C-contiguous, writeable, float64, of the output's length (1 for a
    scalar output)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{fn}(): out '{arg.name}' must be a float64 array, got {_describe(value)}")
    if not value.flags.writeable:
        raise ValueError(f"{fn}(): out '{arg.name}' is read-only")
    return _check(fn, arg if arg.is_array else Arg(arg.name, True, 1, True), value, "out")


def _check(fn: str, arg: Arg, value: np.ndarray, what: str) -> np.ndarray:
    if value.dtype != F8:
        raise TypeError(
            f"{fn}(): {what} '{arg.name}' must be a float64 array, got {_describe(value)}"
        )
    if value.ndim != 1 or not _fits(arg, value.shape[0]) or not value.flags.c_contiguous:
        raise ValueError(
            f"{fn}(): {what} '{arg.name}' must be a C-contiguous float64 array of shape "
            f"{arg.shape}, got {_describe(value)}"
        )
    return value


def outputs_tuple(fn: str, count: int, out: Any) -> tuple[Any, ...]:
    """``out=`` of a function with several outputs: a tuple or list of ``count`` arrays."""
    if not isinstance(out, tuple | list) or len(out) != count:
        raise TypeError(f"{fn}(): out must be a tuple of {count} arrays (one per output)")
    return tuple(out)
