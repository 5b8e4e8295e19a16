"""Numerical test that every rule keeps the promise of its tier.

Each rule's lhs and rhs are evaluated (with :func:`symopt.verify.evaluate`, the semantics of
verification) at the same points: a grid of edge values per pattern variable — 0, -0.0, ±1,
±2, ±0.5, ±3, 1±eps, ±pi/2, ±5e-324, ±1e-300, ±1e300, ±1.7976931348623157e308, 709.8 and -745.2
(where exp over/underflows), 1e16 — plus ±inf and nan, followed by seeded random points of all
magnitudes. A guarded variable only takes values its guards allow (``positive`` v > 0,
``nonnegative`` v >= 0 (with -0.0), ``nonzero`` v != 0, ``finite``, ``integer``: finite and
integer-valued, ``literal``: finite; never nan). The grid is the full cross product up to
``max_grid`` points, else a seeded sample of it. A rule is checked once: both criteria are
symmetric, so a bidirectional rule passes or fails in both directions at once.

``exact``
    At every point, ±inf and nan included, lhs and rhs are bit-identical: ``+0.0`` and ``-0.0``
    differ, all NaNs are equal.

``algebra`` (equal over the reals on the guarded domain)
    Judged at finite inputs only (±inf and nan are not reals), in two steps.

    *In doubles*, each side is classified by its intermediate results: *out of range* if an
    operation on finite arguments overflowed (a non-finite result that is not a pole) or
    underflowed (a subnormal result other than of + - neg abs min max floor ceil, or 0 from a
    product, quotient, power or exp of nonzero values); *undefined* if an operation on finite
    arguments hit a pole (x/0, log(0), log1p(-1), pow(0, y < 0)) or a domain error (a nan:
    sqrt(-1), 0/0, …). Both undefined passes; otherwise the values must agree: both nan, the
    same infinity, or both finite within ``rtol * max(scale(lhs), scale(rhs)) + atol`` (scale:
    :func:`symopt.verify.error_scale`).

    *Over the reals*, where doubles blur the answer: up to :data:`REAL_POINTS` points — first
    those the double step failed, then those where a side left the double range (skipped by
    the double step: reassociating ``(a*b)*c`` necessarily moves overflow around), then those
    where the sides differ by rounding — are evaluated with mpmath at a precision fitted to the
    magnitudes (:mod:`symopt.rulesets.check_real`): the sides must be the same real number, or
    both undefined. This verdict replaces the double one at those points, so a rule false by
    a relative 1e-12 (inside ``rtol``) fails, and a true one whose doubles overflow is judged.
    So ``x/x → 1`` fails at x = 0 (lhs undefined, rhs 1). The sign of a zero is ignored.

``fast``
    Not checked numerically (reported as unchecked): it may change results and the domain.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from symopt.ir import App, PVar, Sym, Term, postorder, substitute, symbols
from symopt.rulesets.check_real import OutOfScopeError, real_disagreement
from symopt.rulesets.rule import Rule, Ruleset
from symopt.verify.evaluate import error_scale, evaluate

_EPS = sys.float_info.epsilon
_MAX = sys.float_info.max
_TINY = sys.float_info.min
EDGE_VALUES: tuple[float, ...] = (
    0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0,
    1.0 + _EPS, 1.0 - _EPS / 2, -1.0 - _EPS, -1.0 + _EPS / 2, math.pi / 2, -math.pi / 2,
    5e-324, -5e-324, 1e-300, -1e-300, 1e300, -1e300, _MAX, -_MAX, 709.8, -745.2, 1e16,
)  # fmt: skip
"""Finite values every (allowed) pattern variable takes, simplest first."""
NONFINITE_VALUES: tuple[float, ...] = (math.inf, -math.inf, math.nan)
"""Added to the edge values for ``exact`` rules."""

RTOL = 1e-9
ATOL = 1e-300
REAL_POINTS = 128
"""At most this many points per algebra rule are judged over the reals (mpmath)."""

_GUARD_TEST: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "positive": lambda v: v > 0,
    "nonnegative": lambda v: v >= 0,
    "nonzero": lambda v: (v != 0) & ~np.isnan(v),
    "finite": np.isfinite,
    "integer": lambda v: np.isfinite(v) & (np.floor(v) == v),
    "literal": np.isfinite,
    "exp-shared": np.isfinite,  # structural (exp of the class is in the e-graph), any value
}
_EXACT_SUBNORMAL = frozenset({"add", "sub", "neg", "abs", "min", "max", "floor", "ceil"})


@dataclass(frozen=True)
class Counterexample:
    """A point where a rule breaks its tier: pattern-variable values and both sides' results."""

    point: dict[str, float]
    lhs: float
    rhs: float

    def __str__(self) -> str:
        at = ", ".join(f"{k}={format_value(v)}" for k, v in self.point.items())
        return f"at {at or 'any point'}: lhs={format_value(self.lhs)} rhs={format_value(self.rhs)}"


