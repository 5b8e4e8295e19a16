"""Bounds on an optimisation and why it stopped: shared by the rule e-graph (``egraph/``), the
polynomial path (``algebra/``) and everything that reports on them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class StopReason(Enum):
    """Why a phase stopped, from least to most limiting (see :data:`SEVERITY`)."""

    SATURATED = "saturated"
    ITERATION_LIMIT = "iteration limit"
    NODE_LIMIT = "node limit"
    TIME_LIMIT = "time limit"
    OUT_OF_MEMORY = "out of memory"

    def __str__(self) -> str:
        return self.value


SEVERITY: tuple[StopReason, ...] = tuple(StopReason)
"""Stop reasons from least to most limiting: a report over several phases names the worst."""


@dataclass(frozen=True)
class Limits:
    """Bounds on saturation. Defaults keep ``simplify`` interactive."""

    iterations: int = 30
    nodes: int = 20_000
    time: float = 1.0
    match_limit: int = 1_000
    ban_length: int = 2
