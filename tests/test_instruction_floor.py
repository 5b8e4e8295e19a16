"""benchmarks/instruction_floor.py: the no-spill instruction count of emitted C."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "instruction_floor.py"
_spec = importlib.util.spec_from_file_location("instruction_floor", SCRIPT)
assert _spec and _spec.loader
floor_mod = importlib.util.module_from_spec(_spec)
sys.modules["instruction_floor"] = floor_mod
_spec.loader.exec_module(floor_mod)

SOURCE = """\
void f(double *du, const double *p, const double *u) {
    const double t0 = u[1] * p[0];
    du[0] = t0 * u[2] + p[1] * u[3];
    du[1] = t0 + u[4] - u[5];
}
"""


def test_counts_ops_seeds_and_stores() -> None:
    result = floor_mod.floor(SOURCE)
    # t0: load + mul. du[0]: t0 live (copy/load) + mul, load + mul, add, store.
    # du[1]: t0's last use is free, add, sub, store.
    assert (result.ops, result.seeds, result.stores) == (6, 3, 2)
    assert result.total == 11
    assert result.seed_kinds == {"mult input+input": 2, "mult input+live": 1}


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_gcc_never_beats_the_floor(tmp_path: Path) -> None:
    model = tmp_path / "m.sym"
    model.write_text(
        "du[0] = p[0]*u[0]*u[1] - p[1]*u[0] + p[2]*u[2]*u[1]\n"
        "du[1] = p[0]*u[0]*u[1] + p[3]*u[2] - p[4]*u[1]*u[3]\n"
        "du[2] = p[1]*u[0] - p[2]*u[2]*u[1] + p[4]*u[1]*u[3]\n"
    )
    out = tmp_path / "m.c"
    result = CliRunner().invoke(cli, ["compile", str(model), "--lang", "c", "-o", str(out)])
    assert result.exit_code == 0, result.output
    counted = floor_mod.floor(out.read_text())
    assert counted.stores == 3 and counted.ops > 0
    assert floor_mod.gcc_instructions(out) >= counted.total
