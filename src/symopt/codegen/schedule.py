"""Sharing: which subterms become temporaries, and in what order they are computed."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass

from symopt.ir import App, Term, postorder


@dataclass(frozen=True)
class Temp:
    """``name = term`` (a shared subterm computed once)."""

    name: str
    term: App


@dataclass(frozen=True)
class Root:
    """The ``index``-th body entry, computed after the temporaries it needs."""

    index: int
    term: Term


Step = Temp | Root


def use_counts(roots: Sequence[Term], nodes: Iterable[Term] | None = None) -> Counter[int]:
    """How often each ``App`` node is referenced (by parents or as a root), by id.

    ``roots`` must be interned (:func:`symopt.ir.intern`) so equal subterms are one object;
    ``nodes`` are their distinct subterms if already at hand (else computed).
    """
    uses: Counter[int] = Counter(id(r) for r in roots if isinstance(r, App))
    for t in postorder(list(roots)) if nodes is None else nodes:
        if isinstance(t, App):
            uses.update(id(a) for a in t.args if isinstance(a, App))
    return uses


def shared_subterms(roots: Sequence[Term], nodes: Iterable[Term] | None = None) -> set[int]:
    """Ids of the ``App`` nodes referenced more than once (see :func:`use_counts`)."""
    return {key for key, count in use_counts(roots, nodes).items() if count > 1}


RECOMPUTE_MAX_USES = 4
"""A sum of two loads used at most this often is recomputed at each use in C (see
:func:`symopt.codegen.plan.plan_function`); more often used, it stays a temporary."""


RECOMPUTE_PRODUCTS_MIN_TEMPORARIES = 256
"""In bodies with at least this many temporaries, a product of two leaves used at most
``RECOMPUTE_MAX_USES`` times is recomputed too: there most temporaries live in stack slots, and a
reload costs what the multiply does (instructions per call: egfr_net −41, bcr −124; in smaller
bodies, where registers suffice, it costs: multisite2 with 76 temporaries +46)."""


def is_load_pair(term: Term, ops: tuple[str, ...] = ("add", "sub")) -> bool:
    """``a op b`` of two leaves (array loads, scalar parameters or constants), ``op`` in ``ops``."""
    return (
        isinstance(term, App) and term.op in ops and not any(isinstance(a, App) for a in term.args)
    )


AFFINITY_DECAY = 0.6
"""How fast a root's pull towards recently computed temporaries fades, per emitted root."""


AFFINITY_MIN_TEMPORARIES = 32
"""Bodies with fewer temporaries keep their order: twice the 16 SSE registers of x86-64, few
enough that the order does not decide what is spilled (multistate, 21 temporaries: 103
instructions per call in file order, 108 reordered)."""

AFFINITY_MAX_USERS = 32
"""Temporaries needed by more roots than this pull nothing (their pull would be tiny anyway);
this keeps the ordering linear in the size of the body."""

MAX_CLOSURE = 512
"""A temporary needing more temporaries than this (transitively; a deep chain of statements)
counts only those it reads directly: the sets stay bounded, so the ordering stays linear
(bcr needs at most 130, multisite 5 at most 420)."""


