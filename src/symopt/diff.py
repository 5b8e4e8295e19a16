"""Symbolic differentiation of IR terms with respect to the entries ``u[i]`` of an input array.

Iterative (models nest far past Python's recursion limit) and hash-consed: every node built goes
through one table seeded with the input's own nodes, so a subterm shared by several outputs, or
by an output and its derivative, is one object. Construction simplifies locally: ``0`` and ``1``
are absorbed (``d(x*c) = c``), constants fold, and a derivative that is zero is never built, so
no ``0*…`` term appears.

Rules away from the textbook ones (``t`` the term, ``a``/``b`` its arguments, ``'`` the
derivative): ``sqrt' = a'/(2 t)``, ``tan' = (1 + t*t) a'``, ``tanh' = (1 - t*t) a'``,
``exp' = t a'`` (the node itself is reused). The non-differentiable functions get their
almost-everywhere derivative:

* ``floor``, ``ceil``: 0 (their jumps are ignored);
* ``abs``: ``sign(a) a'`` with ``sign(a) = a / max(|a|, DBL_MIN)``: exactly -1 or 1 for normal
  ``a``, 0 at ``a = 0`` (and of magnitude below 1 for subnormal ``a``);
* ``min``/``max``: the derivative of the selected argument, written branch-free as
  ``(a' + b' -/+ sign(a - b) (a' - b')) / 2`` (the mean of both at a tie).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence

from symopt.gcpause import paused_gc
from symopt.ir import App, Num, Sym, Term, postorder

DBL_MIN = sys.float_info.min

_ZERO = Num(0.0)
_ONE = Num(1.0)


def is_zero(t: Term) -> bool:
    return isinstance(t, Num) and t.value == 0.0


def _is_one(t: Term) -> bool:
    return isinstance(t, Num) and t.value == 1.0


class Builder:
    """Builds simplified, hash-consed terms; ``seed`` registers existing nodes for sharing."""

    def __init__(self, seed: Sequence[Term] = ()) -> None:
        self.table: dict[Term, Term] = {}
        for t in postorder(list(seed)):
            self.table.setdefault(t, t)

    def num(self, value: float) -> Term:
        return self._intern(Num(value))

    def _intern(self, t: Term) -> Term:
        return self.table.setdefault(t, t)

    def app(self, op: str, *args: Term) -> Term:
        return self._intern(App(op, args))

    def add(self, a: Term, b: Term) -> Term:
        if is_zero(a):
            return b
        if is_zero(b):
            return a
        if isinstance(a, Num) and isinstance(b, Num):
            return self.num(a.value + b.value)
        if isinstance(b, App) and b.op == "neg":
            return self.sub(a, b.args[0])
        return self.app("add", a, b)

    def sub(self, a: Term, b: Term) -> Term:
        if is_zero(b):
            return a
        if is_zero(a):
            return self.neg(b)
        if isinstance(a, Num) and isinstance(b, Num):
            return self.num(a.value - b.value)
        if isinstance(b, App) and b.op == "neg":
            return self.add(a, b.args[0])
        return self.app("sub", a, b)

    def neg(self, a: Term) -> Term:
        if isinstance(a, Num):
            return self.num(-a.value)
        if isinstance(a, App) and a.op == "neg":
            return a.args[0]
        return self.app("neg", a)

    def mul(self, a: Term, b: Term) -> Term:
        if is_zero(a) or is_zero(b):
            return _ZERO
        if _is_one(a):
            return b
        if _is_one(b):
            return a
        if isinstance(a, Num) and isinstance(b, Num):
            return self.num(a.value * b.value)
        if isinstance(a, Num) and a.value == -1.0:
            return self.neg(b)
        if isinstance(b, Num) and b.value == -1.0:
            return self.neg(a)
        if isinstance(a, App) and a.op == "neg":
            return self.neg(self.mul(a.args[0], b))
        if isinstance(b, App) and b.op == "neg":
            return self.neg(self.mul(a, b.args[0]))
        if isinstance(b, Num):  # constants first: c*x
            a, b = b, a
        return self.app("mul", a, b)

    def div(self, a: Term, b: Term) -> Term:
        if is_zero(a):
            return _ZERO
        if _is_one(b):
            return a
        if isinstance(a, App) and a.op == "neg":
            return self.neg(self.div(a.args[0], b))
        return self.app("div", a, b)

    def pow_const(self, a: Term, c: float) -> Term:
        if c == 0.0:
            return _ONE
        if c == 1.0:
            return a
        return self.app("pow", a, self.num(c))

    def sign(self, a: Term) -> Term:
        """``a / max(|a|, DBL_MIN)``: -1, 0 or 1 (see the module docstring)."""
        return self.div(a, self.app("max", self.app("abs", a), self.num(DBL_MIN)))


def _local(b: Builder, t: App, d: list[Term]) -> Term:
    """The derivative of ``t`` given its arguments' derivatives ``d`` (zeros are Num(0))."""
    op, args = t.op, t.args
    a = args[0]
    da = d[0]
    if op == "add":
        return b.add(da, d[1])
    if op == "sub":
        return b.sub(da, d[1])
    if op == "neg":
        return b.neg(da)
    if op == "mul":
        return b.add(b.mul(da, args[1]), b.mul(a, d[1]))
    if op == "div":  # (a' - t b') / b
        return b.div(b.sub(da, b.mul(t, d[1])), args[1])
    if op == "pow":
        return _pow(b, t, d)
    if op == "fma":
        return b.add(b.add(b.mul(da, args[1]), b.mul(a, d[1])), d[2])
    if op == "atan2":  # (x y' - y x') / (x^2 + y^2)
        y, x = args
        den = b.add(b.mul(x, x), b.mul(y, y))
        return b.div(b.sub(b.mul(x, da), b.mul(y, d[1])), den)
    if op == "hypot":
        return b.div(b.add(b.mul(a, da), b.mul(args[1], d[1])), t)
    if op in ("min", "max"):
        total = b.add(da, d[1])
        swing = b.mul(b.sign(b.sub(a, args[1])), b.sub(da, d[1]))
        both = b.sub(total, swing) if op == "min" else b.add(total, swing)
        return b.mul(b.num(0.5), both)
    return b.mul(_unary(b, t, a), da)


