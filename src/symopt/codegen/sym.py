"""Printing terms in symopt's own input language (``x*x + 2*x*y``), re-parseable exactly."""

from __future__ import annotations

from symopt.codegen.function import FunctionDef
from symopt.codegen.infix import ADD, ATOM, POW, Dialect, Layout, Operand, write
from symopt.ir import App, Term


class SymDialect(Dialect):
    """``+``/``-`` spaced, ``*``/``/`` tight, right-associative ``^`` whose base is an atom."""

    lang = "sym"

    def infix(self, op: str, a: Term, b: Term, prec: int) -> Layout:
        s = " " if prec == ADD else ""
        return prec, [Operand(a, prec), f"{s}{op}{s}", Operand(b, prec + 1, True)]

    def layout(self, app: App) -> Layout:
        if app.op == "pow":
            # The grammar is `atom ^ unary`: parenthesise any base but an atom; a negative
            # exponent gets parentheses too for readability (`x^(-3)`).
            return POW, [Operand(app.args[0], ATOM), "^", Operand(app.args[1], POW, True)]
        return super().layout(app)


def to_sym(term: Term) -> str:
    """``term`` in the input language, with the fewest parentheses that keep its structure."""
    return write(term, SymDialect())


def render_sym_function(fn: FunctionDef) -> list[str]:
    """One line per body entry: the returned expression, or ``target = expr``; no temporaries."""
    lines = []
    for target, expr in fn.body:
        text = to_sym(expr)
        lines.append(text if target is None else f"{target.key} = {text}")
    return lines
