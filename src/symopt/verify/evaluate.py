"""Vectorised numpy evaluation of term DAGs, with a first-order error scale per node.

Every node is evaluated once at all N sample points (one numpy call per node, iterative postorder,
so deep terms are fine). Intermediate arrays are dropped as soon as their last parent is done, so
memory follows the DAG's width, not its size. Domain errors give nan/inf, never warnings.

Semantics follow C's libm: ``min``/``max`` are ``fmin``/``fmax`` (a nan argument is ignored),
``pow`` of a negative base with a non-integer exponent is nan, ``fma(a, b, c)`` is ``a*b + c``
(unfused: the difference is far below any tolerance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symopt.gcpause import paused_gc
from symopt.ir import OPERATORS, App, Num, PVar, Sym, Term

Array = np.ndarray
ScaleFn = Callable[[Array, list[Array], list[Array]], Array]

_TWO_PI = 2.0 * math.pi


def _fma(a: Array, b: Array, c: Array) -> Array:
    return a * b + c


_VALUE: dict[str, Callable[..., Array]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "neg": np.negative,
    "pow": np.power,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "cbrt": np.cbrt,
    "abs": np.abs,
    "floor": np.floor,
    "ceil": np.ceil,
    "atan2": np.arctan2,
    "hypot": np.hypot,
    "min": np.fmin,
    "max": np.fmax,
    "fma": _fma,
}
_ARITY = {op: k for op, k in OPERATORS.items() if op in _VALUE}


def _jump(x: Array, v: Array) -> Array:
    """Surrogate derivative of floor/ceil: 1/distance to the nearest jump (an integer).

    Its contribution to the tolerance, ``rtol * s / dist``, reaches the jump height 1 exactly when
    the input's own uncertainty ``rtol * s`` reaches the integer, so a flip across an integer is
    tolerated only where the input is that uncertain; elsewhere it stays far below 1.
    """
    return 1.0 / np.abs(x - np.rint(x))


# |f'(x)| given the argument x and the value v = f(x) (the absolute value is taken by the caller).
_DERIVATIVE: dict[str, Callable[[Array, Array], Array]] = {
    "sin": lambda x, v: np.cos(x),
    "cos": lambda x, v: np.sin(x),
    "tan": lambda x, v: 1.0 + v * v,
    "asin": lambda x, v: 1.0 / np.sqrt(1.0 - x * x),
    "acos": lambda x, v: 1.0 / np.sqrt(1.0 - x * x),
    "atan": lambda x, v: 1.0 / (1.0 + x * x),
    "sinh": lambda x, v: np.cosh(x),
    "cosh": lambda x, v: np.sinh(x),
    "tanh": lambda x, v: 1.0 - v * v,
    "exp": lambda x, v: v,
    "expm1": lambda x, v: v + 1.0,
    "log": lambda x, v: 1.0 / x,
    "log1p": lambda x, v: 1.0 / (1.0 + x),
    "log2": lambda x, v: 1.0 / (x * math.log(2.0)),
    "log10": lambda x, v: 1.0 / (x * math.log(10.0)),
    "sqrt": lambda x, v: 0.5 / v,
    "cbrt": lambda x, v: 1.0 / (3.0 * v * v),
    "abs": lambda x, v: np.ones_like(x),
    "floor": _jump,
    "ceil": _jump,
}


def _times_scale(d: Array, s: Array) -> Array:
    """``|d| * s``, with an exact input (``s == 0``) contributing 0 even where ``d`` is infinite."""
    return np.where(s == 0.0, 0.0, np.abs(d) * s)


def _unary_scale(deriv: Callable[[Array, Array], Array]) -> ScaleFn:
    def scale(v: Array, a: list[Array], s: list[Array]) -> Array:
        return np.abs(v) + _times_scale(deriv(a[0], v), s[0])

    return scale


def _div_scale(v: Array, a: list[Array], s: list[Array]) -> Array:
    # scale(a)/|b| + |a/b| * scale(b)/|b|
    return (s[0] + np.abs(v) * s[1]) / np.abs(a[1])


def _pow_scale(v: Array, a: list[Array], s: list[Array]) -> Array:
    # |a^b| + |b| * |a|^(b-1) * scale(a) + |a^b| * |log|a|| * scale(b); the first-order terms are
    # written so that a == 0 needs no special case (|a|^(b-1) is 0, 1 or inf there).
    base, expo = a
    absv = np.abs(v)
    d_base = np.abs(expo) * np.power(np.abs(base), expo - 1.0)
    d_expo = absv * np.abs(np.log(np.abs(base)))
    return absv + _times_scale(d_base, s[0]) + _times_scale(d_expo, s[1])


def _atan2_scale(v: Array, a: list[Array], s: list[Array]) -> Array:
    y, x = a
    sy, sx = s
    r2 = x * x + y * y
    first = (np.abs(x) * sy + np.abs(y) * sx) / r2
    # Across the negative x axis atan2 jumps by 2*pi when y changes sign (same trick as floor).
    cut = np.where(x < 0.0, _times_scale(_TWO_PI / y, sy), 0.0)
    return np.abs(v) + first + cut


def _hypot_scale(v: Array, a: list[Array], s: list[Array]) -> Array:
    first = (np.abs(a[0]) * s[0] + np.abs(a[1]) * s[1]) / v
    return np.abs(v) + np.where(v == 0.0, s[0] + s[1], first)


def _minmax_scale(v: Array, a: list[Array], s: list[Array]) -> Array:
    # The result moves by at most the larger of the two arguments' errors; if one argument is not
    # finite, only the selected one matters.
    chosen = np.where(v == a[0], s[0], s[1])
    both = np.isfinite(a[0]) & np.isfinite(a[1])
    return np.where(both, np.fmax(s[0], s[1]), chosen)


_SCALE: dict[str, ScaleFn] = {
    "add": lambda v, a, s: s[0] + s[1],
    "sub": lambda v, a, s: s[0] + s[1],
    "mul": lambda v, a, s: s[0] * s[1],
    "div": _div_scale,
    "neg": lambda v, a, s: s[0],
    "pow": _pow_scale,
    "atan2": _atan2_scale,
    "hypot": _hypot_scale,
    "min": _minmax_scale,
    "max": _minmax_scale,
    "fma": lambda v, a, s: s[0] * s[1] + s[2],
    **{op: _unary_scale(d) for op, d in _DERIVATIVE.items()},
}


@dataclass(frozen=True, slots=True)
class Program:
    """A term list flattened to straight-line code over distinct (hash-consed) nodes.

    Instruction ``i`` is a leaf (``ops[i]`` is the :class:`Num` or :class:`Sym`, ``args[i]`` empty)
    or an operator name applied to earlier instructions ``args[i]``; ``roots[j]`` is the
    instruction computing term ``j``. Structurally equal subterms share one instruction, exactly
    as after :func:`symopt.ir.intern`, but no term is rebuilt.
    """

    ops: list[str | Term]
    args: list[tuple[int, ...]]
    roots: list[int]

    def symbols(self) -> list[Sym]:
        """Distinct symbols in order of first appearance (left to right, depth first)."""
        return [op for op in self.ops if isinstance(op, Sym)]


def compile_terms(terms: Iterable[Term]) -> Program:
    """Flatten ``terms`` into a :class:`Program` (iterative; ValueError on PVar/unknown ops)."""
    roots = list(terms)
    slot_of: dict[int, int] = {}  # id(term) -> instruction
    canon: dict[object, int] = {}  # structural key -> instruction
    ops: list[str | Term] = []
    args: list[tuple[int, ...]] = []
    stack: list[Term] = roots[::-1]
    expanded: set[int] = set()
    arity = _ARITY
    with paused_gc():
        while stack:
            t = stack.pop()
            tid = id(t)
            if tid in slot_of:
                continue
            key: object
            op: str | Term
            if type(t) is App:
                targs = t.args
                if tid not in expanded:  # first visit: children first
                    expanded.add(tid)
                    stack.append(t)
                    stack.extend([c for c in reversed(targs) if id(c) not in slot_of])
                    continue
                op = t.op
                if arity.get(op) != len(targs):
                    if op not in arity:
                        raise ValueError(f"unknown operator {op!r}")
                    raise ValueError(f"{op} takes {arity[op]} arguments, got {len(targs)}")
                if len(targs) == 2:
                    operands: tuple[int, ...] = (slot_of[id(targs[0])], slot_of[id(targs[1])])
                else:
                    operands = tuple([slot_of[id(c)] for c in targs])
                key = (op, operands)
            elif isinstance(t, Num | Sym):
                key = t
                op = t
                operands = ()
            elif isinstance(t, PVar):
                raise ValueError(f"pattern variable ?{t.name} cannot be evaluated")
            else:
                raise ValueError(f"cannot evaluate {t!r}")
            slot = canon.get(key)
            if slot is None:
                slot = canon[key] = len(ops)
                ops.append(op)
                args.append(operands)
            slot_of[tid] = slot
    return Program(ops, args, [slot_of[id(r)] for r in roots])


def env_size(env: Mapping[Sym, np.ndarray]) -> int:
    """The common length N of the arrays of ``env`` (1 if empty); ValueError if they differ."""
    sizes = {np.shape(v) for v in env.values()}
    if not sizes:
        return 1
    if len(sizes) > 1 or len(next(iter(sizes))) != 1:
        raise ValueError(f"environment arrays must all have the same shape (N,), got {sizes}")
    return next(iter(sizes))[0]


def run(
    program: Program, env: Mapping[Sym, np.ndarray], n: int, *, with_scale: bool
) -> tuple[list[Array], list[Array] | None]:
    """Evaluate ``program`` at ``n`` points: root values and, if asked, root error scales."""
    values: list[Array | None] = [None] * len(program.roots)
    scales: list[Array | None] = [None] * len(program.roots)

    def keep(j: int, value: Array, scale: Array | None) -> None:
        values[j], scales[j] = value, scale

    stream(program, env, n, keep, with_scale=with_scale)
    return values, (scales if with_scale else None)  # type: ignore[return-value]


RootFn = Callable[[int, Array, "Array | None"], None]
"""Called with ``(j, value, scale)`` as soon as root ``j`` is computed (``scale`` ``None``
without error scales)."""


def stream(
    program: Program,
    env: Mapping[Sym, np.ndarray],
    n: int,
    on_root: RootFn,
    *,
    with_scale: bool,
) -> None:
    """Evaluate ``program`` at ``n`` points, handing each root's value (and error scale) to
    ``on_root`` when it is computed.

    An array is dropped once its last user is done (a root's once ``on_root`` returned, unless
    a later instruction uses it), so memory follows the DAG's width rather than its size.
    """
    ops, args = program.ops, program.args
    uses = [0] * len(ops)
    for operands in args:
        for c in operands:
            uses[c] += 1
    roots_at: dict[int, list[int]] = {}
    for j, r in enumerate(program.roots):
        roots_at.setdefault(r, []).append(j)

    vals: list[Array | None] = [None] * len(ops)
    scales: list[Array | None] = [None] * len(ops)
    value_fns, scale_fns = _VALUE, _SCALE
    with np.errstate(all="ignore"), paused_gc():
        for i, op in enumerate(ops):
            operands = args[i]
            if operands:
                avals = [vals[c] for c in operands]
                v = value_fns[op](*avals)  # type: ignore[index]
                if with_scale:
                    scales[i] = scale_fns[op](v, avals, [scales[c] for c in operands])  # type: ignore
                for c in operands:
                    left = uses[c] - 1
                    uses[c] = left
                    if not left:
                        vals[c] = scales[c] = None
            elif isinstance(op, Num):
                v = np.full(n, op.value)
            else:
                try:
                    v = np.asarray(env[op], dtype=np.float64)  # type: ignore[index]
                except KeyError:
                    raise ValueError(f"no value for symbol {op.key}") from None  # type: ignore
            if with_scale and not operands:
                scales[i] = np.abs(v)
            for j in roots_at.get(i, ()):
                on_root(j, v, scales[i])
            if uses[i]:
                vals[i] = v
            else:
                scales[i] = None


def evaluate(terms: Sequence[Term], env: Mapping[Sym, np.ndarray]) -> list[np.ndarray]:
    """Evaluate ``terms`` at N points at once; every value of ``env`` has shape (N,).

    Shared subterms are evaluated once. Domain errors give nan/inf silently. Raises ValueError
    for a missing symbol, a pattern variable or an unknown operator.
    """
    values, _ = run(compile_terms(terms), env, env_size(env), with_scale=False)
    return values


def error_scale(terms: Sequence[Term], env: Mapping[Sym, np.ndarray]) -> list[np.ndarray]:
    """Magnitude of the summed terms behind each term's value, by first-order error propagation.

    leaf ``|v|``; add/sub ``sa + sb``; mul ``sa * sb``; div ``sa/|b| + |a/b| * sb/|b|``;
    neg ``sa``; unary f ``|f(x)| + |f'(x)| * sx``;
    pow ``|a^b| + |b| |a|^(b-1) sa + |a^b| |log|a|| sb``; binary and ternary functions alike.
    ``rtol * scale`` is then a fair tolerance: ``(1e16 + x) - 1e16`` gets a scale of about 2e16.
    A scale may be inf (ill-conditioned point) or nan (undefined).
    """
    _, scales = run(compile_terms(terms), env, env_size(env), with_scale=True)
    assert scales is not None
    return scales