@dataclass(frozen=True)
class Finding:
    """The verdict on one rule: ``pass``, ``fail`` (with a counterexample) or ``unchecked``."""

    rule: Rule
    status: str
    message: str = ""
    counterexample: Counterexample | None = None
    points: int = 0
    """Points judged (not skipped)."""
    skipped: int = 0
    """Points skipped (algebra: a side left the double range and the point was not among those
    judged over the reals)."""
    real_points: int = 0
    """Points judged over the reals in high precision (algebra)."""


def format_value(value: float) -> str:
    """Shortest round-trip text, without a trailing ``.0``: ``1``, ``-0``, ``nan``, ``1e+300``."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def as_symbols(term: Term) -> Term:
    """``term`` with each pattern variable ``?a`` replaced by a symbol named ``?a``."""
    return substitute(term, lambda t: Sym(f"?{t.name}") if isinstance(t, PVar) else None)


def _values_for(
    kinds: Sequence[str], *, finite: bool, rng: np.random.Generator, n_random: int
) -> tuple[np.ndarray, np.ndarray]:
    """Edge values and random values a variable with guards ``kinds`` may take."""
    edges = np.array(EDGE_VALUES + (() if finite else NONFINITE_VALUES))
    pool = n_random * 4
    sign = rng.choice([-1.0, 1.0], pool)
    randoms = np.concatenate(
        [
            rng.uniform(-3.0, 3.0, pool),
            sign * 10.0 ** rng.uniform(-300.0, 300.0, pool),
            sign * 10.0 ** rng.uniform(-8.0, 8.0, pool),
            np.rint(rng.uniform(-50.0, 50.0, pool)),
        ]
    )
    keep_e = np.ones(edges.shape, bool)
    keep_r = np.ones(randoms.shape, bool)
    with np.errstate(invalid="ignore"):
        for kind in kinds:
            keep_e &= _GUARD_TEST[kind](edges)
            keep_r &= _GUARD_TEST[kind](randoms)
    return edges[keep_e], rng.permutation(randoms[keep_r])


def sample_points(
    rule: Rule, *, finite: bool, max_grid: int = 32_768, n_random: int = 512, seed: int = 0
) -> dict[Sym, np.ndarray]:
    """Values (arrays of one length) per variable of ``rule`` — a pattern variable ``?a`` as the
    symbol ``?a`` (see :func:`as_symbols`), a literal symbol of a pattern as itself — within the
    rule's guards: the cross product of edge values (or a seeded sample of it), then random
    points."""
    syms = symbols([as_symbols(rule.lhs), as_symbols(rule.rhs)])
    syms.sort(key=lambda s: s.key)
    rng = np.random.default_rng(seed)
    edges: list[np.ndarray] = []
    randoms: list[np.ndarray] = []
    for sym in syms:
        kinds = [kind for var, kind in rule.guards if f"?{var}" == sym.name]
        e, r = _values_for(kinds, finite=finite, rng=rng, n_random=n_random)
        edges.append(e)
        randoms.append(r)
    total = math.prod(len(e) for e in edges)
    if total <= max_grid:
        grid = np.array(list(itertools.product(*(range(len(e)) for e in edges))), dtype=np.int64)
    else:
        flat = np.sort(rng.choice(total, max_grid, replace=False))
        grid = np.stack(np.unravel_index(flat, [len(e) for e in edges]), axis=1)
    out: dict[Sym, np.ndarray] = {}
    for k, sym in enumerate(syms):
        rand = randoms[k]
        extra = rand[np.arange(n_random) % len(rand)] if len(rand) else edges[k][:0]
        out[sym] = np.concatenate([edges[k][grid[:, k]], extra]) if grid.size else extra
    return out


def _pole(op: str, args: list[np.ndarray]) -> np.ndarray:
    """Where ``op`` is at a pole: an infinite result there is undefined, not an overflow."""
    if op == "div":
        return args[1] == 0
    if op in ("log", "log2", "log10"):
        return args[0] == 0
    if op == "log1p":
        return args[0] == -1
    if op == "pow":
        return (args[0] == 0) & (args[1] < 0)
    return np.zeros(args[0].shape, bool)


def _underflow(op: str, v: np.ndarray, args: list[np.ndarray]) -> np.ndarray:
    """Where ``op`` (on finite arguments) lost its result to underflow."""
    if op in _EXACT_SUBNORMAL:
        return np.zeros(v.shape, bool)
    out = (v != 0) & (np.abs(v) < _TINY)
    if op == "mul":
        out |= (v == 0) & (args[0] != 0) & (args[1] != 0)
    elif op in ("div", "pow"):
        out |= (v == 0) & (args[0] != 0)
    elif op == "exp":
        out |= v == 0
    elif op == "fma":
        out |= (args[0] != 0) & (args[1] != 0) & (np.abs(args[0] * args[1]) < _TINY)
    return out


def classify(term: Term, env: dict[Sym, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(value, out_of_range, undefined)`` of ``term`` at every point (see the module doc)."""
    nodes = list(postorder([term]))
    values = dict(zip(map(id, nodes), evaluate(nodes, env), strict=True))
    n = len(next(iter(values.values())))
    ranged: dict[int, np.ndarray] = {}
    undefined: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for node in nodes:
            if not isinstance(node, App):
                ranged[id(node)] = undefined[id(node)] = np.zeros(n, bool)
                continue
            v = values[id(node)]
            args = [values[id(a)] for a in node.args]
            finite_args = np.logical_and.reduce([np.isfinite(a) for a in args])
            fresh = finite_args & ~np.isfinite(v)
            overflow = fresh & np.isinf(v) & ~_pole(node.op, args)
            ranged[id(node)] = (
                np.logical_or.reduce([ranged[id(a)] for a in node.args])
                | overflow
                | (finite_args & _underflow(node.op, v, args))
            )
            undefined[id(node)] = np.logical_or.reduce([undefined[id(a)] for a in node.args]) | (
                fresh & ~overflow
            )
    return values[id(term)], ranged[id(term)], undefined[id(term)]


