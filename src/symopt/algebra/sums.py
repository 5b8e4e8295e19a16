"""Common sub-sum (and sub-product) elimination across statements (greedy pairing, after Paar's
CSE for linear forms): the most frequent pair of terms that occur together, with the same
relative sign, in several sums becomes one shared temporary; repeated until no pair is frequent
enough. Pairs grow into larger shared sub-sums as the pairing repeats. Products are paired the
same way: ``p*u*v`` and ``p*u*w`` share ``p*u``.

Items are keyed by their position in a postorder walk (never by ``id()``), so results do not
depend on memory addresses: the same input always gives the same output.

Linear in time and memory: pair counts are upper bounds made exact when popped (no table of
every pair's sums); only sums of at most :data:`LONG_SUM` items (and longer ones within
:data:`PAIR_WORK`) have all their pairs counted; the items of longer sums are paired through
signature buckets (:meth:`_Pairing.bucket`)."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from symopt.algebra.choose import CHAIN_SPLIT, product, signed_sum
from symopt.ir import App, Term, intern, postorder, reintern

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
        return reintern([done[id(r)] for r in self.roots], self.roots)


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
    stop: Callable[[], bool] | None = None,
) -> list[Term]:
    """Rewrite ``roots`` so that frequent common sub-sums are computed once (what was shared
    until ``stop()``, asked every :data:`DEADLINE_EVERY` steps, said so: e.g. a
    :meth:`~symopt.limits.Budget.cut`)."""
    return _share(roots, min_uses=min_uses, products=False, stop=stop)


def share_products(
    roots: Sequence[Term],
    *,
    min_uses: int = PRODUCT_MIN_USES,
    stop: Callable[[], bool] | None = None,
) -> list[Term]:
    """Rewrite ``roots`` so that a pair of factors occurring together in at least ``min_uses``
    products of three or more factors is computed once (``p*u*v``, ``p*u*w``, ``p*u*x`` →
    ``t = p*u``); pairs grow into larger shared sub-products as the pairing repeats (until
    ``stop()`` says so, as for :func:`share_sums`)."""
    return _share(roots, min_uses=min_uses, products=True, stop=stop)


def _share(
    roots: Sequence[Term],
    *,
    min_uses: int,
    products: bool,
    stop: Callable[[], bool] | None = None,
) -> list[Term]:
    dag = _Chains(intern(roots), products=products)
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
    dag = _Chains(intern(roots))
    replacement: dict[int, Items] = {}
    for head in dag.heads():
        items = dag.flatten(head)
        if items is not None and len(items) >= CHAIN_SPLIT:
            replacement[id(head)] = items
    return dag.rebuild(replacement, split=True) if replacement else dag.roots


def absorb_negations(roots: Sequence[Term]) -> list[Term]:
    """``-(a - b - c)`` → ``b + c - a`` where the negated sum is used only there: the same
    additions without the negation."""
    dag = _Chains(intern(roots))
    replacement: dict[int, Items] = {}
    for node in dag.nodes:
        if isinstance(node, App) and node.op == "neg" and _is_sum(node.args[0]):
            inner = node.args[0]
            items = dag.flatten(inner) if dag.uses[id(inner)] == 1 else None
            if items is not None and any(sign < 0 for sign in items.values()):
                replacement[id(node)] = {k: -sign for k, sign in items.items()}
    return dag.rebuild(replacement) if replacement else dag.roots


LONG_SUM = 64
"""Pairs are counted inside sums of at most this many items (and longer ones within
:data:`PAIR_WORK`) (time and memory linear in the input:
a sum of ``n`` items has ``n²/2`` pairs). A longer sum still takes part: a pair found frequent
elsewhere is counted in it and replaced there too; only pairs occurring solely in long sums are
looked for directly: items of long sums are bucketed by their other sums instead (see
:meth:`_Pairing.bucket`)."""

PAIR_WORK = 2_000_000
"""Sums longer than :data:`LONG_SUM` are still paired exactly while their pairs fit this budget
(bcr and multisite 5 fit; multisite 6's 1,024-item sums do not)."""

MAX_SIGNATURE = 16
"""Items of more sums than this are not bucketed (their signature keys would cost too much)."""


def _long_sums(sums: list[Items]) -> set[int]:
    """Sums whose pairs are not all counted: past :data:`LONG_SUM` items, the longest first,
    until the pairs of the rest (``n²`` for ``n`` items) are within :data:`PAIR_WORK`."""
    order = sorted(range(len(sums)), key=lambda si: len(sums[si]))
    work = 0
    for rank, si in enumerate(order):
        n = len(sums[si])
        work += n * n
        if n > LONG_SUM and work > PAIR_WORK:
            return set(order[rank:])
    return set()


class _Pairing:
    """Greedy pairing state: the sums, an index item -> sums holding it, and upper bounds of
    the pair counts (made exact when a pair is popped: counts only fall, so lazy correction
    keeps the most-frequent-first order)."""

    def __init__(self, sums: list[Items], min_uses: int) -> None:
        self.sums = sums
        self.min_uses = min_uses
        self.index: dict[int, set[int]] = defaultdict(set)
        for si, items in enumerate(sums):
            for k in items:
                self.index[k].add(si)
        self.long = _long_sums(sums)
        self.occ: dict[PairKey, int] = {}
        self.heap: list[int] = []
        """Pairs as single negated integers (:func:`_priority`): cheaper to order than tuples."""
        self.buckets: dict[tuple[tuple[int, int], ...], list[int]] = defaultdict(list)

    def push(self, key: PairKey, count: int) -> None:
        self.occ[key] = count
        heapq.heappush(self.heap, -_priority(count, key))

    def count_initial(self) -> None:
        """Counts of the pairs of items of at least ``min_uses`` sums, from the short sums they
        occur in (plus the long sums that hold both), one item at a time (no table of every
        pair)."""
        sums, index, min_uses = self.sums, self.index, self.min_uses
        for a in sorted(k for k, where in index.items() if len(where) >= min_uses):
            partners: Counter[tuple[int, int]] = Counter()
            for si in index[a]:
                if si in self.long:
                    continue
                items = sums[si]
                sa = items[a]
                for b, sb in items.items():
                    if b > a and len(index[b]) >= min_uses:
                        partners[(b, sa * sb)] += 1
            longs = [sums[si] for si in index[a] if si in self.long]
            for (b, rel), n in partners.items():
                n += sum(1 for items in longs if items.get(b) == rel * items[a])
                if n >= min_uses:
                    self.push((a, b, rel), n)

    def bucket_long(self) -> None:
        """Candidate pairs inside long sums without counting every pair: see :meth:`bucket`."""
        for a in sorted({k for si in self.long for k in self.sums[si]}):
            self.bucket(a)

    def bucket(self, a: int) -> None:
        """File ``a`` (an item of a long sum) under each signature key it has (the sums holding
        it, less one, with signs relative to the first) and pair it with the latest live item
        filed under the same key: the two occur together in all the key's sums, with one
        relative sign. So the most frequent pairs of long sums are found in linear time, and a
        new shared sum is filed and paired again, growing a hierarchy of partial sums."""
        where = sorted(self.index[a])
        if not self.min_uses < len(where) <= MAX_SIGNATURE:
            return
        signs = [self.sums[si][a] for si in where]
        for skip in range(len(where)):
            kept = [i for i in range(len(where)) if i != skip]
            first = signs[kept[0]]
            key = tuple((where[i], signs[i] * first) for i in kept)
            filed = self.buckets[key]
            while filed and not self._files(filed[-1], key):
                filed.pop()
            if filed:
                b = filed[-1]
                rel = self.sums[key[0][0]][b] * first
                pair = (min(a, b), max(a, b), rel)
                if pair not in self.occ:
                    self.push(pair, len(key))
            filed.append(a)

    def _files(self, b: int, key: tuple[tuple[int, int], ...]) -> bool:
        """``b`` is still in every sum of ``key`` with the key's relative signs."""
        first = self.sums[key[0][0]].get(b)
        return first is not None and all(self.sums[si].get(b) == rel * first for si, rel in key)

    def holders(self, a: int, b: int, rel: int) -> list[int]:
        """The sums holding ``a`` and ``b`` with relative sign ``rel``, in order."""
        small, other = (a, b) if len(self.index[a]) <= len(self.index[b]) else (b, a)
        found = []
        for si in self.index[small]:
            items = self.sums[si]
            s_other = items.get(other)
            if s_other is not None and items[small] * s_other == rel:
                found.append(si)
        return sorted(found)

    def replace(self, a: int, b: int, t: int, where: list[int]) -> None:
        """Replace ``a`` and ``b`` by ``t`` in the sums ``where``, counting the new pairs of
        ``t``."""
        partners: Counter[tuple[int, int]] = Counter()
        longs: list[Items] = []
        for si in where:
            items = self.sums[si]
            sa = items.pop(a)
            del items[b]
            self.index[a].discard(si)
            self.index[b].discard(si)
            if si in self.long:
                longs.append(items)
            else:
                for x, sx in items.items():
                    partners[(x, sa * sx)] += 1
            items[t] = sa
            self.index[t].add(si)
        for (x, rel), n in partners.items():
            n += sum(1 for items in longs if items.get(x) == rel * items[t])
            if n >= self.min_uses:
                self.push((x, t, rel), n)
        if longs:
            self.bucket(t)


DEADLINE_EVERY = 1024
"""Pairing steps between two looks at the clock."""


_BITS = 42


def _priority(count: int, key: PairKey) -> int:
    """One integer ordering pairs as the greedy wants them: most frequent first, then the
    latest items first, then relative sign -1 before +1."""
    a, b, rel = key
    return (((count << _BITS | a) << _BITS | b) << 1) | (rel < 0)


def _decode(value: int) -> tuple[int, PairKey]:
    mask = (1 << _BITS) - 1
    rel = -1 if value & 1 else 1
    value >>= 1
    return value >> (2 * _BITS), ((value >> _BITS) & mask, value & mask, rel)


def _pair_up(
    sums: list[Items], dag: _Chains, min_uses: int, stop: Callable[[], bool] | None = None
) -> int:
    # Only items of at least ``min_uses`` sums can be in a frequent pair (pairing never adds an
    # old item to a sum). Most frequent pair first; among equally frequent pairs, the latest
    # items first (so a new shared sum is grown further before another is started: measured
    # 1-2% fewer instructions than oldest-first on egfr_net and bcr).
    state = _Pairing(sums, min_uses)
    state.count_initial()
    state.bucket_long()
    heap, occ = state.heap, state.occ
    created = steps = 0
    while heap:
        steps += 1
        if steps % DEADLINE_EVERY == 0 and stop is not None and stop():
            break  # the pairs made so far are kept
        count, key = _decode(-heapq.heappop(heap))
        if occ.get(key) != count:
            continue  # a stale entry: the pair was re-counted since
        a, b, rel = key
        where = state.holders(a, b, rel)
        if len(where) < min_uses:
            del occ[key]
            continue
        if len(where) != count:
            state.push(key, len(where))
            continue
        del occ[key]
        t = dag.add_pair(a, b, rel)
        created += 1
        state.replace(a, b, t, where)
    return created
