"""``symopt batch``: every model under some paths compiled into OUTDIR, in parallel, skipping
what is up to date, one file's failure never stopping the rest."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from symopt.cli.options import (
    assume_option,
    max_statements_option,
    optimizer_options,
    sample_option,
)
from symopt.errors import ConfigError

if TYPE_CHECKING:
    from symopt.batch.digest import Settings
    from symopt.batch.discover import Source
    from symopt.batch.job import Job, Outcome
    from symopt.batch.progress import Progress
    from symopt.batch.report import Row
    from symopt.rulesets.assume import Assumption

EXIT_FAILED, EXIT_INTERRUPTED = 1, 130
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--memory-limit``: bytes, or a number with K, M, G or T (powers of 1024)."""
    if value is None:
        return None
    found = _SIZE.match(value)
    if not found:
        raise click.BadParameter(f"{value!r}: expected a size such as 2G or 500M", ctx, param)
    scale = 1024 ** " kmgt".index(found[2].lower() or " ")
    return int(float(found[1]) * scale)


def _settings(
    *,
    lang: str,
    name: str | None,
    ruleset: str,
    costs: str,
    tier: str | None,
    time_limit: float,
    node_limit: int,
    iter_limit: int,
    verify: bool,
    assumptions: list[Assumption],
    samples: tuple[str, ...],
    restrict: bool,
    max_statements: int,
) -> Settings:
    """The settings every job uses; the ruleset, cost table and ``--sample`` values are read
    and checked here, once, so a bad one is a configuration error before any work (exit 2)."""
    from symopt.batch.digest import Settings
    from symopt.costs.table import parse_cost_table
    from symopt.model.sampling import parse_sample
    from symopt.rulesets.loader import parse_ruleset
    from symopt.specs import cost_table_text, ruleset_text

    rules_text = ruleset_text(ruleset)
    costs_text = cost_table_text(costs)
    parse_ruleset(rules_text, path=ruleset)
    parse_cost_table(costs_text, name=Path(costs).stem, path=costs)
    for s in samples:
        parse_sample(s)
    return Settings(
        lang=lang,
        name=name,
        ruleset=ruleset,
        ruleset_text=rules_text,
        tier=tier,
        costs=costs,
        costs_text=costs_text,
        time_limit=time_limit,
        node_limit=node_limit,
        iter_limit=iter_limit,
        verify=verify,
        assumptions=tuple(a.text for a in assumptions),
        samples=samples,
        restrict=restrict,
        max_statements=max_statements,
    )


@dataclass(frozen=True)
class RunOptions:
    """How the batch runs (none of it changes an output)."""

    jobs: int | None
    force: bool
    timeout: float | None
    memory_limit: int | None
    scheduler: str | None
    quiet: bool
    report_path: str | None


def _prepare(src: Source, outdir: Path, settings: Settings, force: bool) -> Job | Row:
    """The job for one model, or its row when there is nothing to run (up to date, unreadable,
    or an output that would land outside OUTDIR)."""
    from symopt.batch.digest import file_digest, read_header
    from symopt.batch.discover import escapes
    from symopt.batch.job import FAILED, UP_TO_DATE, Job
    from symopt.batch.report import Row

    outputs = src.outputs(outdir, settings.lang)
    shown = [str(p) for p in outputs]
    bad = [p for p in outputs if escapes(outdir, p)]
    if bad:
        return Row(src.path, shown, FAILED, error=f"{bad[0]}: error: output would escape {outdir}")
    sidecar_path = Path(src.path).with_suffix(".json")
    try:
        text = Path(src.path).read_bytes()
        sidecar = sidecar_path.read_bytes() if sidecar_path.is_file() else None
    except OSError as exc:
        return Row(src.path, shown, FAILED, error=f"{src.path}: error: cannot read: {exc}")
    digest = file_digest(src.path, src.rel.as_posix(), text, sidecar, settings.fingerprint())
    heads = [read_header(p) for p in outputs]
    if not force and all(h is not None and h[0] == digest for h in heads):
        first = heads[0]
        stats = first[1] if first else None
        row = Row(src.path, shown, UP_TO_DATE)
        if stats:
            row.statements, row.cost_before, row.cost_after = stats
        return row
    side = str(sidecar_path) if sidecar is not None else None
    return Job(src.path, src.rel.as_posix(), text, sidecar, side, digest, settings)


