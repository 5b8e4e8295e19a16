"""The same jobs on an existing Dask distributed cluster: the client keeps all file I/O, the
workers get a :class:`~symopt.batch.job.Job` (model text and settings) and return its
:class:`~symopt.batch.job.Outcome` (the rendered text), so they need symopt but no shared
filesystem."""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence

from symopt.batch.job import FAILED, Job, Outcome
from symopt.batch.pool import Event, Finished, Started
from symopt.errors import ConfigError

_LOCK = threading.Lock()


def run_job_serialized(job: Job) -> Outcome:
    """:func:`~symopt.batch.job.run_job`, one at a time per worker process (a Dask worker with
    several threads must not run two egglog sessions at once)."""
    from symopt.batch.job import run_job

    with _LOCK:
        return run_job(job)


class DaskPool:
    """Jobs submitted to the scheduler at ``address``."""

    def __init__(self, address: str, connect_timeout: float = 10.0) -> None:
        self.address = address
        self.connect_timeout = connect_timeout

    def run(self, jobs: Sequence[Job]) -> Generator[Event, None, None]:
        try:
            from distributed import Client, as_completed
        except ImportError:
            raise ConfigError(
                "--scheduler needs Dask distributed: pip install 'symopt[dask]'"
            ) from None
        if not jobs:
            return
        try:
            client = Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler {self.address}: {exc}") from None
        try:
            order = sorted(jobs, key=lambda j: -len(j.text))
            futures = {client.submit(run_job_serialized, job, pure=False): job for job in order}
            for job in order:
                yield Started(job)
            for future in as_completed(futures):
                job = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # KilledWorker, a worker without symopt, …
                    error = f"{job.source}: error: on the cluster: {type(exc).__name__}: {exc}"
                    outcome = Outcome(FAILED, error=error)
                yield Finished(job, outcome)
        finally:
            for future in futures if "futures" in locals() else ():
                future.cancel()
            client.close()
