"""An e-graph of polynomial factorizations.

Each e-class is one canonical polynomial (up to sign), so equal sub-polynomials of different
statements are one class. Its e-nodes are the ways to compute it: a single monomial, a flat sum
of monomials, or a Horner step ``v*Q + R`` for a frequently occurring atom ``v`` (the top
``alternatives`` atoms by frequency, while the node budget lasts). Extraction then chooses among
these with sharing counted (see ``extract``)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from symopt.algebra.polynomial import Mono, Poly

VARIANT_CUTOFF = 2.0
"""A Horner variant on an atom is offered only if it occurs at least half as often as the most
frequent atom of the polynomial."""


@dataclass(frozen=True, slots=True)
class PNode:
    """``mono``: coeff*mono (coeff > 0). ``sum``: Σ scale*child (scale ±1, or a common
    coefficient factored out of several monomials). ``factor``: atom*Q + sign*R."""

    kind: str
    coeff: float = 1.0
    mono: Mono = ()
    atom: int = -1
    children: tuple[tuple[float, int], ...] = ()


@dataclass
class PClass:
    nodes: list[PNode] = field(default_factory=list)
    expanded: bool = False


Key = tuple[tuple[Mono, float], ...]


def canonical(poly: Poly) -> tuple[float, Key]:
    """``(sign, key)`` with ``poly == sign * key`` and the key's first coefficient positive."""
    items = sorted(poly.items())
    if items[0][1] > 0:
        return 1.0, tuple(items)
    return -1.0, tuple((m, -c) for m, c in items)


def _divide(mono: Mono, atom: int) -> Mono | None:
    """``mono / atom`` (still sorted), or None if ``atom`` is not a factor of ``mono``."""
    for i, (a, e) in enumerate(mono):
        if a == atom:
            return (*mono[:i], (a, e - 1), *mono[i + 1 :]) if e > 1 else mono[:i] + mono[i + 1 :]
    return None


class FactorGraph:
    """Classes are created on demand (``add``) and expanded breadth-first from a work list.

    ``alternatives``: Horner variants per class while fewer than ``budget`` e-nodes exist and
    before ``deadline`` (then one); an atom occurring less than ``1/VARIANT_CUTOFF`` as often
    as the most frequent one is not offered as a variant."""

    def __init__(
        self, *, alternatives: int = 2, budget: int = 200_000, deadline: float = float("inf")
    ) -> None:
        self.classes: list[PClass] = []
        self.keys: list[Key] = []
        self.memo: dict[Key, int] = {}
        self.alternatives = alternatives
        self.budget = budget
        self.deadline = deadline
        self.late = False
        self._expanded = 0
        """Past ``deadline`` (a ``perf_counter`` time) classes get one variant, as past the
        budget."""
        self.enodes = 0
        self._pending: list[int] = []

    def add(self, poly: Poly) -> tuple[float, int]:
        """The class of ``poly`` (creating and expanding it and its parts as needed)."""
        sign, root = self._class(poly)
        self._expand_pending()
        return sign, root

    def _class(self, poly: Poly) -> tuple[float, int]:
        sign, key = canonical(poly)
        cid = self.memo.get(key)
        if cid is None:
            cid = self.memo[key] = len(self.classes)
            self.classes.append(PClass())
            self.keys.append(key)
            self._pending.append(cid)
        return sign, cid

    def _expand_pending(self) -> None:
        while self._pending:
            cid = self._pending.pop()
            cls = self.classes[cid]
            if not cls.expanded:
                cls.expanded = True
                self._expand(cid, dict(self.keys[cid]))

    def _expand(self, cid: int, poly: Poly) -> None:
        cls = self.classes[cid]
        if len(poly) == 1:
            ((mono, coeff),) = poly.items()
            cls.nodes.append(PNode("mono", coeff=coeff, mono=mono))
            self.enodes += 1
            return
        counts = Counter(atom for mono in poly for atom, _ in mono)
        ranked = self._ranked(counts)
        self._expanded += 1
        if not self.late and self._expanded % 256 == 0:
            self.late = time.perf_counter() > self.deadline
        width = self.alternatives if self.enodes < self.budget and not self.late else 1
        if not ranked:
            plain = tuple(self._class({m: c}) for m, c in sorted(poly.items()))
            grouped = self._scaled_parts(poly)
            for children in (grouped, plain) if grouped != plain else (plain,):
                cls.nodes.append(PNode("sum", children=children))
                self.enodes += 1
            return
        best = counts[ranked[0]]
        for atom in ranked[:width]:
            if counts[atom] * VARIANT_CUTOFF < best:  # a much rarer atom is not worth a variant
                break
            quotient: Poly = {}
            rest: Poly = {}
            for mono, coeff in poly.items():
                quotient_mono = _divide(mono, atom)
                if quotient_mono is None:
                    rest[mono] = coeff
                else:
                    quotient[quotient_mono] = coeff
            parts = [self._class(quotient)]
            if rest:
                parts.append(self._class(rest))
            cls.nodes.append(PNode("factor", atom=atom, children=tuple(parts)))
            self.enodes += 1

    def _ranked(self, counts: Counter[int]) -> list[int]:
        """Atoms worth factoring out (in two or more monomials), most frequent first."""
        return sorted((a for a, n in counts.items() if n >= 2), key=lambda a: (-counts[a], a))

    def _scaled_parts(self, poly: Poly) -> tuple[tuple[float, int], ...]:
        """Children of a flat sum: monomials that share a coefficient magnitude other than 1 are
        grouped under it (``2*a + 2*b`` → ``2*(a + b)``: one multiply instead of two)."""
        groups: dict[float, Poly] = {}
        for mono, coeff in sorted(poly.items()):
            groups.setdefault(abs(coeff), {})[mono] = coeff
        parts: list[tuple[float, int]] = []
        for scale, group in groups.items():
            if scale == 1.0 or len(group) == 1:
                parts.extend(self._class({m: c}) for m, c in group.items())
            else:
                sign, cid = self._class({m: c / scale for m, c in group.items()})
                parts.append((sign * scale, cid))
        return tuple(parts)
