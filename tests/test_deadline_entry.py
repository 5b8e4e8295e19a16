"""The time limit as a deadline at the optimiser's entry and for huge sums (issue 12): hash-consing
under the deadline with its fallback, the counts it keeps, the ``collect`` phase that a cut
falls back to. Structure, not wall time: deadlines are already past or passed by a fake clock."""

from __future__ import annotations

import json
import math
import re

import pytest
from click.testing import CliRunner

import symopt.ir
import symopt.limits
from symopt.algebra import pipeline
from symopt.algebra.pipeline import optimize_polynomials
from symopt.cli.main import cli
from symopt.costs import load_cost_table
from symopt.grammar import parse_expr
from symopt.ir import Interned, Term, intern, intern_until, node_count, postorder
from symopt.limits import Limits, StopReason
from symopt.optimize import optimize
from symopt.phases import measure
from symopt.verify import check_equivalent
from tests.test_strategy import _Clock

THROUGHPUT = load_cost_table("throughput")


def _sum(n: int, term: str, mod: int | None = None) -> Term:
    """``term`` with ``{i}`` from 0 to ``n - 1`` (taken modulo ``mod``), summed."""
    return parse_expr(" + ".join(term.format(i=i % (mod or n)) for i in range(n)))


def test_interning_past_the_deadline_returns_the_input_as_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(symopt.ir, "INTERN_CHECK_EVERY", 1)  # read the clock at every node
    term = _sum(50, "x{i}*y{i}")
    result = optimize([term], deadline=0.0)
    assert result.outputs == [term] and result.outputs[0] is term  # not even hash-consed
    assert [p.name for p in result.phases] == ["intern"]
    assert result.stop is StopReason.TIME_LIMIT and result.stop_text == "time limit (intern)"
    assert result.phases[0].detail["fallback"]
    assert math.isnan(result.cost_before) and math.isnan(result.cost_after)  # not counted


