"""``symopt compile``: goldens, generated C/Python/NumPy against the model's values, splitting,
verification fallback, renaming and the CLI as a subprocess.

Regenerate the goldens after an intended change with
``SYMOPT_UPDATE_GOLDEN=1 pytest tests/test_compile.py`` and review the diff.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from symopt.cli.compile import load_ranges
from symopt.cli.main import cli
from symopt.codegen import FunctionDef
from symopt.codegen.c import is_reserved_c, render_c_module
from symopt.codegen.plan import plan_function
from symopt.codegen.split import split_steps
from symopt.ir import Sym, Term, symbols
from symopt.model import Model, parse_model
from symopt.model.sampling import sidecar_ranges
from symopt.verify import error_scale, evaluate, sample_env
from tests.conftest import run_cli

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden_models"
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler found")
DETERMINISTIC = ("--time-limit", "60")  # the node/iteration limits stop the run, not the clock
GOLDEN_CASES = [
    ("multistate", "c"),
    ("multistate", "python"),
    ("multistate", "numpy"),
    ("multisite2", "c"),
]
GOLDEN_FLAGS: dict[str, tuple[str, ...]] = {}  # multisite2 takes the polynomial path
POINTS = 8

UNSOUND_RULES = """\
[meta]
name = "unsound"
description = "a deliberately wrong rule, to exercise the verification fallback"

[[rule]]
name = "div-is-sub"
lhs = "?a / ?b"
rhs = "?a - ?b"
tier = "algebra"
"""


@cache
def _compile(*args: str) -> Result:
    return CliRunner().invoke(cli, ["compile", *args])


def _ok(*args: str) -> str:
    result = _compile(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


@cache
def _golden(model: str, lang: str) -> str:
    """The compiled model, from a subprocess (with a fixed hash seed, for good measure)."""
    args = [
        str(DATA / f"{model}.sym"),
        "--lang",
        lang,
        *DETERMINISTIC,
        *GOLDEN_FLAGS.get(model, ()),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "symopt", "compile", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(
    ("model", "lang"), GOLDEN_CASES, ids=[f"{m}-{lang}" for m, lang in GOLDEN_CASES]
)
def test_golden(model: str, lang: str) -> None:
    out = _golden(model, lang)
    path = GOLDEN / f"{model}.{lang}.out"
    if os.environ.get("SYMOPT_UPDATE_GOLDEN"):
        path.write_text(out)
        return
    assert out == path.read_text()


# --- numbers: generated code against the input model ---------------------------------------


class Reference:
    """A model's input terms evaluated at sidecar-sampled points (one column per point)."""

    def __init__(self, model: Model, ranges: dict[str, tuple[float, float]]) -> None:
        pairs = model.output_terms()
        self.model = model
        self.targets = [target for target, _ in pairs]
        terms: list[Term] = [term for _, term in pairs]
        self.env = sample_env(symbols(terms), POINTS, seed=1, ranges=ranges)
        self.expected = np.array(evaluate(terms, self.env))
        self.scale = np.array(error_scale(terms, self.env))

    def array(self, name: str) -> np.ndarray:
        """Input ``name`` as an ``(n, points)`` array; indices the model never reads are nan."""
        syms = [s for s in self.env if s.name == name]
        size = 1 + max(s.index or 0 for s in syms) if syms else 1
        out = np.full((size, POINTS), np.nan)
        for s in syms:
            out[s.index or 0] = self.env[s]
        return out

    def inputs(self) -> list[np.ndarray]:
        return [self.array(p.name) for p in self.model.inputs]

    def new_outputs(self) -> list[np.ndarray]:
        size = {p.name: 0 for p in self.model.outputs}
        for t in self.targets:
            size[t.name] = max(size[t.name], (t.index or 0) + 1)
        return [np.zeros((size[p.name], POINTS)) for p in self.model.outputs]

    def got(self, outputs: list[np.ndarray]) -> np.ndarray:
        by_name = {p.name: out for p, out in zip(self.model.outputs, outputs, strict=True)}
        return np.array([by_name[t.name][t.index or 0] for t in self.targets])

    def check(self, got: np.ndarray) -> None:
        assert got.shape == self.expected.shape
        assert np.all(np.abs(got - self.expected) <= 1e-9 * self.scale + 1e-300)


def _reference(model: str) -> Reference:
    path = DATA / f"{model}.sym"
    ranges = sidecar_ranges(json.loads(path.with_suffix(".json").read_text()), "sidecar")
    return Reference(parse_model(path.read_text(), str(path)), ranges)


