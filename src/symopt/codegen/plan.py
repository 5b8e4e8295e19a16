"""Preparing a function for an imperative language: lower, share, rename, order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from symopt.codegen.function import FunctionDef
from symopt.codegen.infix import Dialect, write
from symopt.codegen.lower import lower_all
from symopt.codegen.names import fresh_names, safe_names
from symopt.codegen.schedule import (
    AFFINITY_MIN_TEMPORARIES,
    RECOMPUTE_MAX_USES,
    RECOMPUTE_PRODUCTS_MIN_TEMPORARIES,
    Root,
    Step,
    Temp,
    affinity_order,
    direct_temporaries,
    is_load_pair,
    schedule,
    use_counts,
)
from symopt.costs import CostTable
from symopt.ir import FUNCTIONS, App, PVar, Sym, Term, intern, postorder

CALLS = frozenset(FUNCTIONS) - {"abs"}
"""Functions that compiled C calls (``abs`` is a bit mask; ``sqrt`` is one instruction but falls
back to a call on negative input to set ``errno``, and gcc spills around that call too)."""


@dataclass(frozen=True)
class Plan:
    """A function ready to print: its statements in order and the names to print them with."""

    fn: FunctionDef
    renames: dict[str, str]
    """Parameter base names changed to dodge reserved words (old -> new)."""
    steps: list[Step]
    bound: dict[int, str]
    """``id`` of each temporary's term -> its name (the terms are kept alive in ``roots``)."""
    roots: list[Term]
    """The lowered, interned body expressions."""
    ops: frozenset[str]
    """Every operator the body uses after lowering."""

    def name(self, base: str) -> str:
        """The printed name of parameter ``base``."""
        return self.renames.get(base, base)

    def text(self, step: Step, dialect: Dialect) -> str:
        """The right-hand side of ``step``: a temporary's definition, or a body expression
        (which is just a temporary's name when the whole expression is shared)."""
        if isinstance(step, Root) and id(step.term) in self.bound:
            return self.bound[id(step.term)]
        return write(step.term, dialect, self.bound)


def check_symbols(fn: FunctionDef, nodes: list[Term]) -> None:
    """Every symbol must be a declared input, indexed exactly when the input is an array."""
    inputs = {p.name: p for p in fn.inputs}
    for term in nodes:
        if isinstance(term, PVar):
            raise ValueError(f"{fn.name}: pattern variable ?{term.name} in a function body")
        if not isinstance(term, Sym):
            continue
        param = inputs.get(term.name)
        if param is None:
            raise ValueError(f"{fn.name}: {term.key} is not an input of the function")
        if param.is_array != (term.index is not None):
            kind = "an array" if param.is_array else "a scalar"
            raise ValueError(f"{fn.name}: {term.key} is used but input {term.name} is {kind}")


