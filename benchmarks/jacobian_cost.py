"""The cost of symopt's sparse Jacobian (issue 14): instructions per call of ``NAME_jac``
against naive C of the same Jacobian, the optimiser's time with and without ``--jacobian``,
and gcc -O2's time on the C with the Jacobian for several ``--max-statements-per-function``.

Naive Jacobian C: every symbolic entry (``symopt.jacobian.build_jacobian``, before optimisation)
printed as written by the harness's naive printer (``modelbench.naive``), one ``jac[k] = …;``
per stored entry in CSC order. Instructions per call: callgrind ``--toggle-collect=f`` over
the same driver as benchmarks/models.py (``f`` wraps ``NAME_jac``; a handful of instructions).

Usage: python benchmarks/jacobian_cost.py [--model bcr] [--splits 4000,1000] [--no-callgrind]
       [--skip-optimiser-timing]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from modelbench.build import compile_driver, compile_object, link
from modelbench.measure import have_valgrind, instructions_per_call, write_inputs
from modelbench.model import load_model, sample_points
from modelbench.naive import expr_to_c

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
WRAPPER = "\nvoid f(double *du, const double *p, const double *u) { g_jac(du, p, u); }\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="bcr")
    ap.add_argument("--bench-dir", type=Path, default=BENCH)
    ap.add_argument("--splits", default="4000,1000", help="--max-statements-per-function values")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--skip-optimiser-timing", action="store_true")
    ap.add_argument("--timeout", type=float, default=3600.0)
    return ap.parse_args(argv)


def symopt_compile(model: Path, out: Path, *extra: str) -> tuple[float, str]:
    """``symopt compile MODEL --name g EXTRA -o OUT --stats``: wall seconds and the stats."""
    cmd = [sys.executable, "-m", "symopt", "compile", str(model), "--name", "g", *extra]
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "-o", str(out), "--stats"], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"symopt compile failed: {proc.stderr[-2000:]}")
    return seconds, proc.stderr


def naive_jacobian_c(model_path: Path) -> tuple[str, int]:
    """The naive C of the model's Jacobian as ``f(jac, p, u)`` and its number of entries."""
    from symopt.model import parse_model
    from symopt.model.pipeline import model_jacobian, model_outputs

    parsed = parse_model(model_path.read_text(), str(model_path))
    jac = model_jacobian(parsed, model_outputs(parsed, str(model_path)), None)
    lines = ["#include <math.h>", "void f(double *du, const double *p, const double *u) {"]
    lines += [f"    du[{k}] = {expr_to_c(term)};" for k, term in enumerate(jac.entries)]
    return "\n".join([*lines, "}"]) + "\n", jac.nnz


def phase_seconds(stats: str) -> str:
    found = re.search(r"time: (.*)", stats)
    return found.group(1) if found else "?"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    folder = args.bench_dir / args.model
    model_path = folder / f"{args.model}.sym"
    model = load_model(folder)
    with tempfile.TemporaryDirectory(prefix="symopt-jaccost-") as tmp:
        work = Path(tmp)
        if not args.skip_optimiser_timing:
            rhs_s, rhs_stats = symopt_compile(model_path, work / "rhs.c")
            print(f"symopt compile (RHS only): {rhs_s:.1f} s; {phase_seconds(rhs_stats)}")
        jac_s, jac_stats = symopt_compile(model_path, work / "sym.c", "--jacobian")
        print(f"symopt compile --jacobian: {jac_s:.1f} s; {phase_seconds(jac_stats)}")
        if not args.skip_optimiser_timing:
            print(f"ratio with / without the Jacobian: {jac_s / rhs_s:.2f}x")
        for split in [int(s) for s in args.splits.split(",") if s]:
            out = work / f"sym_{split}.c"
            symopt_compile(model_path, out, "--jacobian", f"--max-statements-per-function={split}")
            built = compile_object(out, work / f"sym_{split}.o", [], args.timeout)
            print(f"gcc -O2, --max-statements-per-function={split}: {built.seconds:.1f} s")
        naive_text, nnz = naive_jacobian_c(model_path)
        (work / "naive_jac.c").write_text(naive_text)
        (work / "sym_jac.c").write_text((work / "sym.c").read_text() + WRAPPER)
        naive_obj = compile_object(work / "naive_jac.c", work / "naive_jac.o", [], args.timeout)
        sym_obj = compile_object(work / "sym_jac.c", work / "sym_jac.o", [], args.timeout)
        print(
            f"gcc -O2: naive Jacobian {naive_obj.seconds:.1f} s, symopt (f, jac, f_and_jac) "
            f"{sym_obj.seconds:.1f} s"
        )
        if args.no_callgrind or not have_valgrind():
            return 0
        points = sample_points(model, 4, 0)
        inputs = write_inputs(work, model.p, points, nnz)
        driver = compile_driver(work, model.n_p, model.n_u, nnz, args.timeout)
        counts = {}
        values = {}
        for label, built in (("naive", naive_obj), ("symopt", sym_obj)):
            exe = work / f"drv_{label}"
            link([driver, built.obj], exe, args.timeout)
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
