"""Input and output at the CLI edge: reading sources, writing files atomically."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from symopt.errors import SymoptError


class InputError(SymoptError):
    """An input file that cannot be read."""


def read_source(path: str) -> tuple[str, str]:
    """Return ``(display_name, text)`` for a path, or ``-`` for standard input."""
    if path == "-":
        return "<stdin>", sys.stdin.read()
    try:
        return path, Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def write_output(text: str, path: str | None) -> None:
    """Write to stdout, or atomically to ``path`` (a temp file renamed into place)."""
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc}") from None