def plan_function(
    fn: FunctionDef,
    lang: str,
    is_reserved: Callable[[str], bool],
    costs: CostTable | None,
    *,
    recompute_load_sums: bool = False,
    reorder: bool = False,
    calls_first: bool = False,
) -> Plan:
    """Lower integer powers, share repeated subterms as temporaries and rename clashing names.

    Parameters are renamed; a reserved function name is an error (it is the caller's API).
    With ``recompute_load_sums`` a sum of two leaves used at most ``RECOMPUTE_MAX_USES`` times
    is written out where it is used instead of becoming a temporary: in compiled code each use
    is then one more add with a folded load, while a temporary that lives across statements
    costs a store, reloads and register copies (measured on the benchmark models: 2 to 4 uses
    are cheaper recomputed, 8 or more are cheaper kept); with ``RECOMPUTE_PRODUCTS_MIN_TEMPORARIES``
    or more temporaries, so is a product of two leaves.
    With ``reorder`` the body entries are computed in :func:`affinity_order` when their targets
    are distinct (body expressions never read outputs, so each still gets its own value) and
    there are at least ``AFFINITY_MIN_TEMPORARIES`` temporaries.
    With ``calls_first``, in bodies with at least ``AFFINITY_MIN_TEMPORARIES`` temporaries,
    every call of a library function (:data:`CALLS`) becomes a temporary computed before any
    body entry: a call clobbers every floating-point register, so values live across it are
    spilled; at the top, little is live (an exp-heavy 200-statement model: 13,469 → 11,792
    instructions per call).
    """
    if is_reserved(fn.name):
        raise ValueError(f"function name {fn.name!r} is reserved in {lang}; choose another")
    roots = intern(lower_all([expr for _, expr in fn.body], costs))
    nodes = list(postorder(roots))
    check_symbols(fn, nodes)
    params = [p.name for p in (*fn.outputs, *fn.inputs)]
    renames = safe_names(params, is_reserved)
    taken = {renames.get(p, p) for p in params} | {fn.name}
    temp_names = fresh_names("t", taken)
    uses = use_counts(roots, nodes)
    shared = {key for key, count in uses.items() if count > 1}
    if recompute_load_sums:
        many = len(shared) >= RECOMPUTE_PRODUCTS_MIN_TEMPORARIES
        pair_ops = ("add", "sub", "mul") if many else ("add", "sub")
        rare = (t for t in nodes if uses[id(t)] <= RECOMPUTE_MAX_USES)
        shared -= {id(t) for t in rare if is_load_pair(t, pair_ops)}
    targets = [target for target, _ in fn.body]
    distinct = len(set(targets)) == len(targets)  # a repeated target must keep its last value
    reorder = reorder and distinct and len(shared) >= AFFINITY_MIN_TEMPORARIES
    order = affinity_order(roots, shared, nodes) if reorder else None
    calls_first = calls_first and len(shared) >= AFFINITY_MIN_TEMPORARIES
    first = [t for t in nodes if isinstance(t, App) and t.op in CALLS] if calls_first else []
    shared |= {id(t) for t in first}
    steps = schedule(roots, shared, lambda: next(temp_names), order, first)
    bound = {id(step.term): step.name for step in steps if isinstance(step, Temp)}
    ops = frozenset(t.op for t in nodes if isinstance(t, App))
    return Plan(fn, renames, steps, bound, roots, ops)


REUSE_MIN_SHARE = 0.5
"""A function whose body is part of a larger one's reuses that one's plan, pruned, when the
pruned plan keeps at least this share of its statements (``NAME_jac`` inside
``NAME_f_and_jac``); with less kept, planning afresh orders and shares for the smaller body
alone (``NAME`` itself)."""


def plan_functions(
    functions: Sequence[FunctionDef], plan_one: Callable[[FunctionDef], Plan]
) -> list[Plan]:
    """Plans of ``functions``, in order, each body planned once where possible: largest first,
    a function whose body entries (the same objects) all belong to an already planned
    function with the same inputs gets its plan pruned to those entries
    (:func:`pruned_plan`), if that keeps :data:`REUSE_MIN_SHARE` of it."""
    plans: dict[int, Plan] = {}
    for k in sorted(range(len(functions)), key=lambda k: -len(functions[k].body)):
        fn = functions[k]
        entries = {id(entry) for entry in fn.body}
        for j, host in plans.items():
            other = functions[j]
            if other.inputs != fn.inputs or not entries <= {id(e) for e in other.body}:
                continue
            candidate = pruned_plan(host, fn)
            if len(candidate.steps) >= REUSE_MIN_SHARE * len(host.steps):
                plans[k] = candidate
                break
        else:
            plans[k] = plan_one(fn)
    return [plans[k] for k in range(len(functions))]


def pruned_plan(host: Plan, fn: FunctionDef) -> Plan:
    """``host``'s plan for ``fn``, whose body entries are entries of ``host.fn``'s: the steps
    computing them and the temporaries those read (transitively), in ``host``'s order."""
    position = {id(entry): k for k, entry in enumerate(fn.body)}
    index = {
        k: position[id(entry)] for k, entry in enumerate(host.fn.body) if id(entry) in position
    }
    needed: set[int] = set()
    kept: list[Step] = []
    for step in reversed(host.steps):
        if isinstance(step, Root):
            if step.index not in index:
                continue
            step = Root(index[step.index], step.term)
            if id(step.term) in host.bound:
                needed.add(id(step.term))
                kept.append(step)
                continue
        elif id(step.term) not in needed:
            continue
        needed.update(id(t) for t in direct_temporaries(step.term, host.bound))
        kept.append(step)
    bound = {key: name for key, name in host.bound.items() if key in needed}
    return Plan(fn, host.renames, kept[::-1], bound, host.roots, host.ops)
