"""Pausing Python's cyclic garbage collector around bulk work on acyclic objects.

symopt's terms, parse trees and plans are acyclic: reference counting frees them, and the cyclic
collector only rescans them. With a 500k-node model alive, those rescans cost as much as a
phase (multisite 6: 31 s → 25 s for ``compile`` with collection paused, peak RSS unchanged and
under 500 cyclic objects left over). A command or an :func:`symopt.optimize` call therefore
runs with collection paused; the previous state is restored when it returns (nesting is safe:
an inner pause restores "paused")."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

PAUSE_GC_NODES = 20_000
"""Distinct nodes from which :func:`symopt.optimize` pauses collection: below, the collector
costs little, and under a tight address-space limit (``symopt batch --memory-limit``) a small
run needs it to free what a failed allocation left in cycles."""

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC while building or walking 10^5..10^6 acyclic nodes: it would
    otherwise rescan them for nothing. The previous state is restored on exit."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def without_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run under :func:`paused_gc` (for a command's or a batch job's whole work)."""
    return paused_gc()(fn)  # a @contextmanager object is also a decorator, fresh per call
