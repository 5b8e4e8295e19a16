"""Rules as named data: a pattern pair with a tier and guards on its pattern variables."""

from __future__ import annotations

from dataclasses import dataclass

from symopt.ir import PVar, Term, postorder

TIERS = ("exact", "algebra", "fast")
"""Soundness tiers, weakest promise last: exact (IEEE-exact), algebra (true over the reals on the
guarded domain), fast (fast-math: may change results or the domain)."""

GUARDS = ("positive", "nonnegative", "nonzero", "finite", "integer", "literal", "exp-shared")
"""Facts a guard may require of a pattern variable's value: ``> 0``, ``>= 0``, ``!= 0``, not
±inf/nan, integer-valued (over the reals: a guarded value is never nan), or a literal number
written in the term (``literal``: a ``Num``, never a rounded constant; literals are sign-free, so
a negative constant ``-c`` is a negation of one). ``exp-shared`` is structural: ``exp`` of the
variable's class is in the e-graph too (any value; ``exp(-x) -> 1/exp(x)`` only where that shares
``exp(x)``)."""


@dataclass(frozen=True)
class Rule:
    """A rewrite ``lhs → rhs`` (both ways if ``bidirectional``) where ``guards`` hold."""

    name: str
    lhs: Term
    rhs: Term
    tier: str = "algebra"
    guards: tuple[tuple[str, str], ...] = ()
    bidirectional: bool = False
    doc: str = ""
    line: int | None = None
    path: str = ""
    """The file the rule was read from (a ruleset's rules may come from the one it extends)."""

    def directions(self) -> list[tuple[str, Term, Term]]:
        """The one or two one-way rewrites this rule stands for, each with a unique name."""
        out = [(self.name, self.lhs, self.rhs)]
        if self.bidirectional:
            out.append((f"{self.name}<=", self.rhs, self.lhs))
        return out


@dataclass(frozen=True)
class Ruleset:
    name: str
    rules: tuple[Rule, ...]
    description: str = ""
    path: str = ""

    def up_to(self, tier: str) -> Ruleset:
        """The rules whose tier is at most ``tier`` (``exact`` < ``algebra`` < ``fast``)."""
        rank = TIERS.index(tier)
        kept = tuple(r for r in self.rules if TIERS.index(r.tier) <= rank)
        return Ruleset(self.name, kept, self.description, self.path)


def pattern_vars(term: Term) -> set[str]:
    return {t.name for t in postorder([term]) if isinstance(t, PVar)}
