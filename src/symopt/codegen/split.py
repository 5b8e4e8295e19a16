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
from symopt.ir import App

DEFAULT_MAX_STATEMENTS = 4000
"""Default most statements (temporaries and outputs) per part. Naive bcr model (25,311 statements),
gcc 12 -O2 user time / instructions per call: one function 130 s / 129k; parts of 4000: 62 s;
2000: 54 s / 142k; 500: 23 s / 146k; 250: 18 s / 146k. The optimised bcr (about 2,600
statements) stays one function: gcc 5 s, and 1.4% fewer instructions than in parts of 500."""

SPLIT_ABOVE_OPERATIONS = 24_000
"""A body with more operations than this is split even within the statement limit: long
statements make gcc as slow as many statements. The optimised bcr (about 21k operations) stays
one function."""

PART_OPERATIONS = 1_000
"""Most operations per part of a body split for its operations. Optimised multisite 6 (9,039
statements, about 103k operations, every phase complete), gcc 12 -O2 user time / instructions
per call (benchmarks/gcc_files.py, 2026-11-30): parts of 12,000 operations 20.3 s / 160,783;
4,000 14.2 s / 160,281; 2,000 14.4 s / 160,383; 1,000 12.0 s / 159,786 (finer parts pass more
temporaries through the scratch array). gcc's combiner is worse than quadratic in a function
holding one long chain of additions: a multisite 7 part with a 2,000-operator piece of an
enzyme sum took 30 s, the same piece as four functions 0.25 s (with
:data:`symopt.codegen.chains.CHAIN_LINKS` each piece is a part of its own)."""


PART_STATEMENTS = 500
"""Most statements per part of a body that is split (``--max-statements-per-function`` decides
whether a body is split; its parts get at most this many, or that many if fewer). gcc -O2's
time grows faster than linearly with a function's statements (its SLP vectorizer looks at runs
of stores): 2,000 temporaries of multisite 7, each stored for later parts, take 5.5 s in one
function, 1.6 s in four, 1.0 s in eight."""


@dataclass(frozen=True)
class Part:
    """Consecutive steps of a body, computed by one function."""

    steps: list[Step]
    imports: list[str]
    """Temporaries of earlier parts this part reads (loaded from the scratch array first)."""
    exports: frozenset[str]
    """Temporaries of this part that later parts read (stored to the scratch array)."""
    operations: int = 0
    """Operators the part's steps write out (see :func:`operations`)."""

    @property
    def size(self) -> int:
        """What a part costs a compiler, in operations: its operators, plus one per statement
        and per load or store of the scratch array (multisite 7 stores most of its 57k
        temporaries for later parts; gcc spends more time on those than on their operators)."""
        return self.operations + len(self.steps) + len(self.imports) + len(self.exports)


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


def operations(step: Step, bound: Mapping[int, str]) -> int:
    """Operators ``step`` writes out: its nodes down to the temporaries it reads."""
    if isinstance(step, Root) and (id(step.term) in bound or not isinstance(step.term, App)):
        return 0
    count = 1
    stack = list(step.term.args) if isinstance(step.term, App) else []
    while stack:
        n = stack.pop()
        if isinstance(n, App) and id(n) not in bound:
            count += 1
            stack.extend(n.args)
    return count


def needs_split(steps: Sequence[Step], bound: Mapping[int, str], max_statements: int) -> bool:
    """Whether a body is too long for one function: more than ``max_statements`` steps or more
    than :data:`SPLIT_ABOVE_OPERATIONS` operations."""
    if len(steps) > max_statements:
        return True
    total = 0
    for step in steps:
        total += operations(step, bound)
        if total > SPLIT_ABOVE_OPERATIONS:
            return True
    return False


def _chunks(
    steps: Sequence[Step], bound: Mapping[int, str], max_statements: int, max_operations: int
) -> list[tuple[list[Step], int]]:
    """Consecutive runs of at most ``max_statements`` steps and (unless one step alone is
    longer) ``max_operations`` operations, each with its number of operations."""
    chunks: list[list[Step]] = [[]]
    sizes = [0]
    for step in steps:
        ops = operations(step, bound)
        if chunks[-1] and (len(chunks[-1]) >= max_statements or sizes[-1] + ops > max_operations):
            chunks.append([])
            sizes.append(0)
        chunks[-1].append(step)
        sizes[-1] += ops
    return [(c, n) for c, n in zip(chunks, sizes, strict=True) if c]


def split_steps(
    steps: Sequence[Step],
    bound: Mapping[int, str],
    max_statements: int,
    max_operations: int | None = None,
) -> Split:
    """Cut ``steps`` (in order) into parts of at most ``max_statements`` steps and
    ``max_operations`` operations (see :func:`operations`; default :data:`PART_OPERATIONS`).

    ``bound`` maps ``id`` of each temporary's term to its name (as in
    :class:`symopt.codegen.plan.Plan`). A temporary read by a later part than its own is exported
    through a scratch slot (numbered in order of definition) and imported where it is read.
    """
    if max_statements < 1:
        raise ValueError(f"max_statements must be at least 1, got {max_statements}")
    limit = PART_OPERATIONS if max_operations is None else max_operations
    sized = _chunks(steps, bound, max_statements, limit)
    chunks = [chunk for chunk, _ in sized]
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
            operations=size,
        )
        for (chunk, size), imported in zip(sized, reads, strict=True)
    ]
    return Split(parts, slots)
