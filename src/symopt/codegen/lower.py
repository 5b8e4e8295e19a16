"""Lowering integer powers to multiplications (binary exponentiation)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from symopt.costs import CostTable, load_cost_table
from symopt.ir import App, Num, Term, postorder

MAX_EXPONENT = 64
"""Largest ``|n|`` lowered; beyond it ``pow`` stays a call."""


@cache
def default_costs() -> CostTable:
    """The built-in ``throughput`` table, used when no table is given."""
    return load_cost_table("throughput")


def integer_exponent(term: Term) -> int | None:
    """The exponent as an int when it is an integer-valued number (``3`` or ``-3``), else None."""
    sign = 1
    if isinstance(term, App) and term.op == "neg" and isinstance(term.args[0], Num):
        sign, term = -1, term.args[0]
    if not isinstance(term, Num) or not term.value.is_integer():  # nan/inf are not integers
        return None
    return sign * int(term.value)


def multiplications(n: int) -> int:
    """Multiplications binary exponentiation needs for ``x**n`` (``n >= 1``)."""
    return n.bit_length() - 1 + n.bit_count() - 1


def power_by_squaring(x: Term, n: int) -> Term:
    """``x**n`` (``n >= 1``) as products of ``x``, ``x2 = x*x``, ``x4 = x2*x2``, ... ."""
    squares = [x]
    while 1 << len(squares) <= n:
        squares.append(App("mul", (squares[-1], squares[-1])))
    result: Term | None = None
    for k in reversed(range(len(squares))):
        if n >> k & 1:
            result = squares[k] if result is None else App("mul", (result, squares[k]))
    assert result is not None
    return result


def _lower(base: Term, n: int, costs: CostTable) -> Term | None:
    if n == 1:
        return base
    if n == 0 or abs(n) > MAX_EXPONENT:
        return None  # pow(x, 0) is 1 even for NaN x: keep the call
    cost = multiplications(abs(n)) * costs.op("mul") + (costs.op("div") if n < 0 else 0.0)
    if cost >= costs.op("pow"):
        return None
    power = power_by_squaring(base, abs(n))
    return App("div", (Num(1.0), power)) if n < 0 else power


def lower_powers(term: Term, costs: CostTable | None = None) -> Term:
    """Replace ``pow(x, n)`` for integer ``n`` by multiplications where the cost table says so.

    ``pow(x, 1)`` becomes ``x``; ``pow(x, n)`` with ``1 <= |n| <= 64`` becomes a product chain
    (``1.0/(...)`` for negative ``n``) when ``mults * mul (+ div)`` is cheaper than ``pow``;
    ``pow(x, 0)`` is kept. Exponents written ``-3`` (``neg(3)``) count as integers too.
    """
    return lower_all([term], costs)[0]


def lower_all(terms: Sequence[Term], costs: CostTable | None = None) -> list[Term]:
    """:func:`lower_powers` of each term, in one walk of their shared DAG (linear when the
    terms share subterms, as a model's statements do)."""
    costs = costs or default_costs()
    done: dict[int, Term] = {}
    for t in postorder(list(terms)):
        new = t
        if isinstance(t, App):
            args = tuple(done[id(a)] for a in t.args)
            if any(a is not b for a, b in zip(args, t.args, strict=True)):
                new = App(t.op, args, t.span)
            if t.op == "pow":
                n = integer_exponent(args[1])
                lowered = None if n is None else _lower(args[0], n, costs)
                new = new if lowered is None else lowered
        done[id(t)] = new
    return [done[id(t)] for t in terms]
