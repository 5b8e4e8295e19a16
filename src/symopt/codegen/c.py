"""C99 printer: ``double f(double x, const double *u)`` functions over ``<math.h>``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain
from typing import TypedDict, Unpack

from symopt.codegen import split as splitting
from symopt.codegen.cfiles import (
    PartFunction,
    RenderedFunction,
    assemble_files,
    part_operations,
)
from symopt.codegen.chains import cut_long_chains
from symopt.codegen.constants import IntArrays, render_c_constants
from symopt.codegen.function import FunctionDef
from symopt.codegen.infix import Dialect
from symopt.codegen.names import fresh_names, renamed_comment
from symopt.codegen.plan import Plan, plan_function, plan_functions
from symopt.codegen.schedule import Step, Temp
from symopt.codegen.split import needs_split, split_steps
from symopt.costs import CostTable


def _words(text: str) -> list[str]:
    return text.split()


_KEYWORDS = _words("""
auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned
void volatile while alignas alignof bool constexpr false nullptr static_assert thread_local true
typeof typeof_unqual asm fortran main
""")

_MATH_FUNCTIONS = _words("""
acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh exp exp2 expm1 frexp ilogb
ldexp log log10 log1p log2 logb modf scalbn scalbln cbrt fabs hypot pow sqrt erf erfc lgamma
tgamma ceil floor nearbyint rint lrint llrint round lround llround trunc fmod remainder remquo
copysign nan nextafter nexttoward fdim fmax fmin fma j0 j1 jn y0 y1 yn gamma drem finite
significand scalb exp10 pow10 sincos lgamma_r gamma_r isinf isnan
""")

_MATH_MACROS = _words("""
INFINITY NAN HUGE_VAL HUGE_VALF HUGE_VALL HUGE FP_NAN FP_INFINITE FP_ZERO FP_SUBNORMAL
FP_NORMAL FP_FAST_FMA FP_FAST_FMAF FP_FAST_FMAL FP_ILOGB0 FP_ILOGBNAN MATH_ERRNO MATH_ERREXCEPT
math_errhandling fpclassify isfinite isnormal signbit isgreater isgreaterequal isless
islessequal islessgreater isunordered float_t double_t signgam M_E M_LOG2E M_LOG10E M_LN2
M_LN10 M_PI M_PI_2 M_PI_4 M_1_PI M_2_PI M_2_SQRTPI M_SQRT2 M_SQRT1_2 DOMAIN SING OVERFLOW
UNDERFLOW TLOSS PLOSS exception errno NULL EOF SYMOPT_NOINLINE
""")

C_RESERVED: frozenset[str] = frozenset(
    _KEYWORDS
    + _MATH_MACROS
    + [f"{name}{suffix}" for name in _MATH_FUNCTIONS for suffix in ("", "f", "l")]
)
"""Names a parameter may not have in generated C: keywords and what ``<math.h>`` declares."""

_CALLS = {"abs": "fabs", "min": "fmin", "max": "fmax"}


def is_reserved_c(name: str) -> bool:
    """A C keyword, a ``<math.h>`` name, or an implementation-reserved ``__x`` / ``_X`` name."""
    return (
        name in C_RESERVED
        or name.startswith("__")
        or (len(name) > 1 and name[0] == "_" and name[1].isupper())
    )


class CDialect(Dialect):
    """C expressions: infix arithmetic, ``pow(a, b)`` and the other ``<math.h>`` calls."""

    lang = "c"

    def call_name(self, op: str) -> str:
        return _CALLS.get(op, op)


def _params(plan: Plan, restrict: bool) -> list[str]:
    fn = plan.fn
    ptr = "*restrict " if restrict else "*"
    return [f"double {ptr}{plan.name(p.name)}" for p in fn.outputs] + [
        f"const double {ptr}{plan.name(p.name)}" if p.is_array else f"double {plan.name(p.name)}"
        for p in fn.inputs
    ]


def _signature(plan: Plan, restrict: bool = False) -> str:
    result = "double" if plan.fn.returns_value else "void"
    return f"{result} {plan.fn.name}({', '.join(_params(plan, restrict)) or 'void'})"


def _statement(plan: Plan, step: Step, dialect: CDialect) -> str:
    """One indented statement: a temporary's definition, an output store or the return."""
    text = plan.text(step, dialect)
    if isinstance(step, Temp):
        return f"    const double {step.name} = {text};"
    target = plan.fn.body[step.index][0]
    if target is None:
        return f"    return {text};"
    if target.index is None:
        return f"    *{plan.name(target.name)} = {text};"
    return f"    {plan.name(target.name)}[{target.index}] = {text};"


NOINLINE_MACRO = """#ifndef SYMOPT_NOINLINE
#if defined(__GNUC__)
#define SYMOPT_NOINLINE __attribute__((noinline))
#else
#define SYMOPT_NOINLINE
#endif
#endif"""
"""Keeps a compiler from merging the parts of a split function back into one body."""


def _header(plan: Plan, restrict: bool) -> list[str]:
    """The renaming comment (if any) and the opening line of the function."""
    comment = [f"/* {renamed_comment(plan.renames)} */"] if plan.renames else []
    return [*comment, _signature(plan, restrict) + " {"]


