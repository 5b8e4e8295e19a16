"""Compare C variants of BioNetGen ODE right-hand sides: naive, -ffast-math, SymPy cse, symopt.

For each model folder of the shared benchmark (``NAME.sym`` + ``NAME.json``), every variant is a C
function ``void f(double *du, const double *p, const double *u)``. Measured per variant: time to
generate the C, ``gcc -O2 -std=c99 -c`` time, instructions per call of ``f`` (callgrind), ns per
call (median of repeated timing loops), and the largest error against the naive variant relative
to the sum of absolute terms of each output. See docs/benchmarks.md.

Usage: python benchmarks/models.py [--models multistate,multisite2] [--skip sympy]
       [--markdown FILE] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelbench.build import (
    FAST_MATH_FLAGS,
    BuildError,
    compile_driver,
    compile_object,
    gcc_version,
    link,
)
from modelbench.measure import (
    Inputs,
    have_valgrind,
    instructions_per_call,
    ns_per_call,
    outputs,
    write_inputs,
)
from modelbench.model import Model, load_model, max_rel_error, reference, sample_points
from modelbench.naive import naive_source
from modelbench.report import (
    FAST_MATH_VARIANT,
    NAIVE,
    SYMOPT,
    SYMPY,
    Result,
    markdown_table,
    text_table,
)
from modelbench.symopt_variant import SymoptUnavailableError, symopt_compile

REPO = Path(__file__).resolve().parent.parent
ALL_MODELS = ("multistate", "multisite2", "egfr_net", "bcr")
SKIPPABLE = ("fastmath", "sympy", "symopt")
RUN_TIMEOUT = 600.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench-dir", type=Path, default=REPO.parent / "shared" / "bench")
    ap.add_argument("--models", help="comma-separated model names (default: all, smallest first)")
    ap.add_argument("--skip", default="", help=f"comma-separated variants to skip: {SKIPPABLE}")
    ap.add_argument("--points", type=int, default=64, help="sample points for the error check")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-seconds", type=float, default=0.5, help="length of one timing loop")
    ap.add_argument("--repeats", type=int, default=5, help="timing loops (median reported)")
    ap.add_argument("--no-callgrind", action="store_true", help="skip instruction counts")
    ap.add_argument("--compile-timeout", type=float, default=900.0, help="gcc timeout (s)")
    ap.add_argument("--symopt-timeout", type=float, default=900.0, help="symopt timeout (s)")
    ap.add_argument("--symopt-no-verify", action="store_true", help="pass --no-verify")
    ap.add_argument(
        "--symopt-arg",
        action="append",
        default=[],
        help="one more argument for symopt compile (repeat: --symopt-arg=--max-file-operations "
        "--symopt-arg=1000000)",
    )
    ap.add_argument("--markdown", type=Path, help="also write the tables to this Markdown file")
    ap.add_argument("--keep", type=Path, help="keep the generated files in this directory")
    args = ap.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = args.skip - set(SKIPPABLE)
    if unknown:
        ap.error(f"--skip: unknown variant(s) {sorted(unknown)}; choose from {SKIPPABLE}")
    return args


def model_dirs(args: argparse.Namespace) -> list[Path]:
    """The selected model folders; the default set is ordered by model size."""
    names = args.models.split(",") if args.models else list(ALL_MODELS)
    dirs = [args.bench_dir / n.strip() for n in names]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        raise SystemExit(f"model folder(s) not found: {', '.join(missing)}")
    if not args.models:
        dirs.sort(key=lambda d: (d / f"{d.name}.sym").stat().st_size)
    return dirs


@dataclass
class Context:
    """What every variant of one model shares: files, driver, reference outputs."""

    args: argparse.Namespace
    model: Model
    workdir: Path
    inputs: Inputs
    driver: Path
    numpy_values: np.ndarray
    scales: np.ndarray
    base: np.ndarray | None = None
    """Outputs of the naive variant once measured (the reference of the error column)."""


def measure_variant(ctx: Context, result: Result, source: Path, flags: list[str]) -> np.ndarray:
    """Compile ``source`` (and its part files ``STEM.partK.c``, where symopt split a large
    model), link with the driver, fill ``result`` (gcc time summed over the files); return the
    outputs."""
    args, tag = ctx.args, source.stem + ("_fm" if flags else "")
    parts = sorted(
        source.parent.glob(f"{source.stem}.part*.c"), key=lambda f: (len(f.name), f.name)
    )
    objects, result.compile_s = [], 0.0
    for k, file in enumerate([source, *parts]):
        obj = ctx.workdir / (f"{tag}.o" if k == 0 else f"{tag}.part{k}.o")
        built = compile_object(file, obj, flags, args.compile_timeout)
        objects.append(built.obj)
        result.compile_s += built.seconds
    exe = ctx.workdir / f"drv_{tag}"
    link([ctx.driver, *objects], exe, args.compile_timeout)
    values = outputs(exe, ctx.inputs, ctx.workdir / f"out_{tag}.bin", RUN_TIMEOUT)
    if ctx.base is None:
        result.err = max_rel_error(values, ctx.numpy_values, ctx.scales)
        result.notes.append("max rel err: against numpy's evaluation of the model terms")
    else:
        result.err = max_rel_error(values, ctx.base, ctx.scales)
    result.ns = ns_per_call(exe, ctx.inputs, args.time_seconds, args.repeats)
    if not args.no_callgrind and have_valgrind():
        result.instr = instructions_per_call(exe, ctx.inputs, ctx.workdir, RUN_TIMEOUT)
    return values


def _timed(make: Callable[[], str]) -> tuple[str, float]:
    t0 = time.perf_counter()
    text = make()
    return text, time.perf_counter() - t0


def run_variant(
    ctx: Context, name: str, produce: Callable[[], tuple[Path, float | None]], flags: list[str]
) -> Result:
    """Generate (``produce`` returns the C file and its generation time) and measure one variant.

    Any failure becomes an n/a row with the reason in the notes.
    """
    result = Result(name)
    try:
        source, result.gen_s = produce()
        values = measure_variant(ctx, result, source, flags)
        if name == NAIVE:
            ctx.base = values
    except (BuildError, SymoptUnavailableError) as exc:
        result.notes.append(f"n/a: {exc}")
    except Exception as exc:  # a harness must report, not die: e.g. sympy missing, driver crash
        result.notes.append(f"n/a: {type(exc).__name__}: {exc}")
    print(f"  {name}: done", file=sys.stderr, flush=True)
    return result


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def variants(ctx: Context) -> list[Result]:
    """Generate and measure every selected variant of ``ctx.model``."""
    model, work, args = ctx.model, ctx.workdir, ctx.args
    naive_file = work / "naive.c"

    def naive() -> tuple[Path, float]:
        text, seconds = _timed(lambda: naive_source(model))
        return _write(naive_file, text), seconds

    def sympy_cse() -> tuple[Path, float]:
        from modelbench.sympy_cse import sympy_cse_source  # sympy is imported only if used

        text, seconds = _timed(lambda: sympy_cse_source(model))
        return _write(work / "sympy_cse.c", text), seconds

    def symopt() -> tuple[Path, float]:
        out = work / "symopt.c"
        timeout, no_verify = args.symopt_timeout, args.symopt_no_verify
        seconds = symopt_compile(
            model.sym_path, out, timeout=timeout, no_verify=no_verify, extra=args.symopt_arg
        )
        return out, seconds

    results = [run_variant(ctx, NAIVE, naive, [])]
    if "fastmath" not in args.skip:
        fm = run_variant(ctx, FAST_MATH_VARIANT, lambda: (naive_file, None), FAST_MATH_FLAGS)
        fm.notes.append("same source as naive; -ffast-math may reorder and is not IEEE-safe")
        results.append(fm)
    if "sympy" not in args.skip:
        results.append(run_variant(ctx, SYMPY, sympy_cse, []))
    if "symopt" not in args.skip:
        results.append(run_variant(ctx, SYMOPT, symopt, []))
    return results


def run_model(folder: Path, args: argparse.Namespace, root: Path) -> str:
    """Benchmark one model; returns the Markdown section (the text table is printed)."""
    t0 = time.perf_counter()
    model = load_model(folder)
    parse_s = time.perf_counter() - t0
    workdir = root / model.name
    workdir.mkdir(parents=True, exist_ok=True)
    points = sample_points(model, args.points, args.seed)
    numpy_values, scales = reference(model, points)
    inputs = write_inputs(workdir, model.p, points, model.n_du)
    driver = compile_driver(workdir, model.n_p, model.n_u, model.n_du, args.compile_timeout)
    ctx = Context(args, model, workdir, inputs, driver, numpy_values, scales)
    print(f"{model.name}: parsed in {parse_s:.1f} s", file=sys.stderr, flush=True)
    results = variants(ctx)
    title = (
        f"{model.name} ({len(model.outputs)} outputs, {model.n_p} p, {model.n_u} u; "
        f"parse {parse_s:.1f} s; {args.points} points, seed {args.seed})"
    )
    print(text_table(title, results) + "\n", flush=True)
    return markdown_table(title, results)


def machine_info() -> list[str]:
    """Date, CPU, core count, compiler and library versions (for the Markdown header)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        f"date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"compiler: {gcc_version()}; python {platform.python_version()}",
    ]
    try:
        import sympy

        lines[-1] += f"; sympy {sympy.__version__}"
    except ImportError:
        pass
    return lines


def callgrind_info(args: argparse.Namespace) -> str:
    if args.no_callgrind:
        return "instr/call: not measured (--no-callgrind)"
    if not have_valgrind():
        return "instr/call: not measured (valgrind not found)"
    out = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
    return f"instr/call: {out.stdout.strip()} --tool=callgrind --toggle-collect=f"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dirs = model_dirs(args)
    command = "python benchmarks/models.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    header = [*machine_info(), callgrind_info(args), f"command: `{command}`"]
    print("\n".join(header) + "\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="symopt-models-") as tmp:
        root = args.keep or Path(tmp)
        sections = [run_model(d, args, root) for d in dirs]
    if args.markdown:
        md = "\n".join(f"- {h}" for h in header) + "\n\n" + "\n".join(sections)
        args.markdown.write_text(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