def _reference_text(text: str) -> Reference:
    return Reference(parse_model(text, "m.sym"), {})


def _c_function(source: str, tmp: Path, name: str = "f") -> Callable[..., None]:
    c_file, lib = tmp / "model.c", tmp / "libmodel.so"
    c_file.write_text(source)
    assert CC is not None
    cmd = [CC, "-O1", "-std=c99", "-Wall", "-Werror", "-Wno-unused-parameter", "-shared", "-fPIC"]
    subprocess.run([*cmd, "-o", str(lib), str(c_file), "-lm"], check=True, timeout=120)
    fn = getattr(ctypes.CDLL(str(lib)), name)
    fn.restype = None
    return fn


def _call_c(fn: Callable[..., None], ref: Reference) -> np.ndarray:
    """Call ``fn`` once per sample point; array params as pointers, scalar inputs as doubles."""
    outputs = ref.new_outputs()
    inputs = ref.inputs()
    array_in = {p.name: p.is_array for p in ref.model.inputs}
    for k in range(POINTS):
        outs = [np.ascontiguousarray(o[:, k]) for o in outputs]
        args: list[Any] = [o.ctypes.data_as(ctypes.POINTER(ctypes.c_double)) for o in outs]
        for p, arr in zip(ref.model.inputs, inputs, strict=True):
            column = np.ascontiguousarray(arr[:, k])
            args.append(
                column.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
                if array_in[p.name]
                else ctypes.c_double(column[0])
            )
        fn(*args)
        for o, col in zip(outputs, outs, strict=True):
            o[:, k] = col
    return ref.got(outputs)


def _python_function(source: str, name: str = "f") -> Callable[..., None]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace[name]


def _call_python(fn: Callable[..., None], ref: Reference) -> np.ndarray:
    """Call ``fn`` once per point with lists (scalar inputs as floats, outputs as lists)."""
    outputs = ref.new_outputs()
    inputs = ref.inputs()
    array_in = [p.is_array for p in ref.model.inputs]
    for k in range(POINTS):
        outs = [[0.0] * len(o) for o in outputs]
        ins = [
            list(a[:, k]) if is_arr else float(a[0, k])
            for a, is_arr in zip(inputs, array_in, strict=True)
        ]
        fn(*outs, *ins)
        for o, col in zip(outputs, outs, strict=True):
            o[:, k] = col
    return ref.got(outputs)


def _call_numpy_batch(fn: Callable[..., None], ref: Reference) -> np.ndarray:
    """One call with a trailing batch axis on every input and output."""
    outputs = ref.new_outputs()
    array_in = [p.is_array for p in ref.model.inputs]
    ins = [a if is_arr else a[0] for a, is_arr in zip(ref.inputs(), array_in, strict=True)]
    fn(*outputs, *ins)
    return ref.got(outputs)


@needs_cc
@pytest.mark.parametrize("model", ["multistate", "multisite2"])
def test_c_agrees_with_the_model(model: str, tmp_path: Path) -> None:
    ref = _reference(model)
    ref.check(_call_c(_c_function(_golden(model, "c"), tmp_path), ref))
    (tmp_path / "default").mkdir()
    default = _ok(str(DATA / f"{model}.sym"), *DETERMINISTIC)  # every rule, polynomial path
    ref.check(_call_c(_c_function(default, tmp_path / "default"), ref))


def test_python_and_numpy_agree_with_the_model() -> None:
    ref = _reference("multistate")
    ref.check(_call_python(_python_function(_golden("multistate", "python")), ref))
    numpy_fn = _python_function(_golden("multistate", "numpy"))
    ref.check(_call_python(numpy_fn, ref))  # one point at a time, no batch axis
    ref.check(_call_numpy_batch(numpy_fn, ref))


@needs_cc
def test_split_c_computes_the_same_numbers(tmp_path: Path) -> None:
    ref = _reference("multisite2")
    pairs = ref.model.output_terms()
    fn = FunctionDef("f", ref.model.inputs, tuple(pairs), ref.model.outputs)
    whole = render_c_module([fn])
    split = render_c_module([fn], max_statements=40, restrict=True)
    assert "f_part0" not in whole and "static SYMOPT_NOINLINE void f_part0(" in split
    assert (
        "void f(double *restrict du, const double *restrict p, const double *restrict u)" in split
    )
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    got_whole = _call_c(_c_function(whole, tmp_path / "a"), ref)
    got_split = _call_c(_c_function(split, tmp_path / "b"), ref)
    ref.check(got_split)
    assert np.array_equal(got_whole, got_split)  # the same statements, just in several functions


