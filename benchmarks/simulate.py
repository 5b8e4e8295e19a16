"""End-to-end simulation: scipy's stiff solvers on BioNetGen networks, four ways to supply the
right-hand side (RHS) and its Jacobian (issue 14).

Variants, each a compiled C RHS called through the same ctypes entry (so calling costs the
same), the Jacobian's sparsity the same structure for the finite-difference (FD) variants:
  1 naive   the benchmark harness's naive C (modelbench.naive) + scipy FD with jac_sparsity
  2 sympy   SymPy ``cse`` + ``ccode`` C, same Jacobian handling (skipped where gcc takes longer
            than --sympy-timeout, default 600 s)
  3 symopt  ``symopt.load`` RHS + FD with jac_sparsity
  4 symopt+J  ``symopt.load(..., jacobian=True)``: RHS + the compiled sparse Jacobian
Extra variants (not the issue's four):
  symopt+J+lu     variant 4 with ``method=symopt.integrate.SparseBDF`` (BDF only): the same
                  integrator, its sparse LU ordered once from the Jacobian's structure
  symopt+J+lu+reuse  the same with ``lu_reuse=LU_REUSE``: a factorisation of ``I - c0 J`` also
                  serves steps with ``|c / c0 - 1| <= LU_REUSE`` (solutions scaled as CVODE
                  does); changes the Newton iterations, so not bit-comparable with variant 4
  naive+lu+reuse  variant 1 with ``SparseBDF(lu_reuse=LU_REUSE)``: how much of the gain the
                  linear solve alone gives variant 1 too
  cvode-naive     SUNDIALS CVODE (scikit-sundae, ``pip install 'symopt[bench]'``; BDF rows
                  only) with its sparse direct solver (SuperLU_MT): naive RHS + its sparse FD
  cvode-symopt+J  the same with symopt's RHS and compiled Jacobian (values filled in place)
Measured per solve: wall time and this process's CPU time (on a loaded machine the CPU time
is the steadier measure; speed-ups are of CPU time), RHS and Jacobian evaluations (RHS counted
at the callable, so FD's evaluations are included), LU factorisations, the share of the CPU
time in the sparse LU (BDF: factorisations and solves, counted and timed separately), the
share spent inside
compiled code (evaluations times the C time per evaluation, measured by ``f.many`` over many
copies of the initial state: no Python in the loop), and the largest
difference of the final state from variant 4's, in units of the tolerance
(``max |y - y4| / (atol + rtol |y4|)``), and from variant 4's solve at the smallest tolerance
(approximately each variant's actual error, in the same units).

Usage: python benchmarks/simulate.py [--models multisite2,egfr_net,bcr,multisite3]
       [--tols 1e-6,1e-8] [--methods BDF,LSODA]
       [--variants naive,sympy,symopt,symopt+J,symopt+J+lu,cvode-naive,cvode-symopt+J]
       [--repeats 1] [--markdown FILE]
Builds are cached (``--work-dir``, default the symopt cache's ``simulate/``; symopt's own
cache as usual), so a second run only simulates. ``multisiteN`` is generated with
``../shared/bench/gen/multisite_n.py N``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from modelbench.build import BuildError, gcc_version, run_timed
from modelbench.model import Model, load_model
from modelbench.naive import naive_source
from symopt.native.backends import native_function
from symopt.native.caller import Function
from symopt.native.cwrap import many_wrapper, object_wrapper
from symopt.native.signature import Arg, Signature

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
SPANS = {"bcr": 100_000.0, "egfr_net": 10.0, "multisite2": 2.0}
"""t_end of the SciMLBenchmarks runs (BCR.jmd, egfr_net.jmd ``tf = 10.0``, multisite2.jmd
``tf = 2.0``); a generated multisiteN network (no published span) runs to ``MULTISITE_SPAN``."""
MULTISITE_SPAN = 10.0
VARIANTS = ("naive", "sympy", "symopt", "symopt+J", "symopt+J+lu", "symopt+J+lu+reuse")
"""The default variants: the issue's four and variant 4 with ``SparseBDF`` (without and with
reuse of factorisations)."""
LU_REUSE = 0.3
"""``SparseBDF(lu_reuse=...)`` of variant ``symopt+J+lu+reuse`` (``--lu-reuse``)."""
EXTRA_VARIANTS = ("naive+lu+reuse",)
"""Optional: the naive variant with ``SparseBDF``."""
CVODE_VARIANTS = ("cvode-naive", "cvode-symopt+J")
"""Optional: SUNDIALS CVODE through scikit-sundae (the ``bench`` extra)."""
RHS_OF = {
    "symopt+J+lu": "symopt",
    "symopt+J+lu+reuse": "symopt",
    "naive+lu+reuse": "naive",
    "cvode-naive": "naive",
    "cvode-symopt+J": "symopt",
}
"""The RHS build each extra variant uses."""
REFERENCES = ("symopt+J", "symopt+J+lu")
"""The variant others are compared with: variant 4, else variant 4 with ``SparseBDF`` (the same
steps; final states equal to about 1e-7 tolerance units)."""
BDF_ONLY = ("symopt+J+lu", "symopt+J+lu+reuse", *EXTRA_VARIANTS, *CVODE_VARIANTS)
LSODA_MAX_STATES = 400
"""LSODA takes only a dense Jacobian: run it on models up to this size."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="multisite2,multisite3,egfr_net,bcr")
    ap.add_argument("--tols", default="1e-6,1e-8", help="rtol = atol values")
    ap.add_argument("--methods", default="BDF,LSODA")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--repeats", type=int, default=3, help="solves per case (best reported)")
    ap.add_argument("--sympy-timeout", type=float, default=600.0, help="gcc limit for variant 2")
    ap.add_argument("--bench-dir", type=Path, default=BENCH)
    ap.add_argument("--work-dir", type=Path, default=None, help="build cache for variants 1-2")
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    ap.add_argument("--lu-reuse", type=float, default=LU_REUSE, help="symopt+J+lu+reuse's window")
    ap.add_argument("--save-states", type=Path, help="write every final state to this .npz")
    args = ap.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    args.tols = [float(t) for t in args.tols.split(",")]
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    known = VARIANTS + EXTRA_VARIANTS + CVODE_VARIANTS
    unknown = set(args.variants) - set(known)
    if unknown:
        ap.error(f"--variants: unknown {sorted(unknown)}; choose from {known}")
    return args


