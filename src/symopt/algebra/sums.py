"""Common sub-sum elimination across statements (greedy pairing, after Paar's CSE for linear
forms): the most frequent pair of terms that occur together, with the same relative sign, in
several sums becomes one shared temporary; repeated until no pair is frequent enough. Pairs grow
into larger shared sub-sums as the pairing repeats."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence

from symopt.algebra.choose import signed_sum
from symopt.ir import App, Term, intern, postorder

PairKey = tuple[int, int, int]


def _flatten(root: Term, inner: set[int]) -> dict[int, int] | None:
    """Signed items of a maximal sum (``{id(item): ±1}``); None if an item repeats."""
    out: dict[int, int] = {}
    stack: list[tuple[Term, int]] = [(root, 1)]
    while stack:
        node, sign = stack.pop()
        if (
            isinstance(node, App)
            and node.op in ("add", "sub")
            and (node is root or id(node) in inner)
        ):
            stack.append((node.args[0], sign))
            stack.append((node.args[1], sign if node.op == "add" else -sign))
        elif id(node) in out:
            return None
        else:
            out[id(node)] = sign
    return out


def share_sums(roots: Sequence[Term], *, min_uses: int = 2) -> list[Term]:
    """Rewrite ``roots`` so that frequent common sub-sums are computed once."""
    roots = intern(list(roots))
    nodes = list(postorder(roots))
    uses: dict[int, int] = defaultdict(int)
    sum_parent_only: dict[int, bool] = {}
    for node in nodes:
        if isinstance(node, App):
            for arg in node.args:
                uses[id(arg)] += 1
                if node.op not in ("add", "sub"):
                    sum_parent_only[id(arg)] = False
                else:
                    sum_parent_only.setdefault(id(arg), True)
    root_ids = {id(r) for r in roots}
    inner = {
        id(n)
        for n in nodes
        if isinstance(n, App)
        and n.op in ("add", "sub")
        and uses[id(n)] == 1
        and sum_parent_only.get(id(n), False)
        and id(n) not in root_ids
    }
    by_id: dict[int, Term] = {id(n): n for n in nodes}
    heads = [
        n for n in nodes if isinstance(n, App) and n.op in ("add", "sub") and id(n) not in inner
    ]
    sums: list[dict[int, int]] = []
    head_of: list[Term] = []
    for head in heads:
        items = _flatten(head, inner)
        if items is not None and len(items) > 2:
            sums.append(items)
            head_of.append(head)
    created = _pair_up(sums, by_id, min_uses)
    if not created:
        return roots
    replacement: dict[int, dict[int, int]] = {id(h): s for h, s in zip(head_of, sums, strict=True)}
    return intern(_rebuild(roots, replacement, by_id))


def _pair_up(sums: list[dict[int, int]], by_id: dict[int, Term], min_uses: int) -> int:
    occ: dict[PairKey, set[int]] = defaultdict(set)
    for si, items in enumerate(sums):
        keys = sorted(items)
        for i, a in enumerate(keys):
            sa = items[a]
            for b in keys[i + 1 :]:
                occ[(a, b, sa * items[b])].add(si)
    heap = [(-len(v), k) for k, v in occ.items() if len(v) >= min_uses]
    heapq.heapify(heap)
    created = 0
    while heap:
        neg_count, key = heapq.heappop(heap)
        where = occ.get(key)
        if not where or len(where) < min_uses:
            continue
        if len(where) != -neg_count:
            heapq.heappush(heap, (-len(where), key))
            continue
        a, b, rel = key
        pair = App("add" if rel > 0 else "sub", (by_id[a], by_id[b]))
        by_id[id(pair)] = pair
        t = id(pair)
        created += 1
        for si in list(where):
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
                    heapq.heappush(heap, (-len(occ[k]), k))
            items[t] = sa
        occ.pop(key, None)
    return created


def _rebuild(
    roots: list[Term], replacement: dict[int, dict[int, int]], by_id: dict[int, Term]
) -> list[Term]:
    done: dict[int, Term] = {}
    order: list[Term] = []
    seen: set[int] = set()
    stack: list[tuple[Term, bool]] = [(r, False) for r in roots]
    while stack:
        node, ready = stack.pop()
        key = id(node)
        if ready:
            order.append(node)
            continue
        if key in seen:
            continue
        seen.add(key)
        stack.append((node, True))
        kids = (
            [by_id[i] for i in replacement[key]]
            if key in replacement
            else list(node.args)
            if isinstance(node, App)
            else []
        )
        stack.extend((k, False) for k in kids if id(k) not in seen)
    for node in order:
        key = id(node)
        if key in replacement:
            parts = [(float(s), done[i]) for i, s in replacement[key].items()]
            sign, term = signed_sum(parts)
            done[key] = term if sign > 0 else App("neg", (term,))
        elif isinstance(node, App):
            done[key] = App(node.op, tuple(done[id(a)] for a in node.args))
        else:
            done[key] = node
    return [done[id(r)] for r in roots]
