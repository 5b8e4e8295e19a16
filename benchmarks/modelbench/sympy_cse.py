"""The SymPy variant: what a SymPy user would write — ``sympy.cse`` over all right-hand sides,
then SymPy's C printer (``ccode``) for every temporary and every output.

The model is built as ordinary (evaluated) SymPy expressions over ``IndexedBase`` arrays ``p`` and
``u`` (with shapes, which ``ccode`` needs to print ``p[3]``). Sums and products are built with one
``Add(*terms)`` / ``Mul(*factors)`` call each, as ``sympify`` of the model text would, instead of
term by term (adding 1000 terms one at a time is quadratic in SymPy). Integer-valued constants
become ``Integer`` (as the text ``2`` would), others ``Float`` from the exact double.
"""

from __future__ import annotations

import sympy

from modelbench.model import Model
from modelbench.naive import SIGNATURE
from symopt.ir import App, Num, Sym, Term

_EXACT_INT = 2.0**53


class _Converter:
    """IR → SymPy, memoised by node identity (the model's subterms are shared by the parser)."""

    def __init__(self, model: Model) -> None:
        self.arrays = {
            "p": sympy.IndexedBase("p", shape=(model.n_p,)),
            "u": sympy.IndexedBase("u", shape=(model.n_u,)),
        }
        self.memo: dict[int, sympy.Expr] = {}

    def number(self, x: float) -> sympy.Expr:
        if x.is_integer() and abs(x) < _EXACT_INT:
            return sympy.Integer(int(x))
        return sympy.Float(x)

    def summands(self, term: Term) -> list[sympy.Expr]:
        """The signed terms of a (left-deep) chain of + and - and unary -, iteratively."""
        out: list[sympy.Expr] = []
        stack: list[tuple[Term, int]] = [(term, 1)]
        while stack:
            node, sign = stack.pop()
            if isinstance(node, App) and node.op in ("add", "sub"):
                stack.append((node.args[1], sign if node.op == "add" else -sign))
                stack.append((node.args[0], sign))
            elif isinstance(node, App) and node.op == "neg":
                stack.append((node.args[0], -sign))
            else:
                value = self.convert(node)
                out.append(value if sign > 0 else -value)
        return out

    def convert(self, term: Term) -> sympy.Expr:
        key = id(term)
        if key not in self.memo:
            self.memo[key] = self._convert(term)
        return self.memo[key]

    def _convert(self, term: Term) -> sympy.Expr:
        if isinstance(term, Num):
            return self.number(term.value)
        if isinstance(term, Sym):
            return self.arrays[term.name][term.index]
        assert isinstance(term, App), term
        if term.op in ("add", "sub", "neg"):
            return sympy.Add(*self.summands(term))
        a = [self.convert(x) for x in term.args]
        if term.op == "mul":
            return sympy.Mul(*a)
        if term.op == "div":
            return sympy.Mul(a[0], sympy.Pow(a[1], -1))
        if term.op == "pow":
            return sympy.Pow(a[0], a[1])
        return getattr(sympy, term.op)(*a)


def to_sympy(model: Model) -> list[sympy.Expr]:
    """The right-hand sides of ``model`` as SymPy expressions, in statement order."""
    conv = _Converter(model)
    return [conv.convert(expr) for _, expr in model.outputs]


def sympy_cse_source(model: Model) -> str:
    """The C translation unit of the SymPy variant (``cse`` + ``ccode``)."""
    replacements, reduced = sympy.cse(to_sympy(model))
    lines = [
        f"/* {model.name}: sympy {sympy.__version__} cse + ccode */",
        "#include <math.h>",
        "",
        SIGNATURE,
        "{",
    ]
    lines.extend(f"    const double {sym} = {sympy.ccode(value)};" for sym, value in replacements)
    lines.extend(
        f"    du[{i}] = {sympy.ccode(value)};"
        for (i, _), value in zip(model.outputs, reduced, strict=True)
    )
    lines.append("}")
    return "\n".join(lines) + "\n"
