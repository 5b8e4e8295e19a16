"""Factorings: a memoised graph of the ways to compute each polynomial (not an e-graph: no
rewrite rules, no congruence closure; classes are created once per canonical polynomial).

Each class is one canonical polynomial (up to sign), so equal sub-polynomials of different
statements are one class. Its ways are: a single monomial, a flat sum of monomials, or a Horner
step ``v*Q + R`` for a frequently occurring atom ``v`` (the top ``alternatives`` atoms by
frequency, while ``max_ways`` lasts). :mod:`symopt.algebra.choose` then picks one way per class
with sharing counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from symopt.algebra.polynomial import Mono, Poly

CHECK_EVERY = 256
"""Classes expanded between two asks of ``stop``."""

VARIANT_CUTOFF = 2.0
"""A Horner variant on an atom is offered only if it occurs at least half as often as the most
frequent atom of the polynomial."""


@dataclass(frozen=True, slots=True)
class Way:
    """``mono``: coeff*mono (coeff > 0). ``sum``: Σ scale*child (scale ±1, or a common
    coefficient factored out of several monomials). ``factor``: atom*Q + sign*R."""

    kind: str
    coeff: float = 1.0
    mono: Mono = ()
    atom: int = -1
    children: tuple[tuple[float, int], ...] = ()


@dataclass
class PolyClass:
    ways: list[Way] = field(default_factory=list)
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


class Factorings:
    """Classes are created on demand (``add``) and expanded breadth-first from a work list.

    ``alternatives``: Horner variants per class while fewer than ``max_ways`` ways exist (then
    one); an atom occurring less than ``1/VARIANT_CUTOFF`` as often as the most frequent one is
    not offered as a variant."""

    def __init__(
        self,
        *,
        alternatives: int = 2,
        max_ways: int = 200_000,
        stop: Callable[[], bool] | None = None,
    ) -> None:
        self.classes: list[PolyClass] = []
        self.keys: list[Key] = []
        self.memo: dict[Key, int] = {}
        self.alternatives = alternatives
        self.max_ways = max_ways
        self.ways = 0
        self._pending: list[int] = []
        self._stop = stop
        self.flat = False
        """Set once ``stop`` said so: classes are then expanded as flat sums of monomials only
        (no Horner steps; linear in the polynomial's size)."""
        self._expanded = 0

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
            self.classes.append(PolyClass())
            self.keys.append(key)
            self._pending.append(cid)
        return sign, cid

    def _expand_pending(self) -> None:
        while self._pending:
            cid = self._pending.pop()
            cls = self.classes[cid]
            if not cls.expanded:
                cls.expanded = True
                self._expanded += 1
                if not self.flat and self._stop and self._expanded % CHECK_EVERY == 0:
                    self.flat = self._stop()
                self._expand(cid, dict(self.keys[cid]))

    def _expand(self, cid: int, poly: Poly) -> None:
        cls = self.classes[cid]
        if len(poly) == 1:
            ((mono, coeff),) = poly.items()
            cls.ways.append(Way("mono", coeff=coeff, mono=mono))
            self.ways += 1
            return
        # Flat (past the budget, or collecting like terms): no atom counts needed.
        counts = Counter() if self.flat else Counter(atom for mono in poly for atom, _ in mono)
        ranked = [] if self.flat else self._ranked(counts)
        width = self.alternatives if self.ways < self.max_ways else 1
        if not ranked:
            plain = tuple(self._class({m: c}) for m, c in sorted(poly.items()))
            grouped = self._scaled_parts(poly)
            for children in (grouped, plain) if grouped != plain else (plain,):
                cls.ways.append(Way("sum", children=children))
                self.ways += 1
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
            cls.ways.append(Way("factor", atom=atom, children=tuple(parts)))
            self.ways += 1

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
