"""The egglog sort for IR terms and the IR-operator ↔ constructor mapping."""

from __future__ import annotations

from symopt.ir import OPERATORS

SORT = "Math"


def constructor(op: str) -> str:
    """egglog constructor name of an IR operator: ``add`` → ``Add``, ``log1p`` → ``Log1p``."""
    return op[0].upper() + op[1:]


CONSTRUCTOR_OPS: dict[str, str] = {constructor(op): op for op in OPERATORS}
"""egglog constructor name → IR operator."""

LEAVES = {"Num": "f64", "Var": "String", "Idx": "String i64", "Rounded": "f64 i64 f64 f64"}
"""Leaf constructors and their argument sorts. ``(Rounded value op x y)`` is the IEEE value of
an operation on two literals that rounds (``fold.egg``): extracted as a literal, opaque to rules."""

FACT_RELATIONS = (
    "Positive",
    "Nonnegative",
    "Nonzero",
    "Finite",
    "Integer",
    "Literal",
    "ExpShared",
)
"""Relations on ``Math`` e-classes: facts the analysis derives, users assume and guards read."""


BOUND = "Bound"
"""``(Bound k)``: the e-class of the k-th inserted subterm that is referred to by key (a root, or
a subterm used more than once); one table for all of them (an egglog global is a table each)."""


def datatype_program() -> str:
    """egglog program text declaring the ``Math`` sort, its constructors and fact relations."""
    variants = [f"({name} {args})" for name, args in LEAVES.items()]
    for op, arity in sorted(OPERATORS.items()):
        variants.append(f"({constructor(op)} {' '.join([SORT] * arity)})")
    return "\n".join(
        [
            f"(datatype {SORT}\n  " + "\n  ".join(variants) + ")",
            *(f"(relation {rel} ({SORT}))" for rel in FACT_RELATIONS),
            f"(function {BOUND} (i64) {SORT} :no-merge)",
        ]
    )
