"""benchmarks/scaling.py: node counts, growth fits, --stats parsing, and one measured row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symopt.model import parse_model

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
SCRIPT = REPO / "benchmarks" / "scaling.py"
sys.path.insert(0, str(REPO / "benchmarks"))

import scaling  # noqa: E402


def _tree_nodes(text: str) -> int:
    total = 0
    for stmt in parse_model(text).statements:
        stack = [stmt.expr]
        while stack:
            term = stack.pop()
            total += 1
            stack.extend(term.children())
    return total


@pytest.mark.parametrize(
    "text",
    [
        "y = -2*x + -(a+b) - exp(-x)\nz = u[3]*-u[2]\n",
        "input x, u[4]\nlet a = x^2 # square\nassume x > 0\ny = min(a, u[0]) / (1.5e3 - u [1])\n",
        scaling.let_chain(5),
        scaling.exp_chain(4),
        scaling.sum_indexed(7),
    ],
)
def test_count_nodes_is_the_parsers_tree_size(text: str) -> None:
    assert scaling.count_nodes(text) == _tree_nodes(text)


def test_count_nodes_of_expression_lines() -> None:
    assert scaling.count_nodes(scaling.sum_mod7(10)) == 39
    assert scaling.count_nodes(scaling.deep_nesting(50)) == 101


def test_fit_recovers_the_exponent() -> None:
    exponent = scaling.fit([(10.0, 3 * 10.0**1.5), (100.0, 3 * 100.0**1.5), (1e4, 3 * 1e6)])
    assert exponent == pytest.approx(1.5)
    assert scaling.fit([(10.0, 1.0)]) is None


def test_phase_times_of_compile_and_simplify_stats() -> None:
    stderr = (
        "m.sym: time: parse 2.068 s, poly-sums 0.972 s, verify 8.985 s\n"
        "e.txt:1: cost 3 -> 2 cycles (1.50x), stop: saturated, 3 iterations, 13 e-nodes, 0.4 s\n"
        "e.txt:2: cost 3 -> 2 cycles (1.50x), stop: time limit, 1 iterations, 9 e-nodes, 0.5 s\n"
    )
    assert scaling._phase_times(stderr) == {
        "parse": 2.068,
        "poly-sums": 0.972,
        "verify": 8.985,
        "expressions": 0.9,
    }
    assert scaling._stop_reasons(stderr) == ["saturated", "time limit"]


@pytest.mark.skipif(not (BENCH / "multistate").is_dir(), reason=f"{BENCH} missing")
def test_run_and_report_one_row(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run = [sys.executable, str(SCRIPT), "run", "--label", "t", "--rows", "multistate"]
    subprocess.run([*run, "--out", str(out), "--work", str(tmp_path)], check=True)
    row = json.loads(out.read_text())["rows"]["multistate"]
    assert row["status"] == "ok" and row["nodes"] == 236
    assert row["peak_rss_kb"] > 0 and "parse" in row["phases_s"]
    md = tmp_path / "r.md"
    report = [sys.executable, str(SCRIPT), "report", str(out), "--markdown", str(md)]
    subprocess.run(report, check=True, capture_output=True)
    assert "| multistate | 236 |" in md.read_text()
