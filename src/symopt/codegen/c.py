"""C99 printer: ``double f(double x, const double *u)`` functions over ``<math.h>``."""

from __future__ import annotations

from collections.abc import Sequence

from symopt.codegen.function import FunctionDef
from symopt.codegen.infix import Dialect
from symopt.codegen.names import renamed_comment
from symopt.codegen.plan import Plan, plan_function
from symopt.codegen.schedule import Temp
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
UNDERFLOW TLOSS PLOSS exception errno NULL EOF
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


def _signature(plan: Plan) -> str:
    fn = plan.fn
    params = [f"double *{plan.name(p.name)}" for p in fn.outputs] + [
        f"const double *{plan.name(p.name)}" if p.is_array else f"double {plan.name(p.name)}"
        for p in fn.inputs
    ]
    result = "double" if fn.returns_value else "void"
    return f"{result} {fn.name}({', '.join(params) or 'void'})"


def render_c_function(fn: FunctionDef, costs: CostTable | None = None) -> str:
    """One C99 function definition."""
    plan = plan_function(fn, "C", is_reserved_c, costs)
    dialect = CDialect(plan.renames)
    lines = []
    if plan.renames:
        lines.append(f"/* {renamed_comment(plan.renames)} */")
    lines.append(_signature(plan) + " {")
    for step in plan.steps:
        text = plan.text(step, dialect)
        if isinstance(step, Temp):
            lines.append(f"    const double {step.name} = {text};")
            continue
        target = fn.body[step.index][0]
        if target is None:
            lines.append(f"    return {text};")
        elif target.index is None:
            lines.append(f"    *{plan.name(target.name)} = {text};")
        else:
            lines.append(f"    {plan.name(target.name)}[{target.index}] = {text};")
    lines.append("}")
    return "\n".join(lines)


def render_c_module(functions: Sequence[FunctionDef], costs: CostTable | None = None) -> str:
    """A C99 source file: ``#include <math.h>`` and the functions."""
    parts = ["#include <math.h>"] + [render_c_function(fn, costs) for fn in functions]
    return "\n\n".join(parts) + "\n"
