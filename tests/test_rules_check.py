"""`symopt rules check|list`, `symopt costs show`, the numerical rule checker and the guards."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.codegen import to_sym
from symopt.grammar import parse_expr
from symopt.ir import Sym
from symopt.optimize import optimize
from symopt.rulesets import Rule, Ruleset, load_ruleset, parse_ruleset
from symopt.rulesets.check import Finding, as_symbols, check_rule, check_ruleset, sample_points
from symopt.verify import evaluate
from tests.conftest import run_cli

PLANTED = """\
[meta]
name = "planted"

[[rule]]
name = "div-self"
lhs = "?x / ?x"
rhs = "1"
tier = "algebra"

[[rule]]
name = "add-assoc"
lhs = "(?a + ?b) + ?c"
rhs = "?a + (?b + ?c)"
tier = "exact"

[[rule]]
name = "mul-comm"
lhs = "?a * ?b"
rhs = "?b * ?a"
tier = "exact"
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def rule_of(text: str, name: str) -> Rule:
    return next(r for r in parse_ruleset(text).rules if r.name == name)


def one_rule(lhs: str, rhs: str, tier: str, guard: str = "") -> str:
    extra = f"guard = {guard}\n" if guard else ""
    return f'[[rule]]\nname = "r"\nlhs = "{lhs}"\nrhs = "{rhs}"\ntier = "{tier}"\n{extra}'


@pytest.mark.parametrize("name", ["default", "fast"])
def test_builtin_rulesets_keep_their_tiers(name: str) -> None:
    code, out, err = invoke("rules", "check", name)
    assert code == 0, out + err
    assert "0 failed" in out
    findings = check_ruleset(load_ruleset(name))
    assert {f.status for f in findings} <= {"pass", "unchecked"}
    assert all(f.rule.tier == "fast" for f in findings if f.status == "unchecked")


def test_builtin_check_as_subprocess(symopt_cmd: list[str]) -> None:
    proc = run_cli(symopt_cmd, "rules", "check", "default")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("default: ")


def test_planted_unsound_rules_are_caught(tmp_path: Path) -> None:
    path = tmp_path / "planted.toml"
    path.write_text(PLANTED)
    code, out, _ = invoke("rules", "check", str(path))
    assert code == 1
    lines = out.splitlines()
    div = next(line for line in lines if ": div-self: " in line)
    assert div.startswith(f"{path}:5: div-self: error: declared algebra but ")
    assert re.search(r": at x=(0|-0|inf|-inf|nan): lhs=nan rhs=1$", div), div
    assoc = next(line for line in lines if ": add-assoc: " in line)
    assert assoc.startswith(f"{path}:11: add-assoc: error: declared exact but ")
    assert not any(": mul-comm: " in line for line in lines)
    assert lines[-1] == "planted: 3 rules: 1 passed, 2 failed, 0 unchecked"


def test_counterexample_is_real() -> None:
    finding = check_rule(rule_of(PLANTED, "add-assoc"))
    assert finding.status == "fail" and finding.counterexample is not None
    ce = finding.counterexample
    env = {Sym(f"?{k}"): np.array([v]) for k, v in ce.point.items()}
    rule = rule_of(PLANTED, "add-assoc")
    lhs, rhs = evaluate([as_symbols(rule.lhs), as_symbols(rule.rhs)], env)
    assert lhs[0] == ce.lhs and rhs[0] == ce.rhs and lhs[0] != rhs[0]


