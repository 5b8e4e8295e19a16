"""The saturation runner: limits, stop reasons and keeping the e-graph small."""

from __future__ import annotations

import pytest

from symopt import Limits, optimize
from symopt.codegen import to_sym
from symopt.egraph.runner import Runner, StopReason
from symopt.grammar import parse_expr
from symopt.rulesets.loader import load_ruleset

LIMITS = Limits(time=60.0)  # saturation, not the clock, ends these runs, even on a busy CI


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("z - 0", "z"),
        ("z + 0", "z"),
        ("(x + y)*1 + 0", "x + y"),
        ("x*x + 2*x*y + y*y + 0", "(x + y)*(x + y)"),
        ("2*(3 - 3) + w", "w"),
    ],
)
def test_identities_with_constants_saturate_small(source: str, expected: str) -> None:
    # A class that holds a constant keeps only the literal: 0 = 0 + 0 = 2*0 … used to grow
    # until the node limit (40,000 e-nodes for `z - 0`).
    result = optimize([parse_expr(source)], limits=LIMITS)
    assert to_sym(result.outputs[0]) == expected
    assert result.report.stop is StopReason.SATURATED
    assert result.report.enodes < 500


def test_constant_subterms_still_fold_inside_larger_terms() -> None:
    result = optimize([parse_expr("x*(2 + 3) + y*(7 - 2)")], limits=LIMITS)
    assert to_sym(result.outputs[0]) == "5*(x + y)"
    assert result.report.stop is StopReason.SATURATED


def test_runs_share_the_loaded_program_but_not_their_terms() -> None:
    runner = Runner(load_ruleset("default"), LIMITS)
    with runner.run([parse_expr("x*y + x*z")]) as (_, _, big):
        pass
    with pytest.raises(RuntimeError), runner.run([parse_expr("a + b + c")]):
        raise RuntimeError("the caller fails while the e-graph is open")
    with runner.run([parse_expr("w")]) as (_, roots, alone):
        assert len(roots) == 1
    assert big.enodes > 5
    assert alone.enodes == 1  # nothing left over from the earlier runs


def test_program_text_splits_into_its_top_level_forms() -> None:
    from symopt.egraph.engine import top_level_forms

    text = (
        "; a comment (with a parenthesis\n(ruleset r)\n"
        '(rule ((= e (Num c))) ((ConstClass e))\n  :ruleset r :name "a (b) \\" c")  ; trailing\n'
    )
    assert top_level_forms(text) == [
        "(ruleset r)",
        '(rule ((= e (Num c))) ((ConstClass e))\n  :ruleset r :name "a (b) \\" c")',
    ]
    with pytest.raises(ValueError, match="unbalanced"):
        top_level_forms("(ruleset r")


def test_the_rules_program_parses_the_same_form_by_form() -> None:
    from symopt.egraph.engine import bindings, top_level_forms
    from symopt.egraph.runner import _compiled
    from symopt.rulesets.loader import load_ruleset

    program, probes, _ = _compiled(load_ruleset("default"))
    text = f"{program.text}\n{probes}"
    egraph = bindings().EGraph()
    whole = [str(c) for c in egraph.parse_program(text)]
    parts = [str(c) for form in top_level_forms(text) for c in egraph.parse_program(form)]
    assert len(whole) > 300 and parts == whole


def test_commands_built_by_symopt_leave_no_memory_behind() -> None:
    """A ``RustSpan`` leaked a copy of its file name on every command (~24 B each)."""
    from symopt.egraph.engine import bindings, span
    from symopt.memory import rss_bytes

    b = bindings()
    egraph = b.EGraph()
    egraph.run_program(*egraph.parse_program("(datatype Math (Num i64))"))
    size = b.PrintSize(span(), None)
    for _ in range(2_000):
        egraph.run_program(size)
    before = rss_bytes()
    for _ in range(40_000):
        egraph.run_program(size)
    assert rss_bytes() - before < 256 * 1024  # a leak of 24 B per command: ~1 MB


def test_a_worn_loaded_program_is_replaced_by_a_fresh_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """egglog keeps what every run left (its run reports, the globals each insertion bound)
    for the loaded e-graph's lifetime: after enough work, the next run loads a fresh one."""
    from symopt.egraph import runner as runner_module

    runner = Runner(load_ruleset("default"), LIMITS)
    with runner.run([parse_expr("x*y + x*z")]) as (first, _, report):
        assert report.enodes > 5
    with runner.run([parse_expr("x + 1")]) as (second, _, _):
        assert second is first  # the loaded program is shared
    monkeypatch.setattr(runner_module, "RELOAD_AFTER_ENODES", 0)
    with runner.run([parse_expr("x + 2")]) as (third, _, _):
        assert third is first  # retired when this run ends
    with runner.run([parse_expr("x*y + x*z")]) as (fourth, _, again):
        assert fourth is not first
    assert again.enodes == report.enodes  # same result on the fresh program


def test_insertion_refers_by_key_only_to_roots_shared_and_deep_subterms() -> None:
    """A subterm used once is written inline; the others are set in one ``Bound`` table (an
    egglog global per node was a table each, ~18 KB)."""
    from symopt.egraph.encode import INLINE_HEIGHT, insert_terms
    from symopt.egraph.engine import bindings, top_level_forms
    from symopt.egraph.schema import BOUND

    egraph = bindings().EGraph()
    for form in top_level_forms(Runner(load_ruleset("default"), LIMITS).text):
        egraph.run_program(*egraph.parse_program(form))
    chain = " + ".join(f"x{i}*y" for i in range(200))  # 400 operator nodes, 200 deep
    shared = "exp(a*b) + exp(a*b)*c"  # exp(a*b) is used twice
    keys = insert_terms(egraph, [parse_expr(chain), parse_expr(shared)])
    functions = egraph.freeze().functions
    assert not any(f.is_let_binding for f in functions.values())
    bound = {egraph.value_to_i64(row.inputs[0]) for row in functions[BOUND].rows}
    assert set(keys) <= bound
    assert len(bound) <= 2 + 1 + 200 // INLINE_HEIGHT + 1  # roots, exp(a*b), depth cuts


def test_a_model_optimisation_releases_the_loaded_programs() -> None:
    """Rendering comes next: it reuses the e-graph's memory instead of adding to it."""
    from symopt.costs import load_cost_table
    from symopt.egraph import runner as runner_module
    from symopt.model import parse_model
    from symopt.model.pipeline import optimize_model

    model = parse_model("f = exp(u)*exp(p) + u*p\n", "m.sym")
    result = optimize_model(
        model,
        model.output_terms(),
        rules=load_ruleset("default"),
        table=load_cost_table("throughput"),
        limits=LIMITS,
        verify=True,
        ranges={},
    )
    assert result.cost_after < result.cost_before  # the rule e-graph ran
    assert not runner_module._LOADED
