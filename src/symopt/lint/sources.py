"""Which files ``symopt lint`` reads: kinds by extension, directories walked recursively with
``.gitignore``-style include/exclude globs."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

KINDS: dict[str, str] = {
    ".sym": "model",
    ".expr": "expressions",
    ".txt": "expressions",
    ".py": "python",
}
"""File kind by extension: a model, an expression file (one expression per line) or Python."""

DEFAULT_INCLUDE: tuple[str, ...] = ("*.sym", "*.expr", "*.txt", "*.py")
"""Files a directory walk picks up unless ``--include`` says otherwise."""

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".venv/",
    "venv/",
    ".env/",
    "env/",
    ".tox/",
    ".nox/",
    "__pycache__/",
    "node_modules/",
    "build/",
    "dist/",
    "site-packages/",
    "*.egg-info/",
    ".eggs/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".ipynb_checkpoints/",
    "requirements*.txt",
    "constraints*.txt",
    "CMakeLists.txt",
    "LICENSE*",
    "README*",
    "CHANGELOG*",
)
"""Always skipped in a directory walk (a file named on the command line is always read)."""


@dataclass(frozen=True)
class SourcePath:
    """A file to lint and its kind (see :data:`KINDS`)."""

    path: str
    kind: str


def kind_of(path: str) -> str | None:
    return KINDS.get(os.path.splitext(path)[1].lower())


def _matches(pattern: str, rel: str, is_dir: bool) -> bool:
    """``.gitignore``-style: a trailing ``/`` matches directories only; a pattern without a
    ``/`` matches the name at any depth; one with a ``/`` matches the path from the root."""
    if pattern.endswith("/"):
        if not is_dir:
            return False
        pattern = pattern.rstrip("/")
    pattern = pattern.removeprefix("./")
    if "/" in pattern.lstrip("/"):
        return fnmatch.fnmatchcase(rel, pattern.lstrip("/"))
    return fnmatch.fnmatchcase(os.path.basename(rel), pattern.lstrip("/"))


def excluded(rel: str, is_dir: bool, exclude: Sequence[str]) -> bool:
    return any(_matches(p, rel, is_dir) for p in exclude)


def discover(
    paths: Iterable[str],
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> Iterator[SourcePath | str]:
    """Files to lint, in a stable order: each named file (whatever its name; an unknown kind is
    yielded as an error string), each directory walked in sorted order keeping the files that
    match ``include`` (default :data:`DEFAULT_INCLUDE`) and no exclude pattern (the defaults,
    ``exclude``, and with ``respect_gitignore`` the ``.gitignore`` files of the walked
    directories). A path that does not exist is yielded as an error string."""
    includes = tuple(include) or DEFAULT_INCLUDE
    excludes = (*DEFAULT_EXCLUDE, *exclude)
    for path in paths:
        if os.path.isdir(path):
            yield from _walk(path, includes, excludes, respect_gitignore)
        elif os.path.exists(path):
            kind = kind_of(path)
            if kind is None:
                known = ", ".join(sorted(KINDS))
                yield f"{path}: unknown file type (symopt lint reads {known})"
            else:
                yield SourcePath(path, kind)
        else:
            yield f"{path}: no such file or directory"


def gitignore_patterns(text: str) -> list[str]:
    """The patterns of a ``.gitignore`` file (comments, blanks and ``!`` negations dropped:
    a negation cannot bring back what a default exclude skips)."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")):
            out.append(line)
    return out


def _read_gitignore(directory: str) -> list[str]:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8") as fh:
            return gitignore_patterns(fh.read())
    except (OSError, UnicodeDecodeError):
        return []


def _walk(
    root: str, includes: Sequence[str], excludes: Sequence[str], respect_gitignore: bool
) -> Iterator[SourcePath]:
    ignores: list[tuple[str, list[str]]] = []  # (directory relative to root + "/", patterns)

    def skipped(rel: str, is_dir: bool) -> bool:
        if excluded(rel, is_dir, excludes):
            return True
        return any(
            rel.startswith(prefix) and excluded(rel[len(prefix) :], is_dir, patterns)
            for prefix, patterns in ignores
        )

    for directory, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        if respect_gitignore and ".gitignore" in files:
            ignores.append((rel_dir, _read_gitignore(directory)))
        dirs[:] = sorted(d for d in dirs if not skipped(rel_dir + d, True))
        for name in sorted(files):
            rel = rel_dir + name
            kind = kind_of(name)
            if kind is None or skipped(rel, False):
                continue
            if any(_matches(p, rel, False) for p in includes):
                yield SourcePath(os.path.normpath(os.path.join(directory, name)), kind)