def test_simplify_stats_show_the_cut_intern_and_the_commands_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(symopt.ir, "INTERN_CHECK_EVERY", 1)
    source = " + ".join(f"x{i}*y{i}" for i in range(50)) + "\n"
    result = CliRunner().invoke(
        cli, ["simplify", "--stats", "--time-limit", "0", "-"], input=source
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == source  # the input as given
    assert "cost nan -> nan cycles (?), stop: time limit (intern)" in result.stderr
    assert re.search(
        r"simplify: time: parse [\d.]+ s, optimise [\d.]+ s, emit [\d.]+ s", result.stderr
    )
    explained = CliRunner().invoke(
        cli,
        ["simplify", "--explain", "--output-format", "json", "--time-limit", "0", "-"],
        input=source,
    )
    entry = json.loads(explained.stderr)["results"][0]
    assert entry["cost"]["before"] is None and entry["stopped_in"] == "intern"


def test_intern_until_hash_conses_and_counts() -> None:
    terms = [parse_expr("x*y + x*y + sin(x*y) + 2"), parse_expr("x*y - 2")]
    xy = parse_expr("x*y")

    def copies(roots: list[Term]) -> int:
        return len({id(t) for r in roots for t in postorder([r]) if t == xy})

    assert copies(terms) == 4
    out = intern_until(terms, float("inf"))
    assert isinstance(out, Interned) and out == terms
    assert copies(out) == 1
    assert out.size == node_count(terms) == len(set(map(id, postorder(out))))
    assert out.ops == {"add": 3, "mul": 1, "sin": 1, "sub": 1}
    assert out.symbols == 2
    # Counted and walked, the size and cost are the same numbers.
    assert measure(out, THROUGHPUT) == measure(list(out), THROUGHPUT)
    assert intern(out) == out and intern(out)[0] is out[0]  # unchanged: no new walk


def test_intern_keeps_signed_zeros_and_first_spans_apart() -> None:
    out = intern([parse_expr("x*0.0 + x*-0.0")])[0]
    left, right = out.args  # type: ignore[attr-defined]
    assert left is not right and left != right


def _deadline_passes_at_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline passes once the huge sums are collected, as ``factor`` begins."""
    clock = _Clock()
    monkeypatch.setattr(symopt.limits, "time", clock)
    real = pipeline._factor

    def late_factor(*args: object) -> object:
        clock.late = True
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "_factor", late_factor)


def test_a_huge_sum_cut_after_collecting_keeps_its_like_terms_collected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _deadline_passes_at_factor(monkeypatch)
    n = pipeline.COLLECT_MIN_TERMS + 200
    terms = intern([_sum(n, "v{i}*w", 10), parse_expr("a*b + a*c")])
    out, report = optimize_polynomials(terms, costs=THROUGHPUT, deadline=1e12)  # finite
    by_name = {p.name: p for p in report.phases}
    assert by_name["collect"].stop is StopReason.DONE
    assert by_name["collect"].detail == {"statements": 1, "collected": 1}
    assert by_name["factor"].stop is StopReason.TIME_LIMIT
    assert "huge sums collected" in by_name["choose"].detail["fallback"]
    assert out[1] is terms[1]  # not huge: kept as written
    before, after = THROUGHPUT.dag_cost([terms[0]]), THROUGHPUT.dag_cost([out[0]])
    assert after <= 20 and 50 * after < before  # ten monomials v_k*w, one coefficient each
    assert not check_equivalent(terms, out)


def test_a_huge_sum_without_like_terms_is_not_built_flat() -> None:
    n = pipeline.COLLECT_MIN_TERMS + 200
    terms = intern([_sum(n, "k{i}*u{i}*v{i}"), _sum(n, "v{i}*w", 10)])
    _, report = optimize_polynomials(terms, costs=THROUGHPUT)
    collect = {p.name: p for p in report.phases}["collect"]
    # The mass-action-like sum has no two terms alike: skipped without building its flat sum.
    assert collect.detail == {"statements": 2, "collected": 1, "no like terms": 1}


def test_collected_sums_reach_the_result_with_the_cut_phase_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _deadline_passes_at_factor(monkeypatch)
    term = _sum(pipeline.COLLECT_MIN_TERMS + 10, "v{i}", 7)
    result = optimize([term], limits=Limits(time=60.0))
    assert result.stop_text == "time limit (factor)"
    assert result.cost_after < result.cost_before / 50 and result.verified
    assert not result.fallbacks


def test_no_collect_phase_without_a_huge_sum() -> None:
    terms = intern([_sum(50, "v{i}", 7)])
    _, report = optimize_polynomials(terms, costs=THROUGHPUT)
    assert "collect" not in [p.name for p in report.phases]


def test_the_fold_walks_only_when_hash_consing_saw_an_operation_on_literals() -> None:
    plain = intern([parse_expr("x*y + x*z")])
    assert isinstance(plain, Interned) and plain.constant_apps == 0
    folded = intern([parse_expr("x*(2*3) + x*z")])
    assert isinstance(folded, Interned) and folded.constant_apps == 1
    skipped = optimize(plain, limits=Limits(time=60.0)).phases[0]
    ran = optimize(folded, limits=Limits(time=60.0)).phases[0]
    assert skipped.name == ran.name == "fold"
    assert "skipped" in skipped.detail and "skipped" not in ran.detail
    assert ran.cost_out is not None and ran.cost_in is not None and ran.cost_out < ran.cost_in


def test_interning_lists_the_symbols_in_order_of_first_appearance() -> None:
    """What verification samples them in (``symbols``), without another walk."""
    from symopt.ir import symbols

    terms = [parse_expr("b*(c + a) + a*b"), parse_expr("u[2]*u[1] + exp(b) + d")]
    out = intern(terms)
    assert isinstance(out, Interned)
    assert out.symbol_order == tuple(symbols(terms)) == tuple(symbols(list(out)))
    assert out.symbols == 6
