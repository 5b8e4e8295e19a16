"""Per-call overhead of a loaded model (``symopt.load``) against the ways a user would call the
same compiled C by hand, and the time to load a cached model.

Usage: python benchmarks/call_overhead.py [--number 200000] [--repeat 7]

The model is a 5-species mass-action chain (6 parameters). Each variant computes ``du`` from
``k`` and ``u`` (NumPy float64 arrays); the time is the best of ``--repeat`` runs of
``--number`` calls, per call. The C library is the one ``symopt.load`` built, so every C
variant runs the same machine code: the differences are the calling convention. The cache is
a fresh temporary directory (``SYMOPT_CACHE_DIR``).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

MODEL = """\
# a 5-species chain: u0 -> u1 -> u2 -> u3 -> u4 ->, fed at rate k[4]
let r1 = k[0]*u[0]*u[1]
let r2 = k[1]*u[1]*u[2]
let r3 = k[2]*u[2]*u[3]
let r4 = k[3]*u[3]*u[4]
du[0] = k[4] - r1
du[1] = r1 - r2
du[2] = r2 - r3
du[3] = r3 - r4
du[4] = r4 - k[5]*u[4]
"""


CLOCK = {"wall": "time.perf_counter", "cpu": "time.process_time"}
"""``--clock``: wall time, or this process's CPU time (on a loaded machine, the time the
process waits for a CPU is not counted)."""
TIMER: Callable[[], float] = time.perf_counter


def per_call(fn: Callable[[], Any], number: int, repeat: int) -> float:
    """Best time per call, in microseconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat, timer=TIMER)) / number * 1e6


def variants(lib_path: str, k: np.ndarray, u: np.ndarray, du: np.ndarray) -> dict[str, Any]:
    """Hand-written ways to call ``void f(double *du, const double *k, const double *u)``."""
    out: dict[str, Any] = {}
    naive = ctypes.CDLL(lib_path).f  # no argtypes: what a new user writes first
    ptr = ctypes.POINTER(ctypes.c_double)

    def naive_call() -> None:
        naive(du.ctypes.data_as(ptr), k.ctypes.data_as(ptr), u.ctypes.data_as(ptr))

    out["ctypes, no argtypes, .ctypes.data_as (naive)"] = naive_call
    nd = ctypes.CDLL(lib_path).f
    f8 = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
    nd.argtypes, nd.restype = [f8, f8, f8], None
    out["ctypes, ndpointer argtypes"] = lambda: nd(du, k, u)
    raw = ctypes.CDLL(lib_path).f
    raw.argtypes, raw.restype = [ctypes.c_void_p] * 3, None
    out["ctypes, c_void_p argtypes, arr.ctypes.data"] = lambda: raw(
        du.ctypes.data, k.ctypes.data, u.ctypes.data
    )
    try:
        import cffi  # type: ignore[import-untyped]
    except ImportError:
        return out
    ffi = cffi.FFI()
    ffi.cdef("void f(double *du, const double *k, const double *u);")
    cf = ffi.dlopen(lib_path).f
    fb = ffi.from_buffer
    out["cffi ABI mode, ffi.from_buffer('double[]', a)"] = lambda: cf(
        fb("double[]", du), fb("double[]", k), fb("double[]", u)
    )
    return out


