"""The constants pi and e of the input language, and the shadowing rule for models."""

from __future__ import annotations

import math

from symopt.grammar import parse_expr
from symopt.ir import App, Num, Sym
from symopt.model import parse_model
from tests.conftest import run_cli


def test_pi_and_e_are_the_nearest_doubles() -> None:
    assert parse_expr("sin(pi*x)") == App("sin", (App("mul", (Num(math.pi), Sym("x"))),))
    assert parse_expr("2*e") == App("mul", (Num(2.0), Num(math.e)))
    assert parse_expr("1e5 + pie + e[0]") == parse_expr("100000 + pie + e[0]")


def test_e_to_a_power_is_the_exponential() -> None:
    exp = App("exp", (App("neg", (Sym("x"),)),))
    assert parse_expr("e^(-x)") == parse_expr("e**(-x)") == parse_expr("pow(e, -x)") == exp


def test_a_model_that_declares_or_assigns_a_constant_keeps_its_meaning() -> None:
    declared = parse_model("input e, x\ny = e*x + pi\n")
    assert [p.name for p in declared.inputs] == ["e", "x"]
    assert declared.statements[0].expr == App(
        "add", (App("mul", (Sym("e"), Sym("x"))), Num(math.pi))
    )
    assigned = parse_model("let pi = 3\ny = pi*x + e\n")
    assert [p.name for p in assigned.inputs] == ["x"]
    assert assigned.statements[1].expr == App(
        "add", (App("mul", (Sym("pi"), Sym("x"))), Num(math.e))
    )
    free = parse_model("y = e^x*pi\n")
    assert [p.name for p in free.inputs] == ["x"]
    assert free.statements[0].expr == App("mul", (App("exp", (Sym("x"),)), Num(math.pi)))


def test_simplify_reads_pi(symopt_cmd: list[str]) -> None:
    out = run_cli(symopt_cmd, "simplify", "--lang", "c", stdin="sin(pi*x)\n")
    assert out.returncode == 0, out.stderr
    assert "sin(3.141592653589793 * x)" in out.stdout and "double pi" not in out.stdout