@needs_cc
def test_cli_splits_and_restricts(tmp_path: Path) -> None:
    ref = _reference("multisite2")
    flags = ("--iter-limit", "1", "--max-statements-per-function", "40", "--restrict")
    split = _ok(str(DATA / "multisite2.sym"), *flags)
    assert split.count("static SYMOPT_NOINLINE void f_part") > 3
    ref.check(_call_c(_c_function(split, tmp_path), ref))


def test_signature_for_the_benchmark_models() -> None:
    assert "void f(double *du, const double *p, const double *u) {" in _golden("multisite2", "c")
    assert "def f(du, p, u):" in _golden("multistate", "python")


RENAMED = "int = lambda*2 + x\ndouble[0] = sin(lambda)*int\n"


@needs_cc
def test_reserved_names_are_renamed_consistently(tmp_path: Path) -> None:
    model = tmp_path / "names.sym"
    model.write_text(RENAMED)
    ref = _reference_text(RENAMED)
    c_src = _ok(str(model), "--lang", "c")
    assert "/* renamed: int -> int_, double -> double_ */" in c_src
    assert "void f(double *int_, double *double_, double lambda, double x) {" in c_src
    ref.check(_call_c(_c_function(c_src, tmp_path), ref))
    py_src = _ok(str(model), "--lang", "python")
    assert "# renamed: int -> int_, lambda -> lambda_" in py_src
    assert "def f(int_, double, lambda_, x):" in py_src
    ref.check(_call_python(_python_function(py_src), ref))
    ref.check(_call_numpy_batch(_python_function(_ok(str(model), "--lang", "numpy")), ref))


def test_unsound_rule_falls_back_with_a_warning_naming_the_statement(tmp_path: Path) -> None:
    rules = tmp_path / "unsound.toml"
    rules.write_text(UNSOUND_RULES)
    text = "# model\nlet k = a / b\ny = k + c\nz[0] = c*2\nz[1] = y*y\n"
    model = tmp_path / "fb.sym"
    model.write_text(text)
    result = CliRunner().invoke(
        cli, ["compile", str(model), "--lang", "python", "--ruleset", str(rules)]
    )
    assert result.exit_code == 0, result.output
    warning = f"{model}:3: warning: y: optimised form disagreed with the input at "
    assert warning in result.stderr
    assert f"{model}:5: warning: z[1]: " in result.stderr
    assert "kept the unoptimised statement" in result.stderr
    assert "z[0]" not in result.stderr
    ref = _reference_text(text)
    ref.check(_call_python(_python_function(result.stdout), ref))


def test_stats_report_every_phase() -> None:
    result = _compile(str(DATA / "multistate.sym"), "--stats", *DETERMINISTIC)
    assert result.exit_code == 0, result.output
    assert "cost " in result.stderr and "e-nodes" in result.stderr and "stop: " in result.stderr
    for phase in ("parse", "saturate", "extract", "verify", "codegen"):
        assert f"{phase} " in result.stderr


