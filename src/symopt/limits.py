"""Bounds on an optimisation and why it stopped: shared by the rule e-graph (``egraph/``), the
polynomial path (``algebra/``), the strategy that runs them (:mod:`symopt.strategy`) and
everything that reports on them.

A :class:`Budget` is what every phase receives: an absolute deadline (a ``time.perf_counter()``
value, ``float("inf")`` for none) and a memory limit (resident set size in bytes). A phase asks
:meth:`Budget.exceeded` at its boundaries and in its long loops, takes its cheap fallback when
the answer is not ``None``, and says so in its :class:`PhaseReport`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from symopt.memory import default_memory_limit, rss_bytes


class StopReason(Enum):
    """Why a phase stopped, from least to most limiting (see :data:`SEVERITY`)."""

    DONE = "done"
    """A phase that is not a search ran to completion."""
    SATURATED = "saturated"
    ITERATION_LIMIT = "iteration limit"
    NODE_LIMIT = "node limit"
    TIME_LIMIT = "time limit"
    MEMORY_LIMIT = "memory limit"
    OUT_OF_MEMORY = "out of memory"

    def __str__(self) -> str:
        return self.value

    @property
    def cut(self) -> bool:
        """A limit stopped the phase before it finished (its result is a best-so-far)."""
        return self not in (StopReason.DONE, StopReason.SATURATED)


SEVERITY: tuple[StopReason, ...] = tuple(StopReason)
"""Stop reasons from least to most limiting: a report over several phases names the worst."""


def worst(stops: list[StopReason]) -> StopReason:
    """The most limiting of ``stops`` (``DONE`` for none)."""
    return max(stops, key=SEVERITY.index, default=StopReason.DONE)


@dataclass(frozen=True)
class Limits:
    """Bounds on an optimisation. Defaults keep ``simplify`` interactive.

    ``memory``: resident set size in bytes past which phases stop and keep their best result
    (``None``: :func:`~symopt.memory.default_memory_limit`)."""

    iterations: int = 30
    nodes: int = 20_000
    time: float = 1.0
    match_limit: int = 1_000
    ban_length: int = 2
    memory: int | None = None


@dataclass(frozen=True)
class Budget:
    """What is left of the limits, for every phase: an absolute ``deadline``
    (``time.perf_counter()``) and a ``memory`` bound on the process's resident set (bytes)."""

    deadline: float = float("inf")
    memory: int | None = None

    @classmethod
    def start(cls, limits: Limits, deadline: float | None = None) -> Budget:
        """The budget of one optimisation starting now (or ending at ``deadline``)."""
        end = time.perf_counter() + limits.time if deadline is None else deadline
        memory = default_memory_limit() if limits.memory is None else limits.memory
        return cls(end, memory)

    def minus(self, seconds: float) -> Budget:
        """This budget with ``seconds`` kept back from the deadline (for work that must run
        after the phases that check it)."""
        return Budget(self.deadline - seconds, self.memory)

    def remaining(self) -> float:
        """Seconds left until the deadline (never negative)."""
        return max(0.0, self.deadline - time.perf_counter())

    def exceeded(self) -> StopReason | None:
        """``TIME_LIMIT`` past the deadline, ``MEMORY_LIMIT`` above the memory bound, else
        ``None`` (cheap: one clock read and one small ``/proc`` read)."""
        if time.perf_counter() > self.deadline:
            return StopReason.TIME_LIMIT
        if self.memory is not None and rss_bytes() > self.memory:
            return StopReason.MEMORY_LIMIT
        return None

    def cut(self) -> Cut:
        """A ``stop`` callable for a long loop, asking this budget (see :class:`Cut`)."""
        return Cut(self)

    def headroom(self) -> float:
        """Bytes the process may still grow by (``inf`` without a memory bound)."""
        if self.memory is None:
            return float("inf")
        return max(0.0, float(self.memory - rss_bytes()))


@dataclass
class Cut:
    """The one way a long loop asks its budget (``stop()`` every so many steps): true once the
    budget is spent, and ``reason`` remembers why (the first answer that was not ``None``), for
    the phase's report."""

    budget: Budget
    reason: StopReason | None = None

    def __call__(self) -> bool:
        if self.reason is None:
            self.reason = self.budget.exceeded()
        return self.reason is not None

    @property
    def stop(self) -> StopReason:
        """The stop reason of the phase this cut bounds: why it was cut, ``DONE`` if never."""
        return self.reason or StopReason.DONE


@dataclass
class PhaseReport:
    """What one phase did: its ``name``, wall ``seconds``, distinct nodes and cost in → out
    (``None`` where the phase does not work on terms), why it stopped, and ``detail`` (e.g.
    ``fallback``: what it did instead when the budget was spent; e-graph sizes)."""

    name: str
    seconds: float = 0.0
    size_in: int | None = None
    size_out: int | None = None
    cost_in: float | None = None
    cost_out: float | None = None
    stop: StopReason = StopReason.DONE
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "name": self.name,
            "seconds": self.seconds,
            "size": {"in": self.size_in, "out": self.size_out},
            "cost": {"in": self.cost_in, "out": self.cost_out},
            "stop": str(self.stop),
            **({"detail": self.detail} if self.detail else {}),
        }


def overall_stop(phases: list[PhaseReport]) -> tuple[StopReason, str]:
    """The most limiting stop over ``phases`` and the first phase that stopped so (``""``
    when nothing was cut)."""
    stop = worst([p.stop for p in phases])
    if not stop.cut:
        return stop, ""
    return stop, next(p.name for p in phases if p.stop is stop)
