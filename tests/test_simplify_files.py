"""`symopt simplify` with several files, and `name = expr` lines naming their functions."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.errors import SourceError
from symopt.grammar.parser import parse_expression_file, parse_expression_lines


def invoke(*args: str, stdin: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_named_lines_parse_with_raw_columns() -> None:
    lines = parse_expression_lines("energy = x*x\n# c\ny + 1\n", path="e.txt")
    assert [(e.line, e.name) for e in lines] == [(1, "energy"), (3, None)]
    assert [t for _, t in parse_expression_file("energy = x*x\n")] == [lines[0].term]
    with pytest.raises(SourceError) as info:
        parse_expression_lines("e = x +* 1\n", path="e.txt")
    assert info.value.format().splitlines() == [
        "e.txt:1:8: error: unexpected '*'; expected '(', '+', '-', a name, a number",
        "    e = x +* 1",
        "           ^",
    ]


def test_a_name_used_twice_is_an_error() -> None:
    code, out, err = invoke("simplify", stdin="e = x\ne = y\n")
    assert code == 2 and out == ""
    assert err.splitlines()[0] == "<stdin>:2:1: error: e is named twice (first on line 1)"


def test_named_lines_name_functions_and_sym_lines() -> None:
    code, out, _ = invoke("simplify", "--lang", "python", stdin="energy = x*x\ny + 1\n")
    assert code == 0
    assert {"def energy(x):", "def f_2(y):"} <= set(out.splitlines())
    code, out, _ = invoke("simplify", stdin="energy = x*1\ny + 0\n")
    assert (code, out) == (0, "energy = x\ny\n")


def test_several_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b-2.txt"
    a.write_text("e = exp(p)*exp(q)\nx*1\n")
    b.write_text("z*1\n")
    code, out, _ = invoke("simplify", str(a), str(b))
    assert (code, out) == (0, "e = exp(p + q)\nx\nz\n")
    code, out, _ = invoke("simplify", "--lang", "c", str(a), str(b))
    assert code == 0
    for signature in ("double e(double p, double q)", "double f_a_2(double x)", "f_b_2_1("):
        assert signature in out


def test_several_files_report_every_files_errors(tmp_path: Path) -> None:
    a, b = tmp_path / "b.txt", tmp_path / "a.txt"  # errors in the order of the arguments
    a.write_text("x +\n")
    b.write_text("y\n(\n")
    code, out, err = invoke("simplify", str(a), str(b))
    assert code == 2 and out == ""
    heads = [line.split(": error:")[0] for line in err.splitlines() if ": error:" in line]
    assert heads == [f"{a}:1:4", f"{b}:2:2"]


def test_same_function_name_in_two_files_is_an_error(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("e = x\n")
    b.write_text("e = y\n")
    code, out, err = invoke("simplify", "--lang", "c", str(a), str(b))
    assert code == 2 and out == ""
    assert err.startswith(f"{b}:1:1: error: function e is defined twice (first at {a}:1)")
