"""Time ``symopt lint`` on the bcr model (vs ``symopt compile``) and on a generated 2,000-line
Python module. Usage: ``python benchmarks/lint_speed.py [BCR_MODEL]``."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

BCR = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "bcr" / "bcr.sym"

_BODIES = [
    "    r = math.sqrt(dx * dx + dy * dy + dz * dz) * math.sqrt(dx * dx + dy * dy + dz * dz)",
    "    e = 0.5 * m * v**2 + m * g * h",
    "    w = math.exp(a * x) * math.exp(b * y) / 4",
    "    q = k1 * u[0] * u[1] - k2 * u[2] + k1 * u[0] * u[3]",
    "    s = (a * x + a * y) / (b * x + b * y)",
    "    t = vmax * s / (km + s) + vmax * s2 / (km + s2)",
    "    return r + e + w + q + s + t + self.k * (x**3 + 3 * x**2 * y + 3 * x * y**2 + y**3)",
]


def python_module(lines: int) -> str:
    """A module of about ``lines`` lines of numerical functions."""
    out = ["import math", ""]
    i = 0
    while len(out) < lines:
        out.append(
            f"def kernel_{i}(self, dx, dy, dz, m, v, g, h, a, b, x, y, u, k1, k2, vmax, km, s2):"
        )
        out.extend(_BODIES)
        out.append("")
        i += 1
    return "\n".join(out) + "\n"


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    bcr = Path(sys.argv[1]) if len(sys.argv) > 1 else BCR
    exe = [sys.executable, "-m", "symopt"]
    with tempfile.TemporaryDirectory() as tmp:
        module = Path(tmp) / "kernels.py"
        module.write_text(python_module(2000))
        n = len(module.read_text().splitlines())
        print(f"lint {n}-line Python module: {timed([*exe, 'lint', str(module)]):.2f} s")
        if bcr.is_file():
            out = str(Path(tmp) / "bcr.c")
            print(f"compile bcr: {timed([*exe, 'compile', str(bcr), '-o', out]):.2f} s")
            print(f"lint bcr:    {timed([*exe, 'lint', str(bcr)]):.2f} s")


if __name__ == "__main__":
    main()
