"""Where a TOML key sits in its file: tomllib gives values but no positions, so errors about a
key (unknown, wrong type) find its line and column with a small scan of the text."""

from __future__ import annotations

import re
import tomllib


def toml_error_position(exc: tomllib.TOMLDecodeError) -> tuple[str, int, int]:
    """The message, line and column of a TOML syntax error (Python < 3.14 has them only in the
    text: ``… (at line 3, column 7)``)."""
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(exc))
    if found is None:
        return str(exc), 1, 1
    return str(exc)[: found.start()], int(found.group(1)), int(found.group(2))


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(
    r"^(\s*)((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)
_PART = re.compile(r"[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _PART.findall(dotted))


def key_lines(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """``(line, column)`` of every table header and ``key =`` line, by full dotted key path. A
    small scan, not a TOML parser: lines inside multi-line strings or arrays are skipped by
    skipping lines that cannot start a key, which is enough to locate a validation error."""
    found: dict[tuple[str, ...], tuple[int, int]] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _parts(header.group(1))
            found.setdefault(table, (number, line.index(header.group(1)[0]) + 1))
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((*table, *_parts(key.group(2))), (number, len(key.group(1)) + 1))
    return found


def locate(lines: dict[tuple[str, ...], tuple[int, int]], path: tuple[str, ...]) -> tuple[int, int]:
    """The line and column of ``path`` or, failing that, of its nearest enclosing table."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return (1, 1)
