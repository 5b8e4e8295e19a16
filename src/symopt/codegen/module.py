"""Whole generated files, in any of the output languages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from symopt.codegen.c import ModuleOptions, render_c_files
from symopt.codegen.function import FunctionDef
from symopt.codegen.numpy_ import render_numpy_module
from symopt.codegen.python import render_python_module
from symopt.codegen.sym import render_sym_function
from symopt.costs import CostTable

LANGS = ("sym", "c", "python", "numpy")
"""Output languages of :func:`render_module`."""


def render_sym_module(functions: Sequence[FunctionDef]) -> str:
    """Every body entry on its own line, functions one after another."""
    lines = [line for fn in functions for line in render_sym_function(fn)]
    return "".join(line + "\n" for line in lines)


def render_module(
    lang: str,
    functions: Sequence[FunctionDef],
    *,
    costs: CostTable | None = None,
    **options: Unpack[ModuleOptions],
) -> str:
    """A complete source file defining ``functions`` in ``lang`` (one of :data:`LANGS`).

    ``c``: ``#include <math.h>`` and C99 functions; ``python``: ``import math`` and defs;
    ``numpy``: ``import numpy as np`` and defs; ``sym``: one line per body entry, no temporaries.
    For the imperative languages, integer powers are lowered to multiplications where ``costs``
    (default: the built-in ``throughput`` table) says it pays, and repeated subterms are computed
    once into temporaries. ``restrict`` and ``max_statements`` are C's (see
    :class:`~symopt.codegen.c.ModuleOptions`); other languages ignore them. ``constants``
    are integer arrays defined before the functions (``sym`` has none).
    """
    return render_module_files(lang, functions, costs=costs, **options)[0]


def render_module_files(
    lang: str,
    functions: Sequence[FunctionDef],
    *,
    costs: CostTable | None = None,
    max_file_operations: int | None = None,
    **options: Unpack[ModuleOptions],
) -> list[str]:
    """:func:`render_module` as a list of files: one, except for C whose split functions'
    parts hold more than ``max_file_operations`` operations (see
    :func:`~symopt.codegen.c.render_c_files`)."""
    names = [fn.name for fn in functions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"function name(s) defined twice: {', '.join(duplicates)}")
    if lang == "sym":
        return [render_sym_module(functions)]
    if lang == "c":
        return render_c_files(functions, costs, max_file_operations=max_file_operations, **options)
    constants = options.get("constants", ())
    if lang == "python":
        return [render_python_module(functions, costs, constants)]
    if lang == "numpy":
        return [render_numpy_module(functions, costs, constants)]
    raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
