"""Reading a model file: statements, then the checks that make its outputs well defined."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from symopt.codegen.function import Param
from symopt.errors import ConfigError, SourceError, SourceWarning, raise_errors
from symopt.gcpause import paused_gc
from symopt.grammar.constants import mentions_constant, resolve_constants
from symopt.grammar.parser import (
    Declaration,
    Statement,
    parse_declaration,
    parse_statement,
    strip_comment,
)
from symopt.ir import Span, Sym, postorder
from symopt.model.hints import gaps, run_text, typo_of
from symopt.model.model import Model
from symopt.model.signature import Signature, did_you_mean
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
    """Checks statements in file order against the signature and collects outputs and inputs."""

    def __init__(
        self,
        path: str,
        lines: dict[int, str],
        statements: list[Statement],
        assumptions: list[_Assume],
        signature: Signature,
    ) -> None:
        self.path = path
        self.lines = lines
        self.statements = statements
        self.assumptions = assumptions
        self.sig = signature
        self.assigned_at: dict[str, int] = {}  # target key -> index of its statement
        self.assigned_bases: set[str] = set()
        self.locals: dict[str, None] = {}
        self.bad_targets: set[int] = set()  # statements whose target contradicts the signature
        self.uses: dict[str, _Use] = {}
        self.largest: dict[str, int] = {}  # base name -> largest index used
        self.outputs: dict[str, None] = {}  # base names in order; uses[name] says if indexed
        self.inputs: dict[str, None] = {}
        self.reads: Counter[str] = Counter()  # input base name -> occurrences
        self.first_read: dict[str, tuple[Span, str]] = {}  # input base name -> (span, key)
        self.errors: list[SourceError] = []
        self.warnings: list[SourceWarning] = []

    def _place(self, span: Span, key: str) -> tuple[str, int]:
        """The source line of ``span`` and the width of the caret under ``key``."""
        raw = self.lines[span.line]
        start = span.column - 1
        width = len(key) if raw.startswith(key, start) else (span.end_column or start + 1) - start
        return raw, width

    def error(self, message: str, span: Span, key: str) -> SourceError:
        raw, width = self._place(span, key)
        return SourceError(
            message,
            path=self.path,
            line=span.line,
            column=span.column,
            source_line=raw,
            width=width,
        )

    def warn(self, message: str, span: Span, key: str) -> None:
        raw, width = self._place(span, key)
        self.warnings.append(SourceWarning(message, self.path, span.line, span.column, raw, width))

    def use(self, name: str, index: int | None, span: Span, key: str) -> bool:
        """Record a use of base ``name``; a base name is either always indexed or never, as
        declared if it is (``False`` and an error otherwise)."""
        problem = self.sig.check_use(name, index)
        if problem is not None:
            self.fail(problem, span, key)
            return False
        first = self.uses.get(name)
        if first is None:
            first = self.uses[name] = _Use(index is not None, key, span.line)
        if first.indexed != (index is not None):
            self.fail(
                f"{name} is used both indexed and as a scalar ({first.key} on line {first.line})",
                span,
                key,
            )
            return False
        if index is not None and index > self.largest.get(name, -1):
            self.largest[name] = index
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
            if not self.check_target(stmt):
                self.bad_targets.add(i)
            self.assigned_at[target.key] = i
            self.assigned_bases.add(target.name)
            if stmt.is_let:
                self.locals.setdefault(target.name)

    def check_target(self, stmt: Statement) -> bool:
        """A target against the declaration: not an input, a declared output unless a local
        (``False`` and an error otherwise)."""
        target, sig = stmt.target, self.sig
        declared = sig.declared(target.name)
        if declared is not None and declared.kind == "input":
            self.fail(
                f"{target.name} is a declared input ({declared.describe()}) and cannot be assigned",
                target.span,
                target.key,
            )
        elif declared is not None and stmt.is_let:
            self.fail(
                f"{target.name} is a declared output ({declared.describe()}); assign it "
                "without 'let'",
                target.span,
                target.key,
            )
        elif sig.outputs is not None and declared is None and not stmt.is_let:
            lines = sorted({d.line for d in sig.outputs.values()})
            where = ", ".join(str(n) for n in lines)
            self.fail(
                f"{target.name} is assigned but not a declared output (output on line "
                f"{where}); write 'let {target.name} = ...' for a local",
                target.span,
                target.key,
            )
        else:
            return True
        return False

    def check_reads(self) -> None:
        for i, stmt in enumerate(self.statements):
            target = stmt.target
            if i not in self.bad_targets:
                self.use(target.name, target.index, target.span, target.key)
            reads = stmt.reads or [t for t in postorder([stmt.expr]) if isinstance(t, Sym)]
            assigned = self.assigned_bases
            self.reads.update(t.name for t in reads if t.name not in assigned)
            for term in dict.fromkeys(reads):  # each name's first occurrence, left to right
                self.check_read(i, stmt, term)
            if not stmt.is_let:
                self.outputs.setdefault(target.name)

    def check_read(self, i: int, stmt: Statement, term: Sym) -> None:
        span = term.span or stmt.target.span
        key = term.key
        if not self.use(term.name, term.index, span, key):
            return
        at = self.assigned_at.get(key)
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
        elif at is None and self.sig.inputs is not None and term.name not in self.sig.inputs:
            if term.name not in self.first_read:  # reported once per name
                self.fail(self.undeclared(term.name), span, term.key)
            self.first_read.setdefault(term.name, (span, term.key))
        elif at is None:
            self.inputs.setdefault(term.name)
            self.first_read.setdefault(term.name, (span, term.key))

    def undeclared(self, name: str) -> str:
        """The error for a free name that is not a declared input."""
        sig = self.sig
        assert sig.inputs is not None
        known = [*self.locals, *self.assigned_bases, *sig.inputs, *(sig.outputs or {})]
        first = next(iter(sig.inputs.values()), None)
        where = "--args" if first is None or first.line == 0 else f"input on line {first.line}"
        return f"{name} is neither assigned nor a declared input ({where})" + did_you_mean(
            name, known
        )

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
            elif self.sig.inputs is not None and sym.name not in self.sig.inputs:
                self.fail(
                    f"assumption about {sym.key}, which is not a declared input"
                    + did_you_mean(sym.name, self.sig.inputs),
                    item.span,
                    sym.key,
                )
            elif sym.index is not None:  # a bare name covers u and every u[i]
                self.use(sym.name, sym.index, item.span, sym.key)

    def check_outputs(self) -> None:
        """Every entry of a declared output is assigned (an error); without a declaration, a gap
        in an indexed output is a warning."""
        declared = self.sig.outputs
        for name, decl in (declared or {}).items():
            if decl.span is None:  # pragma: no cover - outputs are declared in the file
                continue
            if not decl.array:
                if name not in self.assigned_at:
                    self.fail(
                        f"{name} is declared as an output but never assigned", decl.span, name
                    )
                continue
            assert decl.size is not None
            have = {i for i in range(decl.size) if f"{name}[{i}]" in self.assigned_at}
            for first, last in gaps([*have, decl.size]):
                self.fail(
                    f"{run_text(name, first, last)} never assigned ({decl.describe()})",
                    decl.span,
                    name,
                )
        for name in self.outputs:
            if declared is not None or not self.uses[name].indexed:
                continue
            prefix = f"{name}["
            have = {int(k[len(prefix) : -1]) for k in self.assigned_at if k.startswith(prefix)}
            for first, last in gaps(have):
                after = self.statements[self.assigned_at[f"{name}[{last + 1}]"]].target
                self.warn(
                    f"gap in output {name}: {run_text(name, first, last)} never assigned "
                    "(left unchanged by the generated function)",
                    after.span,
                    after.key,
                )

    def check_typos(self) -> None:
        """Without an input declaration: a name read once, one edit away from a known one."""
        if self.sig.inputs is not None:
            return
        reads = {name: self.reads[name] for name in self.inputs}
        outputs = [n for n in self.assigned_bases if n not in self.locals]
        for name in self.inputs:
            meant = typo_of(name, reads, self.locals, sorted(outputs))
            if meant is not None:
                span, key = self.first_read[name]
                self.warn(
                    f"{name} is read only here and assigned nowhere, so it is an input; "
                    f"did you mean '{meant}'?",
                    span,
                    key,
                )

    def params(self, kind: str) -> tuple[Param, ...]:
        """The outputs or inputs, as declared or in order of first appearance."""
        declared = self.sig.inputs if kind == "input" else self.sig.outputs
        found = self.inputs if kind == "input" else self.outputs
        if declared is None:
            return tuple(Param(n, self.uses[n].indexed) for n in found)
        return tuple(
            Param(n, d.array if d.array is not None else n in self.uses and self.uses[n].indexed)
            for n, d in declared.items()
        )

    def sizes(self, params: Sequence[Param]) -> dict[str, int]:
        """Entries of each array parameter: declared, else one more than its largest index."""
        out: dict[str, int] = {}
        for p in params:
            if not p.is_array:
                continue
            decl = self.sig.declared(p.name)
            size = decl.size if decl is not None else None
            out[p.name] = size if size is not None else self.largest.get(p.name, -1) + 1
        return out


def parse_model(text: str, path: str = "<input>", args: Sequence[str] | None = None) -> Model:
    """Parse and check a model file (``target = expr`` / ``let name = expr`` lines, ``input`` /
    ``output`` declarations, ``assume`` lines).

    ``args`` (``compile --args``: distinct identifiers) declares the inputs' order, as an
    ``input`` line without sizes does; with an ``input`` line too, it must name the same inputs.

    Every error is reported, in file order (:class:`~symopt.errors.MultiSourceError` when there
    are several, else one :class:`~symopt.errors.SourceError`, with ``path:line:col``): a syntax
    error; a name
    read before the statement that assigns it (or by it); a target assigned twice; a base name
    used both indexed and as a scalar; ``du[5]`` read where ``du`` is assigned but ``du[5]`` not;
    a bad ``assume x > 0`` line (see :mod:`symopt.rulesets.assume`) or one about an assigned name;
    with a declaration, a free name not declared, an index out of the declared size, a target not
    declared or a declared output entry not assigned.
    Warnings (a literal that underflows to 0; without a declaration, a name read once that is one
    edit away from a known one, a gap in an indexed output) are returned in ``Model.warnings``.
    """
    lines: dict[int, str] = {}
    statements: list[Statement] = []
    declarations: list[Declaration] = []
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
                elif (declaration := parse_declaration(raw, path=path, line=number)) is not None:
                    declarations.append(declaration)
                else:
                    statements.append(
                        parse_statement(raw, path=path, line=number, warnings=warnings)
                    )
            except SourceError as exc:
                errors.append(exc)
        signature = Signature.build(declarations, args)
        statements = _with_constants(statements, lines, signature)
        checker = _Checker(path, lines, statements, assumptions, signature)
        for problem in signature.problems:
            checker.fail(problem.message, problem.span, problem.key)
        checker.collect_targets()
        checker.check_reads()
        checker.check_assumptions()
        checker.check_outputs()
        checker.check_typos()
    raise_errors([*errors, *checker.errors])
    outputs, inputs = checker.params("output"), checker.params("input")
    return Model(
        path=path,
        statements=tuple(statements),
        outputs=outputs,
        inputs=inputs,
        assumptions=tuple(a.assumption for a in assumptions),
        warnings=tuple(sorted([*warnings, *checker.warnings], key=lambda w: (w.line, w.column))),
        sizes=checker.sizes([*outputs, *inputs]),
    )


def _with_constants(
    statements: list[Statement], lines: dict[int, str], signature: Signature
) -> list[Statement]:
    """Statements with the constants ``pi`` and ``e`` replaced by their values, unless the
    model declares the name as an input or assigns it (:mod:`symopt.grammar.constants`)."""
    shadowed = {s.target.name for s in statements} | set(signature.inputs or ())
    out = []
    for s in statements:
        expr = resolve_constants(s.expr, shadowed) if mentions_constant(lines[s.line]) else s.expr
        # The names the parser recorded as read include a constant that is now a literal.
        out.append(s if expr is s.expr else replace(s, expr=expr, reads=()))
    return out


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
