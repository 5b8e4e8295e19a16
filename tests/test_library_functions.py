"""Library functions of literals and library-function rules (issue 13): folding ``log(2)`` only
when the platform's libm is correctly rounded there, the rounded constants of fold.egg, the
negated-literal cost in extraction, and accuracy of the rewritten forms at hard points."""

from __future__ import annotations

import math
import re
from pathlib import Path

import mpmath
import pytest

from symopt import constfold, optimize
from symopt.codegen import to_sym
from symopt.costs import load_cost_table
from symopt.grammar import parse_expr
from symopt.ir import Sym, Term
from symopt.rulesets.check_real import real_value

FOLD_EGG = Path(constfold.__file__).parent / "egraph" / "fold.egg"
COSTS = load_cost_table("throughput")


def _simplify(text: str, **kwargs: object) -> Term:
    (out,) = optimize([parse_expr(text)], **kwargs).outputs  # type: ignore[arg-type]
    return out


def test_libm_of_a_literal_folds_to_the_correctly_rounded_value() -> None:
    assert to_sym(_simplify("log(2)/k")) == "0.6931471805599453/k"
    folded = constfold.fold_constants([parse_expr("exp(1) + cos(0.5) + log10(1000)")])
    assert to_sym(folded[0]) == repr(math.exp(1) + math.cos(0.5) + 3.0)
    # Not folded: outside the domain, overflow, underflow to a subnormal or 0.
    for text in ("log(-1)", "log(0)", "exp(800)", "exp(-800)", "exp(-740)", "sin(1e-320)"):
        assert constfold.fold_constants([parse_expr(text)])[0] == parse_expr(text), text


def test_libm_value_that_is_not_correctly_rounded_is_not_folded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A libm that is off by an ulp would make the literal a different number than a correctly
    rounded libm (or GCC's compile-time folding) computes: such a call stays."""
    off = lambda v: math.nextafter(math.log(v), math.inf)  # noqa: E731
    monkeypatch.setitem(constfold._LIBM, "log", off)
    assert constfold.fold_value("log", [2.0]) is None
    assert constfold.fold_value("exp", [1.0]) == math.exp(1.0)


def test_rounded_constants_of_fold_egg_are_correctly_rounded() -> None:
    text = FOLD_EGG.read_text()
    found = re.findall(r"\(Rounded ([0-9.e+-]+) ([45]) ([0-9.]+) 0\.0\)", text)
    assert {code for _, code, _ in found} == {"4", "5"}
    with mpmath.workprec(200):
        for value, code, base in found:
            log = mpmath.log(mpmath.mpf(base))
            assert float(value) == float(log if code == "4" else 1 / log), (value, code)


def test_negated_literal_is_free_in_extraction() -> None:
    """The e-graph charged ``(Neg (Num 2))`` a negation; the IR (``dag_cost``) and emitted code
    treat ``-2`` as a free literal. Now both agree: ``-2*x`` (1 cycle), not ``-(x + x)`` (2)."""
    out = _simplify("ceil(-2)*x", verify=False)
    assert to_sym(out) == "-2*x" and COSTS.dag_cost([out]) == 1
    # A sum with a negative literal prints as a subtraction (same IEEE result).
    assert "+ (-" not in to_sym(_simplify("1/(x + 1) - 2/x + 1/(x - 1)"))


def _ulps(value: float, exact: mpmath.mpf) -> float:
    return float(abs(mpmath.mpf(value) - exact)) / math.ulp(float(exact))


def _double(term: Term, point: dict[str, float]) -> float:
    import numpy as np

    from symopt.verify.evaluate import evaluate

    env = {Sym(k): np.array([v]) for k, v in point.items()}
    return float(evaluate([term], env)[0][0])


@pytest.mark.parametrize(
    ("text", "points", "bound"),
    [
        # log10 near 1 (log's own cancellation), tiny and huge arguments: log(x)*0.434… is
        # within a few ulps, like glibc's log10.
        ("log10(x)", [1 + 2.0**-40, 1 - 2.0**-30, 1e-300, 3.7, 1e300], 3.0),
        # tanh by definition at small |x| cancels in the input too: the extra rounding of
        # 1/exp(x) adds at most about an ulp of exp(x) to the numerator.
        ("(exp(x) - exp(-x))/(exp(x) + exp(-x))", [1e-6, 0.3, -2.5, 20.0], None),
    ],
    ids=["log10", "tanh"],
)
def test_accuracy_at_hard_points(text: str, points: list[float], bound: float | None) -> None:
    term = parse_expr(text)
    out = _simplify(text)
    assert out != term
    for x in points:
        exact = real_value(term, {"x": x}, 300)
        assert exact is not None
        err_in, err_out = (
            _ulps(_double(term, {"x": x}), exact),
            _ulps(_double(out, {"x": x}), exact),
        )
        limit = bound if bound is not None else err_in + 3.0 / abs(math.tanh(x))
        assert err_out <= max(limit, err_in), (to_sym(out), x, err_in, err_out)


def test_exp10_error_grows_with_the_exponent_only() -> None:
    """``10^y`` as ``exp(y*2.302585092994046)``: the relative error is about ``|y*ln 10|``
    ulps (the rounding of the product, amplified by exp), the bound the rule documents."""
    term = parse_expr("10^(a - b)")
    out = _simplify("10^(a - b)")
    assert "exp" in to_sym(out)
    for y in (-300.5, -12.25, -0.7, 0.001, 3.3, 42.0, 307.9):
        point = {"a": y, "b": 0.0}
        exact = real_value(term, point, 300)
        assert exact is not None
        assert _ulps(_double(out, point), exact) <= abs(y) * math.log(10) + 2, y


def test_exp_neg_only_where_exp_is_shared() -> None:
    """``exp(-x) → 1/exp(x)`` is guarded by ``exp-shared``: alone it would only grow the
    e-graph (a sample's ``exp(-k*t)*exp(k*t0)/(…)`` hit the node limit without the guard)."""
    assert to_sym(_simplify("exp(-x)*y")) == "exp(-x)*y"
    assert to_sym(_simplify("exp(x) - exp(-x)")) == "exp(x) - 1/exp(x)"
