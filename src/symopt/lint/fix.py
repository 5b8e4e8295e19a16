"""Applying suggestions to a file's text, and the unified diff of what that changes."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from symopt.lint.findings import Finding


@dataclass(frozen=True)
class Fixed:
    """A file's new text and the findings whose suggestion it applied."""

    text: str
    applied: tuple[Finding, ...]


def fixable(f: Finding, python_unsafe: bool, kind: str) -> bool:
    """Whether ``--fix`` applies ``f``: a replacement with a known end, and for Python only
    with ``--unsafe-fixes`` (operand types are unknown: integers, arrays, complex)."""
    if f.suggestion is None or not f.fixable or f.loc.end_column is None:
        return False
    return kind != "python" or python_unsafe


def _offsets(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def apply_fixes(text: str, findings: Sequence[Finding]) -> Fixed:
    """``text`` with each finding's ``suggestion`` replacing its span (findings must be
    fixable). Overlapping fixes: the outer one wins; run again to apply the inner ones."""
    starts = _offsets(text)

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    edits = []
    for f in findings:
        assert f.suggestion is not None and f.loc.end_column is not None
        end_line = f.loc.end_line or f.loc.line
        edits.append((offset(f.loc.line, f.loc.column), offset(end_line, f.loc.end_column), f))
    edits.sort(key=lambda e: (e[0], -e[1]))
    chosen = []
    last_end = -1
    for start, end, f in edits:
        if start >= last_end:
            chosen.append((start, end, f))
            last_end = end
    out = text
    for start, end, f in reversed(chosen):
        assert f.suggestion is not None
        out = out[:start] + f.suggestion + out[end:]
    return Fixed(out, tuple(f for _, _, f in chosen))


def unified_diff(path: str, before: str, after: str) -> str:
    """What a fix changes, as ``diff -u`` shows it (empty if nothing)."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=path if os.path.isabs(path) else f"a/{path}",
            tofile=path if os.path.isabs(path) else f"b/{path}",
        )
    )
