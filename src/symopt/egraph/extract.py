"""Sharing-aware extraction from a frozen egglog e-graph.

1. Tree costs (Knuth's generalisation of Dijkstra to AND/OR graphs): the cheapest node per e-class
   with every occurrence counted; this choice is acyclic and exists for every reachable class.
2. DAG refinement (greedy-DAG): a node's cost is the summed operator cost of the *set* of classes
   in its sub-DAG, so a subterm used twice counts once, as in the emitted code. Iterated to a fixed
   point or a budget; kept only if it lowers the true shared cost of the roots.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass
from math import copysign
from typing import cast

from symopt.costs.table import CostTable
from symopt.egraph.engine import EGraph
from symopt.egraph.schema import BOUND, CONSTRUCTOR_OPS, LEAVES
from symopt.ir import TREE_SIZE_CAP, App, Num, Sym, Term


@dataclass(frozen=True, slots=True)
class ENode:
    cls: int
    op: str  # IR operator, or "num" / "sym" for leaves
    children: tuple[int, ...]
    payload: object = None  # float for num, (name, index) for sym
    cost: float = 0.0


@dataclass
class Graph:
    nodes: list[ENode]
    classes: dict[int, list[int]]  # class -> node indices
    roots: list[int]


def read_graph(egraph: EGraph, root_keys: Sequence[int], costs: CostTable) -> Graph:
    """Export the e-graph (``freeze``) into plain Python nodes with integer class ids."""
    frozen = egraph.freeze()
    functions = frozen.functions  # rebuilt at every attribute access: read it once
    ids: dict[object, int] = {}

    def cid(value: object) -> int:
        return ids.setdefault(value, len(ids))

    nodes: list[ENode] = []
    for name, fn in functions.items():
        if fn.is_let_binding:
            continue
        if name in LEAVES:
            for row in fn.rows:
                if row.subsumed:
                    continue
                if name in ("Num", "Rounded"):
                    payload: object = egraph.value_to_f64(row.inputs[0])
                    nodes.append(ENode(cid(row.output), "num", (), payload))
                elif name == "Var":
                    payload = (egraph.value_to_string(row.inputs[0]), None)
                    nodes.append(ENode(cid(row.output), "sym", (), payload))
                else:
                    payload = (
                        egraph.value_to_string(row.inputs[0]),
                        egraph.value_to_i64(row.inputs[1]),
                    )
                    nodes.append(ENode(cid(row.output), "sym", (), payload))
        elif name in CONSTRUCTOR_OPS:
            op = CONSTRUCTOR_OPS[name]
            op_cost = costs.op(op)
            for row in fn.rows:
                if not row.subsumed:
                    children = tuple(cid(v) for v in row.inputs)
                    nodes.append(ENode(cid(row.output), op, children, None, op_cost))
    by_key = {egraph.value_to_i64(row.inputs[0]): row.output for row in functions[BOUND].rows}
    roots = [cid(by_key[k]) for k in root_keys]
    nodes = _free_negated_literals(nodes)
    classes: dict[int, list[int]] = {}
    for i, node in enumerate(nodes):
        classes.setdefault(node.cls, []).append(i)
    return Graph(nodes, classes, roots)


def _free_negated_literals(nodes: list[ENode]) -> list[ENode]:
    """``nodes`` with a negation of a literal's class costing nothing: the e-graph keeps signs out
    of literals, but ``(Neg (Num c))`` is extracted as the literal ``-c`` (see :func:`build_terms`),
    free in the IR's :meth:`CostTable.dag_cost` and in emitted code."""
    literal = {n.cls for n in nodes if n.op == "num"}
    return [
        ENode(n.cls, n.op, n.children, n.payload, 0.0)
        if n.op == "neg" and n.children[0] in literal
        else n
        for n in nodes
    ]


def tree_choice(graph: Graph) -> dict[int, int]:
    """Cheapest node per class by tree cost (every occurrence counted)."""
    nodes = graph.nodes
    parents: dict[int, list[int]] = {}
    pending: list[int] = []
    for i, node in enumerate(nodes):
        distinct = set(node.children)
        pending.append(len(distinct))
        for c in distinct:
            parents.setdefault(c, []).append(i)
    best_cost: dict[int, float] = {}
    choice: dict[int, int] = {}
    heap: list[tuple[float, int]] = []
    for i, node in enumerate(nodes):
        if not node.children and node.cost < best_cost.get(node.cls, float("inf")):
            best_cost[node.cls] = node.cost
            choice[node.cls] = i
            heapq.heappush(heap, (node.cost, node.cls))
    done: set[int] = set()
    while heap:
        cost, cls = heapq.heappop(heap)
        if cls in done or cost > best_cost[cls]:
            continue
        done.add(cls)
        for i in parents.get(cls, ()):
            pending[i] -= 1
            if pending[i]:
                continue
            node = nodes[i]
            total = node.cost + sum(best_cost[c] for c in node.children)
            if node.cls not in done and total < best_cost.get(node.cls, float("inf")):
                best_cost[node.cls] = total
                choice[node.cls] = i
                heapq.heappush(heap, (total, node.cls))
    return choice


