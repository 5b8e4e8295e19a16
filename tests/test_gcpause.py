"""The cyclic GC is paused for a command's work and restored afterwards."""

from __future__ import annotations

import gc

import pytest

from symopt.gcpause import paused_gc, without_gc
from symopt.ir import App, Sym
from symopt.optimize import optimize


def test_without_gc_pauses_and_restores() -> None:
    seen: list[bool] = []

    @without_gc
    def work() -> int:
        seen.append(gc.isenabled())
        return 7

    assert gc.isenabled()
    assert work() == 7
    assert seen == [False]
    assert gc.isenabled()


def test_restored_after_an_exception_and_nested_pause_kept() -> None:
    @without_gc
    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fails()
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()  # the inner pause restores "paused"
    assert gc.isenabled()


def test_optimize_leaves_the_collector_enabled() -> None:
    x = Sym("x")
    out = optimize([App("add", (x, x))], verify=False)
    assert len(out.outputs) == 1
    assert gc.isenabled()
