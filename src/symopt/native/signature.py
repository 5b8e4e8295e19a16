"""What a loaded function takes and returns: each parameter's name, kind and length."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from symopt.codegen.function import Param
from symopt.ir import Sym, Term, symbols


@dataclass(frozen=True)
class Arg:
    """One parameter. An array needs ``size`` elements (the declared size, else the largest
    index read or written plus one): at least that many, or exactly with ``exact`` (the
    1-element array standing for a scalar output)."""

    name: str
    is_array: bool
    size: int = 1
    exact: bool = False

    @property
    def shape(self) -> str:
        """How the parameter is described in errors: ``float``, ``(5,)`` or ``(>=5,)``."""
        if not self.is_array:
            return "float"
        return f"({self.size},)" if self.exact else f"(>={self.size},)"


@dataclass(frozen=True)
class JacobianInfo:
    """A built sparse Jacobian: ``d outputs / d array`` of ``shape`` (rows, columns) with
    ``nnz`` stored entries; ``values`` names the output parameter of ``NAME_jac`` and
    ``NAME_f_and_jac`` that receives them."""

    array: str
    rows: int
    cols: int
    nnz: int
    values: str = "jac"


@dataclass(frozen=True)
class Signature:
    """Inputs in calling order (the model's order) and outputs, in the generated function's
    order; ``name`` is the C symbol (and the Python function's name). ``jacobian`` is set when
    ``NAME_jac`` and ``NAME_f_and_jac`` were built too."""

    name: str
    inputs: tuple[Arg, ...]
    outputs: tuple[Arg, ...]
    jacobian: JacobianInfo | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Signature:
        data = json.loads(text)
        jac = data.get("jacobian")
        return cls(
            data["name"],
            tuple(Arg(**a) for a in data["inputs"]),
            tuple(Arg(**a) for a in data["outputs"]),
            None if jac is None else JacobianInfo(**jac),
        )

    def jacobian_signatures(self) -> tuple[Signature, Signature]:
        """The signatures of ``NAME_jac`` (the values alone) and ``NAME_f_and_jac`` (the
        outputs, then the values)."""
        jac = self.jacobian
        if jac is None:
            raise ValueError(f"{self.name} was built without a Jacobian")
        values = Arg(jac.values, True, jac.nnz, exact=True)
        return (
            Signature(f"{self.name}_jac", self.inputs, (values,)),
            Signature(f"{self.name}_f_and_jac", self.inputs, (*self.outputs, values)),
        )


def signature(
    name: str,
    inputs: Sequence[Param],
    outputs: Sequence[Param],
    pairs: Sequence[tuple[Sym, Term]],
    sizes: Mapping[str, int] | None = None,
) -> Signature:
    """The signature of a function computing ``pairs`` (``(target, term)``). An array's length
    is ``sizes[name]`` (a model's: declared, else one more than the largest index), else one
    more than the largest index ``pairs`` use. An array argument may be longer."""
    used: dict[str, int] = {}
    for sym in [*symbols([term for _, term in pairs]), *(target for target, _ in pairs)]:
        if sym.index is not None:
            used[sym.name] = max(used.get(sym.name, 0), sym.index + 1)
    used.update(sizes or {})

    def arg(p: Param) -> Arg:
        return Arg(p.name, True, used.get(p.name, 1)) if p.is_array else Arg(p.name, False)

    return Signature(name, tuple(map(arg, inputs)), tuple(map(arg, outputs)))
