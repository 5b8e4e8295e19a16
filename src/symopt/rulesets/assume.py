"""User assumptions such as ``x > 0``: a fact for the e-graph and a range for verification.

An assumption is ``NAME op CONST`` (or ``CONST op NAME``) with ``NAME`` a symbol (``x``, ``u[3]``;
a bare array name ``u`` covers every ``u[i]``) and ``op`` one of ``> >= < <= !=``. Only what a
guard can use is accepted:

=================  ===============  ===========================
assumption         fact             verification samples
=================  ===============  ===========================
``x > c``, c >= 0  ``Positive``     (c + w/30, c + w)
``x >= c``, c > 0  ``Positive``     (c, c + w)
``x >= 0``         ``Nonnegative``  (0, w)
``x < c``, c <= 0  ``Nonzero``      (c - w, c - w/30)
``x <= c``, c < 0  ``Nonzero``      (c - w, c)
``x != 0``         ``Nonzero``      (the default)
=================  ===============  ===========================

with ``w = max(3, 3|c|)``, so ``x > 0`` samples x in (0.1, 3). Anything else (``x > -1``,
``x != 2``, ``x == 1``) says nothing a guard can use and is an :class:`AssumptionError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from symopt.errors import ConfigError
from symopt.ir import MAX_INDEX, Sym, Term, index_fits

_NAME = r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[\s*(?P<index>\d+)\s*\])?"
_CONST = r"(?P<const>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
_OP = r"(?P<op>>=|<=|!=|==|=|>|<)"
_NAME_FIRST = re.compile(rf"^\s*{_NAME}\s*{_OP}\s*{_CONST}\s*$")
_CONST_FIRST = re.compile(rf"^\s*{_CONST}\s*{_OP}\s*{_NAME}\s*$")
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "!=": "!=", "==": "==", "=": "="}
_HINT = "supported: x > c, x >= c with c >= 0; x < c with c <= 0; x <= c with c < 0; x != 0"


class AssumptionError(ConfigError):
    """An assumption that cannot be parsed or that no guard could use."""


@dataclass(frozen=True)
class Assumption:
    """``sym`` satisfies ``relation`` (a fact relation such as ``Positive``) and lies in the
    interval from ``lower`` to ``upper`` (each bound open or closed; ±inf if absent)."""

    sym: Sym
    relation: str
    text: str
    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = True
    upper_open: bool = True

    @property
    def sample_range(self) -> tuple[float, float] | None:
        """Where verification samples ``sym`` (``None``: the default sampling)."""
        return _sample_range(self.lower, self.lower_open, self.upper, self.upper_open)


def _sample_range(lo: float, lo_open: bool, hi: float, hi_open: bool) -> tuple[float, float] | None:
    if math.isfinite(lo) and math.isfinite(hi):
        gap = (hi - lo) / 30
        return (lo + gap if lo_open else lo, hi - gap if hi_open else hi)
    if math.isfinite(lo):
        w = max(3.0, 3.0 * abs(lo))
        return (lo + w / 30 if lo_open else lo, lo + w)
    if math.isfinite(hi):
        w = max(3.0, 3.0 * abs(hi))
        return (hi - w, hi - w / 30 if hi_open else hi)
    return None


def _fact(op: str, c: float, sym: Sym, text: str) -> Assumption | None:
    if op in (">", ">=") and (c > 0 or (c == 0 and op == ">")):
        return Assumption(sym, "Positive", text, lower=c, lower_open=op == ">")
    if op == ">=" and c == 0:
        return Assumption(sym, "Nonnegative", text, lower=0.0, lower_open=False)
    if op in ("<", "<=") and (c < 0 or (c == 0 and op == "<")):
        return Assumption(sym, "Nonzero", text, upper=c, upper_open=op == "<")
    if op == "!=" and c == 0:
        return Assumption(sym, "Nonzero", text)
    return None


def parse_assumption(text: str) -> Assumption:
    """Parse one assumption (``x > 0``, ``u[3] >= 1e-3``, ``0 < y``); see the module docstring."""
    flipped = False
    match = _NAME_FIRST.match(text)
    if match is None:
        match = _CONST_FIRST.match(text)
        flipped = True
    if match is None:
        raise AssumptionError(
            f"cannot read assumption {text!r}: expected NAME OP NUMBER such as 'x > 0' "
            "(OP one of > >= < <= !=)"
        )
    op = _FLIP[match["op"]] if flipped else match["op"]
    const = float(match["const"])
    if not math.isfinite(const):
        raise AssumptionError(f"assumption {text!r}: {match['const']} is out of range")
    index = match["index"]
    if index is not None and not index_fits(index):
        raise AssumptionError(f"assumption {text!r}: index {index} too large (max {MAX_INDEX})")
    sym = Sym(match["name"], int(index) if index is not None else None)
    fact = _fact(op, const, sym, text.strip())
    if fact is None:
        raise AssumptionError(
            f"assumption {text!r} says nothing symopt can use about {sym.key}; {_HINT}"
        )
    return fact


def facts(assumptions: Iterable[Assumption], symbols: Sequence[Sym]) -> list[tuple[Term, str]]:
    """``(term, relation)`` facts for the e-graph: an assumption on a bare name ``u`` also holds
    for every ``u[i]`` among ``symbols``."""
    out: dict[tuple[Term, str], None] = {}
    for a in assumptions:
        out[(a.sym, a.relation)] = None
        if a.sym.index is None:
            for s in symbols:
                if s.name == a.sym.name and s.index is not None:
                    out[(s, a.relation)] = None
    return list(out)


def sample_ranges(assumptions: Iterable[Assumption]) -> dict[str, tuple[float, float]]:
    """Verification ranges keyed by ``x``/``u``/``u[3]``. Several assumptions on one symbol
    intersect; an empty intersection is an :class:`AssumptionError`."""
    bounds: dict[str, list[Assumption]] = {}
    for a in assumptions:
        bounds.setdefault(a.sym.key, []).append(a)
    out: dict[str, tuple[float, float]] = {}
    for key, group in bounds.items():
        lo, lo_open = max(((a.lower, a.lower_open) for a in group), key=lambda b: (b[0], b[1]))
        hi, hi_open = min(((a.upper, a.upper_open) for a in group), key=lambda b: (b[0], not b[1]))
        if lo > hi or (lo == hi and (lo_open or hi_open)):
            texts = ", ".join(repr(a.text) for a in group)
            raise AssumptionError(f"assumptions on {key} contradict each other: {texts}")
        found = _sample_range(lo, lo_open, hi, hi_open)
        if found is not None:
            out[key] = found
    return out