def test_sidecar_next_to_the_model_and_sample_overrides() -> None:
    ranges = load_ranges(str(DATA / "multistate.sym"), None, ())
    assert ranges["u[0]"] == (2680.0, 8040.0) and ranges["p[3]"] == (0.01, 0.01)
    ranges = load_ranges(str(DATA / "multistate.sym"), None, ("u=1:2", "p[3]=0:1"))
    assert ranges["u"] == (1.0, 2.0) and "u[0]" not in ranges and ranges["p[3]"] == (0.0, 1.0)
    assert load_ranges("-", None, ("x=0:1",)) == {"x": (0.0, 1.0)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "python", "--restrict"], "--restrict applies to --lang c only"),
        (["--sample", "u=2:1"], "--sample 'u=2:1': need finite lo <= hi"),
        (["--sidecar", "does/not/exist.json"], "does/not/exist.json: no such sidecar file"),
        (["--name", "int"], "function name 'int' is reserved in C"),
        (["--name", "no good"], "is not a valid identifier"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(
        cli, ["compile", str(DATA / "multistate.sym"), "--iter-limit", "0", *args]
    )
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_subprocess_writes_file_and_reports_errors(
    symopt_cmd: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "f.c"
    proc = run_cli(
        symopt_cmd, "compile", str(DATA / "multistate.sym"), "-o", str(out), "--iter-limit", "2"
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("#include <math.h>\n") and proc.stdout == ""
    bad = tmp_path / "bad.sym"
    bad.write_text("x = y + 1\ny = 2\n")
    proc = run_cli(symopt_cmd, "compile", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{bad}:1:5: error: y is read before it is assigned (on line 2)")
    assert "Traceback" not in proc.stderr
    proc = run_cli(symopt_cmd, "compile", "-", "--lang", "python", stdin="# empty\n")
    assert (
        proc.returncode == 2 and "<stdin>:1:1: error: the model assigns no outputs" in proc.stderr
    )


def test_model_outputs_keep_their_sym_targets() -> None:
    ref = _reference("multistate")
    assert ref.targets[0] == Sym("du", 0) and len(ref.targets) == 9


def test_model_assumptions_enable_guarded_rules(tmp_path: Path) -> None:
    plain, assumed = tmp_path / "plain.sym", tmp_path / "assumed.sym"
    plain.write_text("z = log(x) + log(y)\n")
    assumed.write_text("assume x > 0\nassume y > 0\nz = log(x) + log(y)\n")
    assert "math.log(x) + math.log(y)" in _ok(str(plain), "--lang", "python")
    assert "z[0] = math.log(x * y)" in _ok(str(assumed), "--lang", "python")
    assert "z[0] = math.log(x * y)" in _ok(
        str(plain), "--lang", "python", "--assume", "x>0", "--assume", "y>0"
    )


def test_split_steps_share_only_crossing_temporaries() -> None:
    model = parse_model("let k = a*b\ny[0] = k + 1\ny[1] = k*k\ny[2] = sin(c)*sin(c)\n", "m.sym")
    fn = FunctionDef("f", model.inputs, tuple(model.output_terms()), model.outputs)
    plan = plan_function(fn, "C", is_reserved_c, None)
    split = split_steps(plan.steps, plan.bound, 2)
    assert [len(p.steps) for p in split.parts] == [2, 2, 1]  # t0, y0 | y1, t1 | y2
    assert split.slots == {"t0": 0, "t1": 1}
    assert split.parts[0].exports == {"t0"} and split.parts[1].imports == ["t0"]
    assert split.parts[1].exports == {"t1"} and split.parts[2].imports == ["t1"]
    apart = split_steps(plan.steps, plan.bound, 3)  # t0, y0, y1 | t1, y2: nothing crosses
    assert apart.slots == {} and [p.imports for p in apart.parts] == [[], []]
    assert "scratch" not in render_c_module([fn], max_statements=3)
    with pytest.raises(ValueError, match="at least 1"):
        split_steps(plan.steps, plan.bound, 0)


def test_long_statements_split_by_operations(monkeypatch: pytest.MonkeyPatch) -> None:
    import symopt.codegen.split as split_mod

    model = parse_model("y[0] = a*b + c*d + e\ny[1] = a - b*c\ny[2] = sin(a)\n", "m.sym")
    fn = FunctionDef("f", model.inputs, tuple(model.output_terms()), model.outputs)
    plan = plan_function(fn, "C", is_reserved_c, None)
    assert [split_mod.operations(s, plan.bound) for s in plan.steps] == [4, 2, 1]
    by_ops = split_steps(plan.steps, plan.bound, 100, max_operations=5)
    assert [len(p.steps) for p in by_ops.parts] == [1, 2]  # 4 | 2 + 1
    assert not split_mod.needs_split(plan.steps, plan.bound, 100)
    monkeypatch.setattr(split_mod, "SPLIT_ABOVE_OPERATIONS", 6)
    monkeypatch.setattr(split_mod, "PART_OPERATIONS", 5)
    assert split_mod.needs_split(plan.steps, plan.bound, 100)
    assert "f_part1" in render_c_module([fn], max_statements=100)


def test_split_c_names_its_scratch_array_around_parameters() -> None:
    model = parse_model("let k = scratch*b\ny[0] = k + 1\ny[1] = k*k\n", "m.sym")
    fn = FunctionDef("f", model.inputs, tuple(model.output_terms()), model.outputs)
    text = render_c_module([fn], max_statements=1)
    assert "double scratch0[1];" in text and "double scratch, double b" in text
    clash = parse_model("let k = f_part0*b\ny[0] = k + 1\ny[1] = k*k\n", "m.sym")
    fn = FunctionDef("f", clash.inputs, tuple(clash.output_terms()), clash.outputs)
    with pytest.raises(ValueError, match="named like a part"):
        render_c_module([fn], max_statements=1)
