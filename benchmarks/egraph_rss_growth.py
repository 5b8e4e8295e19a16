"""Resident memory left behind by each rule e-graph run in one process (issue 12, open).

Repeats ``optimize`` on the same sum of ``exp`` products and reports how much the process's
resident set grows per call. Python's heap does not grow (tracemalloc sees nothing); dropping
the cached e-graph (``runner._LOADED.clear()``) or ``malloc_trim(0)`` does not give the
memory back. Measured 2026-11-30: about 1 MB per call with 2,000 e-nodes, 4.5 MB with 20,000;
``compile`` of exp5000 at the default 30 s (about 50 region batches) grows to 0.36 GB.

    python benchmarks/egraph_rss_growth.py [--nodes 20000] [--terms 200] [--calls 20]
"""

from __future__ import annotations

import argparse

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
    start = rss_bytes()
    for _ in range(args.calls):
        optimize(terms, limits=limits, verify=False)
    grown = (rss_bytes() - start) / args.calls / 1024
    print(f"e-node limit {args.nodes}, {args.terms} terms: {grown:.0f} KB per call")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