def dag_cost_of(graph: Graph, choice: dict[int, int]) -> float:
    """Shared cost of the roots under ``choice`` (inf if the choice has a cycle)."""
    seen: set[int] = set()
    on_path: set[int] = set()
    total = 0.0
    stack: list[tuple[int, bool]] = [(r, False) for r in graph.roots]
    while stack:
        cls, leaving = stack.pop()
        if leaving:
            on_path.discard(cls)
            seen.add(cls)
            continue
        if cls in seen:
            continue
        if cls in on_path:
            return float("inf")
        on_path.add(cls)
        node = graph.nodes[choice[cls]]
        total += node.cost
        stack.append((cls, True))
        stack.extend((c, False) for c in node.children if c not in seen)
    return total


DAG_WORK = 3_000_000
"""Work budget of the greedy-DAG refinement, in class-set entries merged: a deterministic bound
(the result must not depend on the machine's speed), about 0.5 to 1 s here. A 4-factor product
of 4-term sums converges after 0.5 M, multistate's system after 0.2 M."""


def dag_choice(
    graph: Graph,
    start: dict[int, int],
    *,
    max_work: int = DAG_WORK,
    max_classes: int = 20_000,
    deadline: float = float("inf"),
) -> dict[int, int]:
    """Greedy-DAG refinement of ``start`` within ``max_work`` merged set entries (and, as the
    hard stop, ``deadline``, a ``perf_counter`` time); returns ``start`` when it finds nothing
    cheaper."""
    if len(graph.classes) > max_classes:
        return start
    work = 0
    nodes = graph.nodes
    sets: dict[int, dict[int, float]] = {}
    choice = dict(start)
    for _ in range(50):
        changed = False
        for cls, members in graph.classes.items():
            best_total = float("inf")
            best_set: dict[int, float] | None = None
            best_node = -1
            for i in members:
                node = nodes[i]
                if any(c not in sets for c in node.children) or cls in node.children:
                    continue
                merged = _union([sets[c] for c in node.children])
                if cls in merged:
                    continue  # would be cyclic
                merged[cls] = node.cost
                work += len(merged)
                total = sum(merged.values())
                if total < best_total:
                    best_total, best_set, best_node = total, merged, i
            if best_set is not None:
                old = sets.get(cls)
                if old is None or best_total < sum(old.values()) - 1e-9:
                    sets[cls] = best_set
                    choice[cls] = best_node
                    changed = True
            if work > max_work or time.perf_counter() > deadline:
                changed = False
                break
        if not changed:
            break
    choice, cost = local_search(graph, choice, deadline=deadline)
    if cost < dag_cost_of(graph, start):
        return choice
    return start


LOCAL_WORK = 400_000
"""Work budget of :func:`local_search`, in classes visited by its cost evaluations."""


def local_search(
    graph: Graph,
    choice: dict[int, int],
    *,
    max_work: int = LOCAL_WORK,
    deadline: float = float("inf"),
) -> tuple[dict[int, int], float]:
    """Single-node moves on a choice (returned with its shared cost): in each chosen class try
    each other node, keep it when the roots' shared cost drops. The greedy DAG step fixes each
    class's sub-DAG by its own cost, so it never computes ``exp(-x)`` as ``1/exp(x)`` (18
    cycles, not 15) to share ``exp(x)`` with the rest of ``(exp(x) - exp(-x))/(exp(x) +
    exp(-x))``; one move finds it. Deterministic: bounded by ``max_work`` classes visited (and
    by ``deadline`` as the hard stop)."""
    choice = dict(choice)
    best = dag_cost_of(graph, choice)
    free = {n.cls for n in graph.nodes if not n.children and n.cost == 0}
    work = 0
    improved = True
    while improved and best < float("inf"):
        improved = False
        used = _reachable_set(graph, choice)
        for cls in sorted(used):
            current = choice[cls]
            for i in graph.classes[cls]:
                children = graph.nodes[i].children
                # Only moves onto classes already computed (or free leaves) can share.
                if i == current or not all(c in used or c in free for c in children):
                    continue
                choice[cls] = i
                work += len(used)
                total = dag_cost_of(graph, choice)
                if total < best - 1e-9:
                    best, current, improved = total, i, True
                else:
                    choice[cls] = current
                if work > max_work or time.perf_counter() > deadline:
                    return choice, best
            if improved:
                break  # the set of computed classes changed: start over with the new one
    return choice, best