def test_json_output(tmp_path: Path) -> None:
    path = tmp_path / "planted.toml"
    path.write_text(PLANTED)
    code, out, _ = invoke("rules", "check", str(path), "--output-format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["summary"] == {"pass": 1, "fail": 2, "unchecked": 0}
    div = next(r for r in doc["rules"] if r["name"] == "div-self")
    assert div["line"] == 5 and div["status"] == "fail"
    assert div["counterexample"]["lhs"] == "nan" and div["counterexample"]["rhs"] == 1.0


@pytest.mark.parametrize(
    ("lhs", "rhs", "tier", "guard", "verdict"),
    [
        ("?x + 0", "?x", "exact", "", "fail"),  # -0 + 0 is +0
        ("?x - ?x", "0", "exact", "", "fail"),  # inf - inf is nan
        ("?x - ?x", "0", "exact", '{ x = "finite" }', "pass"),
        ("?x * 0", "0", "algebra", "", "pass"),  # true over the reals (not at inf/nan)
        ("sqrt(?x * ?x)", "?x", "algebra", "", "fail"),  # x = -1
        ("log(?a * ?b)", "log(?a) + log(?b)", "algebra", "", "fail"),  # a = b = -1
        ("exp(log(?x))", "?x", "algebra", "", "fail"),  # x = -1
        ("abs(?x)", "?x", "algebra", "", "fail"),
        ("abs(?x)", "?x", "algebra", '{ x = "nonnegative" }', "pass"),
        ("floor(?n)", "?n", "exact", '{ n = "integer" }', "pass"),
    ],
)
def test_checker_verdicts(lhs: str, rhs: str, tier: str, guard: str, verdict: str) -> None:
    finding = check_rule(rule_of(one_rule(lhs, rhs, tier, guard), "r"), n_random=64)
    assert finding.status == verdict, finding


def test_algebra_ignores_range_effects_but_not_domain_changes() -> None:
    # (a*b)*c vs a*(b*c) overflow at different points: not an algebra violation.
    assoc = one_rule("(?a * ?b) * ?c", "?a * (?b * ?c)", "algebra")
    finding = check_rule(rule_of(assoc, "r"))
    assert finding.status == "pass" and finding.skipped > 0
    # x*(1/x) -> 1 hides its pole behind an overflow at 5e-324 but not at 0.
    finding = check_rule(rule_of(one_rule("?x * (1 / ?x)", "1", "algebra"), "r"))
    assert finding.status == "fail" and finding.counterexample is not None
    assert finding.counterexample.point["x"] == 0


@pytest.mark.parametrize(
    ("kind", "ok"),
    [
        ("positive", lambda v: v > 0),
        ("nonnegative", lambda v: v >= 0),
        ("nonzero", lambda v: v != 0 and not math.isnan(v)),
        ("finite", math.isfinite),
        ("integer", lambda v: math.isfinite(v) and v == math.floor(v)),
    ],
)
def test_guarded_sampling_stays_in_the_guard(kind: str, ok: Callable[[float], bool]) -> None:
    rule = rule_of(one_rule("abs(?x)", "?x", "exact", f'{{ x = "{kind}" }}'), "r")
    values = sample_points(rule, finite=False, n_random=64)[Sym("?x")]
    assert len(values) > 20 and all(ok(float(v)) for v in values)
    if kind == "nonnegative":
        assert any(v == 0 and math.copysign(1, v) < 0 for v in values)  # -0.0 is sampled
    if kind == "positive":
        assert math.inf in values and 5e-324 in values


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '[[rule]]\nname = "a"\nlhs = "?x + 0"\nrhs = "?x"\nteir = "exact"\n',
            5,
            "rule 'a': unknown key 'teir' (did you mean 'tier'?)",
        ),
        (
            '[[rule]]\nname = "a"\nlhs = "-(-?x)"\nrhs = "?x"\n'
            '[[rule]]\nname = "b"\nlhs = "-?x"\nrhs = "?x"\n'
            '[[rule]]\nname = "a"\nlhs = "?x * 1"\nrhs = "?x"\n',
            10,
            "duplicate rule name 'a'",
        ),
        (
            '[[rule]]\nname = "a"\nlhs = "?x + 0"\nrhs = "?y"\n',
            4,
            "rule 'a': rhs uses ?y not bound by lhs",
        ),
        (
            '[[rule]]\nname = "a"\nlhs = "?x + 0"\nrhs = "?x"\nguard = { y = "positive" }\n',
            5,
            "rule 'a': guard on ?y, which lhs does not bind",
        ),
        (
            '[[rule]]\nname = "a"\nlhs = "foo(?x)"\nrhs = "?x"\n',
            3,
            "unknown function 'foo'",
        ),
        ('[meta]\nnmae = "x"\n', 2, "[meta] unknown key 'nmae' (did you mean 'name'?)"),
        (
            '[[rule]]\nname = "a"\nlhs = "?x + 0"\nrhs = "?x"\nguard = { x = "postive" }\n',
            5,
            "unknown guard 'postive' (did you mean 'positive'?)",
        ),
        ('[[rule]]\nname = "a"\nlhs = "?x + 0\n', 3, "invalid TOML"),
    ],
)
def test_malformed_rulesets_exit_2_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = invoke("rules", "check", str(path))
    assert code == 2 and out == ""
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: error: ", err), err
    assert len(err.splitlines()) == 3  # the offending line and a caret follow
    assert message in err


def test_malformed_ruleset_in_simplify_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[rule]]\nname = "a"\nlhs = "?x + 0"\nrhs = "?y"\n')
    result = CliRunner().invoke(cli, ["simplify", "--ruleset", str(path), "-"], input="x\n")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:4:1: error: rule 'a': rhs uses ?y")
    assert result.stderr.splitlines()[1:] == ['    rhs = "?y"', "    ^^^^^^^^^^"]


