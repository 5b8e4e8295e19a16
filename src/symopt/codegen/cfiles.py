"""C output as several translation units, for models whose code no single gcc run digests fast.

gcc -O2's time grows linearly with a file's code once its functions are bounded (see
:mod:`symopt.codegen.split`): the optimised multisite 7 model (about 1 M operations) took about
two minutes as one file. When the parts of the split functions hold more than a per-file
budget together, :func:`assemble_files` moves them into further files (``OUT.part1.c`` …) of
about equal size and at most that budget each (one part at least). Sizes are counted in
operations: operators, plus one per statement and per load or store of the scratch array
(:attr:`symopt.codegen.split.Part.size`). The first file keeps the includes, constants, unsplit
functions and the entry functions, which call the parts through declarations. Compile every
file and link them together (``symopt build`` and ``symopt.load`` do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_FILE_OPERATIONS = 100_000
"""Default most operations of split-function parts per emitted C file (``-o`` only)."""

PART_FILE_MARKER = "/* symopt C part file"
"""How every part file begins (a stale one from an earlier, larger output is recognised by it)."""

HIDDEN_MACRO = """#ifndef SYMOPT_HIDDEN
#if defined(__GNUC__)
#define SYMOPT_HIDDEN __attribute__((visibility("hidden")))
#else
#define SYMOPT_HIDDEN
#endif
#endif"""
"""Keeps the parts, which need external linkage across files, out of a shared library's
exported symbols."""


@dataclass(frozen=True)
class PartFunction:
    """One part of a split function."""

    name: str
    params: str
    """The parameter list, without parentheses."""
    body: list[str]
    """The indented statements between the braces."""
    operations: int
    """Its size in operations (:attr:`symopt.codegen.split.Part.size`: operators, statements,
    scratch loads and stores)."""

    def definition(self, prefix: str) -> str:
        return "\n".join([f"{prefix}void {self.name}({self.params}) {{", *self.body, "}"])


@dataclass(frozen=True)
class RenderedFunction:
    """A function: ``whole``, its text, if it was not split; else its pieces: the comment above
    it, the parts and the entry function that calls them (joined only when one file has them
    all, :attr:`text`)."""

    whole: str = ""
    comment: str = ""
    parts: tuple[PartFunction, ...] = ()
    entry: str = ""

    @property
    def text(self) -> str:
        """The function as one file has it."""
        if not self.parts:
            return self.whole
        lines = [self.comment]
        for part in self.parts:
            lines += [part.definition("static SYMOPT_NOINLINE "), ""]
        return "\n".join([*lines, self.entry])


def part_operations(functions: Sequence[RenderedFunction]) -> int:
    """Operations in the parts of all split functions."""
    return sum(p.operations for fn in functions for p in fn.parts)


def _pack(parts: Sequence[PartFunction], budget: int) -> list[list[PartFunction]]:
    """Consecutive groups of at most ``budget`` operations (one part at least per group), as
    few as the budget allows and about equally large: a part goes to the file its middle falls
    in when the total is cut into equal shares (one more file while a share overflows)."""
    total = sum(p.operations for p in parts)
    least = -(-total // budget)
    for count in range(max(1, least), least + 4):
        groups: list[list[PartFunction]] = [[] for _ in range(count)]
        start = 0
        for part in parts:
            middle = start + part.operations / 2
            groups[min(count - 1, int(middle * count / max(1, total)))].append(part)
            start += part.operations
        if all(len(g) == 1 or sum(p.operations for p in g) <= budget for g in groups):
            return [g for g in groups if g]
    return _fill(parts, budget)


def _fill(parts: Sequence[PartFunction], budget: int) -> list[list[PartFunction]]:
    """Consecutive groups, each filled up to ``budget`` operations (one part at least)."""
    groups: list[list[PartFunction]] = [[]]
    size = 0
    for part in parts:
        if groups[-1] and size + part.operations > budget:
            groups.append([])
            size = 0
        groups[-1].append(part)
        size += part.operations
    return [g for g in groups if g]


def assemble_files(
    head: Sequence[str],
    constants: Sequence[str],
    functions: Sequence[RenderedFunction],
    max_file_operations: int,
) -> list[str]:
    """The first file (``head``, ``constants``, declarations of the parts, the functions with
    each split one reduced to its entry) and the part files, parts packed in order into files
    of at most ``max_file_operations`` operations."""
    groups = _pack([p for fn in functions for p in fn.parts], max_file_operations)
    count = len(groups) + 1
    blocks = [*head, HIDDEN_MACRO, *constants]
    for fn in functions:
        if not fn.parts:
            blocks.append(fn.text)
            continue
        declarations = [f"SYMOPT_HIDDEN void {p.name}({p.params});" for p in fn.parts]
        where = f"{fn.comment[:-3]}; the parts are defined in the other files of this module */"
        blocks.append("\n".join([where, *declarations, "", fn.entry]))
    main = f"/* symopt C module in {count} files: compile each and link them together */\n"
    files = [main + "\n\n".join(blocks) + "\n"]
    for k, group in enumerate(groups, start=1):
        intro = f"{PART_FILE_MARKER} {k} of {count - 1}: compile and link with the others */"
        defs = [p.definition("SYMOPT_HIDDEN SYMOPT_NOINLINE ") for p in group]
        files.append("\n\n".join([intro, *head, HIDDEN_MACRO, *defs]) + "\n")
    return files


def part_file_paths(path: str, count: int) -> list[str]:
    """Where the part files of an output written to ``path`` go: ``OUT.c`` → ``OUT.part1.c`` …
    (``OUT`` without ``.c`` → ``OUT.part1.c`` too)."""
    return [part_file_path(path, k) for k in range(1, count + 1)]


def part_file_path(path: str, k: int) -> str:
    """The ``k``-th part file (from 1) of an output written to ``path``."""
    p = Path(path)
    stem = p.name[: -len(".c")] if p.name.endswith(".c") else p.name
    return str(p.with_name(f"{stem}.part{k}.c"))
