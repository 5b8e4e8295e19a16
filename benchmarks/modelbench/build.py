"""gcc: compiling a variant's ``f`` (timed, with a timeout) and linking it with the driver."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CFLAGS = ["-O2", "-std=c99"]
FAST_MATH_FLAGS = ["-ffast-math"]


class BuildError(Exception):
    """A compile or link step failed or timed out; the message is the short reason."""


@dataclass(frozen=True)
class Built:
    """An object file for ``f`` and how long gcc took to make it."""

    obj: Path
    seconds: float


def gcc_version() -> str:
    """The first line of ``gcc --version``."""
    out = subprocess.run(["gcc", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0]


def run_timed(cmd: list[str], timeout: float) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` capturing its output; its wall time and result (TimeoutExpired propagates)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - t0, proc


def _run(cmd: list[str], timeout: float) -> float:
    try:
        elapsed, proc = run_timed(cmd, timeout)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{cmd[0]} timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise BuildError(f"{cmd[0]} failed ({proc.returncode}): " + " | ".join(tail))
    return elapsed


def compile_object(source: Path, obj: Path, extra: list[str], timeout: float) -> Built:
    """``gcc -O2 -std=c99 [extra] -c source -o obj``, timed."""
    seconds = _run(["gcc", *CFLAGS, *extra, "-c", str(source), "-o", str(obj)], timeout)
    return Built(obj, seconds)


def link(objects: list[Path], exe: Path, timeout: float) -> None:
    """Link the driver with one variant's object."""
    _run(["gcc", "-O2", *map(str, objects), "-o", str(exe), "-lm"], timeout)


DRIVER_C = r"""
/* Benchmark driver: links with one variant's f. Inputs are raw little-endian doubles.
 *   drv P_FILE U_FILE NPTS eval OUT_FILE   write du at every point (NPTS x NDU doubles)
 *   drv P_FILE U_FILE NPTS time SECONDS REPEATS
 *                                          print ns/call of REPEATS timed loops of ~SECONDS each
 *   drv P_FILE U_FILE NPTS calls N         call f N times (for callgrind --toggle-collect=f)
 * NP, NU, NDU are compile-time -D macros. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TIME_POINTS 8

void f(double *du, const double *p, const double *u);

static double *read_doubles(const char *path, size_t n)
{
    double *buf = malloc((n ? n : 1) * sizeof(double));
    FILE *fp = fopen(path, "rb");
    if (!buf || !fp || fread(buf, sizeof(double), n, fp) != n) {
        fprintf(stderr, "cannot read %zu doubles from %s\n", n, path);
        exit(2);
    }
    fclose(fp);
    return buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* n calls cycling over the first npts points; returns the elapsed seconds. */
static double loop(long n, double *du, const double *p, const double *u, long npts)
{
    const double *end = u + npts * NU, *up = u;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        f(du, p, up);
        up += NU;
        if (up == end)
            up = u;
    }
    return now() - t0;
}

static int time_mode(double *du, const double *p, const double *u, long npts,
                     double seconds, int repeats)
{
    long cycle = npts < TIME_POINTS ? npts : TIME_POINTS, n = 1;
    double t;
    while ((t = loop(n, du, p, u, cycle)) < 0.05)
        n *= 2;
    n = (long)(n * seconds / t) + 1;
    for (int r = 0; r < repeats; r++)
        printf("%.4f\n", 1e9 * loop(n, du, p, u, cycle) / n);
    fprintf(stderr, "calls per repeat: %ld, du[0] = %g\n", n, du[0]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s P_FILE U_FILE NPTS eval|time|calls ...\n", argv[0]);
        return 2;
    }
    long npts = atol(argv[3]);
    double *p = read_doubles(argv[1], NP);
    double *u = read_doubles(argv[2], (size_t)npts * NU);
    double *du = calloc(NDU, sizeof(double));
    const char *mode = argv[4];
    if (mode[0] == 'e') {
        FILE *out = fopen(argv[5], "wb");
        for (long i = 0; i < npts; i++) {
            f(du, p, u + i * NU);
            fwrite(du, sizeof(double), NDU, out);
        }
        return fclose(out) != 0;
    }
    if (mode[0] == 't' && argc >= 7)
        return time_mode(du, p, u, npts, atof(argv[5]), atoi(argv[6]));
    if (mode[0] == 'c') {
        long n = atol(argv[5]);
        for (long i = 0; i < n; i++)
            f(du, p, u);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
"""


def compile_driver(workdir: Path, n_p: int, n_u: int, n_du: int, timeout: float) -> Path:
    """Write and compile the driver (without -ffast-math) for a model of these sizes."""
    source = workdir / "driver.c"
    source.write_text(DRIVER_C)
    sizes = [f"-DNP={n_p}", f"-DNU={n_u}", f"-DNDU={n_du}"]
    return compile_object(source, workdir / "driver.o", sizes, timeout).obj
