"""Common sub-sum (and sub-product) elimination across statements (greedy pairing, after Paar's
CSE for linear forms): the most frequent pair of terms that occur together, with the same
relative sign, in several sums becomes one shared temporary; repeated until no pair is frequent
enough. Pairs grow into larger shared sub-sums as the pairing repeats. Products are paired the
same way: ``p*u*v`` and ``p*u*w`` share ``p*u``.

Items are keyed by their position in a postorder walk (never by ``id()``), so results do not
depend on memory addresses: the same input always gives the same output."""

from __future__ import annotations

import heapq
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from symopt.algebra.choose import CHAIN_SPLIT, product, signed_sum
from symopt.ir import App, Term, intern, postorder
from symopt.memory import rss_bytes

PairKey = tuple[int, int, int]
Items = dict[int, int]  # stable key of an item -> sign (+1 / -1)


class _Chains:
    """The maximal sums of a DAG, as signed item sets over stable keys (or, with ``products``,
    its maximal products as item sets with sign +1)."""

    def __init__(self, roots: list[Term], *, products: bool = False) -> None:
        self.roots = roots
        self.products = products
        self.nodes = list(postorder(roots))
        self.key = {id(n): i for i, n in enumerate(self.nodes)}
        self.by_key: list[Term] = list(self.nodes)
        self.uses: dict[int, int] = defaultdict(int)
        """How many parents (by id) each node has."""
        self.inner = self._single_use_sums()

    def _single_use_sums(self) -> set[int]:
        """Chain nodes (sums, or products) used exactly once, by another node of the same kind:
        they are part of their parent's chain. Counts :attr:`uses` on the way."""
        uses = self.uses
        other_parent: set[int] = set()
        for node in self.nodes:
            if isinstance(node, App):
                for arg in node.args:
                    uses[id(arg)] += 1
                    if not self.is_chain(node):
                        other_parent.add(id(arg))
        root_ids = {id(r) for r in self.roots}
        return {
            id(n)
            for n in self.nodes
            if self.is_chain(n)
            and uses[id(n)] == 1
            and id(n) not in other_parent
            and id(n) not in root_ids
        }

    def is_chain(self, node: Term) -> bool:
        """``node`` is a sum (or, for products, a multiplication)."""
        return _is_product(node) if self.products else _is_sum(node)

    def heads(self) -> list[Term]:
        return [n for n in self.nodes if self.is_chain(n) and id(n) not in self.inner]

    def flatten(self, root: Term) -> Items | None:
        """Signed items of a maximal chain (a square ``x*x`` inside a product is one item);
        None if an item repeats."""
        out: Items = {}
        stack: list[tuple[Term, int]] = [(root, 1)]
        while stack:
            node, sign = stack.pop()
            if (
                self.is_chain(node)
                and (node is root or id(node) in self.inner)
                and not (node is not root and _is_square(node))
            ):
                assert isinstance(node, App)
                stack.append((node.args[0], sign))
                stack.append((node.args[1], -sign if node.op == "sub" else sign))
            else:
                k = self.key[id(node)]
                if k in out:
                    return None
                out[k] = sign
        return out

    def add_pair(self, a: int, b: int, rel: int) -> int:
        op = "mul" if self.products else "add" if rel > 0 else "sub"
        pair = App(op, (self.by_key[a], self.by_key[b]))
        self.by_key.append(pair)
        return len(self.by_key) - 1

    def rebuild(self, replacement: dict[int, Items], *, split: bool = False) -> list[Term]:
        """Roots with each replaced head (by id) rebuilt from its items."""
        done: dict[int, Term] = {}
        order: list[Term] = []
        seen: set[int] = set()
        stack: list[tuple[Term, bool]] = [(r, False) for r in self.roots]
        while stack:
            node, ready = stack.pop()
            if ready:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if id(node) in replacement:
                kids = [self.by_key[k] for k in replacement[id(node)]]
            else:
                kids = list(node.args) if isinstance(node, App) else []
            stack.extend((k, False) for k in kids if id(k) not in seen)
        for node in order:
            if id(node) in replacement and self.products:
                done[id(node)] = product([done[id(self.by_key[k])] for k in replacement[id(node)]])
            elif id(node) in replacement:
                parts = [
                    (float(s), done[id(self.by_key[k])]) for k, s in replacement[id(node)].items()
                ]
                sign, term = signed_sum(parts, split=split)
                done[id(node)] = term if sign > 0 else App("neg", (term,))
            elif isinstance(node, App):
                args = tuple(done[id(a)] for a in node.args)
                same = all(n is o for n, o in zip(args, node.args, strict=True))
                done[id(node)] = node if same else App(node.op, args)
            else:
                done[id(node)] = node
        return intern([done[id(r)] for r in self.roots])


def _is_sum(node: Term) -> bool:
    return isinstance(node, App) and node.op in ("add", "sub")


def _is_product(node: Term) -> bool:
    return isinstance(node, App) and node.op == "mul"


def _is_square(node: Term) -> bool:
    """``x*x`` inside a product stays one item (an item may not repeat)."""
    return isinstance(node, App) and node.op == "mul" and node.args[0] is node.args[1]


PRODUCT_MIN_USES = 3
"""A shared product costs its multiply and usually a store and reloads (it lives across
statements); each use saves one multiply and one load."""