def _pow(b: Builder, t: App, d: list[Term]) -> Term:
    base, expo = t.args
    dbase, dexpo = d
    out: Term = _ZERO
    if not is_zero(dbase):
        if isinstance(expo, Num):
            factor = b.mul(expo, b.pow_const(base, expo.value - 1.0))
        else:  # expo * base^(expo - 1)
            factor = b.mul(expo, b.app("pow", base, b.sub(expo, _ONE)))
        out = b.mul(factor, dbase)
    if not is_zero(dexpo):
        out = b.add(out, b.mul(b.mul(t, b.app("log", base)), dexpo))
    return out


def _unary(b: Builder, t: App, a: Term) -> Term:
    """f'(a) for a one-argument function ``t = f(a)``."""
    op = t.op
    one = _ONE
    if op == "sin":
        return b.app("cos", a)
    if op == "cos":
        return b.neg(b.app("sin", a))
    if op == "tan":
        return b.add(one, b.mul(t, t))
    if op in ("asin", "acos"):
        inv = b.div(one, b.app("sqrt", b.sub(one, b.mul(a, a))))
        return inv if op == "asin" else b.neg(inv)
    if op == "atan":
        return b.div(one, b.add(one, b.mul(a, a)))
    if op == "sinh":
        return b.app("cosh", a)
    if op == "cosh":
        return b.app("sinh", a)
    if op == "tanh":
        return b.sub(one, b.mul(t, t))
    if op == "exp":
        return t
    if op == "expm1":
        return b.add(t, one)
    if op == "log":
        return b.div(one, a)
    if op == "log1p":
        return b.div(one, b.add(one, a))
    if op == "log2":
        return b.div(one, b.mul(b.num(math.log(2.0)), a))
    if op == "log10":
        return b.div(one, b.mul(b.num(math.log(10.0)), a))
    if op == "sqrt":
        return b.div(one, b.mul(b.num(2.0), t))
    if op == "cbrt":
        return b.div(one, b.mul(b.num(3.0), b.mul(t, t)))
    if op == "abs":
        return b.sign(a)
    if op in ("floor", "ceil"):
        return _ZERO
    raise ValueError(f"cannot differentiate {op!r}")


def reads(roots: Sequence[Term], array: str) -> dict[int, int]:
    """For every node (by id) under ``roots``: the indices ``i`` of the ``array[i]`` it reads, as
    a bit mask (bit ``i`` set; integers union fast along long sums)."""
    out: dict[int, int] = {}
    for t in postorder(list(roots)):
        if isinstance(t, App):
            mask = 0
            for a in t.args:
                mask |= out[id(a)]
            out[id(t)] = mask
        elif isinstance(t, Sym) and t.name == array and t.index is not None:
            out[id(t)] = 1 << t.index
        else:
            out[id(t)] = 0
    return out