def _write(job: Job, files: dict[str, str], outdir: Path) -> str | None:
    """Write a finished job's files (each atomically); an error message if one cannot be."""
    from symopt.cli.io import InputError, write_output

    base = outdir.joinpath(*job.rel.split("/"))
    for suffix in sorted(files, key=lambda s: s != ".h"):  # the header first
        target = base.with_suffix(suffix)
        try:
            write_output(files[suffix], str(target))
        except InputError as exc:
            return f"error: {exc}"
    return None


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the batch like Ctrl-C does."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress(quiet: bool) -> Progress:
    from symopt.batch.progress import Bar, PlainLines, Silent

    if quiet:
        return Silent()
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        return Bar()
    return PlainLines(sys.stdout)


@click.command("batch")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "-o",
    "--output-dir",
    required=True,
    metavar="OUTDIR",
    help="Where the outputs go, mirroring the input tree.",
)
@click.option(
    "--lang",
    type=click.Choice(("c", "python", "numpy")),
    default="c",
    show_default=True,
    help="Output language (C also gets a .h header).",
)
@optimizer_options(time_limit=30.0, node_limit=200_000, scope="per model")
@assume_option
@click.option("--name", default=None, help="Function name (default: from each file's name).")
@click.option("--restrict", is_flag=True, help="C: declare the pointer parameters restrict.")
@max_statements_option("C: split a longer body into static functions.")
@sample_option("Verification range of an input, for every model (overrides MODEL.json sidecars).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the CPU count).",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Files to take from directories "
    "(default *.sym; a glob without / matches the file name). Repeatable.",
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Files to leave out. Repeatable.")
@click.option("--force", is_flag=True, help="Regenerate outputs even when up to date.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="S",
    help="Wall-clock seconds per file; a worker past it is stopped (default: none).",
)
@click.option(
    "--memory-limit",
    callback=parse_size,
    default=None,
    metavar="SIZE",
    help="Address space per worker process, e.g. 4G (enforced; default: none).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the jobs on this Dask distributed scheduler instead of local processes.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option(
    "--report", "report_path", default=None, metavar="FILE.json", help="Write a JSON report."
)
def batch(
    paths: tuple[str, ...],
    output_dir: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    jobs: int | None,
    force: bool,
    timeout: float | None,
    memory_limit: int | None,
    scheduler: str | None,
    quiet: bool,
    report_path: str | None,
    **options: Any,
) -> None:
    """Compile every model file under PATH... into OUTDIR.

    A PATH is a model file or a directory searched recursively for *.sym. Outputs mirror the
    input tree; each starts with a comment holding a digest of its inputs and settings, and a
    rerun skips an output whose digest matches. Exit status: 0 all written or up to date,
    1 some files failed, 2 a usage or configuration error, 130 interrupted.
    """
    from symopt.batch.discover import discover

    if options["restrict"] and options["lang"] != "c":
        raise click.UsageError("--restrict applies to --lang c only")
    if scheduler and memory_limit:
        raise click.UsageError(
            "--memory-limit applies to local workers; give Dask workers their own --memory-limit"
        )
    settings = _settings(**options)
    outdir = Path(output_dir)
    if outdir.exists() and not outdir.is_dir():
        raise ConfigError(f"{output_dir}: not a directory")
    sources = discover(paths, outdir, include, exclude)
    if not sources:
        raise ConfigError(f"no model files found in {', '.join(paths)}")
    run = RunOptions(jobs, force, timeout, memory_limit, scheduler, quiet, report_path)
    click.get_current_context().exit(_run(sources, outdir, settings, run))


def _run(sources: list[Source], outdir: Path, settings: Settings, run: RunOptions) -> int:
    """Prepare, run, write and report; the exit status."""
    from symopt.batch.job import FAILED, TIMED_OUT, Job
    from symopt.batch.pool import Finished, LocalPool, cpu_count

    t0 = time.monotonic()
    quiet = run.quiet
    progress = _progress(quiet)
    rows: dict[str, Row] = {}
    jobs: list[Job] = []
    interrupted = False
    progress.start(len(sources))
    with _terminate_as_interrupt():
        try:
            for src in sources:
                prepared = _prepare(src, outdir, settings, run.force)
                if isinstance(prepared, Job):
                    jobs.append(prepared)
                else:
                    rows[src.path] = prepared
                    _finish(prepared, progress, quiet)
            if run.scheduler:
                from symopt.batch.dask_pool import DaskPool

                pool: LocalPool | DaskPool = DaskPool(run.scheduler)
            else:
                pool = LocalPool(run.jobs or cpu_count(), run.memory_limit, run.timeout)
            with contextlib.closing(pool.run(jobs)) as events:
                for event in events:
                    if not isinstance(event, Finished):
                        progress.started(event.job.source)
                        continue
                    row = _finished_row(event.job, event.outcome, outdir)
                    rows[event.job.source] = row
                    _finish(row, progress, quiet)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            progress.stop()
    ordered = [rows[s.path] for s in sources if s.path in rows]
    _summary(ordered, len(sources), time.monotonic() - t0, settings, run, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if any(r.status in (FAILED, TIMED_OUT) for r in ordered) else 0


def _finished_row(job: Job, out: Outcome, outdir: Path) -> Row:
    """The row of a job that ran, its files written if it succeeded."""
    from symopt.batch.discover import Source
    from symopt.batch.job import FAILED, WRITTEN
    from symopt.batch.report import Row

    paths = Source(job.source, PurePosixPath(job.rel)).outputs(outdir, job.settings.lang)
    row = Row(
        job.source,
        [str(p) for p in paths],
        out.status,
        seconds=out.seconds,
        error=out.error,
        warnings=out.warnings,
        stop=out.stop,
    )
    if out.status == WRITTEN:
        row.statements, row.cost_before, row.cost_after = (
            out.statements,
            out.cost_before,
            out.cost_after,
        )
        problem = _write(job, out.files, outdir)
        if problem:
            row.status, row.error = FAILED, problem
    return row


def _finish(row: Row, progress: Progress, quiet: bool) -> None:
    """Report one finished file: its error (always) and warnings (unless quiet) on stderr."""
    if row.error:
        sys.stderr.write(row.error + "\n")
    if not quiet:
        for w in row.warnings:
            sys.stderr.write(w + "\n")
    progress.finished(row)


def _summary(
    rows: list[Row],
    total: int,
    seconds: float,
    settings: Settings,
    run: RunOptions,
    interrupted: bool,
) -> None:
    """The summary table and totals on stdout (unless quiet), and the JSON report."""
    from symopt.batch.digest import version
    from symopt.batch.report import print_table, report_json, totals_line
    from symopt.cli.io import write_output

    line = totals_line(rows, total, seconds) + (" (interrupted)" if interrupted else "")
    if interrupted:
        sys.stderr.write("symopt: interrupted\n")
    if not run.quiet:
        rich = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        print_table(rows, sys.stdout, rich, "symopt batch")
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    if run.report_path:
        meta = {
            "symopt": version("symopt"),
            "lang": settings.lang,
            "total": total,
            "seconds": round(seconds, 3),
            "interrupted": interrupted,
            "summary": line,
        }
        write_output(report_json(rows, meta), run.report_path)
