"""Start-up cost of a one-line `symopt simplify` relative to a bare `import egglog.bindings`.

Usage: python benchmarks/startup.py [--runs 7]
Prints the median wall time of each over the runs and their ratio (measured in this one run).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _time(cmd: list[str], stdin: str = "") -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, input=stdin, text=True, capture_output=True, check=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    exe = shutil.which("symopt", path=str(Path(sys.executable).parent)) or "symopt"
    bare = [sys.executable, "-c", "import egglog.bindings"]
    ours = [exe, "simplify", "-"]
    _time(ours, "x\n")  # warm caches (grammar tables, page cache)
    t_bare = statistics.median(_time(bare) for _ in range(args.runs))
    t_ours = statistics.median(_time(ours, "x*x + 2*x*y + y*y\n") for _ in range(args.runs))
    print(f"bare import egglog.bindings: {t_bare:.3f} s (median of {args.runs})")
    print(f"one-line symopt simplify:    {t_ours:.3f} s (median of {args.runs})")
    print(f"ratio: {t_ours / t_bare:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
