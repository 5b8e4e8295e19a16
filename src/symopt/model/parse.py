"""Reading a model file: statements, then the checks that make its outputs well defined."""

from __future__ import annotations

import re
from dataclasses import dataclass

from symopt.codegen.function import Param
from symopt.errors import ConfigError, SourceError, SourceWarning, raise_errors
from symopt.gcpause import paused_gc
from symopt.grammar.parser import Statement, parse_statement, strip_comment
from symopt.ir import Span, symbols
from symopt.model.model import Model
from symopt.rulesets.assume import Assumption, parse_assumption

_ASSUME = re.compile(r"(\s*assume\s+)(?![=\[])(\S.*)")
"""``assume x > 0`` (but not ``assume = 1``, an output named ``assume``)."""


@dataclass(frozen=True)
class _Assume:
    assumption: Assumption
    span: Span


@dataclass(frozen=True)
class _Use:
    """Where a base name was first used, and how (indexed or not)."""

    indexed: bool
    key: str
    line: int


class _Checker:
    """Checks statements in file order and collects outputs and inputs."""

    def __init__(
        self,
        path: str,
        lines: dict[int, str],
        statements: list[Statement],
        assumptions: list[_Assume],
    ) -> None:
        self.path = path
        self.lines = lines
        self.statements = statements
        self.assumptions = assumptions
        self.assigned_at: dict[str, int] = {}  # target key -> index of its statement
        self.assigned_bases: set[str] = set()
        self.uses: dict[str, _Use] = {}
        self.outputs: dict[str, None] = {}  # base names in order; uses[name] says if indexed
        self.inputs: dict[str, None] = {}
        self.errors: list[SourceError] = []

    def error(self, message: str, span: Span, key: str) -> SourceError:
        raw = self.lines[span.line]
        start = span.column - 1
        width = len(key) if raw.startswith(key, start) else (span.end_column or start + 1) - start
        return SourceError(
            message,
            path=self.path,
            line=span.line,
            column=span.column,
            source_line=raw,
            width=width,
        )

    def use(self, name: str, index: int | None, span: Span, key: str) -> bool:
        """Record a use of base ``name``; a base name is either always indexed or never (``False``
        and an error otherwise)."""
        first = self.uses.setdefault(name, _Use(index is not None, key, span.line))
        if first.indexed != (index is not None):
            self.fail(
                f"{name} is used both indexed and as a scalar ({first.key} on line {first.line})",
                span,
                key,
            )
            return False
        return True

    def fail(self, message: str, span: Span, key: str) -> None:
        """Record an error and go on checking (every error of the file is reported)."""
        self.errors.append(self.error(message, span, key))

    def collect_targets(self) -> None:
        for i, stmt in enumerate(self.statements):
            target = stmt.target
            if target.key in self.assigned_at:
                first = self.statements[self.assigned_at[target.key]].line
                self.fail(
                    f"{target.key} is assigned twice (first on line {first})",
                    target.span,
                    target.key,
                )
                continue
            self.assigned_at[target.key] = i
            self.assigned_bases.add(target.name)

    def check_reads(self) -> None:
        for i, stmt in enumerate(self.statements):
            target = stmt.target
            self.use(target.name, target.index, target.span, target.key)
            for term in symbols([stmt.expr]):  # left to right, each name's first occurrence
                span = term.span or stmt.target.span
                if not self.use(term.name, term.index, span, term.key):
                    continue
                at = self.assigned_at.get(term.key)
                if at is not None and at >= i:
                    where = "on this line" if at == i else f"on line {self.statements[at].line}"
                    self.fail(f"{term.key} is read before it is assigned ({where})", span, term.key)
                elif at is None and term.name in self.assigned_bases:
                    self.fail(
                        f"{term.key} is read but never assigned ({term.name} is assigned "
                        "elsewhere, so it is not an input)",
                        span,
                        term.key,
                    )
                elif at is None:
                    self.inputs.setdefault(term.name)
            if not stmt.is_let:
                self.outputs.setdefault(target.name)

    def check_assumptions(self) -> None:
        """An assumption is about an input: a name the model reads but never assigns."""
        for item in self.assumptions:
            sym = item.assumption.sym
            if sym.name in self.assigned_bases:
                self.fail(
                    f"assumption about {sym.key}, which the model assigns; assumptions are "
                    "about inputs",
                    item.span,
                    sym.key,
                )
            elif sym.index is not None:  # a bare name covers u and every u[i]
                self.use(sym.name, sym.index, item.span, sym.key)


def parse_model(text: str, path: str = "<input>") -> Model:
    """Parse and check a model file (``target = expr`` / ``let name = expr`` lines).

    Every error is reported, in file order (:class:`~symopt.errors.MultiSourceError` when there
    are several, else one :class:`~symopt.errors.SourceError`, with ``path:line:col``): a syntax
    error; a name
    read before the statement that assigns it (or by it); a target assigned twice; a base name
    used both indexed and as a scalar; ``du[5]`` read where ``du`` is assigned but ``du[5]`` not;
    a bad ``assume x > 0`` line (see :mod:`symopt.rulesets.assume`) or one about an assigned name.
    Warnings (a literal that underflows to 0, …) are returned in ``Model.warnings``.
    """
    lines: dict[int, str] = {}
    statements: list[Statement] = []
    assumptions: list[_Assume] = []
    warnings: list[SourceWarning] = []
    errors: list[SourceError] = []
    with paused_gc():
        for number, raw in enumerate(text.splitlines(), start=1):
            code = strip_comment(raw)
            if not code.strip():
                continue
            lines[number] = raw
            assume = _ASSUME.match(code)
            try:
                if assume:
                    assumptions.append(_assumption(assume, path, number, raw))
                else:
                    statements.append(
                        parse_statement(raw, path=path, line=number, warnings=warnings)
                    )
            except SourceError as exc:
                errors.append(exc)
        checker = _Checker(path, lines, statements, assumptions)
        checker.collect_targets()
        checker.check_reads()
        checker.check_assumptions()
    raise_errors([*errors, *checker.errors])
    return Model(
        path=path,
        statements=tuple(statements),
        outputs=tuple(Param(n, checker.uses[n].indexed) for n in checker.outputs),
        inputs=tuple(Param(n, checker.uses[n].indexed) for n in checker.inputs),
        assumptions=tuple(a.assumption for a in assumptions),
        warnings=tuple(warnings),
    )


def _assumption(match: re.Match[str], path: str, line: int, raw: str) -> _Assume:
    """``assume ...`` on ``line`` (see :mod:`symopt.rulesets.assume`)."""
    text = match[2].rstrip()
    column = match.end(1) + 1
    try:
        return _Assume(parse_assumption(text), Span(line, column, column + len(text)))
    except ConfigError as exc:
        raise SourceError(
            str(exc), path=path, line=line, column=column, source_line=raw, width=len(text)
        ) from None
