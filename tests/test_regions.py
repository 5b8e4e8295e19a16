"""Large non-polynomial inputs: the rule-based e-graph runs on bounded regions."""

from __future__ import annotations

from symopt import Limits, optimize
from symopt.codegen import to_sym
from symopt.egraph.runner import StopReason
from symopt.grammar import parse_expr
from symopt.ir import App, Sym, intern, postorder
from symopt.model import parse_model
from symopt.regions import HOLE, batches, region_roots, replace_regions
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


def _chain(n: int) -> list:
    """n statements, each reading the one before: ``y[i] = exp(y[i-1]*p[i % 7]) + u[i]``."""
    lines = ["y[0] = exp(u[0])"]
    lines += [f"y[{i}] = exp(y[{i - 1}]*p[{i % 7}]) + u[{i}]" for i in range(1, n)]
    model = parse_model("\n".join(lines) + "\n", "chain.sym")
    return intern([t for _, t in model.output_terms()])


def _distinct(terms: list) -> int:
    return len({id(t) for t in postorder(terms)})


def test_a_chain_of_regions_gives_batches_of_bounded_size() -> None:
    """Each region of a chain contains the one before: a batch sees the regions of earlier
    batches as placeholders, so no batch grows with the chain."""
    roots = _chain(400)
    sizes: list[int] = []

    def record(batch: list) -> None:
        sizes.append(_distinct(batch))

    out = replace_regions(roots, record, max_nodes=100)
    assert out == roots
    assert len(sizes) > 10
    assert max(sizes) <= 100 + 10  # the placeholders of the earlier batches


def test_placeholders_are_filled_with_what_earlier_regions_became() -> None:
    roots = _chain(60)

    def rewrite(batch: list) -> list:
        """Every region r becomes 1*r, also where a region of the batch holds another (as one
        e-graph's extraction would); placeholders are kept as given."""
        regions = {id(r) for r in batch}
        done: dict = {}
        for t in postorder(batch):
            if isinstance(t, App):
                t2 = App(t.op, tuple(done[id(a)] for a in t.args))
                done[id(t)] = App("mul", (one, t2)) if id(t) in regions else t2
            else:
                done[id(t)] = t
        return [done[id(r)] for r in batch]

    one = parse_expr("1")

    out = replace_regions(roots, rewrite, max_nodes=40)
    assert not any(isinstance(t, Sym) and t.name == HOLE for t in postorder(out))
    assert all(to_sym(o) != to_sym(r) for o, r in zip(out[1:], roots[1:], strict=True))
    # every region changed exactly once, and no old form survives next to its new one
    nodes = [t for t in {id(t): t for t in postorder(intern(out))}.values() if isinstance(t, App)]
    assert sum(t.op == "exp" for t in nodes) == 60
    wrapped = [t for t in nodes if t.op == "mul" and to_sym(t.args[0]) == "1"]
    assert len(wrapped) == 60
    assert all(isinstance(t.args[1], App) and t.args[1].op == "exp" for t in wrapped)
    assert not check_equivalent(roots, out, seed=3)


def test_a_chain_model_is_optimised_and_correct() -> None:
    terms = _chain(600)
    assert _distinct(terms) > POLISH_MAX_NODES
    result = optimize(terms, limits=Limits(time=30.0), verify=True)
    assert not any(isinstance(t, Sym) and t.name == HOLE for t in postorder(result.outputs))
    assert result.cost_after <= result.cost_before
    assert not check_equivalent(terms, result.outputs, seed=3)


def test_a_placeholder_from_outside_its_region_keeps_the_region_as_it_was() -> None:
    """A new form may only use placeholders of regions below it: one from elsewhere (a
    batch-mate's e-class) cannot be filled yet where the region is put back, so the region
    keeps its old form instead of failing."""
    roots = intern([parse_expr(s) for s in ("exp(c) + u", "exp(a) + w", "sin(exp(a)) + v")])
    order: list[str] = []

    def optimise(batch: list) -> list:
        order.extend(to_sym(r) for r in batch)
        return [App("mul", (r, Sym(HOLE, 0))) if to_sym(r) == "exp(c)" else r for r in batch]

    out = replace_regions(roots, optimise, max_nodes=2)
    assert order[0] == "exp(a)" and "exp(c)" in order  # @region[0] is exp(a)
    assert [to_sym(t) for t in out] == [to_sym(t) for t in roots]
