"""Generated C, Python and NumPy code compiles/runs and computes what the input term means."""

from __future__ import annotations

import ctypes
import math
import random
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from symopt.codegen import FunctionDef, Param, render_module
from symopt.codegen.lower import default_costs
from symopt.grammar import parse_expr
from symopt.ir import FUNCTIONS, App, Num, Sym, Term, postorder

CC = shutil.which("gcc") or shutil.which("cc") or shutil.which("clang")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler found")
NO_LOWERING = replace(default_costs(), cycles={**default_costs().cycles, "pow": 0.0})

# --- a reference evaluator ------------------------------------------------------------------


def _fma_exact(a: float, b: float, c: float) -> float:
    if not all(math.isfinite(v) for v in (a, b, c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _c_round(fn: Callable[[float], int]) -> Callable[[float], float]:
    """C floor/ceil: a float, keeping -0.0, inf and nan."""
    return lambda x: math.copysign(float(fn(x)), x) if math.isfinite(x) else x


def _fmin(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def _fmax(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


def _nan_min(a: float, b: float) -> float:
    return math.nan if math.isnan(a) or math.isnan(b) else min(a, b)


def _nan_max(a: float, b: float) -> float:
    return math.nan if math.isnan(a) or math.isnan(b) else max(a, b)


BASE: dict[str, Callable[..., float]] = {
    **{op: getattr(math, op) for op in FUNCTIONS if hasattr(math, op)},
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "abs": math.fabs,
    "floor": _c_round(math.floor),
    "ceil": _c_round(math.ceil),
}
SEMANTICS: dict[str, dict[str, Callable[..., float]]] = {
    # C: fmin/fmax ignore NaN, fma rounds once.
    "c": {**BASE, "min": _fmin, "max": _fmax, "fma": _fma_exact},
    # Python: builtin min/max; _fma falls back to a*b + c before Python 3.13.
    "python": {
        **BASE,
        "min": min,
        "max": max,
        "fma": getattr(math, "fma", lambda a, b, c: a * b + c),
    },
    # NumPy: np.minimum/np.maximum propagate NaN; fma is a*b + c.
    "numpy": {**BASE, "min": _nan_min, "max": _nan_max, "fma": lambda a, b, c: a * b + c},
}


def evaluate(term: Term, env: dict[str, Any], lang: str) -> float:
    """The value of ``term`` (Python floats; raises where ``math`` does)."""
    ops = SEMANTICS[lang]
    values: dict[int, float] = {}
    for t in postorder([term]):
        if isinstance(t, Num):
            values[id(t)] = t.value
        elif isinstance(t, Sym):
            v = env[t.name]
            values[id(t)] = float(v if t.index is None else v[t.index])
        else:
            assert isinstance(t, App)
            values[id(t)] = ops[t.op](*(values[id(a)] for a in t.args))
    return values[id(term)]


def same(a: float, b: float) -> bool:
    """Bitwise-equal values (NaN equals NaN; 0.0 and -0.0 differ)."""
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return same(a, b) or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


# --- test inputs ----------------------------------------------------------------------------

INPUTS = (Param("x", False), Param("y", False), Param("u", True))
POINTS = [
    {"x": 0.7, "y": 1.9, "u": [0.3, 2.5, 1.25]},
    {"x": 2.25, "y": 0.4, "u": [0.8, 0.2, 3.0]},
    {"x": 0.05, "y": 3.5, "u": [0.9, 1.1, 0.6]},
]
EXPRESSIONS = [
    "x*x + 2*x*y + y*y",
    "x^5 - y^-2 + u[0]^3 * u[1]^2",
    "x^7 + x^13 + x^64 * 1e-20 + x^-1 + x^0 + x^1",
    "sin(x*y) + cos(x*y) * tan(u[0]) / (x*y)",
    "asin(u[0]) + acos(x/3) + atan(y) + atan2(y, -x)",
    "sinh(x) - cosh(y) + tanh(x - y)",
    "exp(x) + expm1(u[0]) + log(y) + log1p(x) + log2(y) + log10(u[2])",
    "sqrt(y) + cbrt(-x) + abs(x - y) + floor(-x) + ceil(y)",
    "pow(x, y) + pow(u[1], 0.5) + hypot(x, y) + min(x, y) - max(u[0], -u[1])",
    "fma(x, y, -u[2]) + fma(-x, 3, y) * 2",
    "a0 - (b0 - c0) + a0 / (b0 * c0) - -a0 - (-2) * --b0".replace("a0", "x")
    .replace("b0", "y")
    .replace("c0", "u[1]"),
    "((x + y) * (x - y))^3 / (x + y) - (x + y)^2 + -(x*y)^2",
    "1/2*x + 1e-05 - 2^-3 + 0.1",
]


def functions() -> list[FunctionDef]:
    return [
        FunctionDef(f"f{i}", INPUTS, ((None, parse_expr(text)),))
        for i, text in enumerate(EXPRESSIONS)
    ]


def load_python(source: str) -> ModuleType:
    module = ModuleType("generated")
    exec(compile(source, "<generated>", "exec"), module.__dict__)
    return module


def compile_c(source: str, tmp_path: Path, opt: str = "-O2") -> ctypes.CDLL:
    """``gcc -std=c99 -c`` (strict, warnings as errors), then a shared library to call."""
    assert CC is not None
    src = tmp_path / "gen.c"
    src.write_text(source)
    flags = ["-std=c99", "-pedantic", "-Wall", "-Werror", opt, "-ffp-contract=off"]
    subprocess.run([CC, *flags, "-c", str(src), "-o", str(tmp_path / "gen.o")], check=True)
    lib = tmp_path / "libgen.so"
    subprocess.run([CC, *flags, "-shared", "-fPIC", str(src), "-o", str(lib), "-lm"], check=True)
    return ctypes.CDLL(str(lib))


def c_function(lib: ctypes.CDLL, fn: FunctionDef) -> Callable[..., float]:
    """A ctypes wrapper taking Python floats / lists, outputs first (as lists to fill)."""
    cfunc = getattr(lib, fn.name)
    params = (*fn.outputs, *fn.inputs)
    cfunc.argtypes = [
        ctypes.POINTER(ctypes.c_double) if p.is_array or p in fn.outputs else ctypes.c_double
        for p in params
    ]
    cfunc.restype = ctypes.c_double if fn.returns_value else None

    def call(*args: Any) -> float:
        converted: list[Any] = []
        buffers = []
        for a in args:
            if isinstance(a, list):
                buf = (ctypes.c_double * len(a))(*a)
                buffers.append((a, buf))
                converted.append(buf)
            else:
                converted.append(float(a))
        result = cfunc(*converted)
        for a, buf in buffers:
            a[:] = list(buf)
        return result

    return call


def arguments(point: dict[str, Any]) -> list[Any]:
    return [point[p.name] for p in INPUTS]


# --- tests ----------------------------------------------------------------------------------


@needs_cc
def test_c_matches_reference(tmp_path: Path) -> None:
    fns = functions()
    lib = compile_c(render_module("c", fns), tmp_path)
    for fn in fns:
        call = c_function(lib, fn)
        for point in POINTS:
            want = evaluate(fn.body[0][1], point, "c")
            got = call(*arguments(point))
            assert close(got, want), (fn.name, point, got, want)


def test_python_matches_reference() -> None:
    fns = functions()
    module = load_python(render_module("python", fns))
    for fn in fns:
        for point in POINTS:
            want = evaluate(fn.body[0][1], point, "python")
            got = getattr(module, fn.name)(*arguments(point))
            assert isinstance(got, float)
            assert close(got, want), (fn.name, point, got, want)


def test_numpy_matches_reference_scalars_and_batches() -> None:
    fns = functions()
    module = load_python(render_module("numpy", fns))
    batch = {
        "x": np.array([p["x"] for p in POINTS]),
        "y": np.array([p["y"] for p in POINTS]),
        "u": np.array([p["u"] for p in POINTS]).T,  # shape (3, batch)
    }
    for fn in fns:
        f = getattr(module, fn.name)
        wants = [evaluate(fn.body[0][1], point, "numpy") for point in POINTS]
        got_batch = f(*arguments(batch))
        for k, (point, want) in enumerate(zip(POINTS, wants, strict=True)):
            x, y = float(point["x"]), float(point["y"])  # type: ignore[arg-type]
            scalars = [np.float64(x), np.float64(y), np.array(point["u"])]
            assert close(float(f(*scalars)), want, 1e-10), (fn.name, point)
            assert close(float(np.broadcast_to(got_batch, (len(POINTS),))[k]), want, 1e-10)


def _ode() -> FunctionDef:
    """An in-place model: array and scalar outputs, shared subterms across outputs."""
    body = (
        (Sym("du", 0), parse_expr("-k*u[0]*u[1] + sin(u[2])^2")),
        (Sym("du", 1), parse_expr("k*u[0]*u[1] - u[1]/(1 + u[0]^2)")),
        (Sym("du", 2), parse_expr("sin(u[2])^2 * cos(u[2])")),
        (Sym("energy"), parse_expr("(u[0]^2 + u[1]^2)/2 + k")),
    )
    outputs = (Param("du", True), Param("energy", False))
    return FunctionDef("rhs", (Param("u", True), Param("k", False)), body, outputs)


def _expected_ode(u: list[float], k: float, lang: str) -> list[float]:
    env = {"u": u, "k": k}
    return [evaluate(expr, env, lang) for _, expr in _ode().body]


@needs_cc
def test_c_outputs(tmp_path: Path) -> None:
    fn = _ode()
    call = c_function(compile_c(render_module("c", [fn]), tmp_path), fn)
    du, energy, u = [0.0] * 3, [0.0], [0.3, 1.7, 0.9]
    call(du, energy, u, 0.25)
    for got, want in zip([*du, *energy], _expected_ode(u, 0.25, "c"), strict=True):
        assert close(got, want)


def test_python_and_numpy_outputs() -> None:
    fn = _ode()
    u = [0.3, 1.7, 0.9]
    expected = _expected_ode(u, 0.25, "python")
    du, energy = [0.0] * 3, [0.0]
    load_python(render_module("python", [fn])).rhs(du, energy, u, 0.25)
    assert all(close(g, w) for g, w in zip([*du, *energy], expected, strict=True))
    nrhs = load_python(render_module("numpy", [fn])).rhs
    ubatch = np.array([u, [1.0, 2.0, 3.0]]).T  # (3, 2)
    dub, eb = np.zeros((3, 2)), np.zeros((1, 2))
    nrhs(dub, eb, ubatch, np.array([0.25, 0.5]))
    got = [*dub[:, 0], eb[0, 0]]
    assert all(close(g, w, 1e-10) for g, w in zip(got, expected, strict=True))
    second = _expected_ode([1.0, 2.0, 3.0], 0.5, "numpy")
    assert all(close(g, w, 1e-10) for g, w in zip([*dub[:, 1], eb[0, 1]], second, strict=True))


# --- random terms: exact agreement (no power lowering, same operation order) ----------------

SAFE_OPS = [
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "fma",
    "min",
    "max",
    "abs",
    "floor",
    "ceil",
    "sin",
    "cos",
    "atan",
    "atan2",
    "hypot",
    "exp",
    "sqrt",
    "pow",
]


def random_term(rng: random.Random, depth: int) -> Term:
    if depth == 0 or rng.random() < 0.2:
        choice = rng.random()
        if choice < 0.3:
            return Num(rng.choice([2.0, -3.0, 0.5, -0.0, 1e-05, 7.25, 1e300]))
        if choice < 0.6:
            return Sym("u", rng.randrange(3))
        return Sym(rng.choice(["x", "y"]))
    op = rng.choice(SAFE_OPS)
    arity = 1 if op == "neg" else FUNCTIONS.get(op, 2)
    return App(op, tuple(random_term(rng, depth - 1) for _ in range(arity)))


def random_functions(count: int) -> list[FunctionDef]:
    rng = random.Random(1234)
    fns = []
    for i in range(count):
        body = tuple((Sym("o", j), random_term(rng, 5)) for j in range(2))
        # share a random subterm between the two outputs, to exercise temporaries
        shared = random_term(rng, 3)
        body = (*body, (Sym("o", 2), App("add", (shared, body[0][1]))))
        fns.append(FunctionDef(f"r{i}", INPUTS, body, (Param("o", True),)))
    return fns


RANDOM_POINTS = [
    {"x": -1.5, "y": 0.75, "u": [2.0, -0.5, 3.25]},
    {"x": 0.0, "y": -2.0, "u": [-0.0, 1e-3, 40.0]},
]


def _reference_outputs(fn: FunctionDef, point: dict[str, Any], lang: str) -> list[float] | None:
    try:
        return [evaluate(expr, point, lang) for _, expr in fn.body]
    except (ValueError, ZeroDivisionError, OverflowError):
        return None  # the math module raises where C gives inf/nan: skip this sample


@needs_cc
def test_random_terms_c_exact(tmp_path: Path) -> None:
    fns = random_functions(120)
    lib = compile_c(render_module("c", fns, costs=NO_LOWERING), tmp_path, "-O0")
    checked = 0
    for fn in fns:
        call = c_function(lib, fn)
        for point in RANDOM_POINTS:
            want = _reference_outputs(fn, point, "c")
            if want is None:
                continue
            out = [0.0] * 3
            call(out, *arguments(point))
            assert all(same(g, w) for g, w in zip(out, want, strict=True)), (fn, point, out, want)
            checked += 1
    assert checked > 60


def test_random_terms_python_exact() -> None:
    fns = random_functions(120)
    module = load_python(render_module("python", fns, costs=NO_LOWERING))
    checked = 0
    for fn in fns:
        for point in RANDOM_POINTS:
            want = _reference_outputs(fn, point, "python")
            if want is None:
                continue
            out = [0.0] * 3
            getattr(module, fn.name)(out, *arguments(point))
            assert all(same(g, w) for g, w in zip(out, want, strict=True)), (fn, point, out, want)
            checked += 1
    assert checked > 60
