"""A ``.sym`` model read and optimised in process as ``symopt compile`` does with its defaults
(the sidecar's ranges, the default ruleset, throughput costs, 200,000 e-nodes): for the
benchmarks that time or vary one step after it (rendering, splitting, gcc)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SymModel:
    path: Path
    parsed: Any  # symopt.model.Model
    pairs: list[Any]  # (target, term) per output statement
    ranges: dict[str, tuple[float, float]]
    parsed_at: float
    """``time.perf_counter()`` once parsed: ``symopt compile``'s deadline starts there."""


def read_sym_model(path: Path) -> SymModel:
    """Parse ``path`` and read the ranges of its sidecar ``.json``."""
    from symopt.model import parse_model
    from symopt.model.pipeline import model_outputs, ranges_from_sidecar

    parsed = parse_model(path.read_text(), str(path))
    parsed_at = time.perf_counter()
    pairs = model_outputs(parsed, str(path))
    sidecar = path.with_suffix(".json")
    ranges = ranges_from_sidecar(sidecar.read_text(), str(sidecar), [])
    return SymModel(path, parsed, pairs, ranges, parsed_at)


def optimise_like_compile(
    model: SymModel,
    *,
    time_limit: float = 30.0,
    extra: Sequence[Any] = (),
    deadline: float | None = None,
) -> tuple[Any, Any]:
    """``optimize_model`` as ``symopt compile`` calls it; returns the result and the cost
    table (for rendering)."""
    from symopt.limits import Limits
    from symopt.model.pipeline import optimize_model
    from symopt.optimize import resolve_costs, resolve_ruleset

    table = resolve_costs("throughput")
    result = optimize_model(
        model.parsed,
        model.pairs,
        rules=resolve_ruleset("default", None),
        table=table,
        limits=Limits(iterations=30, nodes=200_000, time=time_limit),
        verify=True,
        ranges=model.ranges,
        extra=extra,
        deadline=deadline,
    )
    return result, table