def share_sums(
    roots: Sequence[Term],
    *,
    min_uses: int = 2,
    deadline: float = float("inf"),
    memory: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Term]:
    """Rewrite ``roots`` so that frequent common sub-sums are computed once (what was shared
    by ``deadline``, a ``perf_counter`` time, or while the resident set stays below ``memory``
    bytes; ``stop``, if given, is asked instead)."""
    check = stop or _Stop(deadline, memory)
    return _share(roots, min_uses=min_uses, products=False, stop=check)


def share_products(
    roots: Sequence[Term],
    *,
    min_uses: int = PRODUCT_MIN_USES,
    deadline: float = float("inf"),
    memory: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Term]:
    """Rewrite ``roots`` so that a pair of factors occurring together in at least ``min_uses``
    products of three or more factors is computed once (``p*u*v``, ``p*u*w``, ``p*u*x`` →
    ``t = p*u``); pairs grow into larger shared sub-products as the pairing repeats."""
    check = stop or _Stop(deadline, memory)
    return _share(roots, min_uses=min_uses, products=True, stop=check)


def _share(
    roots: Sequence[Term],
    *,
    min_uses: int,
    products: bool,
    stop: Callable[[], bool] | None = None,
) -> list[Term]:
    dag = _Chains(intern(list(roots)), products=products)
    heads: list[Term] = []
    sums: list[Items] = []
    for head in dag.heads():
        items = dag.flatten(head)
        if items is not None and len(items) > 2:
            heads.append(head)
            sums.append(items)
    if not _pair_up(sums, dag, min_uses, stop):
        return dag.roots
    return dag.rebuild({id(h): s for h, s in zip(heads, sums, strict=True)})


def split_chains(roots: Sequence[Term]) -> list[Term]:
    """Evaluate long sums as several independent chains (see ``choose.CHAIN_SPLIT``)."""
    dag = _Chains(intern(list(roots)))
    replacement: dict[int, Items] = {}
    for head in dag.heads():
        items = dag.flatten(head)
        if items is not None and len(items) >= CHAIN_SPLIT:
            replacement[id(head)] = items
    return dag.rebuild(replacement, split=True) if replacement else dag.roots


def absorb_negations(roots: Sequence[Term]) -> list[Term]:
    """``-(a - b - c)`` → ``b + c - a`` where the negated sum is used only there: the same
    additions without the negation."""
    dag = _Chains(intern(list(roots)))
    replacement: dict[int, Items] = {}
    for node in dag.nodes:
        if isinstance(node, App) and node.op == "neg" and _is_sum(node.args[0]):
            inner = node.args[0]
            items = dag.flatten(inner) if dag.uses[id(inner)] == 1 else None
            if items is not None and any(sign < 0 for sign in items.values()):
                replacement[id(node)] = {k: -sign for k, sign in items.items()}
    return dag.rebuild(replacement) if replacement else dag.roots


class _Stop:
    """Past ``deadline`` (a ``perf_counter`` time) or, checked every 1024th call, above
    ``memory`` resident bytes."""

    def __init__(self, deadline: float = float("inf"), memory: int | None = None) -> None:
        self.deadline = deadline
        self.memory = memory
        self.calls = 0

    def __call__(self) -> bool:
        if time.perf_counter() > self.deadline:
            return True
        self.calls += 1
        return self.memory is not None and self.calls % 1024 == 0 and rss_bytes() > self.memory


def _pair_up(
    sums: list[Items], dag: _Chains, min_uses: int, stop: Callable[[], bool] | None = None
) -> int:
    # Only items of at least ``min_uses`` sums can be in a frequent pair (pairing never adds an
    # old item to a sum): a long sum of otherwise unused items costs linear time, not quadratic.
    frequent = Counter(k for items in sums for k in items)
    occ: dict[PairKey, set[int]] = defaultdict(set)
    for si, items in enumerate(sums):
        if stop and stop():
            return 0  # nothing paired yet: the sums stay as they are
        keys = sorted(k for k in items if frequent[k] >= min_uses)
        for i, a in enumerate(keys):
            if i % 1024 == 1023 and stop and stop():
                return 0
            sa = items[a]
            for b in keys[i + 1 :]:
                occ[(a, b, sa * items[b])].add(si)
    # Most frequent pair first; among equally frequent pairs, the latest items first (so a new
    # shared sum is grown further before another is started: measured 1-2% fewer instructions
    # than oldest-first on egfr_net and bcr).
    heap = [(-len(v), -k[0], -k[1], k[2]) for k, v in occ.items() if len(v) >= min_uses]
    heapq.heapify(heap)
    created = 0
    while heap:
        if stop and stop():
            break  # the pairs made so far are kept
        neg_count, neg_a, neg_b, rel = heapq.heappop(heap)
        key = (-neg_a, -neg_b, rel)
        where = occ.get(key)
        if not where or len(where) < min_uses:
            continue
        if len(where) != -neg_count:
            heapq.heappush(heap, (-len(where), neg_a, neg_b, rel))
            continue
        a, b, rel = key
        t = dag.add_pair(a, b, rel)
        created += 1
        for si in sorted(where):
            items = sums[si]
            sa, sb = items[a], items[b]
            for x, sx in items.items():
                if x not in (a, b):
                    occ[(min(a, x), max(a, x), sa * sx)].discard(si)
                    occ[(min(b, x), max(b, x), sb * sx)].discard(si)
            del items[a], items[b]
            for x, sx in items.items():
                k = (min(t, x), max(t, x), sa * sx)
                occ[k].add(si)
                if len(occ[k]) >= min_uses:
                    heapq.heappush(heap, (-len(occ[k]), -k[0], -k[1], k[2]))
            items[t] = sa
        occ.pop(key, None)
    return created
