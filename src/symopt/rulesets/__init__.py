"""Rewrite rules as data: TOML rulesets with tiers and guards."""

from symopt.rulesets.loader import BUILTIN_RULESETS, load_ruleset, parse_ruleset
from symopt.rulesets.rule import GUARDS, TIERS, Rule, Ruleset

__all__ = [
    "BUILTIN_RULESETS",
    "GUARDS",
    "TIERS",
    "Rule",
    "Ruleset",
    "load_ruleset",
    "parse_ruleset",
]
