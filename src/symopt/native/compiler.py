"""Compiling generated C into a shared library with the system compiler."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from symopt.errors import SymoptError

DEFAULT_CFLAGS = ("-O2",)
"""Optimisation flags used unless ``cflags`` is given."""

SHARED_FLAGS = ("-fPIC", "-shared")
"""Always passed: the product is a shared library."""

CANDIDATES = ("cc", "gcc", "clang")


class BuildError(SymoptError):
    """No C compiler, or the generated code did not compile (exit 2 on the CLI)."""


def find_compiler(cc: str | None = None) -> list[str]:
    """The compiler command: ``cc`` (a command, possibly with arguments) or the first of
    ``cc``, ``gcc``, ``clang`` on the PATH, resolved to an absolute path."""
    if cc is None:
        found = next((c for c in CANDIDATES if shutil.which(c)), None)
        if found is None:
            raise BuildError("no C compiler found (tried cc, gcc, clang); pass cc=... or --cc")
        cmd = [found]
    else:
        cmd = shlex.split(cc)
    path = shutil.which(cmd[0]) if cmd else None
    if path is None:
        raise BuildError(f"C compiler '{cc}' not found")
    return [path, *cmd[1:]]


def split_flags(cflags: str | Sequence[str] | None) -> list[str]:
    """``cflags`` as a list (a string is split like a shell would); ``None``: the defaults."""
    if cflags is None:
        return list(DEFAULT_CFLAGS)
    return shlex.split(cflags) if isinstance(cflags, str) else list(cflags)


def compile_shared(
    cmd: Sequence[str],
    flags: Sequence[str],
    source: Path,
    output: Path,
    parts: Sequence[Path] = (),
) -> None:
    """Compile ``source`` (and the C ``parts`` of the same module, each to an object file,
    in parallel on up to one process per core, then linked) into the shared library
    ``output``; a failure is a :class:`BuildError` with the compiler's message."""
    if not parts:
        _run([*cmd, *flags, *SHARED_FLAGS, "-o", str(output), str(source), "-lm"])
        return
    sources = [source, *parts]
    objects = [s.with_suffix(".o") for s in sources]
    jobs = [
        [*cmd, *flags, "-fPIC", "-c", "-o", str(o), str(s)]
        for s, o in zip(sources, objects, strict=True)
    ]
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_run, jobs))  # every object file, or the first error
        _run([*cmd, *flags, *SHARED_FLAGS, "-o", str(output), *map(str, objects), "-lm"])
    finally:
        for obj in objects:
            with contextlib.suppress(OSError):
                obj.unlink()


def _run(argv: list[str]) -> None:
    """Run the compiler; a failure is a :class:`BuildError` with the end of its message."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BuildError(f"cannot run the C compiler ({shlex.join(argv)}): {exc}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-30:])
        raise BuildError(
            f"the C compiler failed (exit {proc.returncode}): {shlex.join(argv)}\n{tail}"
        )
