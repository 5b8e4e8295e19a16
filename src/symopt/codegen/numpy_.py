"""NumPy printer: vectorised functions over ``np.*`` ufuncs.

Inputs may be scalars or arrays that broadcast; an array input ``u`` may have shape ``(n,)`` or
``(n, batch)`` (``u[3]`` indexes the first axis either way), and outputs are filled in place the
same way (``du[3] = ...``; a scalar output ``x`` is a 1-element array written ``x[0] = ...``).
Semantics are IEEE (inf/NaN, no exceptions) for NumPy inputs; plain Python float inputs still
raise ``ZeroDivisionError`` on ``/``. ``min``/``max`` are ``np.minimum``/``np.maximum`` (NaN
propagates) and ``fma(a, b, c)`` is ``a * b + c`` (two roundings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from symopt.codegen.constants import IntArrays, constants_block
from symopt.codegen.function import FunctionDef
from symopt.codegen.infix import ADD, MUL, Dialect, Layout, Operand, Piece
from symopt.codegen.plan import plan_function, plan_functions
from symopt.codegen.python import PYTHON_RESERVED, render_function, with_import
from symopt.costs import CostTable
from symopt.ir import App

_CALLS = {
    "asin": "np.arcsin",
    "acos": "np.arccos",
    "atan": "np.arctan",
    "atan2": "np.arctan2",
    "pow": "np.power",
    "min": "np.minimum",
    "max": "np.maximum",
}


def is_reserved_numpy(name: str) -> bool:
    return name in PYTHON_RESERVED


class NumpyDialect(Dialect):
    """NumPy expressions: infix arithmetic, ``np.*`` ufuncs, ``fma`` as ``a * b + c``."""

    lang = "numpy"

    def call_name(self, op: str) -> str:
        return _CALLS.get(op, "np." + op)

    def layout(self, app: App) -> Layout:
        if app.op == "fma":
            a, b, c = app.args
            pieces: list[Piece] = [Operand(a, MUL), " * ", Operand(b, MUL + 1, True), " + "]
            return ADD, [*pieces, Operand(c, ADD + 1, True)]
        return super().layout(app)


def render_numpy_module(
    functions: Sequence[FunctionDef], costs: CostTable | None = None, constants: IntArrays = ()
) -> str:
    """A Python module: ``import numpy as np`` (if used), the ``constants``, then the
    functions."""
    plans = plan_functions(
        functions, lambda fn: plan_function(fn, "NumPy", is_reserved_numpy, costs)
    )
    defs = [render_function(plan, NumpyDialect(plan.renames)) for plan in plans]
    uses_np = any(re.search(r"\bnp\.", text) for text in defs)
    body = "\n\n\n".join([*constants_block(constants), *defs]) + "\n"
    return with_import("import numpy as np", body) if uses_np else body  # else `ruff` fails
