"""Parallel speedup of ``symopt batch``: a batch of mid-size models (copies of the shared
benchmark's egfr_net and multisite2, each with its parameter array renamed so no two files are
alike) compiled by single ``symopt compile`` runs, by ``symopt batch -j 1`` and by ``-j N``.

    python benchmarks/batch_speedup.py [--egfr 8] [--multisite 14] [--jobs 2] [--bench-dir DIR]

Prints the wall times, the ratios and whether ``-j 1`` and ``-j N`` wrote identical bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SYMOPT = [str(Path(sys.executable).with_name("symopt"))]


def make_models(bench: Path, out: Path, egfr: int, multisite: int) -> list[Path]:
    """``egfr`` copies of egfr_net and ``multisite`` of multisite2, parameter ``p`` renamed."""
    models = []
    for name, count in (("egfr_net", egfr), ("multisite2", multisite)):
        text = (bench / name / f"{name}.sym").read_text()
        sidecar = json.loads((bench / name / f"{name}.json").read_text())
        for k in range(count):
            new = f"k{k}"
            model = out / f"{name}_{k:02d}.sym"
            model.write_text(re.sub(r"\bp\[", f"{new}[", text))
            sampling = sidecar.get("sampling", {})
            if "p" in sampling:
                sampling[new] = sampling.pop("p")
            model.with_suffix(".json").write_text(json.dumps(sidecar))
            models.append(model)
    return models


def timed(args: list[str]) -> float:
    """Wall seconds of a command."""
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _stop(report: Path, output: str) -> str:
    """The stop reason the JSON report gives for the model of ``output``."""
    for entry in json.loads(report.read_text())["files"]:
        if any(o.endswith(output) for o in entry["outputs"]):
            return str(entry["stop"])
    return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench-dir", type=Path, default=REPO.parent / "shared" / "bench")
    ap.add_argument("--egfr", type=int, default=8)
    ap.add_argument("--multisite", type=int, default=14)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="Batch runs per -j value.")
    ap.add_argument("--skip-singles", action="store_true", help="Skip the single compiles.")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="symopt-batch-bench-"))
    try:
        src = work / "models"
        src.mkdir()
        models = make_models(opts.bench_dir, src, opts.egfr, opts.multisite)
        print(f"{len(models)} models ({opts.egfr} egfr_net, {opts.multisite} multisite2)")
        singles = 0.0
        if not opts.skip_singles:
            for m in models:
                singles += timed(
                    [*SYMOPT, "compile", str(m), "--lang", "c", "-o", str(work / "x.c")]
                )
            print(f"sum of single compiles: {singles:.1f} s")
        serial: list[float] = []
        parallel: list[float] = []
        for r in range(opts.repeats):  # alternated, the best of each: the machine may be shared
            for jobs, times in (("1", serial), (str(opts.jobs), parallel)):
                load = os.getloadavg()[0]
                out, report = work / f"j{jobs}", work / f"j{jobs}.json"
                args = ["batch", str(src), "-o", str(out), "-j", jobs, "-q", "--report"]
                times.append(timed([*SYMOPT, *args, str(report), *(["--force"] if r else [])]))
                print(f"batch -j {jobs}: {times[-1]:.1f} s (load average before: {load:.1f})")
        rerun = timed([*SYMOPT, "batch", str(src), "-o", str(work / "j1"), "-q"])
        print(f"rerun, all up to date: {rerun:.2f} s")
        print(
            f"speedup -j {opts.jobs} over -j 1 (best of {opts.repeats}): "
            f"{min(serial) / min(parallel):.2f}x"
        )
        if singles:
            print(f"-j 1 / sum of single compiles: {min(serial) / singles:.2f}")
        one, many = tree_bytes(work / "j1"), tree_bytes(work / f"j{opts.jobs}")
        differ = sorted(k for k in one if one[k] != many.get(k))
        print(f"-j 1 and -j {opts.jobs} outputs identical: {not differ}")
        for name in differ:
            stops = [_stop(work / f"j{j}.json", name) for j in ("1", str(opts.jobs))]
            print(f"  differs: {name} (stop: {' / '.join(stops)})")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