def _reachable_set(graph: Graph, choice: dict[int, int]) -> set[int]:
    seen: set[int] = set()
    stack = list(graph.roots)
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(c for c in graph.nodes[choice[cls]].children if c not in seen)
    return seen


def _union(parts: list[dict[int, float]]) -> dict[int, float]:
    """The classes of several sub-DAGs, each once (copy the largest, add the others to it)."""
    if not parts:
        return {}
    parts = sorted(parts, key=len, reverse=True)
    merged = dict(parts[0])
    for other in parts[1:]:
        for k, v in other.items():
            merged.setdefault(k, v)
    return merged


def build_terms(graph: Graph, choice: dict[int, int]) -> list[Term]:
    """IR terms for the roots; shared classes become shared term objects."""
    built: dict[int, Term] = {}
    stack: list[tuple[int, bool]] = [(r, False) for r in graph.roots]
    while stack:
        cls, ready = stack.pop()
        if cls in built:
            continue
        node = graph.nodes[choice[cls]]
        if node.op == "num":
            built[cls] = Num(cast(float, node.payload))
        elif node.op == "sym":
            name, index = cast(tuple[str, int | None], node.payload)
            built[cls] = Sym(name, index)
        elif ready:
            args = tuple(built[c] for c in node.children)
            if node.op == "neg" and isinstance(args[0], Num) and copysign(1.0, args[0].value) > 0:
                # The e-graph keeps signs out of literals; a negative constant is a literal (free)
                # in the IR and in emitted code, as in a term built with Num(-c).
                built[cls] = Num(-args[0].value)
            else:
                built[cls] = _tidy(App(node.op, args))
        else:
            stack.append((cls, True))
            stack.extend((c, False) for c in node.children if c not in built)
    return [built[r] for r in graph.roots]


def _tidy(term: App) -> Term:
    """``a + (-c)`` and ``(-c) + a`` as ``a - c`` for a literal ``c``: the same IEEE result (a
    negated literal is free, so the extractor has no preference between the two)."""
    if term.op == "add":
        a, b = term.args
        for x, lit in ((a, b), (b, a)):
            if isinstance(lit, Num) and copysign(1.0, lit.value) < 0 and not isinstance(x, Num):
                return App("sub", (x, Num(-lit.value)))
    return term


def tree_sizes_of(graph: Graph, choice: dict[int, int]) -> list[int]:
    """Nodes of each root's term under ``choice`` written out as a tree (capped at
    ``TREE_SIZE_CAP``); the choice must be acyclic."""
    size: dict[int, int] = {}
    stack: list[tuple[int, bool]] = [(r, False) for r in graph.roots]
    while stack:
        cls, ready = stack.pop()
        if cls in size:
            continue
        node = graph.nodes[choice[cls]]
        if ready or not node.children:
            size[cls] = min(TREE_SIZE_CAP, 1 + sum(size[c] for c in node.children))
        else:
            stack.append((cls, True))
            stack.extend((c, False) for c in node.children if c not in size)
    return [size[r] for r in graph.roots]


def extract(
    egraph: EGraph,
    root_keys: Sequence[int],
    costs: CostTable,
    *,
    dag: bool = True,
    max_tree: Sequence[int] | None = None,
    deadline: float = float("inf"),
) -> list[Term]:
    """Cheapest terms for the roots (their keys from :func:`~symopt.egraph.encode.insert_terms`),
    sharing counted once.

    ``max_tree`` (per root) bounds the size of each result written out as a tree, for output
    without temporaries: a sharing-aware choice whose tree is larger (``x^216`` as 21 squarings
    is small as a DAG and huge as a tree) gives way to the cheapest choice by tree cost, which
    never exceeds the tree cost of the input. A caller must still check the bound: a root can
    exceed it even then (its input counts as the fallback). ``deadline`` (a ``perf_counter``
    time) is the hard stop of the DAG refinement."""
    graph = read_graph(egraph, root_keys, costs)
    choice = tree_choice(graph)
    if dag:
        refined = dag_choice(graph, choice, deadline=deadline)
        fits = max_tree is None or all(
            n <= bound for n, bound in zip(tree_sizes_of(graph, refined), max_tree, strict=True)
        )
        choice = refined if fits else choice
    return build_terms(graph, choice)
