"""Module-level integer array constants (a sparse Jacobian's structure) in C and Python."""

from __future__ import annotations

from collections.abc import Sequence

from symopt.codegen.function import check_identifier

IntArrays = Sequence[tuple[str, Sequence[int]]]
"""``(name, values)`` per constant."""

_PER_LINE = 12


def _rows(values: Sequence[int]) -> list[str]:
    return [
        ", ".join(str(v) for v in values[i : i + _PER_LINE])
        for i in range(0, len(values), _PER_LINE)
    ]


def render_c_constants(constants: IntArrays) -> list[str]:
    """``const int NAME[] = {…};`` per constant (external linkage: unused ``static`` constants
    trip ``-Wall``'s unused-variable warning, and a loader can find them by name)."""
    out = []
    for name, values in constants:
        check_identifier(name, "constant name")
        body = ",\n".join("    " + row for row in _rows(values)) or "    0"
        out.append(f"const int {name}[{max(1, len(values))}] = {{\n{body}\n}};")
    return out


def render_python_constants(constants: IntArrays) -> list[str]:
    """``NAME = [...]`` per constant (a list: NumPy modules take it as well)."""
    out = []
    for name, values in constants:
        check_identifier(name, "constant name")
        if len(values) <= _PER_LINE:
            out.append(f"{name} = [{', '.join(str(v) for v in values)}]")
        else:
            body = "".join(f"    {row},\n" for row in _rows(values))
            out.append(f"{name} = [\n{body}]")
    return out


def constants_block(constants: IntArrays) -> list[str]:
    """The Python constants as one block (an empty list without constants)."""
    lines = render_python_constants(constants)
    return ["\n".join(lines)] if lines else []