@dataclass
class Case:
    """One model ready to simulate."""

    model: Model
    folder: Path
    u0: np.ndarray
    t_end: float
    rhs: dict[str, Function] = field(default_factory=dict)
    """Variant name -> compiled RHS ``f(p, u)``."""
    notes: list[str] = field(default_factory=list)
    symopt_fn: Function | None = None
    lu_reuse: float = LU_REUSE


@dataclass
class Row:
    model: str
    method: str
    tol: float
    variant: str
    wall: float = float("nan")
    cpu: float = float("nan")
    n_rhs: int = 0
    n_jac: int = 0
    n_lu: int = 0
    n_solve: int = 0
    """LU solves (one per Newton iteration); 0 where not counted (LSODA, CVODE)."""
    lu_factor_s: float = 0.0
    """CPU seconds in the factorisations (BDF: ``I - c J`` formed by scipy, then ``lu``)."""
    lu_solve_s: float = 0.0
    """CPU seconds in the LU solves."""
    compiled: float = float("nan")
    in_lu: float = float("nan")
    """Share of the CPU time in the sparse LU (BDF: factorisations and solves)."""
    agree: float = float("nan")
    error: float = float("nan")
    """Difference from the most accurate solve of the model (variant 4 at the smallest tol),
    in units of this row's tolerance: the variant's actual error, approximately."""
    status: str = ""
    y_end: np.ndarray | None = None


def model_folder(name: str, args: argparse.Namespace, tmp: Path) -> Path:
    """The shared model's folder, or a generated ``multisiteN`` network."""
    if (args.bench_dir / name).is_dir():
        return Path(args.bench_dir / name)
    if name.startswith("multisite") and name[len("multisite") :].isdigit():
        folder = tmp / name
        gen = args.bench_dir / "gen" / "multisite_n.py"
        subprocess.run(
            [sys.executable, str(gen), name[len("multisite") :], str(folder)], check=True
        )
        return folder
    raise SystemExit(f"unknown model {name!r} (not in {args.bench_dir}, not multisiteN)")


def work_dir(args: argparse.Namespace) -> Path:
    if args.work_dir is not None:
        return Path(args.work_dir)
    from symopt.native.cache import cache_root

    return cache_root() / "simulate"


def signature(model: Model) -> Signature:
    """``f(du, p, u)``, the harness's C signature, as ``f(p, u) -> du``."""
    ins = (Arg("p", True, model.n_p), Arg("u", True, model.n_u))
    return Signature("f", ins, (Arg("du", True, model.n_du),))


