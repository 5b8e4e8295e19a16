"""Smoke test of benchmarks/models.py on the smallest shared model (multistate), < 20 s."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
SCRIPT = REPO / "benchmarks" / "models.py"

pytestmark = [
    pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed"),
    pytest.mark.skipif(not (BENCH / "multistate").is_dir(), reason=f"{BENCH} missing"),
]


def _row(markdown: str, variant: str) -> list[str]:
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] == variant:
            return cells
    raise AssertionError(f"no row {variant!r} in:\n{markdown}")


def test_models_harness_on_multistate(tmp_path: Path) -> None:
    valgrind = shutil.which("valgrind") is not None
    md = tmp_path / "bench.md"
    cmd = [
        sys.executable,
        str(SCRIPT),
        "--bench-dir",
        str(BENCH),
        "--models",
        "multistate",
        "--skip",
        "sympy,symopt",
        "--points",
        "8",
        "--time-seconds",
        "0.02",
        "--repeats",
        "1",
        "--markdown",
        str(md),
    ]
    if not valgrind:
        cmd.append("--no-callgrind")
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    text = md.read_text()
    naive = _row(text, "naive")
    fast = _row(text, "naive -ffast-math (unsafe)")
    # columns: variant, generate s, gcc s, instr/call, ns/call, max rel err, ratios...
    assert float(naive[4].replace(",", "")) > 0
    assert float(naive[5]) < 1e-14  # naive C vs numpy evaluation of the model
    assert float(fast[5]) < 1e-12  # -ffast-math vs naive
    if valgrind:
        assert 100 < float(naive[3].replace(",", "")) < 300  # 177 with gcc 12 -O2
        assert naive[6] == "1.000"
