"""Access to egglog's Rust bindings without the high-level Python API.

``import egglog.bindings`` first runs ``egglog/__init__.py``, which imports the high-level API
(and black, for pretty-printing): ~0.25 s of a one-line ``symopt simplify``. symopt only uses the
low-level ``egglog.bindings`` extension, so it loads that extension module directly (~0.02 s) and
registers it under its usual name; a later ``import egglog`` reuses it. If the layout is not as
expected, it falls back to the normal import.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeAlias

EGraph: TypeAlias = Any
"""An ``egglog.bindings.EGraph`` (the extension module has no type information)."""


@cache
def bindings() -> ModuleType:
    """The ``egglog.bindings`` extension module."""
    loaded = sys.modules.get("egglog.bindings")
    if loaded is not None:
        return loaded
    try:
        package = importlib.util.find_spec("egglog")
        if package is None or package.origin is None:
            raise ImportError("egglog is not installed")
        folder = Path(package.origin).parent
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            candidate = folder / f"bindings{suffix}"
            if candidate.is_file():
                spec = importlib.util.spec_from_file_location("egglog.bindings", candidate)
                if spec is None or spec.loader is None:
                    break
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                sys.modules["egglog.bindings"] = module
                return module
    except ImportError:
        pass
    return importlib.import_module("egglog.bindings")


@cache
def span() -> Any:
    """The source span of every command symopt builds: an ``EgglogSpan`` over an empty source.

    egglog-python turns a ``RustSpan``'s file name into a ``&'static str`` by leaking a copy each
    time a command is converted (~24 B per span, never freed: ~2 MB per 20,000 inserted nodes,
    and one per rule run); an ``EgglogSpan`` is reference-counted and freed with its command."""
    b = bindings()
    return b.EgglogSpan(b.SrcFile("symopt", ""), 0, 0)


def top_level_forms(program: str) -> list[str]:
    """The top-level s-expressions of egglog ``program`` text (comments dropped).

    egglog's Python bindings give every parsed node a span holding the *whole* text it was
    parsed from: parsing a 43 KB program at once cost ~200 MB, and running it as many again
    (the rules' program took ~400 MB of resident memory). Parsed one form at a time, each span
    holds only its form: ~5 MB."""
    forms: list[str] = []
    depth, start, i, n = 0, 0, 0, len(program)
    while i < n:
        ch = program[i]
        if ch == ";":  # a comment, to the end of the line
            end = program.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == '"':  # a string literal: parentheses inside do not count
            i += 1
            while i < n and program[i] != '"':
                i += 2 if program[i] == "\\" else 1
        elif ch == "(":
            if depth == 0:
                start = i
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                forms.append(program[start : i + 1])
        i += 1
    if depth != 0:
        raise ValueError("unbalanced parentheses in egglog program text")
    return forms
