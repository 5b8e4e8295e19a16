"""Generate the large synthetic inputs of issue 12's table (reproducible, no randomness).

    python benchmarks/scale_inputs.py KIND N OUT

KIND is one of:

* ``sum7``: ``simplify`` input, one sum of N terms ``x{i}*y{i % 7}`` (one line);
* ``diag``: ``simplify`` input, one sum of N terms ``x{i}*y{i}``;
* ``dot``: a model with one statement ``f = Σ p[i]*u[i]`` of N terms;
* ``let``: a model with a ``let`` chain ``a_i = a_{i-1}*u + p``, N deep, and one output;
* ``exp``: a model of N chained statements ``y[i] = exp(y[i-1]*p[i % 7]) + u[i]``.

Measure with e.g. ``/usr/bin/time -f "%e s %M KB" symopt simplify OUT --time-limit 1 -o /dev/null``
or ``symopt compile OUT --lang c --time-limit 1 -o out.c``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator


def sum7(n: int) -> Iterator[str]:
    yield " + ".join(f"x{i}*y{i % 7}" for i in range(n)) + "\n"


def diag(n: int) -> Iterator[str]:
    yield " + ".join(f"x{i}*y{i}" for i in range(n)) + "\n"


def dot(n: int) -> Iterator[str]:
    yield "f = " + " + ".join(f"p[{i}]*u[{i}]" for i in range(n)) + "\n"


def let_chain(n: int) -> Iterator[str]:
    yield "let a0 = u\n"
    for i in range(1, n + 1):
        yield f"let a{i} = a{i - 1}*u + p\n"
    yield f"f = a{n}\n"


def exp_chain(n: int) -> Iterator[str]:
    yield "y[0] = exp(u[0])\n"
    for i in range(1, n):
        yield f"y[{i}] = exp(y[{i - 1}]*p[{i % 7}]) + u[{i}]\n"


KINDS: dict[str, Callable[[int], Iterator[str]]] = {
    "sum7": sum7,
    "diag": diag,
    "dot": dot,
    "let": let_chain,
    "exp": exp_chain,
}


def write(kind: str, n: int, path: str) -> None:
    """Write input ``kind`` of size ``n`` to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(KINDS[kind](n))


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in KINDS or not argv[1].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    write(argv[0], int(argv[1]), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