def build_c(source: str, label: str, sig: Signature, root: Path, timeout: float) -> Function:
    """Compile ``source`` (plus the ctypes entry points) with gcc -O2 into a cached library."""
    text = source + many_wrapper(sig) + object_wrapper(sig)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    root.mkdir(parents=True, exist_ok=True)
    lib = root / f"{label}-{digest}.so"
    if not lib.exists():
        src = root / f"{label}-{digest}.c"
        src.write_text(text)
        tmp = lib.with_suffix(".tmp.so")
        cmd = ["gcc", "-O2", "-std=c99", "-fPIC", "-shared", str(src), "-o", str(tmp), "-lm"]
        try:
            seconds, proc = run_timed(cmd, timeout)
        except subprocess.TimeoutExpired:
            raise BuildError(f"gcc took longer than {timeout:g} s") from None
        if proc.returncode != 0:
            raise BuildError(f"gcc failed: {proc.stderr.strip()[-300:]}")
        os.replace(tmp, lib)
        print(f"  {label}: gcc {seconds:.1f} s", file=sys.stderr, flush=True)
    return native_function(sig, str(lib), text)


def prepare(name: str, args: argparse.Namespace, tmp: Path) -> Case:
    """Load the model, build every selected variant's RHS (and symopt's Jacobian)."""
    import symopt

    folder = model_folder(name, args, tmp)
    model = load_model(folder)
    side = json.loads((folder / f"{folder.name}.json").read_text())
    u0 = np.asarray(side["u0"], dtype=np.float64)
    case = Case(model, folder, u0, SPANS.get(name, MULTISITE_SPAN), lu_reuse=args.lu_reuse)
    sig, root = signature(model), work_dir(args)
    wanted = {RHS_OF.get(v, v) for v in args.variants}
    if "naive" in wanted:
        case.rhs["naive"] = build_c(naive_source(model), f"{name}-naive", sig, root, 3600)
    if "sympy" in wanted:
        try:
            from modelbench.sympy_cse import sympy_cse_source

            t0 = time.perf_counter()
            text = sympy_cse_source(model)
            print(f"  {name}-sympy: cse {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            case.rhs["sympy"] = build_c(text, f"{name}-sympy", sig, root, args.sympy_timeout)
        except BuildError as exc:
            case.notes.append(f"sympy variant skipped: {exc}")
    if {"symopt", "symopt+J"} & wanted:
        t0 = time.perf_counter()
        fn = symopt.load(folder / f"{folder.name}.sym", jacobian=True)
        print(f"  {name}-symopt: load {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if [a.name for a in fn.signature.inputs] != ["p", "u"]:
            raise SystemExit(f"{name}: expected inputs (p, u), got {fn.signature}")
        case.symopt_fn = fn
        case.rhs["symopt"] = case.rhs["symopt+J"] = fn
    for variant, base in RHS_OF.items():
        if variant in args.variants and base in case.rhs:
            case.rhs[variant] = case.rhs[base]
    return case


def per_call(fn: Callable[[], Any]) -> float:
    """CPU seconds per call: best of 5 loops of ~0.1 s."""
    clock = time.process_time
    number = max(1, int(0.1 / max(timeit.timeit(fn, number=1, timer=clock), 1e-7)))
    return min(timeit.repeat(fn, number=number, repeat=5, timer=clock)) / number


def c_seconds(fn: Function, p: np.ndarray, u: np.ndarray) -> float:
    """CPU seconds of one evaluation of ``fn(p, u)`` in C: ``fn.many`` over copies of ``u``."""
    size = sum(a.size for a in fn.signature.outputs)
    rows = max(1, min(1000, 2_000_000 // max(1, size)))
    many = np.ascontiguousarray(np.broadcast_to(u, (rows, u.size)))
    out = np.empty((rows, size))
    return per_call(lambda: fn.many(p, many, out=out)) / rows


def solve(case: Case, variant: str, method: str, tol: float) -> Row:
    """One run of ``variant``: ``solve_ivp`` or (``cvode-*``) scikit-sundae's CVODE."""
    if variant in CVODE_VARIANTS:
        return solve_cvode(case, variant, tol)
    from scipy.integrate import solve_ivp

    p, f = case.model.p, case.rhs[variant]
    jfn = case.symopt_fn
    assert jfn is not None  # the sparsity (and variant 4's Jacobian) come from symopt's build
    calls = [0, 0]

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        calls[0] += 1
        return f(p, y)

    options: dict[str, Any] = {}
    dense = method == "LSODA"
    if variant.startswith("symopt+J"):

        def jac(t: float, y: np.ndarray) -> Any:
            calls[1] += 1
            return jfn.jac(p, y).toarray() if dense else jfn.jac(p, y)

        options["jac"] = jac
    elif not dense:
        options["jac_sparsity"] = jfn.jac_sparsity
    stats = LUStats()
    solver: Any = method
    if method == "BDF":
        from scipy.integrate import BDF

        from symopt.integrate import SparseBDF

        solver = counted(SparseBDF if "+lu" in variant else BDF, stats)
        if variant.endswith("+lu+reuse"):
            options["lu_reuse"] = case.lu_reuse
    t0, c0 = time.perf_counter(), time.process_time()
    span = (0.0, case.t_end)
    sol = solve_ivp(rhs, span, case.u0, method=solver, rtol=tol, atol=tol, **options)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = Row(case.model.name, method, tol, variant, wall, cpu, calls[0], sol.njev, sol.nlu)
    if method == "BDF":
        row.n_solve, row.lu_factor_s, row.lu_solve_s = stats.solves, stats.factor_s, stats.solve_s
        row.in_lu = (stats.factor_s + stats.solve_s) / cpu
    row.status = "ok" if sol.success else f"failed: {sol.message}"
    row.y_end = sol.y[:, -1]
    t_rhs = c_seconds(f, p, case.u0)
    t_jac = c_seconds(jfn.jac.values, p, case.u0) if variant.startswith("symopt+J") else 0.0
    row.compiled = (calls[0] * t_rhs + calls[1] * t_jac) / cpu
    return row


def solve_cvode(case: Case, variant: str, tol: float) -> Row:
    """SUNDIALS CVODE (BDF, Newton, sparse direct solver SuperLU_MT) through scikit-sundae:
    ``cvode-naive`` with its sparse finite differences over symopt's structure,
    ``cvode-symopt+J`` with the compiled Jacobian's values written into CVODE's matrix."""
    try:
        from sksundae.cvode import CVODE
    except ImportError:
        raise SystemExit(f"{variant}: needs scikit-sundae (pip install 'symopt[bench]')") from None
    p, f = case.model.p, case.rhs[variant]
    jfn = case.symopt_fn
    assert jfn is not None
    calls = [0, 0]

    def rhs(t: float, y: np.ndarray, yp: np.ndarray) -> None:
        calls[0] += 1
        f(p, y, out=yp)

    def jac(t: float, y: np.ndarray, yp: np.ndarray, jj: np.ndarray) -> None:
        calls[1] += 1
        jfn.jac.values(p, y, out=jj)  # the nnz values in CSC order, CVODE's layout

    options: dict[str, Any] = {"linsolver": "sparse", "sparsity": jfn.jac_sparsity}
    if variant == "cvode-symopt+J":
        options["jacfn"] = jac
    t0, c0 = time.perf_counter(), time.process_time()
    solver = CVODE(rhs, rtol=tol, atol=tol, max_num_steps=10**7, **options)
    sol = solver.solve(np.array([0.0, case.t_end]), case.u0)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    row = Row(case.model.name, "BDF", tol, variant, wall, cpu, calls[0], int(sol.njev))
    row.status = "ok" if sol.success else f"failed: {sol.message}"
    row.y_end = np.asarray(sol.y[-1])
    t_rhs = c_seconds(f, p, case.u0)
    t_jac = c_seconds(jfn.jac.values, p, case.u0) if calls[1] else 0.0
    row.compiled = (calls[0] * t_rhs + calls[1] * t_jac) / cpu
    return row


@dataclass
class LUStats:
    """Counts and CPU seconds of a BDF solver's LU factorisations and solves."""

    factors: int = 0
    solves: int = 0
    factor_s: float = 0.0
    solve_s: float = 0.0


def counted(base: type, stats: LUStats) -> type:
    """A subclass of the BDF solver ``base`` whose ``lu`` and ``solve_lu`` (the callables
    scipy's BDF sets in ``__init__`` and calls for every factorisation and solve) add their
    counts and CPU time to ``stats``. scipy itself is not patched."""

    class Counted(base):
        lu: Callable[[Any], Any]
        solve_lu: Callable[[Any, np.ndarray], np.ndarray]

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            lu: Callable[[Any], Any] = self.lu
            solve_lu: Callable[[Any, np.ndarray], np.ndarray] = self.solve_lu

            def timed_lu(a: Any) -> Any:
                c0 = time.process_time()
                factor = lu(a)
                stats.factors += 1
                stats.factor_s += time.process_time() - c0
                return factor

            def timed_solve(factor: Any, b: np.ndarray) -> np.ndarray:
                c0 = time.process_time()
                x: np.ndarray = solve_lu(factor, b)
                stats.solves += 1
                stats.solve_s += time.process_time() - c0
                return x

            self.lu, self.solve_lu = timed_lu, timed_solve

    Counted.__name__ = f"Counted{base.__name__}"
    return Counted


def best_of(case: Case, variant: str, method: str, tol: float, repeats: int) -> Row:
    runs = [solve(case, variant, method, tol) for _ in range(max(1, repeats))]
    return min(runs, key=lambda r: r.cpu)


def agreement(rows: list[Row], tol: float) -> None:
    """Each row's final-state difference from the reference variant, in tolerance units."""
    ref = next((r for v in REFERENCES for r in rows if r.variant == v), rows[0])
    assert ref.y_end is not None
    scale = tol + tol * np.abs(ref.y_end)
    for r in rows:
        assert r.y_end is not None
        r.agree = float(np.max(np.abs(r.y_end - ref.y_end) / scale))


def errors(rows: list[Row]) -> None:
    """Each row's difference from the finest variant-4 solve of its model and method."""
    for r in rows:
        same = [b for b in rows if (b.model, b.method) == (r.model, r.method)]
        present = [v for v in REFERENCES if any(b.variant == v for b in same)]
        refs = [b for b in same if present and b.variant == present[0] and b.tol < r.tol]
        if not refs or r.y_end is None:
            continue
        ref = min(refs, key=lambda b: b.tol).y_end
        assert ref is not None
        r.error = float(np.max(np.abs(r.y_end - ref) / (r.tol + r.tol * np.abs(ref))))


def run_case(case: Case, args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for method in args.methods:
        if method == "LSODA" and case.model.n_u > LSODA_MAX_STATES:
            continue
        for tol in args.tols:
            group = []
            for variant in args.variants:
                if variant not in case.rhs or (method != "BDF" and variant in BDF_ONLY):
                    continue
                row = best_of(case, variant, method, tol, args.repeats)
                print("  " + format_row(row), file=sys.stderr, flush=True)
                group.append(row)
            if group:
                agreement(group, tol)
                rows += group
    errors(rows)
    return rows


HEADER = (
    "| model | method | tol | variant | wall s | CPU s | RHS evals | J evals | LUs | LU solves "
    "| ms / LU | ms / solve | in C | in LU | final-state diff / tol | error / tol "
    "| CPU speed-up vs naive |"
)


def format_row(r: Row, base: float | None = None) -> str:
    speed = f"{base / r.cpu:.2f}x" if base else ""
    status = "" if r.status == "ok" else f" ({r.status})"
    lu = "" if np.isnan(r.in_lu) else f"{r.in_lu:.0%}"
    error = "" if np.isnan(r.error) else f"{r.error:.2g}"
    per_lu = f"{1e3 * r.lu_factor_s / r.n_lu:.1f}" if r.n_solve and r.n_lu else ""
    per_solve = f"{1e3 * r.lu_solve_s / r.n_solve:.3f}" if r.n_solve else ""
    solves = str(r.n_solve) if r.n_solve else ""
    return (
        f"| {r.model} | {r.method} | {r.tol:g} | {r.variant}{status} | {r.wall:.3f} "
        f"| {r.cpu:.3f} | {r.n_rhs} | {r.n_jac} | {r.n_lu} | {solves} | {per_lu} | {per_solve} "
        f"| {r.compiled:.1%} | {lu} | {r.agree:.2g} | {error} | {speed} |"
    )


HEADER_RULE = "|---|---|---:|---|" + "---:|" * 13


def table(rows: list[Row]) -> str:
    """The Markdown table; the speed-up is against variant 1 of the same model, method, tol."""
    naive = {(r.model, r.method, r.tol): r.cpu for r in rows if r.variant == "naive"}
    lines = [HEADER, HEADER_RULE]
    lines += [format_row(r, naive.get((r.model, r.method, r.tol))) for r in rows]
    return "\n".join(lines)


def machine_info() -> list[str]:
    import scipy

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return [
        f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1 / 5 / 15 min)",
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}; "
        f"{gcc_version()} -O2",
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python benchmarks/simulate.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="symopt-simulate-") as tmp:
        for name in args.models:
            print(f"{name}: building", file=sys.stderr, flush=True)
            case = prepare(name, args, Path(tmp))
            notes += [f"{name}: {n}" for n in case.notes]
            rows += run_case(case, args)
    header = [*machine_info(), f"command: `{command}`"]
    text = "\n".join(f"- {h}" for h in header + notes) + "\n\n" + table(rows) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.save_states:
        states: dict[str, Any] = {
            f"{r.model}|{r.method}|{r.tol:g}|{r.variant}": r.y_end
            for r in rows
            if r.y_end is not None
        }
        np.savez(args.save_states, **states)
    return 0


if __name__ == "__main__":
    sys.exit(main())