def test_rules_list() -> None:
    code, out, _ = invoke("rules", "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(load_ruleset("default").rules)
    assert re.match(r"add-zero +algebra +- +\?a \+ 0 -> \?a$", lines[0])  # identities first
    assert any(re.match(r"add-comm +exact +- +\?a \+ \?b -> \?b \+ \?a$", ln) for ln in lines)
    assert any(re.match(r"div-const +algebra +\?c literal, \?c nonzero +", ln) for ln in lines)
    assert any(re.match(r"log-mul +algebra +\?a positive, \?b positive +", ln) for ln in lines)
    assert any("<->" in ln for ln in lines)  # bidirectional
    code, out, _ = invoke("rules", "list", "fast")
    assert code == 0 and re.search(r"^div-self +fast +- +\?x/\?x -> 1$", out, re.MULTILINE)
    code, _, err = invoke("rules", "list", "nope")
    assert code == 2 and "ruleset 'nope'" in err


def test_costs_show() -> None:
    code, out, _ = invoke("costs", "show")
    assert code == 0
    assert re.search(r"^add +1 +addsd", out, re.MULTILINE)
    code, out, _ = invoke("costs", "show", "latency")
    assert code == 0 and re.search(r"^add +4 +addsd latency", out, re.MULTILINE)
    code, _, err = invoke("costs", "show", "nope")
    assert code == 2 and "cost table 'nope'" in err


def _simplify(text: str, ruleset: Ruleset | str = "default") -> str:
    result = optimize([parse_expr(text)], ruleset=ruleset, verify=False)
    return to_sym(result.outputs[0])


def test_integer_guard_reads_integer_constants() -> None:
    assert _simplify("floor(3) + x") == "3 + x"
    assert _simplify("ceil(-2)*x") == "-2*x"  # a negative literal is free (extract.py)
    assert _simplify("floor(1e300) + x") == "1e+300 + x"
    assert _simplify("floor(2.5) + x") == "floor(2.5) + x"
    assert _simplify("floor(x) + 1") == "floor(x) + 1"


def test_finite_guard_reads_constants(tmp_path: Path) -> None:
    path = tmp_path / "finite.toml"
    path.write_text(one_rule("sin(?x) - sin(?x)", "0", "exact", '{ x = "finite" }'))
    rules = load_ruleset(str(path))
    assert _simplify("sin(2) - sin(2)", rules) == "0"
    assert _simplify("sin(-2) - sin(-2)", rules) == "0"
    assert _simplify("sin(x) - sin(x)", rules) == "sin(x) - sin(x)"


def test_every_guard_reads_a_declared_relation() -> None:
    from symopt.egraph.program import GUARD_RELATION
    from symopt.egraph.schema import FACT_RELATIONS
    from symopt.rulesets import GUARDS

    assert set(GUARD_RELATION) == set(GUARDS)
    assert set(GUARD_RELATION.values()) <= set(FACT_RELATIONS)


def _algebra_finding(lhs: str, rhs: str, guard: str = "") -> Finding:
    text = '[meta]\nname = "t"\n' + one_rule(lhs, rhs, "algebra", guard)
    return check_rule(rule_of(text, "r"))


def test_algebra_check_sees_a_difference_inside_the_double_tolerance() -> None:
    # Off by a relative 1e-12: within the double check's rtol (1e-9), wrong over the reals.
    finding = _algebra_finding("?x * 1.000000000001", "?x")
    assert finding.status == "fail"
    assert "different real numbers" in finding.message
    assert finding.counterexample is not None


def test_algebra_check_judges_overflowing_points_over_the_reals() -> None:
    # Reassociation overflows in doubles at 1e300 (those points were skipped); over the reals it
    # is exact, and the high-precision evaluation judges those points.
    finding = _algebra_finding("(?a * ?b) * ?c", "?a * (?b * ?c)")
    assert finding.status == "pass"
    assert finding.real_points > 0
    wrong = _algebra_finding("(?a * ?b) * ?c", "?a * (?b * ?c) * (1 + 1e-300)")
    assert wrong.status == "fail"


def test_algebra_check_keeps_domain_verdicts() -> None:
    widen = _algebra_finding("sqrt(?x) * sqrt(?x)", "?x")
    assert widen.status == "fail"
    assert "widens the domain" in widen.message
    assert _algebra_finding("sqrt(?x) * sqrt(?x)", "?x", '{ x = "nonnegative" }').status == "pass"


def test_real_value_domain() -> None:
    from symopt.rulesets.check_real import real_disagreement, real_value

    def value(text: str) -> float | None:
        v = real_value(parse_expr(text), {"x": 2.0}, 128)
        return None if v is None else float(v)

    assert value("sqrt(-x)") is None
    assert value("log(x - 2)") is None
    assert value("(-8)^(1/3)") is None
    assert value("(-x)^3") == -8.0
    assert value("0^0") == 1.0
    assert value("cbrt(-8)") == -2.0
    assert value("asin(x)") is None
    # (1e300 + x) - 1e300 is exactly x over the reals (the precision follows the magnitudes).
    same = real_disagreement(parse_expr("(x + 1e300) - 1e300"), parse_expr("x"), {"x": 1.0})
    assert same is None
