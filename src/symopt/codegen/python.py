"""Python printer: plain functions over the ``math`` module.

Semantics are the ``math`` module's: domain errors raise ``ValueError``, division by zero raises
``ZeroDivisionError`` (C would give inf/NaN). ``floor``/``ceil`` go through helpers that return
floats as C does; ``fma`` through a helper using ``math.fma`` when available (Python 3.13+), else
``a*b + c`` (two roundings). ``min``/``max`` are the builtins.

Outputs are filled in place: ``du[3] = ...`` for an array output; a scalar output ``x`` is passed
as a 1-element list (or array) and written ``x[0] = ...``.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Sequence

from symopt.codegen.constants import IntArrays, constants_block
from symopt.codegen.function import FunctionDef
from symopt.codegen.infix import Dialect
from symopt.codegen.names import renamed_comment
from symopt.codegen.plan import Plan, plan_function, plan_functions
from symopt.codegen.schedule import Temp
from symopt.costs import CostTable

HELPERS: dict[str, str] = {
    "fma": (
        "# fma: math.fma rounds once but needs Python 3.13; before that a*b + c rounds twice.\n"
        '_fma = getattr(math, "fma", lambda a, b, c: a * b + c)'
    ),
    "floor": (
        "def _floor(x):\n"
        '    """floor as in C: a float; -0.0, inf and nan kept (math.floor gives an int)."""\n'
        "    return math.copysign(float(math.floor(x)), x) if math.isfinite(x) else x"
    ),
    "ceil": (
        "def _ceil(x):\n"
        '    """ceil as in C: a float; -0.0, inf and nan kept (math.ceil gives an int)."""\n'
        "    return math.copysign(float(math.ceil(x)), x) if math.isfinite(x) else x"
    ),
}
"""Module-level helpers, emitted only when a function uses the operator."""

PYTHON_RESERVED: frozenset[str] = frozenset(
    [*keyword.kwlist, *dir(builtins), "math", "np", "_fma", "_floor", "_ceil"]
)
"""Names a parameter may not have in generated Python: keywords, builtins, our imports/helpers."""

_CALLS = {
    "abs": "math.fabs",
    "min": "min",
    "max": "max",
    "fma": "_fma",
    "floor": "_floor",
    "ceil": "_ceil",
}


def is_reserved_python(name: str) -> bool:
    return name in PYTHON_RESERVED


class PythonDialect(Dialect):
    """Python expressions: infix arithmetic and ``math.*`` calls (``math.pow`` for powers)."""

    lang = "python"

    def call_name(self, op: str) -> str:
        return _CALLS.get(op, "math." + op)


def render_function(plan: Plan, dialect: Dialect) -> str:
    """A ``def`` for ``plan`` written with ``dialect`` (shared by the Python and NumPy printers)."""
    fn = plan.fn
    lines = []
    if plan.renames:
        lines.append(f"# {renamed_comment(plan.renames)}")
    params = [plan.name(p.name) for p in (*fn.outputs, *fn.inputs)]
    lines.append(f"def {fn.name}({', '.join(params)}):")
    scalars = [plan.name(p.name) for p in fn.outputs if not p.is_array]
    if scalars:
        listed = ", ".join(f"{name}[0]" for name in scalars)
        lines.append(f"    # scalar outputs are 1-element lists/arrays, written as {listed}")
    for step in plan.steps:
        text = plan.text(step, dialect)
        if isinstance(step, Temp):
            lines.append(f"    {step.name} = {text}")
            continue
        target = fn.body[step.index][0]
        if target is None:
            lines.append(f"    return {text}")
        else:
            index = 0 if target.index is None else target.index
            lines.append(f"    {plan.name(target.name)}[{index}] = {text}")
    if not plan.steps:  # outputs but an empty body: keep the def valid
        lines.append("    pass")
    return "\n".join(lines)


def render_python_module(
    functions: Sequence[FunctionDef], costs: CostTable | None = None, constants: IntArrays = ()
) -> str:
    """A Python module: ``import math`` (if used), the helpers the functions need, the
    ``constants``, then the functions."""
    plans = plan_functions(
        functions, lambda fn: plan_function(fn, "Python", is_reserved_python, costs)
    )
    used = frozenset().union(*(plan.ops for plan in plans))
    helpers = [text for op, text in HELPERS.items() if op in used]
    defs = [render_function(plan, PythonDialect(plan.renames)) for plan in plans]
    uses_math = any(re.search(r"\bmath\.", text) for text in (*helpers, *defs))
    body = "\n\n\n".join([*helpers, *constants_block(constants), *defs]) + "\n"
    return with_import("import math", body) if uses_math else body  # unused: `ruff check` fails


def with_import(line: str, body: str) -> str:
    """``line`` above ``body``, as isort (ruff's ``I001``) spaces it: two blank lines before a
    ``def``, one before anything else."""
    return line + ("\n\n\n" if body.startswith(("def ", "class ")) else "\n\n") + body
