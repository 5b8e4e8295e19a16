"""What a generated function is: its name, parameters and assignments."""

from __future__ import annotations

import re
from dataclasses import dataclass

from symopt.ir import Sym, Term

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_identifier(name: str, what: str) -> None:
    """Raise ``ValueError`` unless ``name`` is an ASCII identifier."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} is not a valid identifier")


@dataclass(frozen=True)
class Param:
    """A parameter by base name; ``is_array`` when it is indexed (``u[3]``).

    Inputs become ``double x`` / ``const double *u`` in C; outputs ``double *x`` / ``double *du``.
    In Python and NumPy every output is filled in place, so a scalar output is passed as a
    1-element list or array and written ``x[0] = ...``.
    """

    name: str
    is_array: bool


@dataclass(frozen=True)
class FunctionDef:
    """A function to generate.

    Either it returns one value (a single ``body`` entry with target ``None`` and no ``outputs``),
    or it writes its ``outputs`` (every target a :class:`Sym` naming an output: ``x`` for a scalar
    output, ``du[3]`` for an array one). Outputs come first in the signature, then ``inputs``.
    """

    name: str
    inputs: tuple[Param, ...]
    body: tuple[tuple[Sym | None, Term], ...]
    outputs: tuple[Param, ...] = ()

    def __post_init__(self) -> None:
        check_identifier(self.name, "function name")
        seen: set[str] = set()
        for param in (*self.outputs, *self.inputs):
            check_identifier(param.name, "parameter name")
            if param.name in seen:
                raise ValueError(f"{self.name}: parameter {param.name!r} is declared twice")
            seen.add(param.name)
        targets = [target for target, _ in self.body]
        if not self.outputs:
            if len(targets) != 1 or targets[0] is not None:
                raise ValueError(
                    f"{self.name}: a function without outputs needs exactly one body entry "
                    "with target None (the returned value)"
                )
            return
        outputs = {p.name: p for p in self.outputs}
        for target in targets:
            if target is None:
                raise ValueError(f"{self.name}: a function with outputs cannot return a value")
            output = outputs.get(target.name)
            if output is None:
                raise ValueError(f"{self.name}: target {target.key} is not a declared output")
            if output.is_array != (target.index is not None):
                kind = "an array" if output.is_array else "a scalar"
                raise ValueError(f"{self.name}: target {target.key} but output is {kind}")

    @property
    def returns_value(self) -> bool:
        """True when the function returns its single value (no outputs)."""
        return not self.outputs
