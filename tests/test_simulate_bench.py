"""benchmarks/simulate.py's pieces that need no model build: LU counting and variant names."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("scipy.sparse")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from scipy import sparse
from scipy.integrate import BDF, solve_ivp

import simulate
from symopt.integrate import SparseBDF


def chain() -> tuple[Any, Any, np.ndarray]:
    n = 30
    d = sparse.csc_matrix(sparse.diags([np.ones(n - 1), -2 * np.ones(n)], [-1, 0]) * 300.0)
    return (lambda t, u: d @ u - u * u), (lambda t, u: d - sparse.diags(2 * u)), np.ones(n)


@pytest.mark.parametrize("base", [BDF, SparseBDF])
def test_counted_counts_every_factorisation_and_solve(base: type) -> None:
    rhs, jac, u0 = chain()
    stats = simulate.LUStats()
    sol = solve_ivp(rhs, (0, 1.0), u0, method=simulate.counted(base, stats), jac=jac)
    assert sol.success and stats.factors == sol.nlu > 0
    # one solve per Newton iteration, one RHS call per iteration plus the start-up calls
    assert 0 < stats.solves <= sol.nfev
    assert stats.factor_s >= 0 and stats.solve_s >= 0


def test_counted_sees_reused_factorisations() -> None:
    rhs, jac, u0 = chain()
    stats = simulate.LUStats()
    made: list[Any] = []
    counted = simulate.counted(SparseBDF, stats)

    class Spy(counted):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    sol = solve_ivp(rhs, (0, 1.0), u0, method=Spy, jac=jac, lu_reuse=0.5)
    assert stats.factors == sol.nlu + made[0].lu_reused


def test_unknown_variant_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        simulate.parse_args(["--variants", "naive,symopt+J+LU"])
    assert exc.value.code == 2
    assert "symopt+J+LU" in capsys.readouterr().err
    args = simulate.parse_args(["--variants", "naive+lu+reuse,cvode-symopt+J"])
    assert args.variants == ["naive+lu+reuse", "cvode-symopt+J"]
