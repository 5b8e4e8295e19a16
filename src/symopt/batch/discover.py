"""Which model files a batch compiles and where each one's outputs go (mirroring the input tree
under OUTDIR, never outside it)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from symopt.errors import ConfigError

EXTENSIONS = {"c": ".c", "python": ".py", "numpy": ".py"}
"""The generated file's extension per language (C also gets a ``.h``)."""

DEFAULT_INCLUDE = ("*.sym",)


@dataclass(frozen=True)
class Source:
    """A model file: ``path`` as found (relative to the cwd if given so), ``rel`` its place
    under OUTDIR (the path below the directory argument, or the file name)."""

    path: str
    rel: PurePosixPath

    def outputs(self, outdir: Path, lang: str) -> list[Path]:
        """The files this model produces under ``outdir``: the module, and for C its header."""
        base = outdir.joinpath(*self.rel.parts)
        main = base.with_suffix(EXTENSIONS[lang])
        return [main, base.with_suffix(".h")] if lang == "c" else [main]


def _matches(rel: PurePosixPath, patterns: Sequence[str]) -> bool:
    """A pattern with a ``/`` matches the relative path, one without matches the file name."""
    return any(fnmatch.fnmatchcase(str(rel) if "/" in p else rel.name, p) for p in patterns)


def _walk(root: Path, outdir: Path, include: Sequence[str], exclude: Sequence[str]) -> list[Source]:
    """Model files below ``root``: hidden directories, symlinked directories and OUTDIR itself
    are not entered."""
    found = []
    skip = os.path.realpath(outdir)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and os.path.realpath(os.path.join(dirpath, d)) != skip
        )
        for name in sorted(filenames):
            full = Path(dirpath, name)
            rel = PurePosixPath(full.relative_to(root).as_posix())
            if _matches(rel, include) and not _matches(rel, exclude) and full.is_file():
                found.append(Source(str(full), rel))
    return found


def discover(
    paths: Sequence[str],
    outdir: Path,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[Source]:
    """Every model named by ``paths`` (files as given, directories searched recursively for
    ``include`` globs, default ``*.sym``, minus ``exclude``), sorted by path. A missing path, or
    two models that would write the same output, is a :class:`ConfigError`."""
    include = tuple(include) or DEFAULT_INCLUDE
    sources: list[Source] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            sources += _walk(path, outdir, include, tuple(exclude))
        elif path.is_file():
            sources.append(Source(arg, PurePosixPath(path.name)))
        else:
            raise ConfigError(f"{arg}: no such file or directory")
    by_rel: dict[PurePosixPath, str] = {}
    unique = []
    for src in sources:
        key = src.rel.with_suffix("")
        if key in by_rel:
            if os.path.samefile(by_rel[key], src.path):
                continue
            raise ConfigError(
                f"{by_rel[key]} and {src.path} would both write {key} under the output "
                "directory; give them separately or rename one"
            )
        by_rel[key] = src.path
        unique.append(src)
    return sorted(unique, key=lambda s: s.rel)


def escapes(outdir: Path, target: Path) -> bool:
    """Whether writing ``target`` would land outside ``outdir`` (through ``..`` or a symlink,
    in its directories or as the file itself)."""
    root = os.path.realpath(outdir)
    real = os.path.realpath(target)
    return os.path.commonpath([root, real]) != root
