"""Numerical verification: evaluation, error scales, sampling and equivalence checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from symopt.grammar.parser import parse_expr
from symopt.ir import OPERATORS, App, Num, PVar, Sym, Term
from symopt.verify import Mismatch, check_equivalent, error_scale, evaluate, sample_env
from symopt.verify.evaluate import compile_terms

X, Y = Sym("x"), Sym("y")


def p(text: str) -> Term:
    return parse_expr(text)


def check(before: str, after: str, **kw: object) -> list[Mismatch]:
    return check_equivalent([p(before)], [p(after)], **kw)  # type: ignore[arg-type]


# --- equivalence --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("x*x + 2*x*y + y*y", "(x + y)^2"),
        ("exp(a)*exp(b)", "exp(a + b)"),
        ("a/b/c", "a/(b*c)"),
        ("sin(x)^2 + cos(x)^2", "1"),
        ("exp(x) - 1", "expm1(x)"),
        ("(1e16 + x) - 1e16", "x"),
        ("x/x", "1"),
        ("sqrt(x)*sqrt(x)", "x"),  # before is nan at x < 0: those points are not judged
        ("pow(x, 0.5)", "sqrt(x)"),
        ("x^3", "x*x*x"),
        ("log2(x)", "log(x)/log(2)"),
        ("tan(x)", "sin(x)/cos(x)"),
        ("hypot(x, y)", "sqrt(x*x + y*y)"),
        ("fma(x, y, z)", "x*y + z"),
        ("min(x, y)", "-max(-x, -y)"),
        ("abs(x)", "sqrt(x^2)"),
        ("cosh(x)", "(exp(x) + exp(-x))/2"),
        ("atan2(y, x)", "atan2(2*y, 2*x)"),
        ("floor(x*3)", "floor(3*x)"),
    ],
)
def test_equal_expressions_pass(before: str, after: str) -> None:
    assert check(before, after) == []


def test_wrong_rewrite_reports_worst_point() -> None:
    [m] = check("x + y", "x*y")
    assert m.index == 0
    assert set(m.point) == {"x", "y"}
    assert m.expected == pytest.approx(m.point["x"] + m.point["y"])
    assert m.got == pytest.approx(m.point["x"] * m.point["y"])
    assert m.error == pytest.approx(abs(m.got - m.expected))
    assert m.error > m.tolerance > 0
    assert "term 0" in str(m)


def test_log_product_split_fails_on_negative_inputs() -> None:
    # log(x*y) is finite where x, y < 0; log(x) + log(y) is nan there.
    [m] = check("log(x*y)", "log(x) + log(y)")
    assert math.isfinite(m.expected)
    assert math.isnan(m.got)
    assert m.point["x"] < 0 and m.point["y"] < 0


def test_after_infinite_where_before_finite_is_a_mismatch() -> None:
    [m] = check("x - x + 1", "1/(x - x)")
    assert m.expected == 1.0 and math.isinf(m.got)


def test_small_constant_error_is_caught() -> None:
    assert len(check("x - 1e-3", "x")) == 1
    assert check("x - 1e-3", "x", atol=2e-3) == []


def test_only_failing_terms_reported_with_their_index() -> None:
    before = [p("x + 1"), p("x*y"), p("sin(x)"), p("y - x")]
    after = [p("1 + x"), p("x + y"), p("sin(x)"), p("x - y")]
    mismatches = check_equivalent(before, after)
    assert [m.index for m in mismatches] == [1, 3]
    assert mismatches[1].point.keys() == {"x", "y"}


def test_symbols_only_on_one_side_are_sampled() -> None:
    [m] = check("x", "x + 0*y + z")
    assert set(m.point) == {"x", "y", "z"}


def test_cancellation_gets_a_matching_scale() -> None:
    env = sample_env([X], 16)
    [scale] = error_scale([p("(1e16 + x) - 1e16")], env)
    assert np.all(scale >= 2e16)
    [value] = evaluate([p("(1e16 + x) - 1e16")], env)
    assert np.any(value != env[X])  # the rounding really happens


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="length"):
        check_equivalent([X], [X, Y])


def test_constant_terms() -> None:
    assert check_equivalent([Num(2.0)], [App("add", (Num(1.0), Num(1.0)))]) == []
    [m] = check_equivalent([Num(-2.0)], [Num(2.0)])
    assert m.point == {} and m.expected == -2.0


# --- evaluation ---------------------------------------------------------------------------------

_SCALAR: dict[str, object] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": math.pow,
    "abs": abs,
    "cbrt": lambda a: math.copysign(abs(a) ** (1 / 3), a),
    "min": min,
    "max": max,
    "fma": lambda a, b, c: a * b + c,
    "log1p": math.log1p,
}


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_each_operator_matches_math(op: str) -> None:
    fn = _SCALAR.get(op) or getattr(math, op)
    arity = OPERATORS[op]
    points = [(0.3, 0.7, 1.9), (0.9, 2.5, -0.4), (0.55, 0.25, 3.0)]
    syms = [Sym("a"), Sym("b"), Sym("c")][:arity]
    env = {s: np.array([pt[k] for pt in points]) for k, s in enumerate(syms)}
    [got] = evaluate([App(op, tuple(syms))], env)
    expected = [fn(*pt[:arity]) for pt in points]  # type: ignore[operator]
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    [scale] = error_scale([App(op, tuple(syms))], env)
    assert np.all(np.isfinite(scale)) and np.all(scale >= np.abs(got))


def test_negative_constants_and_shared_subterms() -> None:
    env = {X: np.array([1.0, 2.0])}
    shared = App("sin", (X,))
    terms = [App("mul", (shared, Num(-2.5))), shared, App("add", (shared, shared))]
    values = evaluate(terms, env)
    np.testing.assert_allclose(values[0], -2.5 * np.sin(env[X]))
    np.testing.assert_allclose(values[2], 2 * np.sin(env[X]))


def test_structurally_equal_copies_share_one_instruction() -> None:
    program = compile_terms([p("sin(x)*y + sin(x)"), p("y*sin(x)")])
    assert len(program.ops) == 6  # x sin y mul add mul(y, sin)
    assert program.symbols() == [X, Y]


def test_domain_errors_are_silent() -> None:
    env = {X: np.array([-1.0, 0.0, 2.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log, inv, asin = evaluate([p("log(x)"), p("1/x"), p("asin(x)")], env)
        error_scale([p("log(x)"), p("1/x"), p("x^0.5"), p("atan2(x, x)")], env)
    assert math.isnan(log[0]) and log[1] == -math.inf
    assert inv[1] == math.inf and math.isnan(asin[2])


def test_deep_sum_does_not_recurse() -> None:
    term: Term = X
    for i in range(5000):
        term = App("add", (term, Num(float(i % 3))))
    copy = parse_expr(" + ".join(["x", *(str(i % 3) for i in range(5000))]))
    [value] = evaluate([term], {X: np.array([0.5])})
    assert value[0] == 0.5 + sum(i % 3 for i in range(5000))
    assert check_equivalent([term], [copy]) == []
    assert len(check_equivalent([term], [App("add", (copy, Num(1.0)))])) == 1


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="pattern variable"):
        evaluate([App("add", (PVar("a"), X))], {X: np.zeros(2)})
    with pytest.raises(ValueError, match="no value for symbol y"):
        evaluate([p("x + y")], {X: np.zeros(2)})
    with pytest.raises(ValueError, match="unknown operator"):
        evaluate([App("frobnicate", (X,))], {X: np.zeros(2)})
    with pytest.raises(ValueError, match="arguments"):
        evaluate([App("add", (X,))], {X: np.zeros(2)})
    with pytest.raises(ValueError, match="shape"):
        evaluate([p("x + y")], {X: np.zeros(2), Y: np.zeros(3)})


def test_floor_near_integer_is_ill_conditioned() -> None:
    env = {X: np.array([3.0, 3.5, 3.0 - 1e-12])}
    [scale] = error_scale([p("floor(x)")], env)
    assert scale[0] == math.inf
    assert scale[1] < 20
    assert 1e-9 * scale[2] >= 1.0  # a flip to 3 would be within tolerance


# --- sampling -----------------------------------------------------------------------------------


def test_default_sampling_layout() -> None:
    u = [Sym("u", i) for i in range(4)]
    env = sample_env([X, *u], 64)
    for values in env.values():
        assert values.shape == (64,) and values.dtype == np.float64
        assert not np.any(values == 0.0)
        assert set(values[:3]) == {1.0, 0.5, 2.0}
        assert np.all((values >= -3) & (values <= 3))
        assert np.all(values[:34] >= 0.1)  # specials + the positive half, aligned across symbols
        assert np.any(values[34:] < 0)
    assert env[X][0] != env[u[0]][0]  # specials rotate between neighbouring symbols


def test_ranges_by_base_name_and_exact_key() -> None:
    u0, u1, u3 = Sym("u", 0), Sym("u", 1), Sym("u", 3)
    env = sample_env([u0, u1, u3, X], 32, ranges={"u": (5.0, 6.0), "u[3]": (-1.0, 1.0)})
    assert np.all((env[u0] >= 5) & (env[u0] <= 6))
    assert np.all((env[u1] >= 5) & (env[u1] <= 6))
    assert np.all((env[u3] >= -1) & (env[u3] <= 1))
    assert 1.0 in env[u3] and 0.5 in env[u3]  # specials inside the range are kept
    assert np.any(env[X] > 1.0) and np.any(env[X] < 0)  # default range
    assert check("u[3]*x", "x*u[3]", ranges={"u[3]": (0.0, 0.0)}) == []
    with pytest.raises(ValueError, match="range"):
        sample_env([X], 8, ranges={"x": (2.0, 1.0)})


def test_ranges_steer_the_check() -> None:
    # log(x*y) = log(x) + log(y) holds on the positive quadrant only.
    assert check("log(x*y)", "log(x) + log(y)", ranges={"x": (0.1, 5), "y": (0.1, 5)}) == []


def test_seeds_are_reproducible() -> None:
    a = sample_env([X, Y], 16, seed=7)
    b = sample_env([Y, X], 16, seed=7)
    c = sample_env([X], 16, seed=8)
    np.testing.assert_array_equal(a[Y][3:], b[Y][3:])  # a symbol's draws don't depend on others
    np.testing.assert_array_equal(a[X], sample_env([X, Y], 16, seed=7)[X])
    assert not np.array_equal(a[X], c[X])
    assert check("x + y", "x*y", seed=3) == check("x + y", "x*y", seed=3)
    assert check("x + y", "x*y", seed=3) != check("x + y", "x*y", seed=4)


def test_small_n() -> None:
    env = sample_env([X], 1)
    assert env[X].shape == (1,)
    assert check("x + y", "x*y", n=8)
    with pytest.raises(ValueError):
        sample_env([X], 0)


def test_streamed_roots_are_dropped_once_judged() -> None:
    """``stream`` hands each root over once, as computed, and keeps no array nobody needs: on a
    chain of 300 outputs at most a few arrays are alive at a time (every root's were before)."""
    import gc
    import weakref

    from symopt.verify.evaluate import run, stream

    terms = [parse_expr("exp(u[0])")]
    for i in range(1, 300):
        product = App("mul", (terms[-1], Sym("p")))
        terms.append(App("add", (App("exp", (product,)), Sym("u", i))))
    program = compile_terms(terms)
    env = sample_env(program.symbols(), 16, seed=1)
    alive: list[weakref.ref[np.ndarray]] = []
    most = 0
    seen: list[int] = []

    def on_root(j: int, value: np.ndarray, scale: np.ndarray | None) -> None:
        nonlocal most
        seen.append(j)
        alive.append(weakref.ref(value))
        gc.collect()
        most = max(most, sum(r() is not None for r in alive))

    stream(program, env, 16, on_root, with_scale=True)
    assert seen == list(range(300))
    assert most <= 3
    values, _ = run(program, env, 16, with_scale=False)
    assert len(values) == 300 and np.isfinite(values[0]).all()


def test_mismatches_come_in_term_order() -> None:
    before = [parse_expr(f"x + {k}") for k in range(6)]
    after = [parse_expr(f"x + {k + (k % 2)}") for k in range(6)]  # the odd ones are wrong
    found = check_equivalent(before, after, seed=2)
    assert [m.index for m in found] == [1, 3, 5]


def test_sample_points_follow_the_inputs_symbols_first() -> None:
    """Symbols are sampled in the order of the inputs, then of the outputs (each symbol's special
    points depend on its place): here z gets x's special point 1.0, where the wrong output is
    nan. Ordered as the interleaved evaluation meets them, no point had z == x."""
    x, y, w, z = (Sym(c) for c in "xywz")
    d = App("sub", (z, x))
    before: list[Term] = [x, y, w, z]
    after: list[Term] = [App("div", (App("mul", (x, d)), d)), y, w, z]
    found = check_equivalent(before, after)
    assert [m.index for m in found] == [0]
