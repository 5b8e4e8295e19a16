"""symopt.load, symopt build and the SymPy interop: real builds with the system compiler, each
test in its own cache directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import symopt
from symopt.cli.main import cli
from symopt.native import compiler
from symopt.native.compiler import BuildError
from tests.conftest import run_cli

CHAIN = """\
# a 4-species chain with a scalar temperature-like input
let r1 = k[0]*u[0]*u[1]
let r2 = k[1]*u[1]*u[2]
let r3 = exp(-T)*u[2]*u[3]
du[0] = k[2] - r1
du[1] = r1 - r2
du[2] = r2 - r3
du[3] = r3 - k[3]*u[3]
"""


def expected(k: np.ndarray, u: np.ndarray, temp: float) -> np.ndarray:
    r1, r2, r3 = k[0] * u[0] * u[1], k[1] * u[1] * u[2], np.exp(-temp) * u[2] * u[3]
    return np.array([k[2] - r1, r1 - r2, r2 - r3, r3 - k[3] * u[3]])


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(root))
    return root


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "chain.sym"
    path.write_text(CHAIN)
    return path


@pytest.fixture(params=["object", "buffer"])
def entry(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the C function is called: arrays as objects (the fast entry) or as pointers from
    their buffers (where the ndarray layout check fails)."""
    from symopt.native import backends

    if request.param == "buffer":
        monkeypatch.setattr(backends, "data_offset", lambda: None)
    return str(request.param)


K = np.array([1.0, 2.0, 0.5, 0.7])
U = np.array([0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("lang", ["c", "numpy", "python"])
def test_values_match_the_model(model: Path, lang: str) -> None:
    f = symopt.load(model, lang=lang)
    assert [a.name for a in f.signature.inputs] == ["k", "u", "T"]
    np.testing.assert_allclose(f(K, U, 0.3), expected(K, U, 0.3), rtol=1e-14)
    assert (f.path is not None) == (lang == "c")


def test_out_is_written_in_place_without_copying(model: Path, entry: str) -> None:
    f = symopt.load(model)
    by_object = type(f).__call__.__globals__["_obj"]
    assert (by_object is None) == (entry == "buffer")
    du = np.full(4, np.nan)
    result = f(K, U, 0.3, out=du)
    assert result is du and np.shares_memory(result, du)
    np.testing.assert_allclose(du, expected(K, U, 0.3), rtol=1e-14)
    fresh = f(K, U, 0.3)
    assert not np.shares_memory(fresh, du)


def test_many_runs_every_point_and_shares_1d_arguments(model: Path) -> None:
    f = symopt.load(model)
    rng = np.random.default_rng(1)
    states = rng.uniform(0.1, 1.0, (7, 4))
    temps = rng.uniform(0.0, 1.0, 7)
    rows = np.array([expected(K, s, t) for s, t in zip(states, temps, strict=True)])
    np.testing.assert_allclose(f.many(K, states, temps), rows, rtol=1e-14)
    shared_t = np.array([expected(K, s, 0.3) for s in states])
    np.testing.assert_allclose(f.many(K, states, 0.3), shared_t, rtol=1e-14)
    wide = np.zeros((7, 6))
    wide[:, :4] = states  # rows strided in memory: no copy needed
    out = np.empty((7, 4))
    assert f.many(K, wide, temps, out=out) is out
    np.testing.assert_allclose(out, rows, rtol=1e-14)
    numpy_many = symopt.load(model, lang="numpy").many(K, states, temps)
    np.testing.assert_allclose(numpy_many, rows, rtol=1e-14)


def test_scalar_and_several_outputs(entry: str) -> None:
    text = "du[0] = a*x\ny = sqrt(x)\n"
    for lang in ("c", "python"):
        f = symopt.load(text, lang=lang)
        du, y = f(2.0, 9.0)
        assert du.tolist() == [18.0] and y == 3.0
        outs = (np.empty(1), np.empty(1))
        assert f(2.0, 16.0, out=outs) == outs and outs[1][0] == 4.0
        many_du, many_y = f.many(np.array([1.0, 2.0]), 4.0)
        assert many_du.tolist() == [[4.0], [8.0]] and many_y.tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((K, U.astype(np.float32), 0.3), TypeError, "argument 'u' must be a float64 array"),
        ((K, U[:3], 0.3), ValueError, r"shape \(>=4,\)"),
        ((K, np.zeros(8)[::2], 0.3), ValueError, "C-contiguous"),
        ((K, U, "hot"), TypeError, "argument 'T' must be a float"),
        ((K, U, 0.3, np.empty(3)), ValueError, "out 'du'"),
    ],
)
def test_bad_arguments_are_clear_errors(
    model: Path, entry: str, args: tuple[Any, ...], error: type[Exception], message: str
) -> None:
    f = symopt.load(model)
    inputs = args[:3]
    out = args[3] if len(args) > 3 else None
    with pytest.raises(error, match=message):
        f(*inputs, out=out)


def test_read_only_and_list_inputs_work(model: Path, entry: str) -> None:
    f = symopt.load(model)
    frozen = U.copy()
    frozen.flags.writeable = False
    np.testing.assert_allclose(f(list(K), frozen, 0.3), expected(K, U, 0.3), rtol=1e-14)
    with pytest.raises(ValueError, match="read-only"):
        f(K, U, 0.3, out=frozen)


