"""Running a linked driver: outputs at the sample points, ns/call, callgrind instructions/call."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CALLGRIND_CALLS = 10
"""Calls of ``f`` counted under callgrind; instructions/call is the total divided by this."""


@dataclass(frozen=True)
class Inputs:
    """The files a driver reads: parameters and sample points."""

    p_file: Path
    u_file: Path
    n_points: int
    n_du: int

    def argv(self, exe: Path) -> list[str]:
        return [str(exe), str(self.p_file), str(self.u_file), str(self.n_points)]


def write_inputs(workdir: Path, p: np.ndarray, points: np.ndarray, n_du: int) -> Inputs:
    """Write p and the points as raw doubles for the driver."""
    p_file, u_file = workdir / "p.bin", workdir / "u.bin"
    np.ascontiguousarray(p, dtype="<f8").tofile(p_file)
    np.ascontiguousarray(points, dtype="<f8").tofile(u_file)
    return Inputs(p_file, u_file, len(points), n_du)


def outputs(exe: Path, inputs: Inputs, out_file: Path, timeout: float) -> np.ndarray:
    """du at every sample point, shape (n_points, n_du)."""
    subprocess.run([*inputs.argv(exe), "eval", str(out_file)], check=True, timeout=timeout)
    data = np.fromfile(out_file, dtype="<f8")
    return data.reshape(inputs.n_points, inputs.n_du)


def ns_per_call(exe: Path, inputs: Inputs, seconds: float, repeats: int) -> float:
    """Median over ``repeats`` loops of ~``seconds`` each of the wall time per call, in ns."""
    cmd = [*inputs.argv(exe), "time", str(seconds), str(repeats)]
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return statistics.median(float(x) for x in proc.stdout.split())


def have_valgrind() -> bool:
    return shutil.which("valgrind") is not None


_TOTALS = re.compile(r"^(?:totals|summary):\s+(\d+)", re.MULTILINE)


def instructions_per_call(exe: Path, inputs: Inputs, workdir: Path, timeout: float) -> float:
    """Instructions executed inside ``f`` per call, counted by callgrind.

    ``--toggle-collect=f`` collects events only while ``f`` is on the stack, so the totals line is
    ``CALLGRIND_CALLS`` calls of ``f`` and nothing else (f calls no other function here; a libm
    call would be counted too, as part of f's inclusive cost).
    """
    out = workdir / f"callgrind.{exe.name}.out"
    cmd = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        "--toggle-collect=f",
        *inputs.argv(exe),
        "calls",
        str(CALLGRIND_CALLS),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    match = _TOTALS.search(out.read_text())
    if match is None:
        raise RuntimeError(f"no totals line in {out}")
    return int(match.group(1)) / CALLGRIND_CALLS
