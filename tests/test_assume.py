"""User assumptions: parsing, facts, verification ranges and `symopt simplify --assume`."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.codegen import to_sym
from symopt.grammar import parse_expr
from symopt.ir import Sym
from symopt.optimize import optimize
from symopt.rulesets.assume import AssumptionError, facts, parse_assumption, sample_ranges
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("text", "sym", "relation", "sample_range"),
    [
        ("x>0", Sym("x"), "Positive", (0.1, 3.0)),
        ("x >= 0", Sym("x"), "Nonnegative", (0.0, 3.0)),
        ("x != 0", Sym("x"), "Nonzero", None),
        ("x > 2", Sym("x"), "Positive", (2.2, 8.0)),
        ("x >= 1e-3", Sym("x"), "Positive", (1e-3, 3.001)),
        ("u[3] > 0", Sym("u", 3), "Positive", (0.1, 3.0)),
        ("0 < y", Sym("y"), "Positive", (0.1, 3.0)),
        ("x < 0", Sym("x"), "Nonzero", (-3.0, -0.1)),
        ("x <= -2", Sym("x"), "Nonzero", (-8.0, -2.0)),
    ],
)
def test_parse_assumption(
    text: str, sym: Sym, relation: str, sample_range: tuple[float, float] | None
) -> None:
    a = parse_assumption(text)
    assert (a.sym, a.relation) == (sym, relation)
    if sample_range is None:
        assert a.sample_range is None
    else:
        assert a.sample_range == pytest.approx(sample_range)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x > -1", "says nothing symopt can use about x"),
        ("x != 2", "says nothing"),
        ("x <= 0", "says nothing"),
        ("x == 1", "says nothing"),
        ("x >", "cannot read assumption"),
        ("1 > 2", "cannot read assumption"),
        ("x ~ 1", "cannot read assumption"),
        ("x > 1e999", "out of range"),
    ],
)
def test_bad_assumptions(text: str, message: str) -> None:
    with pytest.raises(AssumptionError, match=message):
        parse_assumption(text)


def test_ranges_intersect_and_contradictions_are_errors() -> None:
    parsed = [parse_assumption(t) for t in ("x > 0", "x > 5", "x != 0", "y >= 0")]
    assert sample_ranges(parsed) == {"x": (5.5, 20.0), "y": (0.0, 3.0)}
    with pytest.raises(AssumptionError, match="contradict"):
        sample_ranges([parse_assumption("x > 0"), parse_assumption("x < 0")])


def test_facts_cover_every_element_of_an_array() -> None:
    syms = [Sym("u", 0), Sym("u", 2), Sym("v", 0)]
    got = facts([parse_assumption("u > 0"), parse_assumption("v[0] != 0")], syms)
    assert got == [
        (Sym("u"), "Positive"),
        (Sym("u", 0), "Positive"),
        (Sym("u", 2), "Positive"),
        (Sym("v", 0), "Nonzero"),
    ]


def simplify(source: str, *flags: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["simplify", *flags, "-"], input=source)
    return result.exit_code, result.stdout, result.stderr


def test_assume_enables_guarded_rules() -> None:
    assert simplify("log(x) + log(y)\n")[1] == "log(x) + log(y)\n"
    code, out, _ = simplify("log(x) + log(y)\n", "--assume", "x>0", "--assume", "y>0")
    assert code == 0 and out == "log(x*y)\n"
    code, out, _ = simplify("log(u[0]) + log(u[1])\n", "--assume", "u > 0")
    assert code == 0 and out == "log(u[0]*u[1])\n"


def test_assume_narrows_verification(tmp_path: Path) -> None:
    # abs(x) -> x is true for x > 0 only: sampled at negative x, verification would reject it.
    rules = tmp_path / "abs.toml"
    rules.write_text(
        '[[rule]]\nname = "abs-pos"\nlhs = "abs(?x)"\nrhs = "?x"\nguard = { x = "positive" }\n'
    )
    code, out, err = simplify("abs(x)*y\n", "--ruleset", str(rules), "--assume", "x > 0")
    assert code == 0 and out == "x*y\n" and "warning" not in err
    # The same facts with the default sampling (negative x too) fall back to the input.
    result = optimize(
        [parse_expr("abs(x)*y")], ruleset=str(rules), assumptions=[(Sym("x"), "Positive")]
    )
    assert result.fallbacks and to_sym(result.outputs[0]) == "abs(x)*y"


def test_assume_is_passed_to_optimize(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    module = importlib.import_module("symopt.optimize")
    real = module.optimize

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "optimize", spy)
    code, _, _ = simplify("x + y\n", "--assume", "x>0", "--assume", "y != 0")
    assert code == 0
    assert seen["sample_ranges"] == {"x": (0.1, 3.0)}
    assert seen["assumptions"] == [(Sym("x"), "Positive"), (Sym("y"), "Nonzero")]


def test_bad_assume_exits_2() -> None:
    code, out, err = simplify("x\n", "--assume", "x > -1")
    assert code == 2 and out == ""
    assert "--assume" in err and "says nothing symopt can use about x" in err
    code, _, err = simplify("x\n", "--assume", "x > 1", "--assume", "x < 0")
    assert code == 2 and "contradict" in err


def test_bad_assume_subprocess(symopt_cmd: list[str]) -> None:
    proc = run_cli(symopt_cmd, "simplify", "--assume", "x = 3", "-", stdin="x\n")
    assert proc.returncode == 2
    assert "says nothing symopt can use" in proc.stderr and "Traceback" not in proc.stderr
