"""One optimiser, two strategies (symopt.strategy): phase reports, the deadline and the memory
limit as stops with a fallback per phase, one cost table for both paths. Structure, not wall
time: a deadline is either already past or made to pass by a fake clock."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import symopt.limits
from symopt.algebra import pipeline
from symopt.algebra.pipeline import optimize_polynomials
from symopt.cli.main import cli
from symopt.codegen import to_sym
from symopt.costs import load_cost_table
from symopt.egraph.runner import PROGRAM_BYTES
from symopt.grammar import parse_expr
from symopt.ir import Term, intern
from symopt.limits import Budget, Limits, StopReason
from symopt.memory import BYTES_PER_ENODE, parse_size, rss_bytes
from symopt.model import parse_model
from symopt.optimize import optimize
from symopt.strategy import EGRAPH, POLYNOMIAL, egraph_limits
from symopt.verify import check_equivalent
from tests.conftest import run_cli

DATA = Path(__file__).parent / "data"
MODEL = DATA / "multisite2.sym"
RANGES = {"u": (0.0, 50.0), "p": (0.01, 2.0)}
SMALL = "x*x + 2*x*y + y*y"
POLY_PHASES = ["polynomials", "factor", "choose", "sums", "products"]
OPTIMISING = {"fold", EGRAPH, *POLY_PHASES, "polish", "regions"}
FAST = Limits(nodes=2_000, time=60.0)  # node limits, not the clock, end the e-graphs


def _model() -> list[Term]:
    model = parse_model(MODEL.read_text(), str(MODEL))
    return intern([t for _, t in model.output_terms()])


def _names(result: object) -> list[str]:
    return [p.name for p in result.phases]  # type: ignore[attr-defined]


def test_small_input_runs_the_rule_egraph_and_every_phase_reports() -> None:
    result = optimize([parse_expr(SMALL)], limits=Limits(time=60.0))
    assert result.strategy == EGRAPH
    assert _names(result) == ["fold", EGRAPH, "guard", "verify"]
    egraph = result.phases[1]
    assert (egraph.size_in, egraph.size_out) == (9, 4)
    assert (egraph.cost_in, egraph.cost_out) == (6, 2)
    assert egraph.stop is StopReason.SATURATED and egraph.detail["enodes"] == result.report.enodes
    assert result.stop is StopReason.SATURATED and result.stop_text == "saturated"


def test_large_input_runs_the_polynomial_phases_then_polish() -> None:
    terms = _model()
    result = optimize(terms, limits=FAST, sample_ranges=RANGES)
    assert result.strategy == POLYNOMIAL
    assert _names(result) == ["fold", *POLY_PHASES, "polish", "guard", "verify"]
    by_name = {p.name: p for p in result.phases}
    assert by_name["factor"].detail["ways"] > 0
    # Each term phase hands its output to the next and never reports growth in cost it kept.
    for a, b in zip(result.phases[3:], result.phases[4:], strict=False):
        assert a.size_out == b.size_in and a.cost_out == b.cost_in
    assert by_name["verify"].cost_out == result.cost_after < result.cost_before
    assert result.report.enodes == by_name["polish"].detail["enodes"]  # the rule e-graph's


@pytest.mark.parametrize("polynomial", [False, True])
def test_a_past_deadline_makes_every_phase_take_its_fallback(polynomial: bool) -> None:
    terms = _model()
    result = optimize(terms, deadline=0.0, polynomial=polynomial, sample_ranges=RANGES)
    for phase in result.phases:
        if phase.name in OPTIMISING:
            assert phase.stop is StopReason.TIME_LIMIT, phase
            assert phase.detail.get("fallback"), phase
        elif phase.name == "guard":  # required: it keeps the input, which needs no check
            assert phase.stop is StopReason.TIME_LIMIT and phase.detail["fallback"]
        else:
            assert phase.name == "verify" and phase.stop is StopReason.DONE
    assert result.stop is StopReason.TIME_LIMIT and result.stop_text == "time limit (fold)"
    assert result.verified and result.cost_after <= result.cost_before
    assert result.outputs == terms  # nothing was run: the input, verified


def test_each_polynomial_phase_has_a_fallback_past_the_deadline() -> None:
    terms = _model()
    out, report = optimize_polynomials(terms, deadline=0.0)
    assert [p.name for p in report.phases] == POLY_PHASES
    assert all(p.stop is StopReason.TIME_LIMIT for p in report.phases)
    assert "fallback" in report.phases[0].detail
    assert out == terms and report.kept == list(range(len(terms)))


class _Clock:
    """``time.perf_counter`` as :mod:`symopt.limits` sees it; ``jump()`` passes every
    deadline."""

    def __init__(self) -> None:
        import time

        self._time = time
        self.late = False

    def perf_counter(self) -> float:
        return float("inf") if self.late else self._time.perf_counter()

    def __getattr__(self, name: str) -> object:
        return getattr(self._time, name)


def test_the_stop_reason_names_the_phase_the_deadline_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(symopt.limits, "time", clock)
    real = pipeline.share_sums

    def slow_sums(terms: list[Term], **kwargs: object) -> list[Term]:
        out = real(terms)
        clock.late = True  # the deadline passes while the sums are shared
        return out

    monkeypatch.setattr(pipeline, "share_sums", slow_sums)
    terms = _model()
    result = optimize(terms, limits=FAST, sample_ranges=RANGES)
    stops = {p.name: p.stop for p in result.phases}
    assert stops["sums"] is StopReason.TIME_LIMIT
    assert stops["products"] is stops["polish"] is StopReason.TIME_LIMIT
    assert result.stop_text == "time limit (sums)"
    assert result.verified and not result.fallbacks
    assert result.cost_after < result.cost_before  # the polynomial phases' result is kept
    assert not check_equivalent(terms, result.outputs, ranges=RANGES)


def test_a_tiny_memory_limit_stops_cleanly_with_a_valid_result() -> None:
    term = parse_expr(SMALL)
    result = optimize([term], limits=Limits(memory=1))
    assert result.stop is StopReason.MEMORY_LIMIT and result.stop_text == "memory limit (fold)"
    assert result.outputs == intern([term]) and result.verified and not result.fallbacks


def test_egraphs_are_sized_from_the_memory_left() -> None:
    headroom = 1_000 * BYTES_PER_ENODE
    budget = Budget(memory=rss_bytes() + headroom)
    limits, by_memory = egraph_limits(Limits(nodes=20_000), budget, 50_000)
    assert by_memory and 0 < limits.nodes <= 1_000 and limits.memory == budget.memory
    limits, by_memory = egraph_limits(Limits(nodes=500), Budget(), 50_000)
    assert not by_memory and limits.nodes == 500
    # Loading the rules' program takes far more than the e-nodes: reserved before it is loaded.
    limits, by_memory = egraph_limits(Limits(), budget, 50_000, reserve=PROGRAM_BYTES)
    assert by_memory and limits.nodes == 1


def test_memory_limit_inside_the_polynomial_phases() -> None:
    _, report = optimize_polynomials(_model(), memory=1)
    assert all(p.stop is StopReason.MEMORY_LIMIT for p in report.phases)
    assert report.stop is StopReason.MEMORY_LIMIT


def test_the_large_path_chooses_with_the_cost_table() -> None:
    terms = _model()
    throughput = load_cost_table("throughput")
    # Arithmetic cheap next to keeping a shared value (SHARE_PENALTY): less sharing pays.
    cheap = dataclasses.replace(
        throughput, name="cheap", cycles={k: v / 4 for k, v in throughput.cycles.items()}
    )
    a, _ = optimize_polynomials(terms, costs=throughput)
    b, _ = optimize_polynomials(terms, costs=cheap)
    assert [to_sym(t) for t in a] != [to_sym(t) for t in b]
    assert not check_equivalent(terms, b, ranges=RANGES)
    # optimize() hands the user's table to the polynomial phases.
    seen: list[object] = []
    real = pipeline.optimize_polynomials

    def spy(*args: object, **kwargs: object) -> object:
        if "costs" in kwargs:  # the normal forms' one-term factorings price by folded cost
            seen.append(kwargs["costs"])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "optimize_polynomials", spy)
    try:
        optimize(terms, costs=cheap, limits=Limits(nodes=500, time=60.0), verify=False)
    finally:
        mp.undo()
    assert seen == [cheap]


def test_parse_size() -> None:
    assert parse_size("2G") == 2 << 30 and parse_size("500M") == 500 << 20
    assert parse_size("800MiB") == 800 << 20 and parse_size("65536") == 65536
    with pytest.raises(ValueError):
        parse_size("lots")


def test_cli_stats_and_explain_show_the_phases() -> None:
    result = CliRunner().invoke(
        cli, ["simplify", "--stats", "--time-limit", "60", "-"], input=SMALL + "\n"
    )
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "stop: saturated" in err
    for name in ("fold", "e-graph", "guard", "verify"):
        assert f"\n  {name} " in err, err
    result = CliRunner().invoke(
        cli,
        ["simplify", "--explain", "--output-format", "json", "--time-limit", "60", "-"],
        input=SMALL + "\n",
    )
    entry = json.loads(result.stderr)["results"][0]
    assert [p["name"] for p in entry["phase_reports"]] == ["fold", "e-graph", "guard", "verify"]
    assert entry["strategy"] == "e-graph" and entry["stopped_in"] == ""
    assert entry["phase_reports"][1]["cost"] == {"in": 6.0, "out": 2.0}


def test_cli_memory_limit_is_a_clean_stop_and_a_bad_one_is_exit_2() -> None:
    result = CliRunner().invoke(
        cli, ["simplify", "--stats", "--memory-limit", "1M", "-"], input=SMALL + "\n"
    )
    assert result.exit_code == 0 and result.stdout == SMALL + "\n"
    assert "stop: memory limit (fold)" in result.stderr
    result = CliRunner().invoke(cli, ["simplify", "--memory-limit", "lots", "-"], input="x\n")
    assert result.exit_code == 2 and "is not a size" in result.stderr


def test_compile_stats_show_the_phases(symopt_cmd: list[str]) -> None:
    proc = run_cli(symopt_cmd, "compile", str(MODEL), "--lang", "c", "--stats", "--time-limit", "0")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "stop: time limit (fold)" in proc.stderr
    assert "phases (polynomial):" in proc.stderr
    for name in ("fold", *POLY_PHASES, "polish", "guard", "verify"):
        assert f"\n  {name} " in proc.stderr, proc.stderr


def test_factorings_fall_back_to_flat_sums_when_told_to_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from symopt.algebra import factorings
    from symopt.algebra.polynomial import Atoms, to_poly

    monkeypatch.setattr(factorings, "CHECK_EVERY", 1)
    poly = to_poly(parse_expr("x*y + x*z + x*w + y*z*w + x*x*y"), Atoms())
    assert poly is not None
    graph = factorings.Factorings(stop=lambda: True)
    graph.add(poly)
    assert graph.flat
    assert all(way.kind != "factor" for cls in graph.classes for way in cls.ways)


def test_a_memory_cut_inside_a_phase_is_reported_after_the_memory_is_freed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    high = False
    monkeypatch.setattr(symopt.limits, "rss_bytes", lambda: 1 << 40 if high else 0)

    def greedy_sums(terms: list[Term], *, stop: object) -> list[Term]:
        nonlocal high
        high = True  # a pairing table grows past the limit...
        assert any(stop() for _ in range(2048))  # type: ignore[operator]
        high = False  # ...and is freed when the phase gives up
        return terms

    monkeypatch.setattr(pipeline, "share_sums", greedy_sums)
    _, report = optimize_polynomials(_model(), memory=1 << 30)
    sums = next(p for p in report.phases if p.name == "sums")
    assert sums.stop is StopReason.MEMORY_LIMIT and "pairing stopped" in sums.detail["fallback"]
    assert report.phases[-1].stop is StopReason.DONE  # products ran: the memory was back


def test_verification_out_of_memory_returns_the_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    import symopt.verify

    def starved(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(symopt.verify, "check_equivalent", starved)
    (term,) = [parse_expr("x*x + 2*x*y + y*y")]
    result = optimize([term])
    assert result.outputs == [term]
    verify = [p for p in result.phases if p.name == "verify"]
    assert verify and verify[0].stop is StopReason.OUT_OF_MEMORY


def test_rss_sampler_reads_proc_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    import symopt.memory

    readings = iter([100, 200, 300])
    monkeypatch.setattr(symopt.memory, "rss_bytes", lambda: next(readings))
    slow = symopt.memory.RssSampler(interval=3600.0)
    assert [slow.read(), slow.read()] == [100, 100]  # the second is the cached reading
    fresh = symopt.memory.RssSampler(interval=0.0)
    assert [fresh.read(), fresh.read()] == [200, 300]
