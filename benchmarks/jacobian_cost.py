"""The cost of symopt's sparse Jacobian (issue 14): instructions per call of ``NAME_jac``
against naive C of the same Jacobian, the optimiser's time with and without ``--jacobian``,
and gcc -O2's time on the C with the Jacobian for several ``--max-statements-per-function``.
Times are CPU times (steady on a loaded machine): the optimiser's of this process, gcc's of
the child.

Naive Jacobian C: every symbolic entry (``symopt.jacobian.build_jacobian``, before optimisation)
printed as written by the harness's naive printer (``modelbench.naive``), one ``jac[k] = …;``
per stored entry in CSC order. Instructions per call: callgrind ``--toggle-collect=f`` over
the same driver as benchmarks/models.py (``f`` wraps ``NAME_jac``; a handful of instructions).

Usage: python benchmarks/jacobian_cost.py [--model bcr] [--splits 4000,1000] [--no-callgrind]
       (--no-callgrind: optimiser and split timings only)
       [--skip-optimiser-timing]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelbench.build import Built, compile_driver, compile_object, link
from modelbench.compile_like import optimise_like_compile, read_sym_model
from modelbench.measure import have_valgrind, instructions_per_call, write_inputs
from modelbench.model import load_model, sample_points
from modelbench.naive import expr_to_c

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
WRAPPER = """void g_jac(double *jac, const double *p, const double *u);
void f(double *du, const double *p, const double *u) { g_jac(du, p, u); }
"""
"""The driver's ``f``, in its own object file (so gcc cannot inline ``g_jac`` into it)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="bcr")
    ap.add_argument("--bench-dir", type=Path, default=BENCH)
    ap.add_argument("--splits", default="4000,1000", help="--max-statements-per-function values")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--skip-optimiser-timing", action="store_true")
    ap.add_argument("--timeout", type=float, default=3600.0)
    return ap.parse_args(argv)


@dataclass
class Optimised:
    """One in-process run of ``symopt compile``'s steps: seconds per step and the renderer."""

    seconds: dict[str, float]
    render: Callable[[int], str]
    """C source for a ``--max-statements-per-function`` value."""


def optimise(model_path: Path, jacobian: bool) -> Optimised:
    """Parse, (build the Jacobian,) optimise, (check it,) as ``symopt compile [--jacobian]``
    with its defaults (30 s, 200,000 e-nodes), timed per step."""
    from symopt.model.pipeline import check_jacobian, model_jacobian, render_model

    t0 = time.process_time()
    model = read_sym_model(model_path)
    parsed, pairs, ranges = model.parsed, model.pairs, model.ranges
    t1 = time.process_time()
    jac = model_jacobian(parsed, pairs, None) if jacobian else None
    t2 = time.process_time()
    result, table = optimise_like_compile(model, extra=jac.entries if jac else ())
    t3 = time.process_time()
    if jac is not None:
        check_jacobian(str(model_path), parsed, pairs, jac, result.outputs[len(pairs) :], ranges)
    t4 = time.process_time()

    def render(max_statements: int) -> str:
        return render_model(
            parsed,
            pairs,
            result,
            lang="c",
            name="g",
            table=table,
            max_statements=max_statements,
            jacobian=jac,
        )

    render(4000)
    t5 = time.process_time()
    seconds = {"parse": t1 - t0, "jacobian": t2 - t1, "optimise": t3 - t2}
    seconds |= {"jacobian-check": t4 - t3, "codegen": t5 - t4, "total": t5 - t0}
    return Optimised(seconds, render)


def naive_jacobian_c(model_path: Path) -> tuple[str, int]:
    """The naive C of the model's Jacobian as ``f(jac, p, u)`` and its number of entries."""
    from symopt.model import parse_model
    from symopt.model.pipeline import model_jacobian, model_outputs

    parsed = parse_model(model_path.read_text(), str(model_path))
    jac = model_jacobian(parsed, model_outputs(parsed, str(model_path)), None)
    lines = ["#include <math.h>", "void f(double *du, const double *p, const double *u) {"]
    lines += [f"    du[{k}] = {expr_to_c(term)};" for k, term in enumerate(jac.entries)]
    return "\n".join([*lines, "}"]) + "\n", jac.nnz


def compile_cpu(source: Path, obj: Path, timeout: float) -> tuple[Built, float]:
    """``gcc -O2 -c``: the object and gcc's CPU seconds (user + system of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    built = compile_object(source, obj, [], timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return built, cpu


def steps(seconds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items() if v >= 0.05 or k == "total")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = args.bench_dir / args.model
    model_path = folder / f"{args.model}.sym"
    model = load_model(folder)
    with tempfile.TemporaryDirectory(prefix="symopt-jaccost-") as tmp:
        work = Path(tmp)
        if not args.skip_optimiser_timing:
            rhs = optimise(model_path, jacobian=False)
            print(f"RHS alone: {steps(rhs.seconds)}", flush=True)
        both = optimise(model_path, jacobian=True)
        print(f"RHS + Jacobian: {steps(both.seconds)}", flush=True)
        if not args.skip_optimiser_timing:
            ratio = both.seconds["total"] / rhs.seconds["total"]
            print(f"ratio with / without the Jacobian: {ratio:.2f}x", flush=True)
        objects: dict[int, Built] = {}
        for split in [int(s) for s in args.splits.split(",") if s]:
            out = work / f"sym_{split}.c"
            out.write_text(both.render(split))
            objects[split], cpu = compile_cpu(out, work / f"sym_{split}.o", args.timeout)
            flag = f"--max-statements-per-function={split}"
            wall = objects[split].seconds
            print(f"gcc -O2 (f, jac, f_and_jac), {flag}: {cpu:.1f} s CPU ({wall:.1f} s wall)")
        if args.no_callgrind or not have_valgrind():
            return 0
        naive_text, nnz = naive_jacobian_c(model_path)
        (work / "naive_jac.c").write_text(naive_text)
        naive_obj, cpu = compile_cpu(work / "naive_jac.c", work / "naive_jac.o", args.timeout)
        print(f"gcc -O2: naive Jacobian alone {cpu:.1f} s CPU", flush=True)
        (work / "wrap.c").write_text(WRAPPER)
        wrap = compile_object(work / "wrap.c", work / "wrap.o", [], args.timeout).obj
        first = next(iter(objects.values()), None)
        if first is None:
            (work / "sym.c").write_text(both.render(4000))
            first = compile_object(work / "sym.c", work / "sym.o", [], args.timeout)
        points = sample_points(model, 4, 0)
        inputs = write_inputs(work, model.p, points, nnz)
        driver = compile_driver(work, model.n_p, model.n_u, nnz, args.timeout)
        counts = {}
        values = {}
        for label, objs in (("naive", [naive_obj.obj]), ("symopt", [wrap, first.obj])):
            exe = work / f"drv_{label}"
            link([driver, *objs], exe, args.timeout)
            counts[label] = instructions_per_call(exe, inputs, work, args.timeout)
            out = work / f"{label}.bin"
            subprocess.run([*inputs.argv(exe), "eval", str(out)], check=True)
            values[label] = np.fromfile(out).reshape(len(points), nnz)
        size = np.abs(values["naive"])
        scale = size + 1e-12 * size.max()
        err = float(np.max(np.abs(values["symopt"] - values["naive"]) / scale))
        print(
            f"{args.model} Jacobian ({nnz} nonzeros), instructions per call: naive "
            f"{counts['naive']:,.0f}, symopt g_jac {counts['symopt']:,.0f} "
            f"({counts['naive'] / counts['symopt']:.2f}x fewer); max rel. difference {err:.1e}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
