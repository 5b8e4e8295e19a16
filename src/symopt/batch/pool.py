"""Local worker processes: started once (egglog imported once, in the fork server they come
from), one job at a time each, so a worker that crashes, is killed or passes its time limit
costs only its own file: it is replaced and the batch goes on."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from symopt.batch.job import FAILED, TIMED_OUT, Job, Outcome

JOB_MODULE = "symopt.batch.job"


@dataclass(frozen=True)
class Started:
    job: Job


@dataclass(frozen=True)
class Finished:
    job: Job
    outcome: Outcome


Event = Started | Finished


def _context() -> multiprocessing.context.BaseContext:
    """A fork server where available: it imports symopt and egglog once, before any thread of
    ours exists, and every worker (also a replacement) forks from it cheaply; else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([JOB_MODULE])
        return ctx
    return multiprocessing.get_context("spawn")


def _worker(conn: Connection, memory_limit: int | None) -> None:
    """Run jobs from ``conn`` until it closes; Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    from symopt.batch.job import run_job

    while True:
        try:
            job = conn.recv()
            if job is None:
                return
            conn.send(run_job(job))
        except (EOFError, OSError):
            return
        except MemoryError:  # outside the job (receiving, sending): the parent reports the exit
            os._exit(3)


def _death(process: BaseProcess, memory_limit: int | None) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            what = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            what = f"killed by signal {-code}"
    else:
        what = f"exited with status {code}"
    if memory_limit:
        hint = f" (over its --memory-limit of {memory_limit / 2**20:.0f} MiB?)"
    else:
        hint = " (out of memory?)" if code == -signal.SIGKILL else ""
    return f"worker process {process.pid} {what}{hint}"


class _Worker:
    def __init__(self, ctx: multiprocessing.context.BaseContext, memory_limit: int | None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, memory_limit), daemon=True)  # type: ignore[attr-defined]
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        self.conn.close()
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class LocalPool:
    """``jobs`` worker processes, each with ``memory_limit`` bytes of address space (``None``:
    unlimited) and ``timeout`` seconds per file (``None``: unlimited)."""

    def __init__(self, jobs: int, memory_limit: int | None, timeout: float | None) -> None:
        self.size = max(1, jobs)
        self.memory_limit = memory_limit
        self.timeout = timeout

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def run(self, jobs: Sequence[Job]) -> Generator[Event, None, None]:
        """Run every job (the largest models first) and report as they start and finish.
        Closing the iterator (or an exception in the caller, e.g. Ctrl-C) stops every worker."""
        if not jobs:
            return
        ctx = _context()
        pending = deque(sorted(jobs, key=lambda j: -len(j.text)))
        self._workers = [_Worker(ctx, self.memory_limit) for _ in range(min(self.size, len(jobs)))]
        try:
            while pending or any(w.job for w in self._workers):
                for i, w in enumerate(self._workers):
                    if w.job is None and pending:
                        job = pending.popleft()
                        try:
                            w.conn.send(job)
                        except OSError:  # it died while idle: a new one, the job stays queued
                            pending.appendleft(job)
                            w.stop(kill=True)
                            self._workers[i] = _Worker(ctx, self.memory_limit)
                            continue
                        w.job, w.started = job, time.monotonic()
                        yield Started(job)
                yield from self._collect(ctx)
        finally:
            for w in self._workers:
                w.stop(kill=True)

    def _collect(self, ctx: multiprocessing.context.BaseContext) -> Iterator[Event]:
        busy = [w for w in self._workers if w.job is not None]
        ready = set(wait([o for w in busy for o in (w.conn, w.process.sentinel)], self._wait()))
        now = time.monotonic()
        for i, w in enumerate(self._workers):
            job = w.job
            if job is None:
                continue
            outcome = None
            if w.conn in ready:
                try:
                    outcome = w.conn.recv()
                except (EOFError, OSError):
                    outcome = None
            if outcome is not None:
                w.job = None
                yield Finished(job, outcome)
                continue
            timed_out = self.timeout is not None and now - w.started > self.timeout
            if not (timed_out or w.process.sentinel in ready or w.conn in ready):
                continue
            w.stop(kill=True)
            if timed_out and w.process.exitcode == -signal.SIGKILL:
                error = f"{job.source}: error: time limit of {self.timeout:g} s per file exceeded"
                outcome = Outcome(TIMED_OUT, error=error, seconds=now - w.started)
            else:
                msg = f"{job.source}: error: {_death(w.process, self.memory_limit)}"
                outcome = Outcome(FAILED, error=msg, seconds=now - w.started)
            self._workers[i] = _Worker(ctx, self.memory_limit)
            yield Finished(job, outcome)

    def _wait(self) -> float | None:
        if self.timeout is None:
            return None
        first = min(w.started for w in self._workers if w.job is not None)
        return max(0.0, first + self.timeout - time.monotonic()) + 0.01


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
