"""The naive C variant: one ``du[i] = <expr>;`` per model line, printed as written.

Parentheses follow the term's tree exactly, so without ``-ffast-math`` gcc evaluates every
operation in the model's own left-to-right order (``a*b*c`` is ``(a*b)*c``; ``a*(b*c)`` keeps its
parentheses). ``x^n`` with a small integer n becomes ``x*x*...*x``; other powers call ``pow``.
Constants are printed with :func:`symopt.codegen.numbers.format_float` (``repr``: exact doubles).
"""

from __future__ import annotations

from modelbench.model import Model
from symopt.codegen.numbers import format_float
from symopt.ir import App, Num, Sym, Term

SIGNATURE = "void f(double *du, const double *p, const double *u)"
MAX_POW_AS_PRODUCT = 4

# C precedence levels used here (higher binds tighter).
_SUM, _PRODUCT, _UNARY, _ATOM = 1, 2, 3, 4
_BINARY = {"add": ("+", _SUM), "sub": ("-", _SUM), "mul": ("*", _PRODUCT), "div": ("/", _PRODUCT)}


def _small_int_power(term: App) -> int | None:
    expo = term.args[1]
    if isinstance(expo, Num) and expo.value.is_integer() and 2 <= expo.value <= MAX_POW_AS_PRODUCT:
        return int(expo.value)
    return None


def _wrap(text: str, level: int, needed: int) -> str:
    return text if level >= needed else f"({text})"


def _spine(term: App, level: int) -> tuple[Term, list[tuple[str, Term]]]:
    """Unroll a left-deep chain of same-level binary operators (iteratively: sums are long)."""
    rights: list[tuple[str, Term]] = []
    node: Term = term
    while isinstance(node, App) and node.op in _BINARY and _BINARY[node.op][1] == level:
        rights.append((_BINARY[node.op][0], node.args[1]))
        node = node.args[0]
    rights.reverse()
    return node, rights


def _print_binary(term: App) -> tuple[str, int]:
    level = _BINARY[term.op][1]
    first, rights = _spine(term, level)
    parts = [_wrap(*_print(first), level)]
    joiner = " {} " if level == _SUM else "{}"
    for sign, right in rights:
        # Left-associative: the right operand must bind tighter than the operator.
        parts.append(joiner.format(sign) + _wrap(*_print(right), level + 1))
    return ("".join(parts), level)


def _print(term: Term) -> tuple[str, int]:
    """C text of ``term`` and its precedence level."""
    if isinstance(term, Num):
        text = format_float(term.value, "c")
        return (f"({text})", _ATOM) if text.startswith("-") else (text, _ATOM)
    if isinstance(term, Sym):
        return (term.key, _ATOM)
    if not isinstance(term, App):
        raise TypeError(f"cannot print {term!r}")
    if term.op in _BINARY:
        return _print_binary(term)
    if term.op == "neg":
        return ("-" + _wrap(*_print(term.args[0]), _ATOM), _UNARY)
    if term.op == "pow":
        n = _small_int_power(term)
        if n is not None:
            return ("*".join([_wrap(*_print(term.args[0]), _ATOM)] * n), _PRODUCT)
    args = ", ".join(_print(a)[0] for a in term.args)
    return (f"{term.op}({args})", _ATOM)


def expr_to_c(term: Term) -> str:
    """``term`` as a C expression over ``p[k]`` and ``u[j]``."""
    return _print(term)[0]


def naive_source(model: Model) -> str:
    """The C translation unit of the naive variant."""
    lines = [f"/* {model.name}: naive, one statement per model line */", "#include <math.h>", ""]
    lines.append(SIGNATURE)
    lines.append("{")
    lines.extend(f"    du[{i}] = {expr_to_c(expr)};" for i, expr in model.outputs)
    lines.append("}")
    return "\n".join(lines) + "\n"
