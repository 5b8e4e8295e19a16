"""The declared signature of a model: ``input``/``output`` lines and ``compile --args``.

A declaration fixes the order of the generated function's parameters and the size of each array;
:class:`Signature` holds what was declared and checks each use of a name against it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from symopt.grammar.parser import Declaration
from symopt.ir import Span


@dataclass(frozen=True)
class Declared:
    """One declared parameter. ``size`` is an array's number of entries, ``None`` for a scalar;
    ``array`` is ``None`` when only the name was given (``--args``: inferred from the uses)."""

    name: str
    kind: str  # "input" or "output"
    array: bool | None
    size: int | None
    line: int  # 0: declared on the command line
    span: Span | None

    def describe(self) -> str:
        """``input u[4], line 1`` (``--args`` for a name from the command line)."""
        if self.line == 0:
            return "--args"
        shape = f"[{self.size}]" if self.size is not None else ""
        return f"{self.kind} {self.name}{shape}, line {self.line}"


@dataclass(frozen=True)
class Problem:
    """A declaration error, at ``span`` (under ``key``)."""

    message: str
    span: Span
    key: str


class Signature:
    """The declared inputs and outputs (``None``: that group is not declared, so its order is
    the order of first appearance)."""

    def __init__(self) -> None:
        self.inputs: dict[str, Declared] | None = None
        self.outputs: dict[str, Declared] | None = None
        self.problems: list[Problem] = []
        self._first_line: dict[str, int] = {}

    @classmethod
    def build(cls, declarations: Iterable[Declaration], args: Sequence[str] | None) -> Signature:
        """The signature of ``declarations`` (in file order; several lines of one kind add up),
        with the inputs' order replaced by ``args`` when given (``--args``)."""
        sig = cls()
        for decl in declarations:
            group = sig._group(decl.kind)
            for item in decl.items:
                sig._declare(group, decl, item.name, item.index, item.span)
        if args is not None:
            sig._apply_args(args)
        return sig

    def _group(self, kind: str) -> dict[str, Declared]:
        if kind == "input":
            self.inputs = {} if self.inputs is None else self.inputs
            return self.inputs
        self.outputs = {} if self.outputs is None else self.outputs
        return self.outputs

    def _declare(
        self, group: dict[str, Declared], decl: Declaration, name: str, size: int | None, span: Span
    ) -> None:
        key = name if size is None else f"{name}[{size}]"
        if name in self._first_line:
            first = self._first_line[name]
            self.problems.append(
                Problem(f"{name} is declared twice (first on line {first})", span, key)
            )
            return
        if size == 0:
            self.problems.append(Problem(f"{key}: an array needs at least 1 entry", span, key))
            return
        self._first_line[name] = decl.line
        group[name] = Declared(name, decl.kind, size is not None, size, decl.line, span)

    def _apply_args(self, args: Sequence[str]) -> None:
        """``--args``: the inputs' order; with an ``input`` line too, the same names."""
        if self.inputs is None:
            self.inputs = {a: Declared(a, "input", None, None, 0, None) for a in args}
            return
        declared = self.inputs
        missing = [a for a in args if a not in declared]
        extra = [n for n in declared if n not in args]
        if missing or extra:
            parts = [f"{', '.join(missing)} not declared by an input line" if missing else ""]
            parts.append(f"{', '.join(extra)} missing from --args" if extra else "")
            first = next(iter(declared.values()))
            assert first.span is not None  # declared on an input line
            self.problems.append(
                Problem(
                    f"--args {','.join(args)} does not match the input declaration: "
                    + "; ".join(p for p in parts if p),
                    first.span,
                    first.name,
                )
            )
            return
        self.inputs = {a: declared[a] for a in args}

    def declared(self, name: str) -> Declared | None:
        """The declaration of ``name``, if any."""
        for group in (self.inputs, self.outputs):
            if group is not None and name in group:
                return group[name]
        return None

    def check_use(self, name: str, index: int | None) -> str | None:
        """What is wrong with a use of ``name`` (``index``: ``u[3]``) given its declaration."""
        decl = self.declared(name)
        if decl is None or decl.array is None:
            return None
        if decl.array and index is None:
            return f"{name} is used as a scalar but declared as an array ({decl.describe()})"
        if not decl.array and index is not None:
            return (
                f"{name}[{index}] is indexed but {name} is declared as a scalar ({decl.describe()})"
            )
        if decl.size is not None and index is not None and index >= decl.size:
            entries = f"{decl.size} entr{'y' if decl.size == 1 else 'ies'}"
            return f"{name}[{index}] is out of range: {name} has {entries} ({decl.describe()})"
        return None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'flux'?"`` for the closest of ``candidates`` (difflib), else ``""``."""
    close = difflib.get_close_matches(name, sorted(set(candidates) - {name}), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
