"""Symbolic differentiation (symopt.diff) and the sparse Jacobian (symopt.jacobian)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symopt.diff import Builder, derivatives
from symopt.ir import FUNCTIONS, App, Num, Sym, Term, node_count, postorder
from symopt.jacobian import build_jacobian, check_finite_differences, default_array
from symopt.verify import evaluate

X, Y = Sym("u", 0), Sym("u", 1)
P = Sym("p", 0)


def _fd(term: Term, var: Sym, env: dict[Sym, np.ndarray]) -> np.ndarray:
    h = 1e-6 * np.maximum(1.0, np.abs(env[var]))
    up, down = ({**env, var: env[var] + s} for s in (h, -h))
    return (evaluate([term], up)[0] - evaluate([term], down)[0]) / (2 * h)


def _d(term: Term, index: int = 0) -> Term:
    return derivatives([term], "u")[0].get(index, Num(0.0))


UNARY_POINTS = {"asin": 0.3, "acos": -0.4, "atan": 0.7, "log": 1.7, "log1p": 0.2, "log2": 2.5}


@pytest.mark.parametrize("op", sorted(op for op, n in FUNCTIONS.items() if n == 1))
def test_every_unary_rule_matches_finite_differences(op: str) -> None:
    term = App(op, (App("mul", (Num(1.5), X)),))
    x = UNARY_POINTS.get(op, 0.37)
    env = {X: np.array([x, x + 0.11])}
    got = evaluate([_d(term)], env)[0] * np.ones(2)
    assert np.allclose(got, _fd(term, X, env), rtol=1e-6, atol=1e-9), op


@pytest.mark.parametrize(
    "op", ["add", "sub", "mul", "div", "pow", "atan2", "hypot", "min", "max", "fma"]
)
def test_every_binary_rule_matches_finite_differences(op: str) -> None:
    args: tuple[Term, ...] = (X, Y) if op != "fma" else (X, Y, App("mul", (X, Y)))
    term = App(op, args)
    env = {X: np.array([0.8, 1.3, 2.1]), Y: np.array([1.9, 0.6, 1.4])}
    for index, var in ((0, X), (1, Y)):
        got = evaluate([_d(term, index)], env)[0] * np.ones(3)
        assert np.allclose(got, _fd(term, var, env), rtol=1e-6), (op, index)


def test_constants_are_absorbed() -> None:
    # d(c*x)/dx = c, d(x + c)/dx = 1, d(c)/dx absent, d(x*y)/dx = y: no 0* or 1* terms
    assert _d(App("mul", (P, X))) == P
    assert _d(App("add", (X, P))) == Num(1.0)
    assert derivatives([App("sin", (P,))], "u") == [{}]
    assert _d(App("mul", (X, Y))) == Y
    assert _d(App("pow", (X, Num(2.0)))) == App("mul", (Num(2.0), X))
    assert _d(App("neg", (App("mul", (P, X)),))) == App("neg", (P,))


def test_almost_everywhere_derivatives() -> None:
    assert derivatives([App("floor", (X,))], "u") == [{}]
    sign = _d(App("abs", (X,)))
    at = {X: np.array([-2.0, 0.0, 3.0, 1e-300])}
    assert evaluate([sign], at)[0].tolist() == [-1.0, 0.0, 1.0, 1.0]
    dmin = _d(App("min", (X, Y)))
    env = {X: np.array([1.0, 3.0, 2.0]), Y: np.array([2.0, 1.0, 2.0])}
    assert evaluate([dmin], env)[0].tolist() == [1.0, 0.0, 0.5]


def test_deep_terms_need_no_recursion() -> None:
    term: Term = X
    for k in range(5000):
        term = App("sin", (App("add", (term, Num(float(k)))),)) if k % 2 else App("mul", (term, Y))
    d = _d(term)
    assert node_count([d]) < 5 * node_count([term])


def test_shared_subterms_stay_shared() -> None:
    s = App("exp", (App("mul", (X, Y)),))
    terms = [App("mul", (s, P)), App("add", (s, X))]
    b = Builder(terms)
    d0, d1 = (entries[0] for entries in derivatives(terms, "u", b))
    # both derivatives reuse the node exp(x*y) itself (d exp(a) = exp(a) a')
    assert any(t is s for t in postorder([d0])) and any(t is s for t in postorder([d1]))


def test_long_sums_are_differentiated_by_their_summands() -> None:
    term: Term = Num(0.0)
    for k in range(200):
        term = App("sub" if k % 3 else "add", (term, App("mul", (Sym("p", k), Sym("u", k)))))
    d = derivatives([term], "u")[0]
    assert len(d) == 200
    assert d[4] == App("neg", (Sym("p", 4),))
    assert d[3] == Sym("p", 3)


_LEAVES = st.sampled_from([X, Y, P, Num(0.5), Num(2.0)])
_UNARY = st.sampled_from(["neg", "sin", "exp", "sqrt", "log", "tanh", "atan", "cbrt"])
_BINARY = st.sampled_from(["add", "sub", "mul", "div", "hypot", "atan2"])


def _extend(children: st.SearchStrategy[Term]) -> st.SearchStrategy[Term]:
    unary = st.builds(lambda op, a: App(op, (a,)), _UNARY, children)
    binary = st.builds(lambda op, a, b: App(op, (a, b)), _BINARY, children, children)
    power = st.builds(lambda a, c: App("pow", (a, Num(c))), children, st.sampled_from([2.0, 3.0]))
    return unary | binary | power


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.recursive(_LEAVES, _extend, max_leaves=8))
def test_random_expressions_match_finite_differences(term: Term) -> None:
    jac = build_jacobian([term], [0], 1, "u", 2)
    assert check_finite_differences([term], [0], jac, jac.entries) == []


def test_structure_is_csc_and_a_wrong_entry_is_found() -> None:
    terms = [App("mul", (X, Y)), App("sin", (Y,)), App("mul", (P, P))]
    jac = build_jacobian(terms, [0, 1, 2], 3, "u", 2)
    assert (jac.indptr, jac.indices, jac.shape) == ((0, 1, 3), (0, 0, 1), (3, 2))
    assert jac.entries == (Y, X, App("cos", (Y,)))
    wrong = (Y, X, App("sin", (Y,)))
    [bad] = check_finite_differences(terms, [0, 1, 2], jac, wrong)
    assert (bad.row, bad.column) == (1, 1)
    y = bad.point["u[1]"]
    assert bad.value == pytest.approx(math.sin(y)) and bad.estimate == pytest.approx(math.cos(y))


def test_default_array_is_the_state() -> None:
    exprs = [App("mul", (P, X)), App("mul", (Sym("p", 1), App("mul", (X, Y))))]
    assert default_array(exprs, ["p", "u"], {"p": 2, "u": 2}, ["du"], 2) == "u"
    assert default_array(exprs, ["p", "u"], {"p": 2, "u": 2}, ["dx"], 2) == "u"  # read more
    assert default_array([], [], {}, [], 0) is None


def test_cancelling_summands_leave_no_entry() -> None:
    term = App("add", (X, App("sub", (Y, X))))
    assert derivatives([term], "u") == [{1: Num(1.0)}]
