"""Sharing: which subterms become temporaries, and in what order they are computed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
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


def shared_subterms(roots: Sequence[Term], nodes: Iterable[Term] | None = None) -> set[int]:
    """Ids of the ``App`` nodes referenced more than once (by parents or as roots).

    ``roots`` must be interned (:func:`symopt.ir.intern`) so equal subterms are one object;
    ``nodes`` are their distinct subterms if already at hand (else computed).
    """
    uses: Counter[int] = Counter(id(r) for r in roots if isinstance(r, App))
    for t in postorder(list(roots)) if nodes is None else nodes:
        if isinstance(t, App):
            uses.update(id(a) for a in t.args if isinstance(a, App))
    return {key for key, count in uses.items() if count > 1}


def is_load_sum(term: Term) -> bool:
    """``a + b`` or ``a - b`` of two leaves (loads or constants)."""
    return (
        isinstance(term, App)
        and term.op in ("add", "sub")
        and not any(isinstance(a, App) for a in term.args)
    )


def schedule(roots: Sequence[Term], shared: set[int], new_name: Callable[[], str]) -> list[Step]:
    """Order the computation of interned ``roots``: each root preceded by its new temporaries.

    Temporaries are the nodes whose id is in ``shared`` (see :func:`shared_subterms`). They
    appear in dependency order, just before the first root that needs them, and are named by
    calling ``new_name``.
    """
    seen: set[int] = set()
    steps: list[Step] = []
    for index, root in enumerate(roots):
        stack: list[tuple[Term, bool]] = [(root, False)]
        while stack:
            term, expanded = stack.pop()
            if id(term) in seen:
                continue
            if expanded or not isinstance(term, App):
                seen.add(id(term))
                if id(term) in shared:
                    assert isinstance(term, App)
                    steps.append(Temp(new_name(), term))
                continue
            stack.append((term, True))
            stack.extend((a, False) for a in reversed(term.args) if id(a) not in seen)
        steps.append(Root(index, root))
    return steps
