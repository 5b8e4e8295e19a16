"""The `symopt simplify` command, through click's runner and as a subprocess."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.costs import load_cost_table
from symopt.grammar import parse_expr
from tests.conftest import ROOT, run_cli


def simplify(source: str, *flags: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["simplify", *flags, "-"], input=source)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("exp(a)*exp(b)", "exp(a + b)"),
        ("a/b/c", "a/(b*c)"),
        ("sin(x)^2 + cos(x)^2", "1"),
        ("log(x) + log(y)", "log(x) + log(y)"),
    ],
)
def test_issue_examples(source: str, expected: str) -> None:
    code, out, _ = simplify(source + "\n")
    assert code == 0
    assert out == expected + "\n"


def test_square_of_sum_gets_cheaper() -> None:
    code, out, err = simplify("x*x + 2*x*y + y*y\n", "--stats")
    assert code == 0
    table = load_cost_table("throughput")
    before = table.dag_cost([parse_expr("x*x + 2*x*y + y*y")])
    after = table.dag_cost([parse_expr(out.strip())])
    assert after < before
    assert "cost 6 -> 2 cycles" in err
    assert "stop: saturated" in err


def test_parse_error_is_located_and_exits_2() -> None:
    code, out, err = simplify("x + 1\nx + * y\n")
    assert code == 2
    assert out == ""
    assert err.startswith("<stdin>:2:5: error: unexpected '*'")
    assert "    x + * y\n        ^" in err
    assert "Traceback" not in err


def test_unknown_function_and_arity() -> None:
    code, _, err = simplify("foo(x)\n")
    assert code == 2 and "<stdin>:1:1: error: unknown function 'foo'" in err
    code, _, err = simplify("\n\natan2(x)\n")
    assert code == 2 and "<stdin>:3:1: error: atan2() takes 2 arguments, got 1" in err
    code, _, err = simplify("min(x)\n")
    assert code == 2 and "error: min() takes at least 2 arguments, got 1" in err


@pytest.mark.parametrize(
    ("name", "guess"),
    [("ezp", "exp"), ("Sqrt", "sqrt"), ("ln", "log"), ("arctan", "atan"), ("LOG", "log")],
)
def test_unknown_function_did_you_mean(name: str, guess: str) -> None:
    code, _, err = simplify(f"1 + {name}(x)\n")
    assert code == 2
    assert f"<stdin>:1:5: error: unknown function '{name}'; did you mean '{guess}'?" in err


@pytest.mark.parametrize(
    ("text", "column", "hint"),
    [
        (
            "math.exp(x)",
            5,
            "did you mean 'exp'? (functions are called without a module prefix: 'math.')",
        ),
        (
            "1 + np.arctan(y)",
            7,
            "did you mean 'atan'? (functions are called without a module prefix: 'np.')",
        ),
        ("a.b + 1", 2, None),  # no call of a known function: no guess
    ],
)
def test_module_prefix_did_you_mean(text: str, column: int, hint: str | None) -> None:
    code, _, err = simplify(text + "\n")
    assert code == 2 and f"<stdin>:1:{column}: error: unexpected character '.'" in err
    assert (hint in err) if hint else "did you mean" not in err


def test_min_max_take_any_number_of_arguments() -> None:
    code, out, _ = simplify("min(a, b, c)\nmax(a, b, c, d)\n", "--no-verify", "--tier", "exact")
    assert code == 0
    assert out.splitlines() == ["min(min(a, b), c)", "max(max(max(a, b), c), d)"]


def test_bad_ruleset_and_costs_exit_2() -> None:
    code, _, err = simplify("x\n", "--ruleset", "nope")
    assert code == 2 and "ruleset 'nope'" in err
    code, _, err = simplify("x\n", "--costs", "nope")
    assert code == 2 and "cost table 'nope'" in err


def test_cost_table_missing_operator_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "few.toml"
    bad.write_text("[ops]\nadd = { cycles = 1, source = 'x' }\n")
    code, _, err = simplify("x + y\n", "--costs", str(bad))
    assert code == 2 and "no cost for operator(s)" in err


def test_output_file_is_not_written_on_error(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    code, _, _ = simplify("x +\n", "-o", str(out))
    assert code == 2
    assert not out.exists()
    code, _, _ = simplify("x*1\n", "-o", str(out))
    assert code == 0
    assert out.read_text() == "x\n"
    assert list(tmp_path.iterdir()) == [out]


def test_missing_file() -> None:
    result = CliRunner().invoke(cli, ["simplify", "does/not/exist.txt"])
    assert result.exit_code == 2
    assert "does/not/exist.txt: no such file" in result.stderr


def test_comments_and_blank_lines() -> None:
    code, out, _ = simplify("# header\n\nx*1  # trailing\n\n")
    assert code == 0 and out == "x\n"


def test_limits_are_honoured_and_reported() -> None:
    code, out, err = simplify("x*x + 2*x*y + y*y\n", "--iter-limit", "1", "--stats")
    assert code == 0 and "stop: iteration limit" in err and "1 iterations" in err
    assert out.strip()
    code, _, err = simplify("x*x + 2*x*y + y*y\n", "--node-limit", "10", "--stats")
    assert code == 0 and "stop: node limit" in err
    code, _, err = simplify("x*x + 2*x*y + y*y\n", "--time-limit", "0", "--stats")
    assert code == 0 and "stop: time limit" in err


def test_verification_fallback_with_unsound_rules(tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text(
        '[[rule]]\nname = "div-is-mul"\nlhs = "?a / ?b"\nrhs = "?a * ?b"\ntier = "algebra"\n'
    )
    code, out, err = simplify("x/y + 1\n", "--ruleset", str(rules))
    assert code == 0
    assert out == "x/y + 1\n"
    assert "<stdin>:1: warning: optimised form disagreed with the input at x=" in err
    assert err.count("warning:") == 1 and "kept the input" in err
    code, out, _ = simplify("x/y + 1\n", "--ruleset", str(rules), "--no-verify")
    assert out == "x*y + 1\n"


def _poly(terms: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts = []
    for _ in range(terms):
        mono = "*".join(f"{v}^{rng.randint(1, 3)}" for v in "xyz" if rng.random() < 0.7) or "1"
        parts.append(f"{rng.randint(1, 99)}*{mono}")
    return " + ".join(parts)


def test_2000_term_polynomial_within_limits() -> None:
    source = _poly(2000)
    code, out, err = simplify(source + "\n", "--time-limit", "2", "--stats")
    assert code == 0, err
    table = load_cost_table("throughput")
    assert table.dag_cost([parse_expr(out.strip())]) <= table.dag_cost([parse_expr(source)])


def test_console_script_as_subprocess(symopt_cmd: list[str]) -> None:
    proc = run_cli(symopt_cmd, "simplify", str(ROOT / "samples" / "basics.txt"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == "exp(a + b)"
    assert len(lines) == 10
    proc = run_cli(symopt_cmd, "simplify", "-", stdin="sin(x\n")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("<stdin>:1:6: error:")


def _eval_reference(source: str, env: dict[str, float]) -> float:
    expr = source.replace("^", "**")
    return float(eval(expr, {"__builtins__": {}, **vars(math)}, env))


SAMPLE = "x*x + 2*x*y + y*y + exp(x)*exp(y) + x^5 + sin(x)^2 + cos(x)^2 + a/b/c"
POINTS = [dict(x=0.3, y=-1.7, a=2.5, b=0.4, c=-3.0), dict(x=1.9, y=0.2, a=-1.0, b=3.0, c=0.7)]


@pytest.mark.parametrize("lang", ["python", "numpy"])
def test_python_outputs_evaluate_and_agree(lang: str) -> None:
    code, out, err = simplify(SAMPLE + "\n", "--lang", lang)
    assert code == 0, err
    namespace: dict[str, Any] = {}
    exec(compile(out, "<generated>", "exec"), namespace)
    fn = namespace["f"]
    for point in POINTS:
        got = fn(*(point[name] for name in ("x", "y", "a", "b", "c")))
        assert math.isclose(float(got), _eval_reference(SAMPLE, point), rel_tol=1e-12)


def test_sym_output_reparses_to_same_values() -> None:
    code, out, _ = simplify(SAMPLE + "\n")
    assert code == 0
    for point in POINTS:
        got = _eval_reference(out.strip(), point)
        assert math.isclose(got, _eval_reference(SAMPLE, point), rel_tol=1e-12)


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_c_output_compiles_and_agrees(tmp_path: Path) -> None:
    code, out, err = simplify(SAMPLE + "\n", "--lang", "c")
    assert code == 0, err
    src = tmp_path / "gen.c"
    src.write_text(out)
    subprocess.run(
        ["cc", "-std=c99", "-Wall", "-Werror", "-c", str(src), "-o", str(tmp_path / "gen.o")],
        check=True,
    )
    main = tmp_path / "main.c"
    calls = "\n".join(
        f'printf("%.17g\\n", f({p["x"]!r}, {p["y"]!r}, {p["a"]!r}, {p["b"]!r}, {p["c"]!r}));'
        for p in POINTS
    )
    main.write_text(f"#include <stdio.h>\n{out}\nint main(void) {{ {calls} return 0; }}\n")
    exe = tmp_path / "main"
    subprocess.run(["cc", "-std=c99", str(main), "-o", str(exe), "-lm"], check=True)
    values = [
        float(v)
        for v in subprocess.run(
            [str(exe)], capture_output=True, text=True, check=True
        ).stdout.split()
    ]
    for got, point in zip(values, POINTS, strict=True):
        assert math.isclose(got, _eval_reference(SAMPLE, point), rel_tol=1e-12)
