"""Writing one expression with minimal, correct parentheses (shared by every language).

A :class:`Dialect` says how each node looks: a precedence level and a list of pieces (literal text
and operands, each operand with the least precedence it may have unparenthesised). The writer is
iterative and emits fragments, so deep left-leaning chains (``a + b + c + ...``) cost linear time
and no recursion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from symopt.codegen.numbers import format_float
from symopt.ir import App, Num, Sym, Term

ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5
"""Precedence levels, loosest first. ``UNARY`` is a leading minus (``-x``, ``-2.0``)."""

INFIX: dict[str, tuple[str, int]] = {
    "add": ("+", ADD),
    "sub": ("-", ADD),
    "mul": ("*", MUL),
    "div": ("/", MUL),
}


class Operand(NamedTuple):
    """A child slot: parenthesise the child below ``min_prec``, or if it is a leading minus and
    ``no_minus`` (``a - (-b)``, ``a * (-2.0)``, ``-(-x)``)."""

    term: Term
    min_prec: int
    no_minus: bool = False


Piece = str | Operand
Layout = tuple[int, list[Piece]]


class Dialect:
    """Infix ``+ - * /``, prefix ``-`` and calls; subclasses name the calls and the leaves."""

    binary_spacing = " "
    lang = ""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        self.names = dict(names or {})

    def number(self, value: float) -> str:
        return format_float(value, self.lang)

    def symbol(self, sym: Sym) -> str:
        name = self.names.get(sym.name, sym.name)
        return name if sym.index is None else f"{name}[{sym.index}]"

    def leaf(self, term: Term) -> tuple[str, int]:
        """Text and precedence of a number or symbol."""
        if isinstance(term, Num):
            text = self.number(term.value)
            return text, UNARY if text.startswith("-") else ATOM
        if isinstance(term, Sym):
            return self.symbol(term), ATOM
        raise ValueError(f"cannot print {term!r}")

    def call_name(self, op: str) -> str:
        """The function a call to ``op`` is written with."""
        return op

    def infix(self, op: str, a: Term, b: Term, prec: int) -> Layout:
        s = self.binary_spacing
        return prec, [Operand(a, prec), f"{s}{op}{s}", Operand(b, prec + 1, True)]

    def call(self, name: str, args: tuple[Term, ...]) -> Layout:
        pieces: list[Piece] = [name + "("]
        for i, arg in enumerate(args):
            if i:
                pieces.append(", ")
            pieces.append(Operand(arg, 0))
        pieces.append(")")
        return ATOM, pieces

    def layout(self, app: App) -> Layout:
        """Precedence and pieces of an operator node."""
        if app.op in INFIX:
            text, prec = INFIX[app.op]
            return self.infix(text, app.args[0], app.args[1], prec)
        if app.op == "neg":
            return UNARY, ["-", Operand(app.args[0], UNARY + 1, True)]
        return self.call(self.call_name(app.op), app.args)


def write(root: Term, dialect: Dialect, bound: Mapping[int, str] | None = None) -> str:
    """``root`` as text; subterms whose id is in ``bound`` print as that name (not the root)."""
    bound = bound or {}
    out: list[str] = []
    stack: list[Piece] = []

    def expand(term: Term) -> Layout:
        if isinstance(term, App):
            return dialect.layout(term)
        text, prec = dialect.leaf(term)
        return prec, [text]

    stack.extend(reversed(expand(root)[1]))
    while stack:
        piece = stack.pop()
        if isinstance(piece, str):
            out.append(piece)
            continue
        term = piece.term
        name = bound.get(id(term))
        pieces: list[Piece]
        if name is not None:
            prec, pieces = ATOM, [name]
        else:
            prec, pieces = expand(term)
        if prec < piece.min_prec or (piece.no_minus and prec == UNARY):
            stack.append(")")
            stack.extend(reversed(pieces))
            stack.append("(")
        else:
            stack.extend(reversed(pieces))
    return "".join(out)