def _counterexample(
    index: int, env: dict[Sym, np.ndarray], lhs: np.ndarray, rhs: np.ndarray
) -> Counterexample:
    point = {s.key.removeprefix("?"): float(a[index]) for s, a in env.items()}
    return Counterexample(point, float(lhs[index]), float(rhs[index]))


def _check_exact(rule: Rule, env: dict[Sym, np.ndarray]) -> Finding:
    lhs, rhs = evaluate([as_symbols(rule.lhs), as_symbols(rule.rhs)], env)
    same = (lhs.view(np.uint64) == rhs.view(np.uint64)) | (np.isnan(lhs) & np.isnan(rhs))
    if same.all():
        return Finding(rule, "pass", points=len(same))
    worst = int(np.flatnonzero(~same)[0])
    return Finding(
        rule,
        "fail",
        "declared exact but lhs and rhs are not bit-identical",
        _counterexample(worst, env, lhs, rhs),
        points=len(same),
    )


def _real_candidates(
    bad: np.ndarray, skipped: np.ndarray, blurred: np.ndarray, cap: int, seed: int
) -> np.ndarray:
    """Up to ``cap`` point indices for the real-number check: double failures first, then
    points a side left the double range, then points where the sides differ by rounding."""
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    room = cap
    for mask in (bad, skipped & ~bad, blurred & ~bad & ~skipped):
        idx = np.flatnonzero(mask)
        if len(idx) > room:
            idx = np.sort(rng.choice(idx, room, replace=False))
        chosen.append(idx)
        room -= len(idx)
    return np.concatenate(chosen)


