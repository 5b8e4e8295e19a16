"""Renaming parameters whose names clash with a target language's reserved names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


def safe_names(names: Iterable[str], is_reserved: Callable[[str], bool]) -> dict[str, str]:
    """Map every reserved name in ``names`` to a fresh one (``double`` -> ``double_``).

    New names are neither reserved nor equal to any other name in ``names`` or to each other.
    Returns only the renamed entries, in order of appearance.
    """
    names = list(dict.fromkeys(names))
    taken = {n for n in names if not is_reserved(n)}
    renames: dict[str, str] = {}
    for name in names:
        if not is_reserved(name):
            continue
        base = name + "_"
        if is_reserved(base):  # a reserved prefix such as C's `__`: prefix instead
            base = "v" + name
        candidate, counter = base, 2
        while candidate in taken or is_reserved(candidate):
            candidate, counter = f"{base}{counter}", counter + 1
        renames[name] = candidate
        taken.add(candidate)
    return renames


def fresh_names(prefix: str, taken: set[str]) -> Iterator[str]:
    """``t0``, ``t1``, ... skipping (and adding to) ``taken``."""
    counter = 0
    while True:
        name = f"{prefix}{counter}"
        counter += 1
        if name not in taken:
            taken.add(name)
            yield name


def renamed_comment(renames: dict[str, str]) -> str:
    """``renamed: double -> double_, int -> int_`` (the text of the comment)."""
    return "renamed: " + ", ".join(f"{old} -> {new}" for old, new in renames.items())
