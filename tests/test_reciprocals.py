"""One reciprocal per shared denominator (symopt.algebra.reciprocals)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from symopt.algebra.reciprocals import share_reciprocals
from symopt.cli.main import cli
from symopt.codegen import to_sym
from symopt.costs import load_cost_table
from symopt.grammar import parse_expr

COSTS = load_cost_table("throughput")
DATA = Path(__file__).parent / "data"


def _shared(*texts: str) -> list[str]:
    return [to_sym(t) for t in share_reciprocals([parse_expr(t) for t in texts], COSTS)]


def test_two_divisions_by_one_denominator_share_its_reciprocal() -> None:
    assert _shared("a/(x + y)", "b/(x + y)") == ["a*(1/(x + y))", "b*(1/(x + y))"]


def test_a_lone_division_or_a_literal_denominator_is_kept() -> None:
    assert _shared("a/(x + y)", "b/(x - y)") == ["a/(x + y)", "b/(x - y)"]
    assert _shared("a/3", "b/3") == ["a/3", "b/3"]
    # An existing reciprocal is reused: one more use is enough.
    assert _shared("1/d + a/d") == ["1/d + a*(1/d)"]


def test_three_body_accelerations_divide_three_times() -> None:
    out = CliRunner().invoke(cli, ["compile", str(DATA / "three_body.sym"), "--lang", "python"])
    assert out.exit_code == 0, out.output
    assert out.stdout.count("/") == 3  # was twelve divisions
    assert out.stdout.count("math.sqrt") == 3
