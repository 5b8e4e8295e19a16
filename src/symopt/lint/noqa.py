"""Per-line suppression: ``# symopt: noqa`` (every code) or ``# symopt: noqa: SYM001, SYM003``."""

from __future__ import annotations

import re

from symopt.lint.findings import Finding, selector_matches

_NOQA = re.compile(r"#\s*symopt:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*))?")


def noqa_codes(line: str) -> list[str] | None:
    """``None`` if ``line`` has no noqa comment, ``[]`` for a bare one, else its codes."""
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match["codes"]
    return [] if codes is None else [c.strip() for c in codes.split(",")]


def suppressed(finding: Finding, lines: list[str]) -> bool:
    """Whether a noqa comment on the finding's first line covers its code."""
    line = finding.loc.line
    if not 0 < line <= len(lines):
        return False
    codes = noqa_codes(lines[line - 1])
    if codes is None:
        return False
    return not codes or any(selector_matches(c, finding.code) for c in codes)