def test_second_load_is_a_cache_hit(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = symopt.load(model)
    import symopt.native.generate as generate

    def fail(*args: object) -> None:
        raise AssertionError("rebuilt a cached model")

    monkeypatch.setattr(compiler, "compile_shared", fail)
    monkeypatch.setattr(generate, "generate", fail)
    again = symopt.load(model)
    assert again.path == first.path
    np.testing.assert_array_equal(again(K, U, 0.3), first(K, U, 0.3))
    with pytest.raises(AssertionError):  # other options: another entry, built again
        symopt.load(model, cflags="-O1")


def test_missing_compiler_and_failed_build(model: Path, cache: Path) -> None:
    with pytest.raises(BuildError, match="'no-such-cc' not found"):
        symopt.load(model, cc="no-such-cc")
    with pytest.raises(BuildError, match=r"the C compiler failed.*\n.*no-such-flag"):
        symopt.load(model, cflags=["-fno-such-flag"])
    leftovers = list((cache / "build").iterdir())
    assert leftovers == []  # nothing half-built is left in the cache


def test_sympy_interop_round_trip_and_function() -> None:
    sp = pytest.importorskip("sympy")
    from sympy.codegen.cfunctions import log1p

    x, y = sp.symbols("x y")
    u = sp.IndexedBase("u")
    expr = sp.exp(x) * sp.exp(y) + x / (3 * y) - sp.sqrt(x) + u[2] ** 2 + log1p(x)
    assert sp.simplify(symopt.to_sympy(symopt.from_sympy(expr)) - expr) == 0
    f = symopt.function([expr, x * y], [x, y, u])
    point = {x: 1.5, y: 2.0, u[2]: 3.0}
    got = f(1.5, 2.0, np.array([0.0, 0.0, 3.0]))
    np.testing.assert_allclose(got, [float(expr.subs(point)), 3.0], rtol=1e-13)
    g = symopt.function(x**2 * y, [y, x], lang="numpy")
    assert g(2.0, 3.0) == 18.0
    with pytest.raises(symopt.errors.ConfigError, match="'y', which is not in args"):
        symopt.function(x * y, [x])


def test_cli_build_writes_library_source_and_signature(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["chain.c", "chain.json", "chain.so"]
    sig = json.loads((out / "chain.json").read_text())
    assert [a["name"] for a in sig["inputs"]] == ["k", "u", "T"]
    assert "void f_many(" in (out / "chain.c").read_text()
    bad = CliRunner().invoke(cli, ["build", str(model), "-o", str(out), "--cc", "no-such-cc"])
    assert bad.exit_code == 2 and "error: C compiler 'no-such-cc' not found" in bad.stderr


def test_cli_build_subprocess_failed_compile(
    model: Path, tmp_path: Path, symopt_cmd: list[str]
) -> None:
    proc = run_cli(symopt_cmd, "build", str(model), "-o", str(tmp_path / "o"), "--cflags=-fbad")
    assert proc.returncode == 2
    assert "the C compiler failed" in proc.stderr and "-fbad" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_cache_entry_appears_whole_and_a_lost_race_keeps_the_winner(tmp_path: Path) -> None:
    from symopt.native import cache as entries

    final = entries.entry(tmp_path, "k" * 64)

    def fill(tmp: Path) -> None:
        assert not final.exists()  # built under a temporary name
        (tmp / entries.SIGNATURE).write_text("ours")
        final.mkdir(parents=True)  # meanwhile another process completes the same entry
        (final / entries.SIGNATURE).write_text("theirs")

    assert entries.store(tmp_path, "k" * 64, fill) == final
    assert (final / entries.SIGNATURE).read_text() == "theirs"
    assert [p.name for p in final.parent.iterdir()] == [final.name]


def test_unwritable_cache_is_a_build_error(model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(BuildError, match="cannot write the build cache"):
        symopt.load(model, lang="python", cache_dir=blocker)


def test_call_overhead_benchmark_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "call_overhead.py"
    spec = importlib.util.spec_from_file_location("call_overhead", script)
    assert spec and spec.loader
    call_overhead = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(call_overhead)
    monkeypatch.setenv("SYMOPT_CACHE_DIR", "unused")  # restored after the script's own setting
    assert call_overhead.main(["--number", "20", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "symopt.load, f(k, u, out=du)" in out and "cached load" in out


def test_declared_signature_is_the_callables(tmp_path: Path) -> None:
    text = "input t, u[2], p[3]\noutput du[2]\ndu[0] = p[0]*u[0]\ndu[1] = -p[1]*u[1]\n"
    f = symopt.load(text, lang="c")
    assert [(a.name, a.size) for a in f.signature.inputs] == [("t", 1), ("u", 2), ("p", 3)]
    p = np.array([2.0, 3.0, 0.0])
    np.testing.assert_array_equal(f(0.0, np.array([1.0, 1.0]), p), [2.0, -3.0])
    with pytest.raises(ValueError, match=r"argument 'p' .*shape \(>=3,\)"):
        f(0.0, np.array([1.0, 1.0]), p[:2].copy())


def test_args_order_the_inputs_in_load_and_build(model: Path, tmp_path: Path) -> None:
    f = symopt.load(model, args=["T", "u", "k"], lang="python")
    np.testing.assert_allclose(f(0.3, U, K), expected(K, U, 0.3), rtol=1e-14)
    out = tmp_path / "o"
    result = CliRunner().invoke(
        cli, ["build", str(model), "-o", str(out), "--lang", "numpy", "--args", "T,u,k"]
    )
    assert result.exit_code == 0, result.output
    sig = json.loads((out / "chain.json").read_text())
    assert [a["name"] for a in sig["inputs"]] == ["T", "u", "k"]
    assert (out / "chain.py").is_file() and not (out / "chain.so").exists()
