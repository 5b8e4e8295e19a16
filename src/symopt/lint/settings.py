"""What ``symopt lint`` reports (:class:`Settings`) and how it optimises (:class:`Engine`)."""

from __future__ import annotations

from dataclasses import dataclass

from symopt.costs.table import CostTable
from symopt.limits import Limits
from symopt.rulesets.rule import Ruleset


@dataclass(frozen=True)
class Settings:
    """What to report: enabled codes and thresholds."""

    enabled: frozenset[str]
    min_ops: int = 2
    min_saving: float = 10.0
    max_cost: float | None = None
    max_model_cost: float | None = None


@dataclass(frozen=True)
class Engine:
    """How to optimise: the resolved ruleset (already cut to the tier), costs and limits."""

    ruleset: Ruleset
    costs: CostTable
    limits: Limits
    verify: bool = True
    algebra: bool = True
    """Whether rewrites of the algebra tier are allowed (they are unless ``--tier exact``)."""