def affinity_order(
    roots: Sequence[Term], shared: set[int], nodes: Iterable[Term] | None = None
) -> list[int]:
    """An order of ``roots`` that keeps the uses of each temporary close together.

    Greedy: after a root is emitted, every pending root that needs one of its temporaries gains
    ``1/k`` (``k`` the temporary's users still pending, so roots that finish a temporary off are
    preferred) and all gains fade by :data:`AFFINITY_DECAY` per emitted root; the pending root
    with the most pull comes next, ties (and roots with no pull) in the given order. Shorter live
    ranges mean fewer temporaries spilled to the stack in compiled code (measured on bcr: −4 %
    instructions per call). Deterministic: temporaries are keyed by postorder position
    (``nodes``: the postorder of ``roots`` if already at hand).
    """
    walk = postorder(list(roots)) if nodes is None else nodes
    position = {id(node): k for k, node in enumerate(walk)}
    memo: dict[int, frozenset[int]] = {}
    deep: set[int] = set()
    needs = [sorted(position[t] for t in _temporaries(r, shared, memo, deep)) for r in roots]
    users: dict[int, list[int]] = {}
    for i, temps in enumerate(needs):
        for t in temps:
            users.setdefault(t, []).append(i)
    pending = {t: len(u) for t, u in users.items()}
    pull = [0.0] * len(roots)
    heap = [(0.0, i) for i in range(len(roots))]
    done = [False] * len(roots)
    order: list[int] = []
    weight = 1.0  # gains grow by 1/decay per step instead of every pull decaying
    while heap:
        neg, i = heapq.heappop(heap)
        if done[i] or -neg != pull[i]:
            continue
        done[i] = True
        order.append(i)
        weight /= AFFINITY_DECAY
        gained: dict[int, float] = {}
        for t in needs[i]:
            pending[t] -= 1
            if 0 < pending[t] <= AFFINITY_MAX_USERS:
                for j in users[t]:
                    if not done[j]:
                        gained[j] = gained.get(j, 0.0) + weight / pending[t]
        for j, gain in gained.items():
            pull[j] += gain
            heapq.heappush(heap, (-pull[j], j))
        if weight > 1e100:  # rescale before overflow
            pull = [x / weight for x in pull]
            weight = 1.0
            heap = [(-pull[j], j) for j in range(len(roots)) if not done[j]]
            heapq.heapify(heap)
    return order


def direct_temporaries(node: Term, shared: Container[int]) -> list[Term]:
    """The shared nodes ``node`` reads directly (through unshared nodes only), right to left."""
    found: list[Term] = []
    stack = list(node.args) if isinstance(node, App) else []
    while stack:
        n = stack.pop()
        if not isinstance(n, App):
            continue
        if id(n) in shared:
            found.append(n)
        else:
            stack.extend(n.args)
    return found


def _temporaries(
    root: Term, shared: set[int], memo: dict[int, frozenset[int]], deep: set[int]
) -> set[int]:
    """Ids of the shared nodes ``root`` needs, through other temporaries too (memoised per
    temporary in ``memo``; ``deep``: the temporaries on a chain too deep to follow, whose sets
    hold their direct temporaries only, as do those of every temporary above them)."""
    out: set[int] = set()
    for top in direct_temporaries(root, shared) if id(root) not in shared else [root]:
        stack = [top]
        direct: dict[int, list[Term]] = {}
        while stack:
            node = stack[-1]
            if id(node) in memo:
                stack.pop()
                continue
            kids = direct.setdefault(id(node), direct_temporaries(node, shared))
            missing = [k for k in kids if id(k) not in memo]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            closure = None
            if not any(id(k) in deep for k in kids):
                closure = frozenset({id(node)}).union(*(memo[id(k)] for k in kids))
            if closure is None or len(closure) > MAX_CLOSURE:
                # A deep chain: direct temporaries only, here and above (else the sets would
                # grow back to MAX_CLOSURE every MAX_CLOSURE links: quadratic memory).
                closure = frozenset({id(node), *(id(k) for k in kids)})
                deep.add(id(node))
            memo[id(node)] = closure
        out |= memo[id(top)]
    return out


def schedule(
    roots: Sequence[Term],
    shared: set[int],
    new_name: Callable[[], str],
    order: Sequence[int] | None = None,
    first: Sequence[Term] = (),
) -> list[Step]:
    """Order the computation of interned ``roots``: each root preceded by its new temporaries.

    Temporaries are the nodes whose id is in ``shared`` (see :func:`shared_subterms`). They
    appear in dependency order, just before the first root that needs them, and are named by
    calling ``new_name``. Roots are computed in ``order`` (indices; default: as given), after the
    temporaries that ``first`` (shared terms) needs.
    """
    seen: set[int] = set()
    steps: list[Step] = []

    def new_temporaries(terms: list[Term]) -> None:
        for term in postorder(terms, seen):
            if id(term) in shared:
                assert isinstance(term, App)
                steps.append(Temp(new_name(), term))

    new_temporaries(list(first))
    for index in range(len(roots)) if order is None else order:
        new_temporaries([roots[index]])
        steps.append(Root(index, roots[index]))
    return steps