def _judge_over_reals(
    lhs: Term, rhs: Term, env: dict[Sym, np.ndarray], indices: np.ndarray
) -> tuple[np.ndarray, tuple[str, Counterexample] | None]:
    """Judge the points ``indices`` over the reals, in order, up to the first disagreement:
    ``(mask of the points judged, (message, counterexample) of that disagreement or None)``.
    A point out of scope (:class:`OutOfScopeError`) is not judged."""
    n = len(next(iter(env.values())))
    checked = np.zeros(n, bool)
    for i in indices:
        point = {s.key: float(a[i]) for s, a in env.items()}
        try:
            verdict = real_disagreement(lhs, rhs, point)
        except OutOfScopeError:
            continue
        checked[i] = True
        if verdict is not None:
            at = {k.removeprefix("?"): v for k, v in point.items()}
            cx = Counterexample(at, verdict.lhs, verdict.rhs)
            return checked, (f"declared algebra but {verdict.reason}", cx)
    return checked, None


def _check_algebra(rule: Rule, env: dict[Sym, np.ndarray], real_points: int, seed: int) -> Finding:
    lhs_t, rhs_t = as_symbols(rule.lhs), as_symbols(rule.rhs)
    lhs, lhs_range, lhs_undef = classify(lhs_t, env)
    rhs, rhs_range, rhs_undef = classify(rhs_t, env)
    scale_l, scale_r = error_scale([lhs_t, rhs_t], env)
    with np.errstate(all="ignore"):
        scale = np.fmax(scale_l, scale_r)
        tol = RTOL * np.where(np.isnan(scale), np.inf, scale) + ATOL
        agree = (
            (np.isnan(lhs) & np.isnan(rhs))
            | (np.isinf(lhs) & (lhs == rhs))
            | (np.isfinite(lhs) & np.isfinite(rhs) & (np.abs(lhs - rhs) <= tol))
        )
    judged = ~(lhs_range | rhs_range)
    bad = judged & ~(lhs_undef & rhs_undef) & ~agree
    identical = (lhs.view(np.uint64) == rhs.view(np.uint64)) & np.isfinite(lhs)
    real = _real_candidates(bad, ~judged, ~identical, real_points, seed)
    checked, failure = _judge_over_reals(lhs_t, rhs_t, env, real)
    if failure is not None:
        why, cx = failure
        return Finding(rule, "fail", why, cx, real_points=int(checked.sum()))
    real_count = int(checked.sum())
    points = int((judged | checked).sum())
    skipped = int((~judged & ~checked).sum())
    still_bad = bad & ~checked
    if not still_bad.any():
        return Finding(rule, "pass", points=points, skipped=skipped, real_points=real_count)
    first = int(np.flatnonzero(still_bad)[0])
    if lhs_undef[first] and not rhs_undef[first]:
        why = "rhs is defined where lhs is not (it widens the domain)"
    elif rhs_undef[first] and not lhs_undef[first]:
        why = "rhs is undefined where lhs is defined (it narrows the domain)"
    else:
        why = "lhs and rhs differ by more than rounding"
    return Finding(
        rule,
        "fail",
        f"declared algebra but {why}",
        _counterexample(first, env, lhs, rhs),
        points=points,
        skipped=skipped,
        real_points=real_count,
    )


def check_rule(
    rule: Rule,
    *,
    max_grid: int = 32_768,
    n_random: int = 512,
    seed: int = 0,
    real_points: int = REAL_POINTS,
) -> Finding:
    """Test ``rule`` against its tier at edge and random points (see the module docstring)."""
    if rule.tier == "fast":
        return Finding(rule, "unchecked", "fast tier: not checked numerically")
    exact = rule.tier == "exact"
    env = sample_points(rule, finite=not exact, max_grid=max_grid, n_random=n_random, seed=seed)
    if exact:
        return _check_exact(rule, env)
    return _check_algebra(rule, env, real_points, seed)


def check_ruleset(
    ruleset: Ruleset, *, max_grid: int = 32_768, n_random: int = 512, seed: int = 0
) -> list[Finding]:
    """One :class:`Finding` per rule of ``ruleset``, in order."""
    return [
        check_rule(rule, max_grid=max_grid, n_random=n_random, seed=seed) for rule in ruleset.rules
    ]


__all__ = [
    "EDGE_VALUES",
    "NONFINITE_VALUES",
    "Counterexample",
    "Finding",
    "as_symbols",
    "check_rule",
    "check_ruleset",
    "classify",
    "format_value",
    "sample_points",
]
