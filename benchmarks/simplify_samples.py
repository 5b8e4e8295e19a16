"""Cost before/after and time per expression for every expression in samples/*.txt.

Usage: python benchmarks/simplify_samples.py [--costs throughput] [--time-limit 1.0] [FILES...]
Costs are cycles from the cost table (sharing counted once); times are wall seconds of one run on
this machine (noisy: compare ratios, not absolute times).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from symopt import Limits, optimize
from symopt.codegen import to_sym
from symopt.costs import load_cost_table
from symopt.grammar.parser import parse_expression_file
from symopt.rulesets import load_ruleset

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--costs", default="throughput")
    ap.add_argument("--ruleset", default="default")
    ap.add_argument("--time-limit", type=float, default=1.0)
    args = ap.parse_args(argv)
    files = args.files or sorted((ROOT / "samples").glob("*.txt"))
    table = load_cost_table(args.costs)
    rules = load_ruleset(args.ruleset)
    limits = Limits(time=args.time_limit)
    total_before = total_after = 0.0
    print(f"{'expression':52} {'before':>7} {'after':>7} {'ratio':>6} {'time s':>7}  stop")
    for path in files:
        for line, term in parse_expression_file(path.read_text(), path=str(path)):
            t0 = time.perf_counter()
            res = optimize([term], ruleset=rules, costs=table, limits=limits)
            dt = time.perf_counter() - t0
            total_before += res.cost_before
            total_after += res.cost_after
            ratio = res.cost_before / res.cost_after if res.cost_after else float("inf")
            label = f"{path.name}:{line} {to_sym(term)}"
            print(
                f"{label[:52]:52} {res.cost_before:7g} {res.cost_after:7g} {ratio:6.2f} "
                f"{dt:7.3f}  {res.stop_text}"
            )
    ratio = total_before / total_after if total_after else float("inf")
    print(f"{'total':52} {total_before:7g} {total_after:7g} {ratio:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
