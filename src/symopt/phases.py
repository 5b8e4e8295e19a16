"""Running the phases of one optimisation under a :class:`~symopt.limits.Budget` and reporting
each (:class:`~symopt.limits.PhaseReport`): time, distinct nodes and cost in → out, stop reason.

A phase is a function from terms to terms. :meth:`PhaseLog.run` skips it (its fallback: the
terms pass through unchanged) when the budget is already spent, keeps its input when it runs
out of memory, and records what happened either way."""

from __future__ import annotations

import gc
import math
import operator
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from symopt.ir import App, Interned, Term, postorder
from symopt.limits import Budget, PhaseReport, StopReason

if TYPE_CHECKING:
    from symopt.costs.table import CostTable

REMEMBERED = 4
"""Lists whose size and cost a :class:`PhaseLog` remembers."""

Step = Callable[[list[Term], dict[str, Any]], tuple[list[Term], StopReason]]
"""A phase body: terms in, terms out and why it stopped (``DONE`` when it ran to the end); it
may note details of its work in the dict it is given (the report's ``detail``)."""


def measure(terms: Sequence[Term], table: CostTable | None) -> tuple[int, float | None]:
    """Distinct nodes and DAG cost (``None`` without a table) of interned ``terms``, in one
    pass (none when :func:`~symopt.ir.intern` counted them). The cost is summed per operator
    in one order, so both ways give the same number."""
    if isinstance(terms, Interned) and terms.ops is not None and terms.unchanged():
        assert terms.size is not None
        size, ops = terms.size, terms.ops
    else:
        size = 0
        ops = {}
        for t in postorder(list(terms)):
            size += 1
            if isinstance(t, App):
                ops[t.op] = ops.get(t.op, 0) + 1
    if table is None:
        return size, None
    return size, math.fsum(n * table.op(op) for op, n in sorted(ops.items()))


@dataclass
class PhaseLog:
    """The reports of the phases of one optimisation, in the order they ran."""

    budget: Budget
    table: CostTable | None = None
    reports: list[PhaseReport] = field(default_factory=list)
    _measured: dict[int, tuple[tuple[Term, ...], int, float | None]] = field(default_factory=dict)

    def measure(self, terms: list[Term]) -> tuple[int, float | None]:
        """:func:`measure`, remembered by roots (whatever list holds them) for the first list
        measured (the input: the guard compares with it) and the last few (a phase's output is
        the next one's input; a phase that changed nothing returns the same roots)."""
        for roots, size, cost in self._measured.values():  # the same roots in another list
            if len(roots) == len(terms) and all(map(operator.is_, roots, terms)):
                return size, cost
        size, cost = measure(terms, self.table)
        self._measured[id(terms)] = (tuple(terms), size, cost)
        while len(self._measured) > REMEMBERED:  # the first (the input) is kept
            del self._measured[list(self._measured)[1]]
        return size, cost

    def run(
        self, name: str, terms: list[Term], step: Step, *, required: bool = False
    ) -> list[Term]:
        """Run ``step`` as phase ``name`` and record it. Past the budget it is skipped (detail
        ``fallback``), unless ``required`` (guarding, verification); out of memory (Python's
        ``MemoryError``) its input is kept."""
        t0 = time.perf_counter()
        size_in, cost_in = self.measure(terms)
        detail: dict[str, Any] = {}
        spent = None if required else self.budget.exceeded()
        if spent is not None:
            out, stop = terms, spent
            detail["fallback"] = "skipped"
        else:
            try:
                out, stop = step(terms, detail)
            except MemoryError:
                out, stop = terms, StopReason.OUT_OF_MEMORY
                detail["fallback"] = "kept its input"
            free_cycles(stop)
        size_out, cost_out = self.measure(out)
        self.reports.append(
            PhaseReport(
                name,
                time.perf_counter() - t0,
                size_in,
                size_out,
                cost_in,
                cost_out,
                stop,
                detail,
            )
        )
        return out

    def add(self, report: PhaseReport) -> None:
        """Record a phase that ran elsewhere (its own report)."""
        self.reports.append(report)

    def last(self) -> PhaseReport:
        return self.reports[-1]


def free_cycles(stop: StopReason) -> None:
    """After a phase that ran out of memory: the cyclic GC is paused for bulk work
    (symopt.gcpause), so what a failed allocation left in cycles (its traceback's frames) is
    freed here for the next phase."""
    if stop in (StopReason.MEMORY_LIMIT, StopReason.OUT_OF_MEMORY):
        gc.collect()
