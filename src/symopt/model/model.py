"""A parsed model: statements, its outputs and inputs, and the output terms they define."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import cached_property

from symopt.codegen.function import Param
from symopt.errors import SourceWarning
from symopt.gcpause import paused_gc
from symopt.grammar.parser import Statement
from symopt.ir import App, Sym, Term, postorder
from symopt.rulesets.assume import Assumption


@dataclass(frozen=True)
class Model:
    """A model file after checking (see :func:`symopt.model.parse_model`).

    ``outputs`` are the assigned base names (``let`` locals excluded) and ``inputs`` every other
    base name read, each in the declared order (``output``/``input`` lines, ``--args``; a
    declared input need not be read) or else in order of first appearance; ``is_array`` when
    declared or written indexed. They are the generated function's parameters, outputs first:
    ``FunctionDef(name, model.inputs, body, model.outputs)``. ``sizes`` gives each array
    parameter's number of entries: declared (``u[4]``), else one more than its largest index.
    ``assumptions`` come from ``assume x > 0`` lines; ``warnings`` are the parser's (a literal
    that underflows to 0, …), for the caller to report.
    """

    path: str
    statements: tuple[Statement, ...]
    outputs: tuple[Param, ...]
    inputs: tuple[Param, ...]
    assumptions: tuple[Assumption, ...] = ()
    warnings: tuple[SourceWarning, ...] = ()
    sizes: dict[str, int] = field(default_factory=dict)

    def output_terms(self) -> list[tuple[Sym, Term]]:
        """``(target, term)`` per output statement, in file order, with every ``let`` local and
        earlier target read by the statement substituted by its term.

        Linear in the size of the model: the terms are hash-consed as they are built, so a
        subterm shared between statements (or read through a local) is one object.
        """
        table: dict[Term, Term] = {}
        assigned: dict[Sym, Term] = {}
        out: list[tuple[Sym, Term]] = []
        with paused_gc():
            for stmt in self.statements:
                term = _substitute(stmt.expr, assigned, table)
                target = Sym(stmt.target.name, stmt.target.index)
                assigned[target] = term
                if not stmt.is_let:
                    out.append((target, term))
        return out

    def line_of(self, target: Sym) -> int:
        """The line that assigns ``target`` (an output key such as ``du[3]``)."""
        return self._lines[target.key]

    @cached_property
    def _lines(self) -> dict[str, int]:
        return {stmt.target.key: stmt.line for stmt in self.statements}


def _substitute(expr: Term, assigned: dict[Sym, Term], table: dict[Term, Term]) -> Term:
    """``expr`` with assigned symbols replaced, rebuilt bottom-up and interned in ``table``."""
    done: dict[int, Term] = {}
    known = table.get
    for term in postorder([expr]):
        new: Term = term
        if isinstance(term, App):
            old = term.args
            args = tuple([done[id(a)] for a in old])
            if any(map(operator.is_not, args, old)):
                new = App(term.op, args, term.span)
        elif isinstance(term, Sym):
            new = assigned.get(term, term)
        found = known(new)
        if found is None:
            table[new] = found = new
        done[id(term)] = found
    return done[id(expr)]
