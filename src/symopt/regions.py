"""Bounded regions of a large input for the rule-based e-graph.

The polynomial path (:mod:`symopt.algebra`) handles sums and products of a whole model, but treats
everything else (``exp``, ``/``, ``sqrt``, non-integer powers) as opaque atoms. When the result is
too large for one e-graph, those atoms are optimised region by region: the outermost
non-polynomial subterms (with the products they sit in) are grouped into batches of a bounded
number of distinct nodes, each batch saturates in its own e-graph under a share of the time
limit, and the extracted forms are put back in place. Subterms shared within a batch are found
(``r_ij`` and ``r_ji`` in one batch become one value); across batches only identical results
are shared (by hash-consing)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from symopt.algebra.polynomial import integer_exponent
from symopt.ir import App, Sym, Term, postorder, rebuilt

_POLYNOMIAL_OPS = frozenset({"add", "sub", "neg", "mul"})
_STRUCTURE_OPS = frozenset({"add", "sub", "neg"})

HOLE = "@region"
"""Name of the placeholder symbols ``@region[k]`` standing for region ``k`` of an earlier batch
(not a name the grammar accepts, so it cannot clash with an input's symbols)."""

MAX_REGION_NODES = 400
"""A product larger than this is not one region: its factors are looked at instead."""


def _polynomial_nodes(roots: Sequence[Term]) -> set[int]:
    """Ids of the subterms built from symbols and numbers with + - * and integer powers only."""
    poly: set[int] = set()
    for t in postorder(list(roots)):
        if _is_polynomial_step(t, poly):
            poly.add(id(t))
    return poly


def _is_polynomial_step(t: Term, poly: set[int]) -> bool:
    """``t`` is a leaf, ``+ - *`` of polynomial terms or a polynomial to a power the polynomial
    path expands (:func:`~symopt.algebra.polynomial.integer_exponent`)."""
    if not isinstance(t, App):
        return True
    if t.op in _POLYNOMIAL_OPS:
        return all(id(a) in poly for a in t.args)
    return t.op == "pow" and id(t.args[0]) in poly and integer_exponent(t.args[1]) is not None


def _size_at_most(term: Term, limit: int) -> bool:
    return _count(term, set(), limit + 1) <= limit


def region_roots(roots: Sequence[Term], max_region_nodes: int = MAX_REGION_NODES) -> list[Term]:
    """The outermost non-polynomial subterms below sums (a product containing one counts as one
    region, unless it has more than :data:`MAX_REGION_NODES` distinct nodes), each once, ordered
    by the symbols of their non-polynomial core (ties in order of appearance)."""
    poly = _polynomial_nodes(roots)
    found: dict[int, Term] = {}
    visited: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        t = stack.pop()
        if id(t) in visited or id(t) in poly or not isinstance(t, App):
            continue
        visited.add(id(t))
        small = t.op != "mul" or _size_at_most(t, max_region_nodes)
        if t.op in _STRUCTURE_OPS or not small:
            stack.extend(reversed(t.args))
        else:
            found.setdefault(id(t), t)
    regions = list(found.values())
    cores = _core_symbols(regions, poly)
    return sorted(regions, key=lambda r: cores[id(r)])


CORE_SYMBOLS = 8
"""A region's sort key keeps at most this many of its core symbols (the first in sorted order):
sets stay small on deep nests, so computing them is linear."""


def _core_symbols(regions: list[Term], poly: set[int]) -> dict[int, tuple[tuple[str, int], ...]]:
    """Per region, the symbols under its innermost non-polynomial nodes (the argument of a
    ``pow``, ``exp``, a denominator's sum), sorted (the first :data:`CORE_SYMBOLS`): regions
    built around the same core sort next to each other and so tend to share a batch (``r_ij`` of
    statement i and ``r_ji`` of statement j)."""
    syms: dict[int, tuple[tuple[str, int], ...]] = {}
    core: dict[int, tuple[tuple[str, int], ...]] = {}
    for t in postorder(regions):
        if isinstance(t, Sym):
            syms[id(t)] = ((t.name, -1 if t.index is None else t.index),)
            core[id(t)] = ()
        elif isinstance(t, App):
            syms[id(t)] = _smallest(syms[id(a)] for a in t.args)
            inner = _smallest(core[id(a)] for a in t.args)
            core[id(t)] = inner if inner or id(t) in poly else syms[id(t)]
        else:
            syms[id(t)] = core[id(t)] = ()
    return {id(r): core[id(r)] for r in regions}


def _smallest(parts: Iterable[tuple[tuple[str, int], ...]]) -> tuple[tuple[str, int], ...]:
    """The first :data:`CORE_SYMBOLS` of the union of sorted tuples, sorted."""
    return tuple(sorted(set().union(*parts))[:CORE_SYMBOLS])


def batches(regions: Sequence[Term], max_nodes: int) -> list[list[Term]]:
    """Consecutive groups of regions with at most ``max_nodes`` nodes each, counting the nodes
    no earlier region has (a larger region is a batch of its own). Linear: each node is counted
    once, however deeply the regions nest or share."""
    out: list[list[Term]] = []
    current: list[Term] = []
    size = 0
    seen: set[int] = set()
    for region in regions:
        new = _count(region, seen)
        if current and size + new > max_nodes:
            out.append(current)
            current, size = [], 0
        current.append(region)
        size += new
    if current:
        out.append(current)
    return out


def _count(region: Term, seen: set[int], limit: float = float("inf")) -> int:
    """Nodes of ``region`` not in ``seen`` (added to it), counted up to ``limit`` (parents
    first: the work is bounded by ``limit`` however deep the region is)."""
    count = 0
    stack = [region]
    while stack and count < limit:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        count += 1
        stack.extend(t.children())
    return count


def replace_regions(
    roots: Sequence[Term],
    optimise: Callable[[list[Term]], list[Term] | None],
    max_nodes: int,
    *,
    max_region_nodes: int = MAX_REGION_NODES,
    deadline: float = float("inf"),
) -> list[Term]:
    """``roots`` with every batch of regions replaced by what ``optimise`` returns for it (in
    order; ``None`` keeps the batch as it is, e.g. when time has run out). ``optimise`` sees the
    regions of earlier batches inside its regions as :data:`HOLE` symbols. Past ``deadline`` (a
    ``perf_counter`` time) on entry, the regions are not even looked for."""
    if time.perf_counter() > deadline:
        return list(roots)
    replaced: dict[int, Term] = {}
    earlier: dict[int, Sym] = {}  # id of a region of an earlier batch -> its placeholder
    holes: list[Term] = []  # placeholder index -> the region it stands for
    for batch in batches(region_roots(roots, max_region_nodes), max_nodes):
        better = optimise(_with_holes(batch, earlier))
        if better is not None:
            replaced.update((id(old), new) for old, new in zip(batch, better, strict=True))
        for region in batch:
            earlier.setdefault(id(region), Sym(HOLE, len(holes)))
            holes.append(region)
    if not replaced:
        return list(roots)
    return _put_back(roots, replaced, holes)


def _with_holes(batch: list[Term], earlier: dict[int, Sym]) -> list[Term]:
    """``batch`` with every region of an earlier batch replaced by its placeholder (nothing
    below a placeholder is visited)."""
    if not earlier:
        return batch
    done: dict[int, Term] = {}
    stack: list[tuple[Term, bool]] = [(r, False) for r in reversed(batch)]
    while stack:
        t, ready = stack.pop()
        if id(t) in done:
            continue
        hole = earlier.get(id(t))
        if hole is not None or not isinstance(t, App):
            done[id(t)] = t if hole is None else hole
        elif not ready:
            stack.append((t, True))
            stack.extend((a, False) for a in reversed(t.args) if id(a) not in done)
        else:
            done[id(t)] = rebuilt(t, done)
    return [done[id(r)] for r in batch]


def _put_back(roots: Sequence[Term], replaced: dict[int, Term], holes: list[Term]) -> list[Term]:
    """``roots`` rebuilt bottom-up with the replaced regions, their placeholders filled with
    what the regions they stand for became (those are below them, so rebuilt first). Linear:
    the new forms of one batch share their nodes, and each is filled once."""
    done: dict[int, Term] = {}
    filled: dict[int, Term] = {}  # node of a new form -> it with its placeholders filled

    def hole(k: int) -> Term:
        became = done.get(id(holes[k]))
        if became is None:
            raise _NotBelowError
        return became

    for t in postorder(list(roots)):
        new = replaced.get(id(t))
        if new is not None:
            try:
                done[id(t)] = _fill(new, filled, hole)
            except _NotBelowError:  # not seen: keep the region as it was, rather than guess
                done[id(t)] = rebuilt(t, done) if isinstance(t, App) else t
        elif isinstance(t, App):
            done[id(t)] = rebuilt(t, done)
        else:
            done[id(t)] = t
    return [done[id(r)] for r in roots]


class _NotBelowError(Exception):
    """A new form holds the placeholder of a region that is not below the region it replaces
    (it came from a batch-mate's e-class), so that region is not rebuilt yet."""


def _fill(term: Term, filled: dict[int, Term], hole: Callable[[int], Term]) -> Term:
    """``term`` with every placeholder ``@region[k]`` replaced by ``hole(k)``; nodes already
    in ``filled`` are not visited again."""
    stack: list[tuple[Term, bool]] = [(term, False)]
    while stack:
        t, ready = stack.pop()
        if id(t) in filled:
            continue
        if isinstance(t, Sym) and t.name == HOLE and t.index is not None:
            filled[id(t)] = hole(t.index)
        elif not isinstance(t, App):
            filled[id(t)] = t
        elif not ready:
            stack.append((t, True))
            stack.extend((a, False) for a in t.args if id(a) not in filled)
        else:
            filled[id(t)] = rebuilt(t, filled)
    return filled[id(term)]
