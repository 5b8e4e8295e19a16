"""The polynomial and region phases stay linear on large generated inputs (issue 12): structure
and memory checks with generous bounds, never wall time."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from symopt.algebra import polynomial, sums
from symopt.algebra.choose import signed_sum
from symopt.algebra.pipeline import optimize_polynomials
from symopt.algebra.polynomial import Atoms, to_polys
from symopt.ir import App, Num, Sym, Term, intern, node_count
from symopt.limits import Budget
from symopt.regions import batches, region_roots
from symopt.verify import check_equivalent


def _sum(terms: list[Term]) -> Term:
    acc = terms[0]
    for t in terms[1:]:
        acc = App("add", (acc, t))
    return acc


def test_a_20000_term_sum_converts_without_keeping_partial_sums() -> None:
    n = 20_000
    term = intern([_sum([App("mul", (Sym("x", i), Sym("y", i % 7))) for i in range(n)])])[0]
    tracemalloc.start()
    try:
        (poly,) = to_polys([term], Atoms())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert poly is not None and len(poly) == n
    # One dict per partial sum would be ~n²/2 entries (gigabytes); the walk builds one sum in
    # place and keeps a few small per-node tables.
    assert peak < 40_000_000


def test_statements_reading_each_other_are_converted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # y_i = exp(y_{i-1}*p) + u_i: each statement holds every earlier one (a 2,000-deep nest).
    terms: list[Term] = [App("exp", (Sym("u", 0),))]
    for i in range(1, 2000):
        inner = App("mul", (terms[-1], Sym("p")))
        terms.append(App("add", (App("exp", (inner,)), Sym("u", i))))
    terms = intern(terms)
    calls = 0
    convert = polynomial._convert

    def counting(node: Term, walk: polynomial._Walk) -> tuple[dict, int]:
        nonlocal calls
        calls += 1
        return convert(node, walk)

    monkeypatch.setattr(polynomial, "_convert", counting)
    polys = to_polys(terms, Atoms())
    assert calls == node_count(terms)  # not one walk per statement (quadratic)
    assert all(p is not None and len(p) == 2 for p in polys[1:])


def test_to_polys_past_its_deadline_keeps_statements_as_written() -> None:
    terms = intern([_sum([Sym("x", i), Sym("y", i)]) for i in range(5000)])
    polys = to_polys(terms, Atoms(), stop=Budget(time.perf_counter() - 1.0).cut())
    assert polys.count(None) > 3000  # the walk stopped at its first look at the clock
    out, report = optimize_polynomials(terms, deadline=time.perf_counter() - 1.0)
    assert report.timed_out and len(report.kept) > 3000
    assert all(out[i] is terms[i] for i in report.kept)


def _marginal_sums(n: int, k: int) -> list[Term]:
    """``k`` sums over the ``x_i`` with bit ``b`` of ``i`` set: long sums whose items pair up
    in many ways (the shape of multisite networks' enzyme equations)."""
    xs = [Sym("x", i) for i in range(n)]
    return intern([signed_sum([(1.0, xs[i]) for i in range(n) if i >> b & 1])[1] for b in range(k)])


def test_long_sums_are_shared_by_bucketing_not_by_every_pair() -> None:
    roots = _marginal_sums(1024, 10)
    assert sums._long_sums(sums_items(roots))  # the 512-item sums are past the pair budget
    out = sums.share_sums(roots)
    # Exact pairing (every pair counted) reaches 3,049 nodes; bucketing, linear, a little more.
    assert node_count(out) < 0.7 * node_count(roots)
    assert not check_equivalent(roots, out, ranges={"x": (-1.0, 1.0)}, seed=1)


def sums_items(roots: list[Term]) -> list[dict[int, int]]:
    dag = sums._Chains(roots)
    return [items for h in dag.heads() if (items := dag.flatten(h)) is not None]


def test_pairing_within_the_budget_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    roots = _marginal_sums(64, 6)
    exact = sums.share_sums(roots)
    monkeypatch.setattr(sums, "PAIR_WORK", 0)
    monkeypatch.setattr(sums, "LONG_SUM", 8)
    bucketed = sums.share_sums(roots)
    assert node_count(exact) <= node_count(bucketed) < node_count(roots)


def test_pairing_stops_at_its_deadline() -> None:
    roots = _marginal_sums(256, 8)
    late = sums.share_sums(roots, stop=Budget(time.perf_counter() - 1.0).cut())
    assert node_count(late) > node_count(sums.share_sums(roots))


def test_nested_regions_are_batched_counting_each_node_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from symopt import regions

    # Statements y_i = exp(y_{i-1}*0.5) + u_i: region i holds regions 1 .. i-1.
    terms: list[Term] = [Sym("u", 0)]
    for i in range(1, 3000):
        terms.append(App("add", (App("exp", (App("mul", (terms[-1], Num(0.5))),)), Sym("u", i))))
    roots = intern(terms)
    found = region_roots(roots)
    counted = 0
    count = regions._count

    def counting(region: Term, seen: set[int], limit: float = float("inf")) -> int:
        nonlocal counted
        n = count(region, seen, limit)
        counted += n
        return n

    monkeypatch.setattr(regions, "_count", counting)
    groups = batches(found, max_nodes=2000)
    assert sum(len(g) for g in groups) == len(found) == 2999
    assert counted <= node_count(roots)  # no node counted twice
