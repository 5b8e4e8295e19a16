"""The process's memory, measured cheaply: resident set size, physical memory, the default
``--memory-limit`` and sizes as users write them (``2G``, ``500M``).

egglog is Rust: an allocation failure inside it aborts the process, so an address-space limit
(``RLIMIT_AS``) would turn into a crash rather than a stop. Instead phases read the resident set
(``/proc/self/statm``, a few microseconds) at their boundaries and in their long loops, and the
e-graphs are sized from the memory left (:data:`BYTES_PER_ENODE`)."""

from __future__ import annotations

import os
import re
import resource
import sys
import time

DEFAULT_FRACTION = 0.75
"""The default memory limit is this fraction of physical memory (the OOM killer's margin)."""

BYTES_PER_ENODE = 4096
"""A generous estimate of the resident memory one e-node of the rule e-graph costs (egglog's
tables and indexes; measured below 2 KB): e-graphs are capped at ``headroom / BYTES_PER_ENODE``."""

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)(?:i?B)?\s*", re.IGNORECASE)


def rss_bytes() -> int:
    """Resident set size of this process now (peak so far where ``/proc`` is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


class RssSampler:
    """:func:`rss_bytes` read at most every ``interval`` seconds; in between, the last
    reading. For checks after every small step (each rule application of a small e-graph):
    reading ``/proc`` each time cost a tenth of a small ``simplify``."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self._at = float("-inf")
        self._last = 0

    def read(self) -> int:
        now = time.perf_counter()
        if now - self._at >= self.interval:
            self._at, self._last = now, rss_bytes()
        return self._last


def physical_memory() -> int:
    """Bytes of physical memory (8 GiB if the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 8 << 30


AS_FRACTION = 0.5
"""Under an address-space limit (``RLIMIT_AS``, e.g. ``symopt batch --memory-limit``), the
default memory limit is at most this fraction of it: libraries reserve address space well
beyond what they touch, and egglog aborts when an allocation fails."""


def address_space_limit() -> int | None:
    """The soft ``RLIMIT_AS`` of this process in bytes (``None``: unlimited)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY or soft <= 0 else int(soft)


def default_memory_limit() -> int:
    """:data:`DEFAULT_FRACTION` of physical memory, and at most :data:`AS_FRACTION` of the
    address-space limit when there is one."""
    limit = int(DEFAULT_FRACTION * physical_memory())
    space = address_space_limit()
    return limit if space is None else min(limit, int(AS_FRACTION * space))


def parse_size(text: str) -> int:
    """Bytes of ``2G``, ``1.5GB``, ``500M``, ``800MiB``, ``65536`` (binary units); a
    :class:`ValueError` otherwise."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a size (e.g. 2G, 500M, 800MiB)")
    return int(float(match[1]) * _UNITS[match[2].upper()])


def format_size(n: float) -> str:
    """``1.5 GiB``, ``300 MiB``, ``12 KiB``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} B"
