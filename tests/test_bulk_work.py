"""Bulk work on large term DAGs: the cyclic GC paused and restored, interning not repeated."""

from __future__ import annotations

import gc

import pytest

from symopt.gcpause import paused_gc, without_gc
from symopt.ir import App, Sym, Term
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


def test_interning_an_unchanged_result_again_returns_the_same_terms() -> None:
    from symopt.ir import Interned, intern

    x = Sym("x")
    first = intern([App("add", (x, x)), App("add", (Sym("x"), Sym("x")))])
    assert isinstance(first, Interned)
    assert first[0] is first[1]
    again = intern(first)
    assert again is not first and all(a is b for a, b in zip(again, first, strict=True))
    first[1] = App("add", (Sym("x"), Sym("x")))  # no longer what intern returned: walked again
    assert not first.unchanged()
    assert intern(first)[1] is first[0]


def test_reintern_walks_only_when_the_phase_changed_something() -> None:
    from symopt.ir import Interned, intern, reintern

    x = Sym("x")
    before = intern([App("add", (x, x)), x])
    same = reintern(list(before), before)
    assert isinstance(same, Interned) and all(a is b for a, b in zip(same, before, strict=True))
    changed = reintern([App("add", (Sym("x"), Sym("x"))), before[0]], before)
    assert changed[0] is changed[1]  # walked: the new root is hash-consed with the old one


def test_a_phase_out_of_memory_keeps_its_input_and_collects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from symopt.limits import Budget, Limits, StopReason
    from symopt.phases import PhaseLog

    collected: list[int] = []

    def collect(*args: int) -> int:
        collected.append(1)
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    log = PhaseLog(Budget.start(Limits()))
    terms: list[Term] = [App("add", (Sym("x"), Sym("y")))]

    def starved(ts: list, detail: dict) -> tuple[list, StopReason]:
        raise MemoryError

    assert log.run("phase", terms, starved) is terms
    assert log.last().stop is StopReason.OUT_OF_MEMORY and collected == [1]
    log.run("ok", terms, lambda ts, d: (ts, StopReason.DONE))
    assert collected == [1]  # a phase that finished does not collect
