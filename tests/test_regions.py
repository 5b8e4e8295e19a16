"""Large non-polynomial inputs: the rule-based e-graph runs on bounded regions."""

from __future__ import annotations

from symopt import Limits, optimize
from symopt.codegen import to_sym
from symopt.egraph.runner import StopReason
from symopt.grammar import parse_expr
from symopt.ir import App, intern, postorder
from symopt.model import parse_model
from symopt.regions import batches, region_roots
from symopt.strategy import POLISH_MAX_NODES
from symopt.verify import check_equivalent


def _forces(n: int) -> str:
    """Accelerations of n bodies under gravity: 3n statements, n(n-1) distances r_ij^1.5."""
    lines = []
    for i in range(n):
        for c in "xyz":
            terms = []
            for j in range(n):
                if j != i:
                    r2 = f"(x[{j}] - x[{i}])^2 + (y[{j}] - y[{i}])^2 + (z[{j}] - z[{i}])^2"
                    terms.append(f"m[{j}]*({c}[{j}] - {c}[{i}])/({r2})^1.5")
            lines.append(f"a{c}[{i}] = " + " + ".join(terms))
    return "\n".join(lines) + "\n"


def test_regions_are_the_non_polynomial_parts_below_sums() -> None:
    (root,) = intern([parse_expr("p*u*v + 2*exp(a)*exp(b) - x/y + (u + v)^2")])
    found = [to_sym(r) for r in region_roots([root])]
    assert sorted(found) == ["2*exp(a)*exp(b)", "x/y"]
    assert region_roots(intern([parse_expr("p*u*v + w^3")])) == []


def test_batches_stay_within_their_node_bound() -> None:
    source = " + ".join(f"exp(x{i}*y{i})" for i in range(50))
    regions = region_roots(intern([parse_expr(source)]))
    groups = batches(regions, max_nodes=20)
    assert sum(len(g) for g in groups) == 50
    assert all(len({id(t) for t in postorder(g)}) <= 20 for g in groups)


def test_large_force_model_is_optimised_region_by_region() -> None:
    model = parse_model(_forces(12), "forces.sym")
    terms = [t for _, t in model.output_terms()]
    assert sum(1 for _ in postorder(intern(terms))) > POLISH_MAX_NODES
    result = optimize(terms, limits=Limits(time=30.0, nodes=200_000), verify=False)
    ops = [t.op for t in postorder(result.outputs) if isinstance(t, App)]
    assert "pow" not in ops  # r2^1.5 became r2*sqrt(r2) (r2 is a sum of squares)
    assert ops.count("sqrt") == 12 * 11 // 2  # r_ij and r_ji are one value
    assert result.cost_after * 4 < result.cost_before
    ranges = {"x": (-1.0, 1.0), "y": (-1.0, 1.0), "z": (-1.0, 1.0), "m": (0.5, 2.0)}
    assert not check_equivalent(terms, result.outputs, ranges=ranges, seed=3)


def test_regions_respect_the_time_limit() -> None:
    terms = [t for _, t in parse_model(_forces(12), "forces.sym").output_terms()]
    result = optimize(terms, limits=Limits(time=0.0), verify=False)
    assert result.cost_after <= result.cost_before  # nothing polished, still correct
    assert result.stop is StopReason.TIME_LIMIT
    assert not check_equivalent(terms, result.outputs, seed=3)