def load_in_fresh_process(cache: str, jacobian: bool = False) -> tuple[float, float]:
    """``(import symopt, symopt.load of the cached model)`` seconds in a new interpreter."""
    clock = CLOCK["cpu" if TIMER is time.process_time else "wall"]
    code = (
        f"import time; t0 = {clock}(); import symopt; t1 = {clock}(); "
        f"symopt.load({MODEL!r}, jacobian={jacobian}); t2 = {clock}(); "
        "print(t1 - t0, t2 - t1)"
    )
    env = {**os.environ, "SYMOPT_CACHE_DIR": cache}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    a, b = proc.stdout.split()
    return float(a), float(b)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument(
        "--clock", choices=sorted(CLOCK), default="wall", help="wall time or process CPU time"
    )
    args = ap.parse_args(argv)
    global TIMER
    TIMER = time.process_time if args.clock == "cpu" else time.perf_counter
    with tempfile.TemporaryDirectory() as cache:
        os.environ["SYMOPT_CACHE_DIR"] = cache
        import symopt

        t0 = time.perf_counter()
        f = symopt.load(MODEL)
        first = time.perf_counter() - t0
        loads = []
        for _ in range(args.repeat):
            t0 = TIMER()
            symopt.load(MODEL)
            loads.append(TIMER() - t0)
        fresh = min((load_in_fresh_process(cache) for _ in range(3)), key=lambda p: p[1])
        k = np.array([1.0, 2.0, 3.0, 4.0, 0.5, 0.7])
        u = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
        du = np.empty(5)
        assert f.path is not None
        rows: list[tuple[str, float]] = []
        for label, fn in variants(f.path, k, u, du).items():
            rows.append((label, per_call(fn, args.number, args.repeat)))
        rows.append(
            (
                "symopt.load, f(k, u, out=du)",
                per_call(lambda: f(k, u, out=du), args.number, args.repeat),
            )
        )
        rows.append(
            (
                "symopt.load, f(k, u) (allocates du)",
                per_call(lambda: f(k, u), args.number, args.repeat),
            )
        )
        from symopt.native import backends

        real_offset = backends.data_offset
        backends.data_offset = lambda: None  # type: ignore[assignment]  # the fallback entry
        fb = symopt.load(MODEL)
        backends.data_offset = real_offset
        label = "symopt.load, fallback (c_char.from_buffer), out=du"
        rows.append((label, per_call(partial(fb, k, u, out=du), args.number, args.repeat)))
        for lang in ("python", "numpy"):
            g = symopt.load(MODEL, lang=lang)
            label = f"symopt.load lang={lang!r}, g(k, u, out=du)"
            rows.append((label, per_call(partial(g, k, u, out=du), args.number, args.repeat)))
        rows += jacobian_rows(symopt.load(MODEL, jacobian=True), k, u, args)
        fresh_jac = min(
            (load_in_fresh_process(cache, jacobian=True) for _ in range(3)), key=lambda p: p[1]
        )
        base = per_call(lambda: None, args.number, args.repeat)
        rng = np.random.default_rng(0)
        many = rng.uniform(0.1, 1.0, (100_000, 5))
        t_many = min(timeit.repeat(lambda: f.many(k, many), number=10, repeat=args.repeat)) / 10
    print(f"clock: {args.clock}")
    print(f"{'variant':55} us/call (incl. {base:.3f} us of lambda call)")
    for label, us in rows:
        print(f"{label:55} {us:7.3f}")
    print(
        f"f.many(k, U) with U of 100,000 rows: {t_many * 1e3:.2f} ms "
        f"({t_many / 1e5 * 1e9:.1f} ns per point)"
    )
    print(f"first load (optimise + compile): {first:.2f} s")
    print(f"cached load, same process: {min(loads) * 1e3:.2f} ms (best of {args.repeat})")
    print(
        f"fresh process: import symopt {fresh[0] * 1e3:.0f} ms, "
        f"then cached load {fresh[1] * 1e3:.1f} ms; with jacobian=True "
        f"{fresh_jac[1] * 1e3:.1f} ms"
    )
    return 0


def jacobian_rows(
    f: Any, k: np.ndarray, u: np.ndarray, args: argparse.Namespace
) -> list[tuple[str, float]]:
    """Per-call times of the Jacobian callables (csc_matrix construction is scipy's)."""
    data = np.empty(f.jac.nnz)
    jac = f.jac(k, u)
    du = np.empty(5)
    number = max(1, args.number // 10)
    timed = {
        "f.jac.values(k, u, out=data) (raw CSC values)": partial(f.jac.values, k, u, out=data),
        "f.jac(k, u) (new csc_matrix)": partial(f.jac, k, u),
        "f.jac(k, u, out=J) (refilled in place)": partial(f.jac, k, u, out=jac),
        "f.f_and_jac(k, u, out=(du, J))": partial(f.f_and_jac, k, u, out=(du, jac)),
    }
    return [(label, per_call(fn, number, args.repeat)) for label, fn in timed.items()]


if __name__ == "__main__":
    sys.exit(main())
