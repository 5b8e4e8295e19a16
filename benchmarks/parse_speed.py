"""Parsing speed: ``parse_model`` on bcr and the multisite networks, this checkout against another.

Each measurement runs in a fresh subprocess of the given Python (so two installs of symopt, e.g.
a worktree of an older commit with its own venv, can be compared): it parses the model once to
warm up (grammar cache, imports), then ``--repeats`` times, and reports the best CPU time
(``time.process_time``: less disturbed by other processes than wall time on a shared machine),
the wall time of that run and the peak RSS of the process. The two Pythons alternate, model by
model, so both see the same machine load; the ratio is the figure to trust.

Usage:
  python benchmarks/parse_speed.py [--before /tmp/s10/before/.venv/bin/python]
         [--models bcr,egfr_net,multisite5,multisite6] [--repeats 3] [--json FILE]
Multisite models are generated with ``../shared/bench/gen/multisite_n.py`` into ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"

CHILD = """
import gc, json, resource, sys, time
from symopt.model import parse_model
path, repeats = sys.argv[1], int(sys.argv[2])
text = open(path).read()
parse_model(text, path)
best = None
for _ in range(repeats):
    gc.collect()
    c0, w0 = time.process_time(), time.perf_counter()
    model = parse_model(text, path)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    if best is None or cpu < best[0]:
        best = (cpu, wall)
    del model
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cpu_s": best[0], "wall_s": best[1], "peak_rss_kb": rss}))
"""


def model_path(name: str, work: Path) -> Path:
    """The ``.sym`` of a shared model or of ``multisiteN`` (generated on first use)."""
    if name.startswith("multisite") and name[len("multisite") :].isdigit() and name != "multisite2":
        n = name[len("multisite") :]
        out = work / name
        sym = out / f"{name}.sym"
        if not sym.exists():
            gen = BENCH / "gen" / "multisite_n.py"
            subprocess.run([sys.executable, str(gen), n, str(out)], check=True)
        return sym
    return BENCH / name / f"{name}.sym"


def measure(python: str, path: Path, repeats: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [python, "-c", CHILD, str(path), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="Python of another symopt install to compare against")
    parser.add_argument("--after", default=sys.executable, help="Python of this checkout")
    parser.add_argument("--models", default="bcr,egfr_net,multisite4,multisite5,multisite6")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "symopt-scaling"))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    work = Path(args.work)
    pythons = {"after": args.after, **({"before": args.before} if args.before else {})}
    results: dict[str, dict[str, dict[str, float]]] = {}
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores; best CPU time of {args.repeats}")
    print(f"{'model':<12} {'label':<7} {'cpu s':>7} {'wall s':>7} {'peak RSS':>9}")
    for name in args.models.split(","):
        path = model_path(name, work)
        results[name] = {}
        for label in sorted(pythons, reverse=True):  # before first, then after
            r = measure(pythons[label], path, args.repeats)
            results[name][label] = r
            print(
                f"{name:<12} {label:<7} {r['cpu_s']:>7.2f} {r['wall_s']:>7.2f} "
                f"{r['peak_rss_kb'] / 1e6:>7.2f} GB",
                flush=True,
            )
        if "before" in results[name]:
            ratio = results[name]["before"]["cpu_s"] / results[name]["after"]["cpu_s"]
            print(f"{name:<12} speed-up {ratio:.2f}x (CPU time)")
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
