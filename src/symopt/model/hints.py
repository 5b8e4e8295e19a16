"""Likely mistakes in a model without a declaration: a typo that became an input, a gap in an
indexed output. Pure helpers; :mod:`symopt.model.parse` turns them into warnings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MIN_TYPO_LENGTH = 3
"""Shorter names (``x``/``y``, ``kf``/``kr``) are one edit apart by design, not by mistake."""


def one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one inserted, deleted or replaced character, or two
    swapped neighbours, none of them a digit (``k1``/``k2``, ``x``/``x2`` name families)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    start = 0
    while start < len(a) and a[start] == b[start]:
        start += 1
    end = 0  # common suffix, not overlapping the prefix
    while end < len(a) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    da, db = a[start : len(a) - end], b[start : len(b) - end]
    if len(a) < len(b):
        changed = db if not da and len(db) == 1 else ""
    elif len(da) == 1:
        changed = da + db
    elif len(da) == 2 and da == db[::-1]:
        changed = da
    else:
        changed = ""
    return bool(changed) and not any(c.isdigit() for c in changed)


def typo_of(
    name: str, reads: Mapping[str, int], locals_: Iterable[str], outputs: Iterable[str]
) -> str | None:
    """The name that ``name`` (an input read once) is probably a typo of: a local, an output or
    an input read more than once, one edit away (see :func:`one_edit`); ``None`` if none."""
    if reads.get(name, 0) != 1 or len(name) < MIN_TYPO_LENGTH:
        return None
    inputs = [n for n, count in reads.items() if count > 1]
    for candidate in (*locals_, *outputs, *inputs):
        if one_edit(name, candidate):
            return candidate
    return None


def gaps(indices: Iterable[int]) -> list[tuple[int, int]]:
    """Missing runs ``(first, last)`` of ``indices`` below their maximum (0 included)."""
    have = sorted(set(indices))
    out: list[tuple[int, int]] = []
    expected = 0
    for i in have:
        if i > expected:
            out.append((expected, i - 1))
        expected = i + 1
    return out


def run_text(name: str, first: int, last: int) -> str:
    """``du[1] is`` / ``du[1] to du[3] are`` (the subject of "… never assigned")."""
    if first == last:
        return f"{name}[{first}] is"
    return f"{name}[{first}] to {name}[{last}] are"
