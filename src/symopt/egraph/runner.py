"""The Runner: equality saturation under limits, one rule at a time, with a typed stop reason.

egglog has no node or time limit inside an iteration, so every rewrite direction lives in its own
egglog ruleset and the runner applies them one by one, checking e-graph size, the clock and the
resident memory (``limits.memory``) after each. A per-rule back-off (as in egg's
BackoffScheduler) bans a rule for a few iterations when it matched more than its budget, and
doubles its budget each time, so AC rules cannot swamp the graph.
A rule could still grow the graph far past the node limit in one application (an associativity
rule matching 460,000 times), so each rule's matches are first counted by a probe
(:mod:`symopt.egraph.probe`) and a rule that could take the graph past ``NODE_SLACK × limit`` is
not run: the run stops with the node limit instead.

Loading a program (datatype, analyses, every rule) costs ~35 ms, more than saturating a typical
expression, so each program is loaded once per process and every run works on top of it between
an egglog ``push`` and ``pop``.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from symopt.egraph.encode import assert_facts, insert_terms, union_terms
from symopt.egraph.engine import EGraph, bindings, span, top_level_forms
from symopt.egraph.probe import Probe, probe_program
from symopt.egraph.program import ANALYSIS_RULESET, FOLD_RULESET, Program, build_program
from symopt.egraph.schema import CONSTRUCTOR_OPS, LEAVES
from symopt.ir import Term
from symopt.limits import Limits, StopReason
from symopt.memory import RssSampler
from symopt.rulesets.rule import Ruleset

_NODE_FUNCTIONS = frozenset(CONSTRUCTOR_OPS) | frozenset(LEAVES)


NODE_SLACK = 1.5
"""A rule is not run if its matches could take the e-graph past this many times the node limit
(each match adds at most its right-hand side's nodes)."""


TIDY_ROUNDS = 3
"""Rounds of facts, folds and shrinking rules after the last iteration."""


@dataclass
class IterationStats:
    index: int
    enodes: int
    seconds: float
    matches: dict[str, int]


@dataclass
class RunReport:
    stop: StopReason = StopReason.SATURATED
    iterations: list[IterationStats] = field(default_factory=list)
    enodes: int = 0
    seconds: float = 0.0
    rule_matches: Counter[str] = field(default_factory=Counter)


@dataclass
class _Backoff:
    limit: int
    bans: int = 0
    banned_until: int = -1


PROGRAM_BYTES = 64 << 20
"""Resident memory egglog takes to load a program (datatype, analyses, every rule), with room
to spare: about 20 MiB with the default ruleset, parsed form by form (341 MiB when the whole
text was parsed at once: see :func:`~symopt.egraph.engine.top_level_forms`)."""

LOADED_PROGRAMS = 4
"""Loaded e-graphs kept (one per ruleset text), the least recently used dropped first."""

RELOAD_AFTER_ENODES = 10_000
"""A loaded e-graph is replaced by a freshly loaded one once the runs made on it reached this
many e-nodes in all (their final sizes, summed).

egglog keeps, for the e-graph's lifetime, the report of every iteration it ran
(``RunReport.union`` appends them, ``pop`` keeps them, ``push`` copies them: ~120 B each).
Repeating a 20,000 e-node ``optimize`` grew the process by 2–4.5 MB per call without reloading
(``benchmarks/egraph_rss_growth.py``), and every ``push`` copied the growing history. Reloading
takes ~35 ms; with it the growth stops after a few calls."""


@dataclass
class _Loaded:
    egraph: EGraph
    enodes: int = 0
    """E-nodes of the runs made on it (their final sizes, summed)."""


_LOADED: OrderedDict[str, _Loaded] = OrderedDict()


def _loaded(program: str) -> _Loaded:
    """An e-graph with ``program`` loaded and nothing else (runs push and pop on top of it)."""
    loaded = _LOADED.get(program)
    if loaded is not None:
        _LOADED.move_to_end(program)
        return loaded
    egraph = bindings().EGraph()
    for form in top_level_forms(program):  # one at a time: see top_level_forms
        egraph.run_program(*egraph.parse_program(form))
    loaded = _LOADED[program] = _Loaded(egraph)
    if len(_LOADED) > LOADED_PROGRAMS:
        _LOADED.popitem(last=False)
    return loaded


def release_programs() -> None:
    """Drop every loaded program (the next run loads its own again, ~35 ms): for a caller done
    with the rule e-graph for a while, so that what comes next can reuse egglog's memory."""
    _LOADED.clear()


def _note_work(program: str, loaded: _Loaded, enodes: int) -> None:
    """Count a run of ``enodes`` e-nodes against ``loaded``; retire it after
    :data:`RELOAD_AFTER_ENODES`."""
    loaded.enodes += enodes
    if loaded.enodes > RELOAD_AFTER_ENODES and _LOADED.get(program) is loaded:
        del _LOADED[program]


class Runner:
    """Runs a ruleset over terms in an e-graph that holds nothing else."""

    def __init__(self, ruleset: Ruleset, limits: Limits | None = None) -> None:
        self.ruleset = ruleset
        self.limits = limits or Limits()
        self.program, probes, self.probes = _compiled(ruleset)
        self.shrinking = [name for name, probe in self.probes.items() if probe.growth <= 1]
        """Rewrite directions whose rhs is a pattern variable or a literal (``x - x → 0``)."""
        self.text = f"{self.program.text}\n{probes}"

    def startup_bytes(self) -> int:
        """Resident memory a first run would take to load the program (0 once loaded)."""
        return 0 if self.text in _LOADED else PROGRAM_BYTES

    @contextmanager
    def run(
        self,
        terms: Sequence[Term],
        assumptions: Sequence[tuple[Term, str]] = (),
        equivalents: Sequence[tuple[Term, Term]] = (),
    ) -> Iterator[tuple[EGraph, list[int], RunReport]]:
        """Saturate; yields ``(egraph, root_keys, report)``. The e-graph is always usable
        inside the ``with`` block and discarded after it.

        ``assumptions`` are facts given by the user, ``(term, relation)`` with relation one of
        the fact relations (``Positive``, ``Nonnegative``, ``Nonzero``, …). ``equivalents`` are
        pairs of terms known to be equal (e.g. a subterm and its normal form,
        :mod:`symopt.algebra.normal`): each pair is inserted and unioned before saturating.
        """
        b = bindings()
        start = time.perf_counter()
        loaded = _loaded(self.text)
        egraph = loaded.egraph
        egraph.run_program(b.Push(1))
        report = RunReport()
        try:
            yield self._saturate(egraph, terms, assumptions, equivalents, start, report)
        finally:
            egraph.run_program(b.Pop(span(), 1))
            _note_work(self.text, loaded, report.enodes)

    def _saturate(
        self,
        egraph: EGraph,
        terms: Sequence[Term],
        assumptions: Sequence[tuple[Term, str]],
        equivalents: Sequence[tuple[Term, Term]],
        start: float,
        report: RunReport,
    ) -> tuple[EGraph, list[int], RunReport]:
        b = bindings()
        roots = insert_terms(egraph, terms)
        if equivalents:
            union_terms(egraph, equivalents)
        if assumptions:
            assert_facts(egraph, assumptions)
        sp = span()
        setup = [
            b.RunSchedule(b.Saturate(sp, b.Run(sp, b.RunConfig(ANALYSIS_RULESET, None)))),
            b.RunSchedule(b.Saturate(sp, b.Run(sp, b.RunConfig(FOLD_RULESET, None)))),
        ]
        backoff = {c.name: _Backoff(self.limits.match_limit) for c in self.program.rules}
        run_rule = {
            c.name: b.RunSchedule(b.Run(sp, b.RunConfig(c.ruleset, None)))
            for c in self.program.rules
        }
        probe_rule = {
            name: b.RunSchedule(b.Run(sp, b.RunConfig(p.ruleset, None)))
            for name, p in self.probes.items()
        }
        cap = NODE_SLACK * self.limits.nodes
        deadline = start + self.limits.time
        memory = self.limits.memory
        rss = RssSampler()
        stop: StopReason | None = None
        for it in range(self.limits.iterations):
            t_iter = time.perf_counter()
            matches: dict[str, int] = {}
            changed = self._run_schedules(egraph, setup, matches)
            size = self._size(egraph)
            banned_any = False
            for rule in self.program.rules:
                state = backoff[rule.name]
                if state.banned_until > it:
                    banned_any = True
                    continue
                # Count its matches first: could they take the graph past the cap?
                probe = egraph.run_program(probe_rule[rule.name])[0].report
                found = sum(probe.num_matches_per_rule.values())
                if size + self.probes[rule.name].growth * found > cap:
                    stop = StopReason.NODE_LIMIT
                    break
                out = egraph.run_program(run_rule[rule.name])[0].report
                n = sum(out.num_matches_per_rule.values())
                if n:
                    matches[rule.name] = n
                changed |= out.updated
                if n > state.limit:
                    state.banned_until = it + 1 + (self.limits.ban_length << state.bans)
                    state.bans += 1
                    state.limit <<= 1
                size = self._size(egraph) if out.updated else size
                if size > self.limits.nodes:
                    stop = StopReason.NODE_LIMIT
                elif time.perf_counter() > deadline:
                    stop = StopReason.TIME_LIMIT
                elif memory is not None and rss.read() > memory:
                    stop = StopReason.MEMORY_LIMIT
                if stop:
                    break
            report.rule_matches.update(matches)
            report.iterations.append(
                IterationStats(it, self._size(egraph), time.perf_counter() - t_iter, matches)
            )
            if stop:
                break
            if not changed and not banned_any:
                stop = StopReason.SATURATED
                break
        else:
            stop = StopReason.ITERATION_LIMIT
        # Facts, folds and the shrinking rules (rhs a variable or a literal: they add at most
        # a literal) for the last additions keep the final graph tidy, even after a node limit
        # stopped an iteration before them (`(a - a) + b` then still extracts as `b`).
        tidy = [run_rule[name] for name in self.shrinking if name in run_rule]
        for _ in range(TIDY_ROUNDS):
            if not self._run_schedules(egraph, setup + tidy, {}):
                break
        report.stop = stop or StopReason.SATURATED
        report.enodes = self._size(egraph)
        report.seconds = time.perf_counter() - start
        return egraph, roots, report

    @staticmethod
    def _run_schedules(egraph: EGraph, cmds: list[Any], matches: dict[str, int]) -> bool:
        changed = False
        for out in egraph.run_program(*cmds):
            changed |= out.report.updated
            for name, n in out.report.num_matches_per_rule.items():
                if n:
                    matches[name] = matches.get(name, 0) + n
        return changed

    @staticmethod
    def _size(egraph: EGraph) -> int:
        b = bindings()

        out = egraph.run_program(b.PrintSize(span(), None))[0]
        return sum(n for name, n in out.sizes if name in _NODE_FUNCTIONS)


@lru_cache(maxsize=8)
def _compiled(ruleset: Ruleset) -> tuple[Program, str, dict[str, Probe]]:
    """The program and the probes of ``ruleset``, built once per ruleset (equal rulesets share
    them: a ruleset is immutable; the probes are only read)."""
    probes, by_name = probe_program(ruleset)
    return build_program(ruleset), probes, by_name
