"""Lint codes (the rules ``symopt lint`` reports) and the :class:`Finding` record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """A stable lint code with its one-line summary and the help text of docs/lint.md."""

    code: str
    name: str
    summary: str
    why: str
    fixable: bool = False


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule(
            "SYM001",
            "cheaper-equivalent",
            "A cheaper equivalent form exists (verified numerically).",
            "The optimiser found a form that computes the same value with fewer CPU cycles, "
            "using only rewrites of the chosen tier, and checked it at random points.",
            fixable=True,
        ),
        Rule(
            "SYM002",
            "over-budget",
            "An expression, statement or function costs more than the budget.",
            "--max-cost / --max-model-cost set a cycle budget; code over it fails the check "
            "so cost regressions are caught in review.",
        ),
        Rule(
            "SYM003",
            "repeated-subexpression",
            "The same subexpression is computed more than once.",
            "Computing it once into a variable (a `let` in a model) saves its cycles at every "
            "repetition and names an idea of the code.",
        ),
        Rule(
            "SYM004",
            "small-integer-power",
            "A power with a small integer exponent (x**3, pow(x, 2)).",
            "A pow call costs far more than the two or three multiplies that compute x**2..x**4.",
            fixable=True,
        ),
        Rule(
            "SYM005",
            "division-by-constant",
            "A division by a power-of-two constant (x / 4).",
            "Division is several times slower than multiplication; multiplying by the "
            "reciprocal of a power of two gives bit-identical results.",
            fixable=True,
        ),
        Rule(
            "SYM006",
            "product-of-exponentials",
            "A product of exponentials, exp(a)*exp(b).",
            "exp(a + b) computes the same value with one exp instead of two (it may overflow "
            "at different inputs, so it belongs to the algebra tier).",
            fixable=True,
        ),
    )
}
"""Every code ``symopt lint`` may report, in order."""


@dataclass(frozen=True)
class Location:
    """A 1-based source position; ``end_column`` is exclusive (the column after the last
    character), ``None`` where unknown."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Finding:
    """One problem at one place. ``suggestion`` is the replacement text for ``loc`` in the
    file's own language (``None`` if there is none); ``related`` are other locations of the
    same thing (SYM003)."""

    code: str
    message: str
    path: str
    loc: Location
    cost_before: float | None = None
    cost_after: float | None = None
    suggestion: str | None = None
    related: tuple[Location, ...] = field(default_factory=tuple)
    fixable: bool = True
    """Whether ``--fix`` may apply ``suggestion`` as it is."""

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.loc.line, self.loc.column, self.code)


def selector_matches(selector: str, code: str) -> bool:
    """Ruff-style selection: ``SYM001`` exactly, ``SYM00`` or ``SYM`` as prefixes, ``ALL``."""
    return selector == "ALL" or code.startswith(selector)


def check_selectors(selectors: Iterable[str]) -> str | None:
    """The first selector that matches no code, if any."""
    for sel in selectors:
        if not any(selector_matches(sel, code) for code in RULES):
            return sel
    return None


def enabled_codes(select: Iterable[str], ignore: Iterable[str]) -> frozenset[str]:
    """Codes selected (all when ``select`` is empty) minus those ignored."""
    chosen = list(select) or ["ALL"]
    ignored = list(ignore)
    return frozenset(
        code
        for code in RULES
        if any(selector_matches(s, code) for s in chosen)
        and not any(selector_matches(s, code) for s in ignored)
    )
