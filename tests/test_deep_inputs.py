"""Deep and self-similar inputs (issue 9): factored input stays factored, nothing recurses past
Python's limit, printed results stay as small as the input, limits hold, memory errors are
clean. Subprocesses have a generous timeout; nothing here asserts wall time."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from symopt.grammar import parse_expr
from symopt.ir import intern, tree_sizes
from symopt.limits import StopReason
from symopt.optimize import TREE_GROWTH, TREE_SLACK, optimize
from symopt.strategy import Engine
from tests.conftest import run_cli

opt = importlib.import_module("symopt.optimize")  # `symopt.optimize` is also a function


def horner(depth: int) -> str:
    """``((x*x0 + 1)*x1 + 2)*x2 + 3 …``: a factored polynomial ``depth`` levels deep."""
    text = "x"
    for i in range(depth):
        text = f"({text}*x{i} + {i + 1})"
    return text


def test_deep_horner_form_is_kept_factored_and_verified(symopt_cmd: list[str]) -> None:
    # 3,000 levels: far past Python's recursion limit (1,000) and, expanded, 3,001 monomials
    # of up to 3,000 factors each.
    text = horner(3000)
    proc = run_cli(symopt_cmd, "simplify", "--time-limit", "1", "--stats", stdin=text + "\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "warning" not in proc.stderr
    # Factored stays factored: the output is the same Horner form (it is already the cheapest).
    assert intern([parse_expr(proc.stdout.strip())]) == intern([parse_expr(text)])


def power_tower(levels: int) -> str:
    """``((((x)^1)^2)^3)^1 …``: small as written and as a DAG, exponentially large as a tree of
    multiplications (``x^(6^k)`` by repeated squaring)."""
    return "(" * levels + "x" + "".join(f")^{i % 3 + 1}" for i in range(levels))


def test_sym_output_is_not_exponentially_larger_than_the_input(symopt_cmd: list[str]) -> None:
    # Was 157 s, 5.4 GB and 181 MB of output at 30 levels; 50 levels never ended.
    for levels in (30, 50):
        text = power_tower(levels)
        proc = run_cli(symopt_cmd, "simplify", "--stats", stdin=text + "\n")
        assert proc.returncode == 0, proc.stderr[-2000:]
        (line,) = proc.stdout.splitlines()
        written = tree_sizes([parse_expr(text)])[0]
        assert tree_sizes([parse_expr(line)])[0] <= TREE_GROWTH * written + TREE_SLACK
        before, after = _costs(proc.stderr)
        assert after < before  # still optimised, within the bound


def test_tree_output_bounds_each_output_and_dag_output_does_not() -> None:
    term = parse_expr(power_tower(10))
    bound = TREE_GROWTH * tree_sizes([term])[0] + TREE_SLACK
    as_tree = optimize([term], tree_output=True)
    assert tree_sizes(as_tree.outputs)[0] <= bound
    assert as_tree.cost_after < as_tree.cost_before
    # With temporaries (C, Python, NumPy) the shared form is fine and cheaper still.
    as_dag = optimize([term])
    assert as_dag.cost_after < as_tree.cost_after
    assert tree_sizes(as_dag.outputs)[0] > bound


def _costs(stats: str) -> tuple[float, float]:
    match = re.search(r"cost ([\d.]+) -> ([\d.]+) cycles", stats)
    assert match, stats
    return float(match[1]), float(match[2])


def _enodes(stats: str) -> tuple[str, int]:
    match = re.search(r"stop: ([a-z ]+)(?: \([a-z -]+\))?, \d+ iterations, (\d+) e-nodes", stats)
    assert match, stats
    return match[1], int(match[2])


def test_node_limit_holds_within_one_rule_application(symopt_cmd: list[str]) -> None:
    # One application of an associativity rule took these to 47,000 and 361,000 e-nodes.
    for text in ("(a+b+c+d)*(e+f+g+h)*(i+j+k+l)*(m+n+o+p)", power_tower(20)):
        # The node limit, not the (default 1 s) clock, must end these even on a loaded machine.
        limits = ("--node-limit", "20000", "--time-limit", "60")
        proc = run_cli(symopt_cmd, "simplify", *limits, "--stats", stdin=text)
        assert proc.returncode == 0, proc.stderr[-2000:]
        stop, enodes = _enodes(proc.stderr)
        assert stop == "node limit" and enodes <= 1.5 * 20000


def test_node_limit_holds_for_a_let_chain_model(symopt_cmd: list[str], tmp_path: Path) -> None:
    lines = ["let k0 = x*y + 1"]
    lines += [f"let k{i} = k{i - 1}*k{i - 1} + k{i - 1}*x" for i in range(1, 50)]
    model = tmp_path / "chain.sym"
    model.write_text("\n".join([*lines, "out = k49"]) + "\n")
    proc = run_cli(
        symopt_cmd, "compile", str(model), "--lang", "c", "--node-limit", "20000", "--stats"
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    stop, enodes = _enodes(proc.stderr)
    assert stop == "node limit" and enodes <= 1.5 * 20000


def test_out_of_memory_in_a_phase_returns_the_best_result_so_far(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def exhausted(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(Engine, "saturate", exhausted)
    term = parse_expr("x*x + 2*x*y + y*y")
    result = optimize([term])
    assert result.stop == StopReason.OUT_OF_MEMORY and result.stopped_in == "e-graph"
    assert result.outputs == intern([term]) and result.verified and not result.fallbacks


def test_out_of_memory_in_the_cli_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from symopt.cli.main import cli

    def exhausted(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(opt, "optimize", exhausted)
    result = CliRunner().invoke(cli, ["simplify"], input="x + y\n")
    assert result.exit_code == 3
    assert "out of memory" in result.output and "Traceback" not in result.output
