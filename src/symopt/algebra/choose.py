"""Sharing-aware choice among :class:`~symopt.algebra.factorings.Factorings` and rebuilding IR
terms.

Costs are the cycles of the adds and multiplies of the user's cost table (:class:`OpCosts`;
loads are folded), the same table the rule e-graph extracts with. A class used by several chosen
parents is computed once and kept in a temporary, which costs about one store:
``SHARE_PENALTY`` cycles. Choice starts from tree costs and is refined by amortising each shared
class over its users in the previous round; the round with the lowest true shared cost wins."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from symopt.algebra.factorings import Factorings, Way
from symopt.ir import App, Num, Sym, Term

if TYPE_CHECKING:
    from symopt.costs.table import CostTable

SHARE_PENALTY = 1.0
_ONE = (((), 1.0),)


@dataclass(frozen=True)
class OpCosts:
    """Cycles of one addition (or subtraction) and one multiplication."""

    add: float = 1.0
    mul: float = 1.0

    @classmethod
    def of(cls, table: CostTable | None) -> OpCosts:
        """The costs of ``table`` (``None``: one cycle each, as the throughput table)."""
        if table is None:
            return cls()
        return cls(add=max(table.op("add"), table.op("sub")), mul=table.op("mul"))


def _postorder(
    graph: Factorings, roots: Sequence[int], choice: dict[int, int] | None = None
) -> list[int]:
    """Classes reachable from ``roots``, children first: through every e-node, or only through
    the chosen ones."""
    order: list[int] = []
    seen: set[int] = set()
    stack: list[tuple[int, bool]] = [(r, False) for r in roots]
    while stack:
        cid, done = stack.pop()
        if done:
            order.append(cid)
            continue
        if cid in seen:
            continue
        seen.add(cid)
        stack.append((cid, True))
        ways = graph.classes[cid].ways
        for node in ways if choice is None else [ways[choice[cid]]]:
            stack.extend((c, False) for _, c in node.children if c not in seen)
    return order


def _own_cost(graph: Factorings, node: Way, ops: OpCosts) -> float:
    if node.kind == "mono":
        muls = max(0, sum(e for _, e in node.mono) - 1 + (node.coeff != 1.0) - (not node.mono))
        return muls * ops.mul
    if node.kind == "sum":
        scaled = sum(abs(s) != 1.0 for s, _ in node.children)
        return (len(node.children) - 1) * ops.add + scaled * ops.mul
    quotient = node.children[0][1]
    mul = 0.0 if graph.keys[quotient] == _ONE else ops.mul
    return mul + (len(node.children) - 1) * ops.add


def choose(
    graph: Factorings,
    roots: Sequence[int],
    rounds: int = 4,
    *,
    costs: OpCosts | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[int, int]:
    """Way index chosen per reachable class, priced with ``costs``. ``stop`` is asked between
    refinement rounds: when it says so, the best choice so far is kept (the first round always
    runs: it is linear)."""
    ops = costs or OpCosts()
    order = _postorder(graph, roots)
    # Per class, per e-node: its own cost and its child classes (the same in every round).
    options = {
        cid: [
            (_own_cost(graph, node, ops), [c for _, c in node.children])
            for node in graph.classes[cid].ways
        ]
        for cid in order
    }
    refs: Counter[int] = Counter()
    best_choice: dict[int, int] = {}
    best_cost = float("inf")
    for r in range(rounds):
        if r and stop is not None and stop():
            break
        eff: dict[int, float] = {}
        choice: dict[int, int] = {}
        for cid in order:
            best = float("inf")
            for i, (own, children) in enumerate(options[cid]):
                cost = own + sum(eff[c] for c in children)
                if cost < best:
                    best, choice[cid] = cost, i
            n = refs[cid]
            eff[cid] = (best + SHARE_PENALTY) / n if n > 1 else best
        refs, total = _selected_refs(graph, roots, choice, ops)
        if total < best_cost:
            best_cost, best_choice = total, choice
    return best_choice


def _selected_refs(
    graph: Factorings, roots: Sequence[int], choice: dict[int, int], ops: OpCosts
) -> tuple[Counter[int], float]:
    refs: Counter[int] = Counter(roots)
    total = 0.0
    stack = list(dict.fromkeys(roots))
    seen = set(stack)
    while stack:
        cid = stack.pop()
        node = graph.classes[cid].ways[choice[cid]]
        total += _own_cost(graph, node, ops)
        for _, c in node.children:
            refs[c] += 1
            if c not in seen:
                seen.add(c)
                stack.append(c)
    total += SHARE_PENALTY * sum(1 for n in refs.values() if n > 1)
    return refs, total


def _is_leaf(term: Term) -> bool:
    return isinstance(term, Sym | Num)


CHAIN_SPLIT = 16
"""Sums of at least this many terms are evaluated as several independent chains (up to
``MAX_CHAINS``) and then combined: the same number of additions plus one load per extra chain,
but the dependency chain a CPU must wait on is several times shorter. Shorter sums are left
whole: in a system of equations the CPU already overlaps independent statements, and extra
chains cost registers (measured on bcr: 8 → 16 gives −0.5 % instructions, same ns/call)."""
MAX_CHAINS = 4


def signed_sum(parts: Sequence[tuple[float, Term]], *, split: bool = False) -> tuple[float, Term]:
    """``(s, t)`` with ``s*t == Σ sign*term``; computed terms first, folded loads last. With
    ``split``, long sums become several independent chains."""
    chains = min(MAX_CHAINS, len(parts) // CHAIN_SPLIT + 1) if len(parts) >= CHAIN_SPLIT else 1
    if split and chains > 1:
        ordered = sorted(parts, key=lambda p: (_is_leaf(p[1]), p[0] < 0))
        groups = [_chain(ordered[i::chains]) for i in range(chains)]
        return _chain(groups)
    return _chain(parts)


def _chain(parts: Sequence[tuple[float, Term]]) -> tuple[float, Term]:
    ordered = sorted(parts, key=lambda p: _is_leaf(p[1]))
    pos = [t for s, t in ordered if s > 0]
    neg = [t for s, t in ordered if s < 0]
    sign = 1.0
    if not pos:
        pos, neg, sign = neg, [], -1.0
    acc = pos[0]
    for t in pos[1:]:
        acc = App("add", (acc, t))
    for t in neg:
        acc = App("sub", (acc, t))
    return sign, acc


def product(factors: Sequence[Term], coeff: float = 1.0) -> Term:
    """``coeff * Π factors``, computed factors first and loads last (they fold into the
    multiplies)."""
    ordered = sorted(factors, key=_is_leaf)
    if not ordered:
        return Num(coeff)
    acc = ordered[0]
    for f in ordered[1:]:
        acc = App("mul", (acc, f))
    return acc if coeff == 1.0 else App("mul", (acc, Num(coeff)))


def _scaled(scale: float, term: Term) -> tuple[float, Term]:
    """``(sign, t)`` with ``sign*t == scale*term``."""
    magnitude = abs(scale)
    return math.copysign(1.0, scale), term if magnitude == 1.0 else product([term], magnitude)


def build(
    graph: Factorings,
    choice: dict[int, int],
    roots: Sequence[tuple[float, int]],
    atoms: list[Term],
) -> list[Term]:
    """IR terms for signed root classes under ``choice``."""
    built: dict[int, tuple[float, Term]] = {}
    for cid in _postorder(graph, [c for _, c in roots], choice):
        node = graph.classes[cid].ways[choice[cid]]
        if node.kind == "mono":
            factors = [atoms[a] for a, e in node.mono for _ in range(e)]
            built[cid] = (1.0, product(factors, node.coeff))
        elif node.kind == "sum":
            parts = [_scaled(s * built[c][0], built[c][1]) for s, c in node.children]
            built[cid] = signed_sum(parts)
        else:
            (sq, q), *rest = node.children
            q_sign, q_term = built[q]
            atom = atoms[node.atom]
            prod = atom if graph.keys[q] == _ONE else product([q_term, atom], 1.0)
            parts = [(sq * q_sign, prod)]
            if rest:
                (sr, r) = rest[0]
                parts.append((sr * built[r][0], built[r][1]))
            built[cid] = signed_sum(parts)
    out: list[Term] = []
    for sign, cid in roots:
        s, term = built[cid]
        out.append(term if sign * s > 0 else App("neg", (term,)))
    return out