def _render_split(
    plan: Plan, dialect: CDialect, restrict: bool, max_statements: int
) -> RenderedFunction:
    """The function as ``static`` parts called in order; temporaries that cross a part
    boundary go through a local scratch array (see :mod:`symopt.codegen.split`)."""
    fn = plan.fn
    per_part = min(max_statements, splitting.PART_STATEMENTS)
    split = split_steps(plan.steps, plan.bound, per_part)
    params = _params(plan, restrict)
    taken = {plan.name(p.name) for p in (*fn.outputs, *fn.inputs)}
    scratch = next(n for n in chain(["scratch"], fresh_names("scratch", set())) if n not in taken)
    args = [plan.name(p.name) for p in (*fn.outputs, *fn.inputs)]
    if split.slots:
        params.append(f"double *restrict {scratch}")
        args.append(scratch)
    names = [f"{fn.name}_part{k}" for k in range(len(split.parts))]
    if taken & set(names):
        raise ValueError(f"{fn.name}: a parameter is named like a part ({fn.name}_partN)")
    shared = (
        f"; {len(split.slots)} temporaries shared between them pass through {scratch}[]"
        if split.slots
        else ""
    )
    comment = (
        f"/* {fn.name}: {len(plan.steps)} statements split into {len(split.parts)} functions "
        f"of at most {per_part} statements and {splitting.PART_OPERATIONS} operations"
        f"{shared} */"
    )
    parts = []
    for name, part in zip(names, split.parts, strict=True):
        body = [f"    const double {t} = {scratch}[{split.slots[t]}];" for t in part.imports]
        for step in part.steps:
            body.append(_statement(plan, step, dialect))
            if isinstance(step, Temp) and step.name in part.exports:
                body.append(f"    {scratch}[{split.slots[step.name]}] = {step.name};")
        body = [*unused_casts(args, body), *body]
        parts.append(PartFunction(name, ", ".join(params), body, part.size))
    entry = _header(plan, restrict)
    if split.slots:
        entry.append(f"    double {scratch}[{len(split.slots)}];")
    entry.extend(f"    {name}({', '.join(args)});" for name in names)
    entry.append("}")
    return RenderedFunction("", comment, tuple(parts), "\n".join(entry))


def _plan(fn: FunctionDef, costs: CostTable | None) -> Plan:
    return plan_function(
        fn, "C", is_reserved_c, costs, recompute_load_sums=True, reorder=True, calls_first=True
    )


def _render_function(plan: Plan, restrict: bool, max_statements: int | None) -> RenderedFunction:
    """The definition (with its parts if it was split)."""
    fn = plan.fn
    dialect = CDialect(plan.renames)
    split = max_statements is not None and needs_split(plan.steps, plan.bound, max_statements)
    if split and max_statements is not None and fn.outputs:
        return _render_split(plan, dialect, restrict, max_statements)
    body = [_statement(plan, step, dialect) for step in plan.steps]
    names = [plan.name(p.name) for p in (*fn.outputs, *fn.inputs)]
    lines = [*_header(plan, restrict), *unused_casts(names, body), *body, "}"]
    return RenderedFunction("\n".join(lines))


def unused_casts(params: Sequence[str], body: Sequence[str]) -> list[str]:
    """``(void)x;`` for each parameter the body never names, so that ``-Wall -Wextra`` has no
    unused-parameter warning (a part of a split body reads only some of them)."""
    text = "\n".join(body)
    return [f"    (void){p};" for p in params if not re.search(rf"\b{re.escape(p)}\b", text)]


class ModuleOptions(TypedDict, total=False):
    """A generated module's options past its functions and cost table, as
    :func:`render_c_module` and :func:`~symopt.codegen.module.render_module` pass them on."""

    restrict: bool
    """C: qualify the pointer parameters ``restrict``."""
    max_statements: int | None
    """C: split a body of more statements than this (temporaries and outputs; None: no limit)
    into ``static`` part functions (only a function with outputs)."""
    constants: IntArrays
    """Integer arrays defined before the functions."""


def render_c_module(
    functions: Sequence[FunctionDef],
    costs: CostTable | None = None,
    **options: Unpack[ModuleOptions],
) -> str:
    """A C99 source file: ``#include <math.h>``, the ``constants`` and the functions (the one
    file of :func:`render_c_files`)."""
    return render_c_files(functions, costs, **options)[0]


def render_c_files(
    functions: Sequence[FunctionDef],
    costs: CostTable | None = None,
    *,
    restrict: bool = False,
    max_statements: int | None = None,
    constants: IntArrays = (),
    max_file_operations: int | None = None,
) -> list[str]:
    """:func:`render_c_module` (options: :class:`ModuleOptions`) as one file or, when the parts
    of split functions hold more than ``max_file_operations`` operations together (None: no
    limit), as several: the first file and the part files (see :mod:`symopt.codegen.cfiles`)."""
    if max_file_operations is not None and max_file_operations < 1:
        raise ValueError(f"max_file_operations must be at least 1, got {max_file_operations}")
    plans = [cut_long_chains(p) for p in plan_functions(functions, lambda fn: _plan(fn, costs))]
    rendered = [_render_function(plan, restrict, max_statements) for plan in plans]
    head = ["#include <math.h>"]
    if any(r.parts for r in rendered):
        head.append(NOINLINE_MACRO)
    consts = render_c_constants(constants)
    if max_file_operations is not None and part_operations(rendered) > max_file_operations:
        return assemble_files(head, consts, rendered, max_file_operations)
    return ["\n\n".join(head + consts + [r.text for r in rendered]) + "\n"]
