"""Splitting a huge function body into parts, for compilers that are slow on huge functions.

gcc -O2 takes minutes on a single function with tens of thousands of statements (its register
allocation and scheduling grow faster than linearly), but seconds on the same statements spread
over functions of a few thousand. :func:`split_steps` cuts a plan's steps into consecutive parts
and finds the temporaries that cross a cut: each gets a slot in a scratch array that the part
defining it writes and later parts read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from symopt.codegen.schedule import Root, Step, Temp, direct_temporaries

DEFAULT_MAX_STATEMENTS = 4000
"""Default most statements (temporaries and outputs) per part. Naive bcr model (25,311 statements),
gcc 12 -O2 user time / instructions per call: one function 130 s / 129k; parts of 4000: 62 s;
2000: 54 s / 142k; 500: 23 s / 146k; 250: 18 s / 146k. The optimised bcr (about 2,600
statements) stays one function: gcc 5 s, and 1.4% fewer instructions than in parts of 500."""


@dataclass(frozen=True)
class Part:
    """Consecutive steps of a body, computed by one function."""

    steps: list[Step]
    imports: list[str]
    """Temporaries of earlier parts this part reads (loaded from the scratch array first)."""
    exports: frozenset[str]
    """Temporaries of this part that later parts read (stored to the scratch array)."""


@dataclass(frozen=True)
class Split:
    """A body cut into parts, and the scratch slot of every temporary that crosses a cut."""

    parts: list[Part]
    slots: dict[str, int]


def temps_read(step: Step, bound: Mapping[int, str]) -> list[str]:
    """Names of the temporaries ``step``'s right-hand side refers to, in order of first use."""
    if isinstance(step, Root) and id(step.term) in bound:
        return [bound[id(step.term)]]
    found = reversed(direct_temporaries(step.term, bound))
    return list(dict.fromkeys(bound[id(t)] for t in found))


def split_steps(steps: Sequence[Step], bound: Mapping[int, str], max_statements: int) -> Split:
    """Cut ``steps`` (in order) into parts of at most ``max_statements`` steps.

    ``bound`` maps ``id`` of each temporary's term to its name (as in
    :class:`symopt.codegen.plan.Plan`). A temporary read by a later part than its own is exported
    through a scratch slot (numbered in order of definition) and imported where it is read.
    """
    if max_statements < 1:
        raise ValueError(f"max_statements must be at least 1, got {max_statements}")
    chunks = [list(steps[i : i + max_statements]) for i in range(0, len(steps), max_statements)]
    home: dict[str, int] = {}  # temporary -> part defining it
    reads: list[list[str]] = []
    for k, chunk in enumerate(chunks):
        foreign: dict[str, None] = {}
        for step in chunk:
            for name in temps_read(step, bound):
                if home[name] != k:
                    foreign.setdefault(name, None)
            if isinstance(step, Temp):
                home[step.name] = k
        reads.append(list(foreign))
    crossing = {name for names in reads for name in names}
    slots: dict[str, int] = {}
    for chunk in chunks:
        for step in chunk:
            if isinstance(step, Temp) and step.name in crossing:
                slots[step.name] = len(slots)
    parts = [
        Part(
            steps=chunk,
            imports=imported,
            exports=frozenset(s.name for s in chunk if isinstance(s, Temp) and s.name in crossing),
        )
        for chunk, imported in zip(chunks, reads, strict=True)
    ]
    return Split(parts, slots)
