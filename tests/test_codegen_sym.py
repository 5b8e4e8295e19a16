"""Property: the ``sym`` printer's output re-parses to the same term (same structure and value)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from symopt.codegen import to_sym
from symopt.grammar import parse_expr
from symopt.ir import OPERATORS, App, Num, Sym, Term, postorder

_NAMES = ["x", "y", "sin", "pow", "E"]  # `e` and `pi` are constants (docs/language.md)


def canonical(term: Term) -> Term:
    """Fold ``neg(number)`` into a negative number: ``-3`` parses as ``neg(3)``."""
    done: dict[int, Term] = {}
    for t in postorder([term]):
        if isinstance(t, App):
            args = tuple(done[id(a)] for a in t.args)
            if t.op == "neg" and isinstance(args[0], Num):
                done[id(t)] = Num(-args[0].value)
            else:
                done[id(t)] = App(t.op, args)
        else:
            done[id(t)] = t
    return done[id(term)]


numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**60), 2**60).map(float),
    st.sampled_from([0.0, -0.0, 0.5, -2.0, 1e-05, 2.0**53, 1e300, 5e-324]),
).map(Num)
symbols = st.one_of(
    st.sampled_from(_NAMES).map(Sym),
    st.tuples(st.sampled_from(["u", "du"]), st.integers(0, 99)).map(lambda p: Sym(*p)),
)


def _apps(children: st.SearchStrategy[Term]) -> st.SearchStrategy[Term]:
    return st.sampled_from(sorted(OPERATORS)).flatmap(
        lambda op: st.tuples(*[children] * OPERATORS[op]).map(lambda args: App(op, args))
    )


terms = st.recursive(st.one_of(numbers, symbols), _apps, max_leaves=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(terms)
def test_sym_round_trips(term: Term) -> None:
    text = to_sym(term)
    assert canonical(parse_expr(text)) == canonical(term), text


def _value(term: Term) -> float:
    """Evaluate a constant term (numbers, ``neg``, ``mul`` only)."""
    if isinstance(term, Num):
        return term.value
    assert isinstance(term, App)
    args = [_value(a) for a in term.args]
    return -args[0] if term.op == "neg" else args[0] * args[1]


def test_non_finite_numbers_round_trip_by_value() -> None:
    for value in (math.inf, -math.inf):
        assert _value(parse_expr(to_sym(Num(value)))) == value
    assert math.isnan(_value(parse_expr(to_sym(Num(math.nan)))))
    back = parse_expr(to_sym(App("pow", (Sym("x"), Num(math.inf)))))
    assert isinstance(back, App) and back.args[0] == Sym("x")
