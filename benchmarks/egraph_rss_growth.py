"""Resident memory left behind by each rule e-graph run in one process (issue 12).

Repeats ``optimize`` on the same sum of ``exp`` products and reports how much the process's
resident set grew per call, over the first and the second half of the calls (a bounded process
grows in the first half only). Before 2026-11-30 (session 4) it grew without bound: 1 MB per
call with 2,000 e-nodes, 4.5 MB with 20,000 (a ``RustSpan`` leaked its file name per command,
and egglog keeps every run's report in the loaded e-graph: ``runner.RELOAD_AFTER_ENODES``).

    python benchmarks/egraph_rss_growth.py [--nodes 20000] [--terms 200] [--calls 20]
"""

from __future__ import annotations

import argparse
from itertools import pairwise

from symopt.grammar import parse_expr
from symopt.limits import Limits
from symopt.memory import rss_bytes
from symopt.optimize import optimize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20_000, help="e-node limit")
    parser.add_argument("--terms", type=int, default=200, help="terms of the sum")
    parser.add_argument("--calls", type=int, default=20, help="measured calls")
    args = parser.parse_args(argv)
    text = " + ".join(f"exp(x{i}*p{i % 7})*exp(y{i})" for i in range(args.terms))
    terms = [parse_expr(text)]
    limits = Limits(nodes=args.nodes)
    optimize(terms, limits=limits, verify=False)  # loads the program
    half = max(1, args.calls // 2)
    marks = [rss_bytes()]
    for k in range(2 * half):
        optimize(terms, limits=limits, verify=False)
        if k + 1 in (half, 2 * half):
            marks.append(rss_bytes())
    first, second = ((b - a) / half / 1024 for a, b in pairwise(marks))
    print(
        f"e-node limit {args.nodes}, {args.terms} terms: {first:.0f} KB per call over the "
        f"first {half} calls, {second:.0f} KB over the next {half}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
