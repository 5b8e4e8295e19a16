"""How many x86-64 instructions a straight-line C function needs with unlimited registers.

Reads a C file of ``const double tN = …;`` and ``out[i] = …;`` statements (what
``symopt compile --lang c`` emits) and counts, for SSE2 scalar code (two-operand instructions,
one memory operand per instruction, no FMA in the x86-64 baseline that ``gcc -O2`` targets):

* ``ops``: one instruction per arithmetic operation;
* ``seeds``: an operation needs one more instruction (a load or a register copy) when neither
  operand is a value computed here for the last time: ``a*b`` of two inputs loads ``a``; a
  temporary still needed later must be copied or the other operand loaded;
* ``stores``: one per output.

``ops + seeds + stores`` is what the function costs with no spills and no extra copies: the
floor for that program, whatever the register allocator does. With ``--gcc`` the script also
compiles the file (``gcc -O2 -S``) and prints the static count of its instructions (for
straight-line code it equals callgrind's instructions per call) and the gap to the floor.

Usage: python benchmarks/instruction_floor.py FILE.c [--gcc]
  e.g. symopt compile ../shared/bench/bcr/bcr.sym --lang c -o /tmp/bcr.c &&
       python benchmarks/instruction_floor.py /tmp/bcr.c --gcc
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_STATEMENT = re.compile(r"^\s*(?:const double (\w+)|(?:\w+\[\d+\]|\*\w+)) = (.*);\s*$")
_INDEXED = re.compile(r"\b(\w+)\[(\d+)\]")


@dataclass
class Floor:
    ops: int = 0
    seeds: int = 0
    stores: int = 0
    seed_kinds: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.ops + self.seeds + self.stores


def _statements(text: str) -> list[tuple[str | None, ast.expr]]:
    """``(temporary name or None for an output, right-hand side)`` in order."""
    out = []
    for line in text.splitlines():
        match = _STATEMENT.match(line)
        if match:
            temp, rhs = match.groups()
            out.append((temp, ast.parse(_INDEXED.sub(r"\1_\2", rhs), mode="eval").body))
    return out


def floor(text: str) -> Floor:
    """Count ops, seeds and stores of the C function(s) in ``text``."""
    statements = _statements(text)
    temps = {name for name, _ in statements if name}
    remaining: Counter[str] = Counter()
    for _, rhs in statements:
        remaining.update(n.id for n in ast.walk(rhs) if isinstance(n, ast.Name) and n.id in temps)
    result = Floor()

    def value(node: ast.expr) -> str:
        """Where an operand is: 'fresh' (a register this is its last use of), 'live', 'input'."""
        if isinstance(node, ast.Name) and node.id in temps:
            remaining[node.id] -= 1
            return "live" if remaining[node.id] else "fresh"
        if isinstance(node, ast.Name | ast.Constant):
            return "input"
        if isinstance(node, ast.UnaryOp):
            value(node.operand)
            result.ops += 1
            return "fresh"
        if isinstance(node, ast.BinOp):
            kinds = (value(node.left), value(node.right))
            result.ops += 1
            if "fresh" not in kinds:
                result.seeds += 1
                result.seed_kinds[
                    f"{type(node.op).__name__.lower()} {'+'.join(sorted(kinds))}"
                ] += 1
            return "fresh"
        if isinstance(node, ast.Call):
            for arg in node.args:
                value(arg)
            result.ops += 1
            return "fresh"
        raise ValueError(f"unexpected expression: {ast.dump(node)}")

    for temp, rhs in statements:
        kind = value(rhs)
        if temp is None:
            result.stores += 1
        elif kind != "fresh":
            result.seeds += 1  # a temporary that is a copy of another value
    return result


def gcc_instructions(path: Path) -> int:
    """Static instruction count of ``gcc -O2 -S`` output (labels and directives skipped)."""
    with tempfile.TemporaryDirectory() as tmp:
        asm = Path(tmp) / "out.s"
        subprocess.run(["gcc", "-O2", "-std=c99", "-S", "-o", str(asm), str(path)], check=True)
        lines = [line.strip() for line in asm.read_text().splitlines()]
    return sum(1 for s in lines if s and not s.startswith(".") and not s.endswith(":"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--gcc", action="store_true", help="also count gcc -O2 instructions")
    args = parser.parse_args()
    result = floor(args.file.read_text())
    print(f"ops {result.ops}  seeds {result.seeds}  stores {result.stores}  floor {result.total}")
    for kind, n in result.seed_kinds.most_common(6):
        print(f"  seeds for {kind}: {n}")
    if args.gcc:
        actual = gcc_instructions(args.file)
        gap = actual - result.total
        print(f"gcc -O2: {actual} instructions, {gap} above the floor (spills, extra copies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
