"""Sampling ranges for verifying a model: ``--sample NAME=LO:HI`` and a JSON sidecar's
``sampling`` object. Ranges are keyed like :func:`symopt.verify.sample_env` expects: a base
name (``u``, every ``u[i]``) or an exact key (``u[3]``, ``x``); the exact key wins."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from symopt.errors import ConfigError, SourceError, SymoptError

Ranges = dict[str, tuple[float, float]]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?\Z")


def _bounds(lo: object, hi: object, where: str) -> tuple[float, float]:
    if isinstance(lo, bool) or isinstance(hi, bool):
        raise ConfigError(f"{where}: lo and hi must be numbers")
    if not isinstance(lo, int | float) or not isinstance(hi, int | float):
        raise ConfigError(f"{where}: lo and hi must be numbers, got {lo!r} and {hi!r}")
    low, high = float(lo), float(hi)
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ConfigError(f"{where}: need finite lo <= hi, got {lo!r} and {hi!r}")
    return low, high


def parse_sample(text: str) -> tuple[str, tuple[float, float]]:
    """``u=0.5:2`` -> ``("u", (0.5, 2.0))``; ``u[3]=-1:1`` -> ``("u[3]", (-1.0, 1.0))``."""
    name, eq, span = text.partition("=")
    lo, colon, hi = span.partition(":")
    name = name.strip()
    if not eq or not colon or not _KEY.match(name):
        raise ConfigError(f"--sample {text!r}: expected NAME=LO:HI, e.g. u=0.5:2 or u[3]=0:1")
    try:
        low, high = float(lo), float(hi)
    except ValueError:
        raise ConfigError(f"--sample {text!r}: LO and HI must be numbers") from None
    return name, _bounds(low, high, f"--sample {text!r}")


def sidecar_ranges(data: object, where: str, text: str | None = None) -> Ranges:
    """Ranges from a sidecar's ``sampling`` object: base name -> ``{"lo": .., "hi": ..}``,
    numbers (the whole base name) or equally long lists (one range per index, ``u[i]``).

    ``lo == hi`` fixes the value. Other keys of an entry (``rule``) are ignored; a sidecar
    without ``sampling`` gives no ranges. ``where`` names the file in errors; with the file's
    ``text`` an error is a :class:`SourceError` at the entry's line (else a :class:`ConfigError`).
    """

    def fail(message: str, name: str | None = None) -> SymoptError:
        if text is None:
            return ConfigError(f"{where}: {message}")
        line, column, width = _json_key_position(text, name or "sampling")
        return SourceError.in_text(message, where, text, line, column, width)

    if not isinstance(data, Mapping):
        raise fail("expected a JSON object")
    sampling = data.get("sampling", {})
    if not isinstance(sampling, Mapping):
        raise fail("'sampling' must be an object")
    out: Ranges = {}
    for name, entry in sampling.items():
        at = f"sampling.{name}"
        if not _KEY.match(name) or not isinstance(entry, Mapping):
            raise fail(f"{at}: expected a name mapped to {{'lo': ..., 'hi': ...}}", name)
        lo, hi = entry.get("lo"), entry.get("hi")
        try:
            if isinstance(lo, list) and isinstance(hi, list):
                if len(lo) != len(hi):
                    raise ConfigError(f"{at}: lo has {len(lo)} entries but hi has {len(hi)}")
                for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
                    out[f"{name}[{i}]"] = _bounds(a, b, f"{at}[{i}]")
            else:
                out[name] = _bounds(lo, hi, at)
        except ConfigError as exc:
            raise fail(str(exc), name) from None
    return out


def _json_key_position(text: str, name: str) -> tuple[int, int, int]:
    """Line, column and width of the first ``"name":`` after ``"sampling"`` (else of the
    first ``"name":``; else line 1)."""
    start = max(text.find('"sampling"'), 0)
    pattern = re.compile(r'"' + re.escape(name) + r'"\s*:')
    found = pattern.search(text, start) or pattern.search(text)
    if found is None:
        return 1, 1, 1
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    return line, column, len(name) + 2


def merge_ranges(base: Mapping[str, tuple[float, float]], overrides: Ranges) -> Ranges:
    """``base`` (a sidecar's) with ``overrides`` (``--sample``) on top: a base name override
    also replaces the base's per-index ranges of that name."""
    out = dict(base)
    for key in overrides:
        if "[" not in key:
            for old in [k for k in out if k.startswith(key + "[")]:
                del out[old]
    out.update(overrides)
    return out
