"""`symopt costs calibrate`: the generated benchmark, the table it writes, and its errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.costs import load_cost_table, parse_cost_table
from symopt.costs.calibrate import BENCHES, Calibration, c_source, calibrate, rounded, to_toml
from symopt.ir import OPERATORS

needs_cc = pytest.mark.skipif(
    not any(shutil.which(c) for c in ("cc", "gcc", "clang")), reason="no C compiler"
)


def test_every_operator_is_benchmarked() -> None:
    assert set(BENCHES) == set(OPERATORS)
    source = c_source()
    for op in BENCHES:
        assert f'{{"{op}", tp_{op}, lat_{op},' in source
    assert source.count('{"_base", tp__base, lat__base,') == 2  # before and after the operators
    assert "volatile double v_zero" in source and "__rdtsc" in source


def test_rounding_keeps_every_operator_paid_for() -> None:
    assert [rounded(c) for c in (-0.3, 0.0, 0.4, 1.49, 1.5, 13.6)] == [1, 1, 1, 1, 2, 14]


def _fake(kind: str) -> Calibration:
    return Calibration(
        kind=kind,
        cycles={op: 0.2 + i for i, op in enumerate(BENCHES)},
        baseline=0.5,
        timer="rdtsc",
        frequency="TSC ticks",
        compiler="cc",
        compiler_version='cc "quoted" 1.0',
        cflags=["-O2"],
        machine="Test CPU (x86_64, Linux)",
        date="2024-05-01",
    )


@pytest.mark.parametrize("kind", ["throughput", "latency"])
def test_table_text_loads_with_every_source(kind: str) -> None:
    table = parse_cost_table(to_toml(_fake(kind), "mycpu"), name="x")
    assert table.name == "mycpu"
    assert table.cycles["add"] == 1.0  # 0.2 measured
    assert table.cycles["sub"] == 1.0  # 1.2
    assert table.cycles["hypot"] == float(round(0.2 + len(BENCHES) - 1))
    for op in OPERATORS:
        source = table.sources[op]
        assert "2024-05-01" in source and "Test CPU" in source and kind in source


@needs_cc
def test_calibrate_writes_a_usable_table(tmp_path: Path) -> None:
    out = tmp_path / "mycpu.toml"
    result = CliRunner().invoke(cli, ["costs", "calibrate", "--quick", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    assert "rdtsc" in result.stderr or "clock_gettime" in result.stderr
    table = load_cost_table(str(out))
    assert table.name == "mycpu"
    assert set(table.cycles) == set(OPERATORS)
    assert min(table.cycles.values()) >= 1
    # Coarse but robust: a libm call costs more than an add; pow more than a multiply.
    assert table.cycles["exp"] > table.cycles["add"]
    assert table.cycles["pow"] > table.cycles["mul"]
    simplified = CliRunner().invoke(
        cli, ["simplify", "--costs", str(out), "-"], input="exp(a)*exp(b)\n"
    )
    assert simplified.exit_code == 0 and simplified.stdout == "exp(a + b)\n"


@needs_cc
def test_latency_chain_measures_dependent_work() -> None:
    cal = calibrate("latency", quick=True)
    assert cal.kind == "latency"
    assert cal.cycles["exp"] > cal.cycles["add"]
    assert cal.cycles["div"] > cal.cycles["mul"]


def test_no_compiler_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(cli, ["costs", "calibrate", "--quick"])
    assert result.exit_code == 2
    assert "no C compiler found" in result.stderr
    result = CliRunner().invoke(cli, ["costs", "calibrate", "--cc", "no-such-cc"])
    assert result.exit_code == 2
    assert "C compiler 'no-such-cc' not found" in result.stderr


@needs_cc
def test_compile_failure_is_exit_2_with_the_compiler_message() -> None:
    result = CliRunner().invoke(
        cli, ["costs", "calibrate", "--quick", "--cflags", "-fno-such-flag-xyz"]
    )
    assert result.exit_code == 2
    assert "did not compile" in result.stderr and "no-such-flag-xyz" in result.stderr


@needs_cc
def test_clock_timer_uses_the_given_frequency() -> None:
    cal = calibrate("throughput", quick=True, cflags=["-DSYMOPT_CLOCK"], ghz=2.0)
    assert cal.timer == "clock_gettime"
    assert cal.frequency == "ns x 2 GHz from --ghz"
    assert "clock_gettime" in cal.method and "-DSYMOPT_CLOCK" in cal.method
    assert cal.cycles["exp"] > cal.cycles["add"]
