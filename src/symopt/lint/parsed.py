"""What an analysed file looks like once read: units (a function, a model, an expression line)
holding candidate expressions as terms, with where each subterm is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from symopt.ir import App, Term
from symopt.lint.findings import Location
from symopt.rulesets.assume import Assumption


@dataclass
class Candidate:
    """One expression as written (a fresh, un-interned term: every occurrence its own node) and
    where it is. ``wrap``: a replacement must be parenthesised unless atomic (it sits inside an
    operator we do not model). ``flavor`` picks how a Python suggestion calls functions
    (``math`` or ``numpy``)."""

    term: Term
    loc: Location
    wrap: bool = False
    flavor: str = "math"


@dataclass
class Unit:
    """A function (Python), a whole model (``.sym``) or one line (expression file): the scope
    of SYM003 and of ``--max-model-cost``."""

    name: str
    loc: Location
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class ParsedFile:
    """A file ready for :func:`symopt.lint.analyze.analyze`.

    ``spans`` maps ``id`` of an operator node to where it is written (nodes without an entry
    fall back to ``App.span``); ``printer`` writes a term in the file's own language (and says
    whether the text can replace the original as is: ``False`` when it calls a module the file
    does not import), ``None`` if the language cannot write it. ``ranges`` and
    ``assumptions`` narrow verification (a model's sidecar and ``assume`` lines).
    """

    path: str
    kind: str
    text: str
    units: list[Unit]
    printer: Callable[[Term, Candidate], tuple[str, bool] | None]
    spans: dict[int, Location] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    assumptions: list[Assumption] = field(default_factory=list)
    tree_costs: bool = False
    """Costs as the file's language evaluates it: Python computes every occurrence (tree cost);
    models and expression files are compiled with shared subterms computed once (DAG cost)."""

    def where(self, term: Term) -> Location | None:
        loc = self.spans.get(id(term))
        if loc is None and isinstance(term, App) and term.span is not None:
            loc = Location(term.span.line, term.span.column)
        return loc