def bits(mask: int) -> list[int]:
    """The indices of the set bits of ``mask``, increasing."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


_LINEAR = ("add", "sub", "neg")


class _Sums:
    """Sums (maximal ``add``/``sub``/``neg`` regions) flattened to their summands, indexed by
    the array entries each summand reads, so that the derivative of a long sum by ``u[i]``
    costs the summands that read ``u[i]``, not the length of the sum."""

    def __init__(self, dep: dict[int, int]) -> None:
        self.dep = dep
        self.cache: dict[int, dict[int, list[tuple[float, Term]]]] = {}

    def by_column(self, root: App) -> dict[int, list[tuple[float, Term]]]:
        found = self.cache.get(id(root))
        if found is None:
            found = {}
            for coef, term in _summands(root):
                for i in bits(self.dep[id(term)]):
                    found.setdefault(i, []).append((coef, term))
            self.cache[id(root)] = found
        return found


def _summands(root: App) -> list[tuple[float, Term]]:
    """``root`` as ``sum(coef * term)`` over non-linear terms, coefficients propagated through
    the region in topological order (linear in its size even where it is a DAG)."""
    order = [t for t in postorder([root], _outside(root)) if _is_linear(t)]
    coef: dict[int, float] = {id(root): 1.0}
    leaves: dict[int, tuple[float, Term]] = {}
    for t in reversed(order):
        assert isinstance(t, App)
        c = coef.pop(id(t), 0.0)
        signs = (-1.0,) if t.op == "neg" else (1.0, -1.0 if t.op == "sub" else 1.0)
        for a, sign in zip(t.args, signs, strict=True):
            if _is_linear(a):
                coef[id(a)] = coef.get(id(a), 0.0) + sign * c
            else:
                old = leaves.get(id(a), (0.0, a))[0]
                leaves[id(a)] = (old + sign * c, a)
    return [(c, t) for c, t in leaves.values() if c != 0.0]


def _is_linear(t: Term) -> bool:
    return isinstance(t, App) and t.op in _LINEAR


def _outside(root: App) -> set[int]:
    """Ids of the nodes directly below the linear region of ``root`` (postorder stops there)."""
    return {id(t) for t in _below(root)}


def _below(root: App) -> list[Term]:
    out: list[Term] = []
    seen: set[int] = set()
    stack: list[Term] = [root]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if _is_linear(t):
            assert isinstance(t, App)
            stack.extend(t.args)
        else:
            out.append(t)
    return out


def derivatives(
    roots: Sequence[Term], array: str, builder: Builder | None = None
) -> list[dict[int, Term]]:
    """Per root, its nonzero derivatives ``{i: d root / d array[i]}``, by index.

    Only the entries a root reads are differentiated (the sparsity pattern); an entry whose
    derivative simplifies to the constant 0 (through ``floor``, say) is left out. A sum is
    differentiated summand by summand, only over the summands that read the entry.
    """
    b = builder or Builder(roots)
    dep = reads(roots, array)
    sums = _Sums(dep)
    columns: dict[int, list[int]] = {}
    for k, r in enumerate(roots):
        for i in bits(dep[id(r)]):
            columns.setdefault(i, []).append(k)
    out: list[dict[int, Term]] = [{} for _ in roots]
    with paused_gc():
        for i in sorted(columns):
            memo = _column(b, [roots[k] for k in columns[i]], array, i, dep, sums)
            for k in columns[i]:
                d = memo[id(roots[k])]
                if not is_zero(d):
                    out[k][i] = d
    return out


def _column(
    b: Builder,
    roots: list[Term],
    array: str,
    i: int,
    dep: dict[int, int],
    sums: _Sums,
) -> dict[int, Term]:
    """``d node / d array[i]`` for every node under ``roots`` that reads ``array[i]`` (iterative
    postorder, pruned at subterms that don't read it; sums by their summands)."""
    memo: dict[int, Term] = {}
    stack: list[tuple[Term, bool]] = [(r, False) for r in roots]
    while stack:
        t, expanded = stack.pop()
        if id(t) in memo:
            continue
        if isinstance(t, Sym):
            memo[id(t)] = _ONE if t.name == array and t.index == i else _ZERO
            continue
        if not isinstance(t, App) or not dep[id(t)] >> i & 1:
            memo[id(t)] = _ZERO
            continue
        linear = t.op in _LINEAR
        parts = sums.by_column(t).get(i, []) if linear else None
        if not expanded:
            stack.append((t, True))
            kids = [term for _, term in parts] if parts is not None else t.args
            stack.extend((a, False) for a in kids if id(a) not in memo)
            continue
        if parts is None:
            memo[id(t)] = _local(b, t, [memo[id(a)] for a in t.args])
            continue
        total: Term = _ZERO
        for coef, term in parts:
            total = b.add(total, b.mul(b.num(coef), memo[id(term)]))
        memo[id(t)] = total
    return memo
