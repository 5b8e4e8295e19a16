"""The named constants of the input language: ``pi`` and ``e``.

``pi`` is the double nearest π (C's ``M_PI``, Python's ``math.pi``) and ``e`` the double nearest
Euler's number (``M_E``, ``math.e``); they are literals from then on (``sin(pi*x)``).
``e^x`` (``e**x``, ``pow(e, x)``) is ``exp(x)``: the exponential, not a power of the rounded
constant. A model keeps its own meaning for a name it declares (``input e``, ``compile --args
e``) or assigns (``e = …``, ``let pi = …``): the constant is *shadowed* and the name is an
ordinary symbol throughout that model. An indexed name (``e[0]``) is always an ordinary array.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection

from symopt.ir import App, Num, Sym, Term, postorder, rebuilt

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""Names that denote a constant unless shadowed, and their values."""

_MENTION = re.compile(r"\b(?:pi|e)\b")
"""A quick textual test: only a line that mentions a constant name is walked."""


def mentions_constant(text: str) -> bool:
    """Whether ``text`` may use a named constant (``1e5`` does not)."""
    return _MENTION.search(text) is not None


def resolve_constants(term: Term, shadowed: Collection[str] = ()) -> Term:
    """``term`` with every free use of an unshadowed constant name replaced by its value
    (spans kept, so messages still point at the name)."""
    names = {n: v for n, v in CONSTANTS.items() if n not in shadowed}
    if not names:
        return term
    done: dict[int, Term] = {}
    for node in postorder([term]):
        if isinstance(node, Sym) and node.index is None and node.name in names:
            done[id(node)] = Num(names[node.name], node.span)
        elif isinstance(node, App) and node.op == "pow" and _is_e(node.args[0], names):
            done[id(node)] = App("exp", (done[id(node.args[1])],), node.span)
        elif isinstance(node, App):
            done[id(node)] = rebuilt(node, done)
        else:
            done[id(node)] = node
    return done[id(term)]


def _is_e(base: Term, names: Collection[str]) -> bool:
    return isinstance(base, Sym) and base.index is None and base.name == "e" and "e" in names
