"""One model file's work, pure and picklable: model bytes and settings in, the rendered files
and their statistics out. It runs in a local worker process or on a Dask worker; it never
touches the filesystem and never raises for a problem of its input (a :class:`Outcome` with
status ``failed`` says what went wrong)."""

from __future__ import annotations

import keyword
import re
import time
import traceback
from dataclasses import dataclass, field

from symopt.batch.digest import Settings, header
from symopt.cli.io import decode_source
from symopt.codegen.c import is_reserved_c
from symopt.costs.table import parse_cost_table
from symopt.errors import SymoptError
from symopt.limits import Limits
from symopt.model import parse_model
from symopt.model.pipeline import (
    fallback_messages,
    model_outputs,
    optimize_model,
    ranges_from_sidecar,
    render_model,
)
from symopt.optimize import resolve_ruleset
from symopt.rulesets.assume import parse_assumption
from symopt.rulesets.loader import parse_ruleset

WRITTEN, UP_TO_DATE, FAILED, TIMED_OUT = "written", "up to date", "failed", "timed out"


@dataclass(frozen=True)
class Job:
    """A model's bytes (and its sidecar's), where it came from and the settings to use."""

    source: str
    rel: str
    text: bytes
    sidecar: bytes | None
    sidecar_path: str | None
    digest: str
    settings: Settings


@dataclass
class Outcome:
    """What became of a job: ``files`` maps an output suffix (``.c``, ``.h``, ``.py``) to its
    text when ``status`` is ``written``; ``error`` is the message of a failure."""

    status: str
    files: dict[str, str] = field(default_factory=dict)
    statements: int = 0
    cost_before: float = 0.0
    cost_after: float = 0.0
    stop: str = ""
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def function_name(rel: str) -> str:
    """A C and Python identifier from a model's file name (``egfr-net.sym`` -> ``egfr_net``)."""
    stem = rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = re.sub(r"\W", "_", stem, flags=re.ASCII) or "model"
    if name[0].isdigit():
        name = "m_" + name
    if is_reserved_c(name) or keyword.iskeyword(name):
        name += "_"
    return name


def include_guard(rel: str) -> str:
    """``SYMOPT_<PATH>_H`` from the model's place under OUTDIR (unique within a batch)."""
    base = rel.rsplit(".", 1)[0]
    return "SYMOPT_" + re.sub(r"\W", "_", base, flags=re.ASCII).upper() + "_H"


def _prototype(c_text: str, name: str) -> str:
    """The generated function's signature, as a declaration."""
    found = re.search(rf"^((?:void|double) {re.escape(name)}\(.*\)) \{{$", c_text, re.MULTILINE)
    if not found:
        raise RuntimeError(f"no definition of {name} in the generated C")
    return found[1] + ";"


def _c_header(job: Job, name: str, head: str, c_text: str) -> str:
    guard = include_guard(job.rel)
    return (
        f"{head}#ifndef {guard}\n#define {guard}\n\n"
        f"{_prototype(c_text, name)}\n\n#endif /* {guard} */\n"
    )


def _compile(job: Job) -> Outcome:
    s = job.settings
    path = job.source
    parsed = parse_model(decode_source(job.text, path), path)
    deadline = time.perf_counter() + s.time_limit  # for everything after parsing (see compile)
    warnings = [w.format() for w in parsed.warnings]
    pairs = model_outputs(parsed, path)
    where = job.sidecar_path or ""
    sidecar = None if job.sidecar is None else job.sidecar.decode("utf-8", "replace")
    ranges = ranges_from_sidecar(sidecar, where, s.samples) if s.verify else {}
    rules = resolve_ruleset(parse_ruleset(s.ruleset_text, path=s.ruleset), s.tier)
    table = parse_cost_table(s.costs_text, name=s.costs, path=s.costs)
    result = optimize_model(
        parsed,
        pairs,
        rules=rules,
        table=table,
        limits=Limits(iterations=s.iter_limit, nodes=s.node_limit, time=s.time_limit),
        verify=s.verify,
        ranges=ranges,
        assumptions=[parse_assumption(a) for a in s.assumptions],
        deadline=deadline,
    )
    warnings += fallback_messages(path, parsed, pairs, result)
    name = s.name or function_name(job.rel)
    code = render_model(
        parsed,
        pairs,
        result,
        lang=s.lang,
        name=name,
        table=table,
        restrict=s.restrict,
        max_statements=s.max_statements,
    )
    head = header(s.lang, path, job.digest, len(pairs), result.cost_before, result.cost_after)
    outcome = Outcome(
        WRITTEN,
        statements=len(pairs),
        cost_before=result.cost_before,
        cost_after=result.cost_after,
        stop=result.stop_text,
        warnings=warnings,
    )
    if s.lang == "c":
        stem = job.rel.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        outcome.files[".c"] = f'{head}#include "{stem}.h"\n{code}'
        outcome.files[".h"] = _c_header(job, name, head, code)
    else:
        outcome.files[".py"] = head + code
    return outcome


def run_job(job: Job) -> Outcome:
    """Compile one model; every failure becomes an outcome, never an exception."""
    t0 = time.perf_counter()
    try:
        outcome = _compile(job)
    except SymoptError as exc:
        outcome = Outcome(FAILED, error=exc.format())
    except MemoryError:
        outcome = Outcome(FAILED, error=f"{job.source}: error: out of memory")
    except RecursionError:
        outcome = Outcome(FAILED, error=f"{job.source}: error: model too deeply nested")
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        outcome = Outcome(
            FAILED,
            error=f"{job.source}: internal error: {type(exc).__name__}: {exc} "
            f"(at {last.filename}:{last.lineno})",
        )
    outcome.seconds = time.perf_counter() - t0
    return outcome
