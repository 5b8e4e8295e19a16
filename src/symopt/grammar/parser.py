"""Lark-based parser: source text → IR terms, with ``FILE:LINE:COL`` errors.

Expression files are parsed a line at a time (one expression per line; ``#`` comments and blank
lines skipped), so an error names the line it is on and a huge file never becomes one parse tree.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from symopt.errors import SourceError, SourceWarning, raise_errors
from symopt.grammar.constants import mentions_constant, resolve_constants
from symopt.ir import FUNCTIONS, MAX_INDEX, App, Num, PVar, Span, Sym, Term, index_fits

_TOKEN_NAMES = {
    "$END": "end of line",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "POW": "'^'",
    "EQUAL": "'='",
    "NUMBER": "a number",
    "INT": "an integer index",
    "NAME": "a name",
    "INDEXED": "a name",
    "MONOMIAL": "a name",
    "PVAR": "a pattern variable",
    "LET": "'let'",
}


@dataclass(frozen=True, slots=True)
class Target:
    """The left-hand side of a model statement: ``x`` or ``du[3]``."""

    name: str
    index: int | None
    span: Span

    @property
    def key(self) -> str:
        return self.name if self.index is None else f"{self.name}[{self.index}]"


@dataclass(frozen=True, slots=True)
class Statement:
    """One model line: ``target = expr`` or ``let name = expr``."""

    target: Target
    expr: Term
    is_let: bool
    line: int
    reads: tuple[Sym, ...] = field(default=(), repr=False, compare=False)
    """Every name the expression reads, left to right (recorded by the parser)."""


def literal_warning(text: str, value: float) -> str | None:
    """What is wrong with the literal ``text`` whose double is ``value`` (non-negative), if
    anything: a nonzero literal that underflows to 0, or a subnormal that cannot keep the digits
    written (its shortest round-trip form differs from the literal)."""
    if value >= sys.float_info.min:
        return None
    if value == 0.0:
        mantissa = text.lower().partition("e")[0]
        return f"literal {text} underflows to 0" if mantissa.strip("0.") else None
    from decimal import Decimal  # rarely needed: only for subnormal literals

    if Decimal(text) != Decimal(repr(value)):
        return f"literal {text} is subnormal and rounds to {value!r} (precision lost)"
    return None


class _SemanticError(Exception):
    def __init__(self, message: str, span: Span, width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.width = width


VARIADIC = frozenset({"min", "max"})
"""Functions that take two or more arguments (nested pairwise)."""

FUNCTION_ALIASES = {
    "ln": "log",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "fabs": "abs",
    "absolute": "abs",
    "fmin": "min",
    "fmax": "max",
    "power": "pow",
    "square_root": "sqrt",
}
"""Names other languages use for our functions (NumPy, C, maths), for "did you mean"."""


def unknown_function(name: str) -> str:
    """The error message for a call of ``name``, with the closest known function if any."""
    import difflib

    guess = FUNCTION_ALIASES.get(name) or FUNCTION_ALIASES.get(name.lower())
    if guess is None and name.lower() in FUNCTIONS:
        guess = name.lower()
    if guess is None:
        close = difflib.get_close_matches(name.lower(), FUNCTIONS, n=1, cutoff=0.6)
        guess = close[0] if close else None
    hint = f"; did you mean '{guess}'?" if guess else ""
    return f"unknown function '{name}'{hint}"


_FACTOR = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?|((?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)"
)
"""One factor of a ``MONOMIAL`` token (see symopt.lark): name and index digits, or a number."""


def _binary(op: str) -> Any:
    """A parser callback building the binary ``op`` (spanning from its left operand)."""

    def build(self: _Builder, children: list[Term]) -> App:
        a, b = children
        return App(op, (a, b), a.span)

    return build


class _Builder:
    """Builds IR terms while Lark parses: LALR callbacks by rule name, each called with the
    rule's children (a plain object rather than a ``Transformer`` with ``v_args``, which wraps
    every callback in three more Python calls). Records the names read, in source order."""

    def __init__(self) -> None:
        self.line = 1
        self.allow_pvars = False
        self.warnings: list[tuple[str, Span, int]] = []  # (message, span, width) of this parse
        self.reads: list[Sym] = []  # every name read by this parse, left to right

    def _span(self, tok: Token) -> Span:
        return Span(self.line, tok.column or 1, tok.end_column)

    def _number(self, text: str, column: int) -> Num:
        """The literal ``text`` at ``column``."""
        value = float(text)
        span = Span(self.line, column, column + len(text))
        if math.isinf(value):
            raise _SemanticError(f"number {text} is out of range for a double", span, len(text))
        if value < sys.float_info.min:  # zero or subnormal: maybe a warning
            warning = literal_warning(text, value)
            if warning is not None:
                self.warnings.append((warning, span, len(text)))
        return Num(value, span)

    def number(self, children: list[Token]) -> Num:
        tok = children[0]
        return self._number(tok.value, tok.column or 1)

    def name(self, children: list[Token]) -> Sym:
        tok = children[0]
        sym = Sym(tok.value, None, Span(self.line, tok.column or 1, tok.end_column))
        self.reads.append(sym)
        return sym

    def monomial(self, children: list[Token]) -> Term:
        """``a*u[3]*2``, one ``MONOMIAL`` token: the left-nested products of its factors, with
        the spans and errors each factor would have as a token of its own."""
        tok = children[0]
        text, column, line, reads = tok.value, tok.column or 1, self.line, self.reads
        if " " in text or "\t" in text or "\f" in text or "\r" in text:
            return self._spaced_monomial(text, column)
        out: Term | None = None
        for part in text.split("*"):
            factor: Term
            first = part[0]
            if first.isdigit() or first == ".":
                factor = self._number(part, column)
            else:
                cut = part.find("[")
                if cut < 0:
                    factor = Sym(part, None, Span(line, column, column + len(part)))
                else:
                    digits = part[cut + 1 : -1]
                    index = (
                        int(digits) if len(digits) < 10 else self._index(digits, column + cut + 1)
                    )
                    factor = Sym(part[:cut], index, Span(line, column, column + cut))
                reads.append(factor)
            out = factor if out is None else App("mul", (out, factor), out.span)
            column += len(part) + 1
        assert out is not None
        return out

    def _spaced_monomial(self, text: str, start: int) -> Term:
        """:meth:`monomial` of a token with blanks around its ``*``."""
        out: Term | None = None
        for match in _FACTOR.finditer(text):
            column = start + match.start()
            name, digits, number = match.groups()
            factor: Term
            if number is not None:
                factor = self._number(number, column)
            else:
                index = None if digits is None else self._index(digits, column + len(name) + 1)
                factor = Sym(name, index, Span(self.line, column, column + len(name)))
                self.reads.append(factor)
            out = factor if out is None else App("mul", (out, factor), out.span)
        assert out is not None
        return out

    def _index(self, digits: str, column: int) -> int:
        """An array index, at most :data:`~symopt.ir.MAX_INDEX` (``digits`` at ``column``)."""
        if len(digits) > 9 and not index_fits(digits):
            span = Span(self.line, column, column + len(digits))
            raise _SemanticError(f"index {digits} too large (max {MAX_INDEX})", span, len(digits))
        return int(digits)

    def _subscript(self, children: list[Token]) -> tuple[str, int, Span]:
        """Name, index and span (of the name) of ``u[12]``: one ``INDEXED`` token, or ``NAME``
        and ``INT`` when written with spaces."""
        name = children[0]
        column = name.column or 1
        if len(children) == 1:
            text = name.value
            cut = text.index("[")
            index = self._index(text[cut + 1 : -1], column + cut + 1)
            return text[:cut], index, Span(self.line, column, column + cut)
        idx = children[1]
        return name.value, self._index(idx.value, idx.column or 1), self._span(name)

    def indexed(self, children: list[Token]) -> Sym:
        sym = Sym(*self._subscript(children))
        self.reads.append(sym)
        return sym

    def pvar(self, children: list[Token]) -> PVar:
        tok = children[0]
        text = tok.value
        if not self.allow_pvars:
            raise _SemanticError(
                f"pattern variable {text} is only allowed in rule patterns",
                self._span(tok),
                len(text),
            )
        return PVar(text[1:], self._span(tok))

    def call(self, children: list[Any]) -> App:
        name = children[0]
        fname = name.value
        real_args = tuple(a for a in children[1:] if a is not None)
        span = self._span(name)
        if fname not in FUNCTIONS:
            raise _SemanticError(unknown_function(fname), span, len(fname))
        arity = FUNCTIONS[fname]
        if fname in VARIADIC and len(real_args) > arity:
            # min(a, b, c) is min(min(a, b), c): both are associative and exact.
            out = App(fname, real_args[:2], span)
            for arg in real_args[2:]:
                out = App(fname, (out, arg), span)
            return out
        if len(real_args) != arity:
            plural = "s" if arity != 1 else ""
            least = "at least " if fname in VARIADIC else ""
            raise _SemanticError(
                f"{fname}() takes {least}{arity} argument{plural}, got {len(real_args)}",
                span,
                len(fname),
            )
        return App(fname, real_args, span)

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")

    def pow(self, children: list[Any]) -> App:
        a, _tok, b = children
        return App("pow", (a, b), a.span)

    def neg(self, children: list[Term]) -> Term:
        # A negated literal is a negative literal, as the optimiser and the printers make it
        # (``-2^2`` is still ``-(2^2)``: the operand of this minus is the power, not 2).
        a = children[0]
        if isinstance(a, Num):
            return Num(-a.value, a.span)
        return App("neg", (a,), a.span)

    def pos(self, children: list[Term]) -> Term:
        return children[0]

    def scalar_target(self, children: list[Token]) -> Target:
        return Target(children[0].value, None, self._span(children[0]))

    def indexed_target(self, children: list[Token]) -> Target:
        return Target(*self._subscript(children))

    def declaration(self, children: list[Target]) -> tuple[Target, ...]:
        return tuple(children)

    def let_stmt(self, children: list[Any]) -> tuple[Target, Term, bool]:
        name, expr = children
        return (Target(name.value, None, self._span(name)), expr, True)

    def assign_stmt(self, children: list[Any]) -> tuple[Target, Term, bool]:
        target, expr = children
        return (target, expr, False)


def _lark_plugins() -> dict[str, Any]:
    """lark-cython's lexer and LALR loop (a dependency; ~2x faster on large models), or none
    (plain Lark) if it cannot be imported, e.g. on a Python it has no wheel for."""
    try:
        import lark_cython
    except ImportError:  # pragma: no cover - installed with symopt
        return {}
    plugins: dict[str, Any] = lark_cython.plugins
    return plugins


def grammar_text() -> str:
    """The input language's Lark grammar (``symopt.lark``)."""
    return resources.files("symopt.grammar").joinpath("symopt.lark").read_text()


SHORTCUTS = ("INDEXED", "MONOMIAL")
"""Terminals of ``symopt.lark`` that stand for several tokens (``u[3]``, ``a*b``), for speed."""


@cache
def plain_grammar() -> str:
    """The grammar without :data:`SHORTCUTS` (their lines dropped): the same language, one token
    per name, number and operator."""
    lines = grammar_text().splitlines()
    return "\n".join(ln for ln in lines if not any(name in ln for name in SHORTCUTS))


@cache
def _parser(start: str, grammar: str | None = None) -> tuple[Lark, _Builder]:
    """The parser of ``start`` (built once; ``grammar`` replaces the packaged one in tests)."""
    builder = _Builder()
    lark = Lark(
        grammar_text() if grammar is None else grammar,
        _plugins=_lark_plugins(),
        start=start,
        parser="lalr",
        lexer="contextual",
        transformer=builder,
        maybe_placeholders=True,
        cache=True,  # grammar analysis cached in the temp dir: ~3x faster start-up
    )
    return lark, builder


def _describe_expected(expected: set[str], allow_pvars: bool) -> str:
    if not allow_pvars:
        expected = expected - {"PVAR"}
    names = sorted({_TOKEN_NAMES.get(e, e.lower()) for e in expected})
    return "; expected " + ", ".join(names) if names else ""


_QUALIFIED = re.compile(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\(")


def _module_prefix_hint(text: str, pos: int) -> str:
    """For ``math.exp(x)`` or ``np.sqrt(x)`` at a ``.``: the function without its module."""
    start = pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    match = _QUALIFIED.match(text, start)
    if match is None or match.end(1) != pos:
        return ""
    module, name = match.groups()
    known = name if name in FUNCTIONS else FUNCTION_ALIASES.get(name)
    if known is None:
        return ""
    return f"; did you mean '{known}'? (functions are called without a module prefix: '{module}.')"


def _source_error(
    exc: UnexpectedInput, text: str, path: str, line: int, allow_pvars: bool
) -> SourceError:
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else len(text) + 1
    if isinstance(exc, UnexpectedCharacters):
        message = f"unexpected character {text[exc.pos_in_stream or 0]!r}"
        message += _module_prefix_hint(text, exc.pos_in_stream or 0)
    elif isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        column = len(text.rstrip()) + 1
        message = "unexpected end of line" + _describe_expected(set(exc.expected), allow_pvars)
    elif isinstance(exc, UnexpectedToken):
        message = f"unexpected '{exc.token!s:.40}'" + _describe_expected(
            set(exc.expected), allow_pvars
        )
    else:  # pragma: no cover - lark has no other subclasses today
        message = str(exc)
    return SourceError(message, path=path, line=line, column=column, source_line=text)


def _parse(
    text: str,
    start: str,
    *,
    path: str,
    line: int,
    allow_pvars: bool,
    warnings: list[SourceWarning] | None = None,
    reads: list[Sym] | None = None,
    plain: bool = False,
) -> Any:
    """Parse ``text`` from rule ``start``. A syntax error is reported by the grammar without
    shortcut terminals (``plain``), so its message is the one of one token per name, number and
    operator (the shortcuts would change the token shown and what was expected after it)."""
    lark, builder = _parser(start, plain_grammar() if plain else None)
    builder.line = line
    builder.allow_pvars = allow_pvars
    builder.warnings = []
    builder.reads = []
    try:
        result = lark.parse(text)
    except _SemanticError as exc:
        raise SourceError(
            exc.message,
            path=path,
            line=exc.span.line,
            column=exc.span.column,
            source_line=text,
            width=exc.width,
        ) from None
    except UnexpectedInput as exc:
        if not plain:
            _parse(text, start, path=path, line=line, allow_pvars=allow_pvars, plain=True)
        raise _source_error(exc, text, path, line, allow_pvars) from None
    if warnings is not None:
        warnings.extend(
            SourceWarning(message, path, span.line, span.column, text, width)
            for message, span, width in builder.warnings
        )
    if reads is not None:
        reads.extend(builder.reads)
    return result


def parse_expr(
    text: str,
    *,
    path: str = "<input>",
    line: int = 1,
    warnings: list[SourceWarning] | None = None,
) -> Term:
    """Parse one expression (a single line) into a term. Warnings (a literal that underflows to
    0, …) are appended to ``warnings`` if given; printing them is the caller's business. The
    constants ``pi`` and ``e`` become their values (:mod:`symopt.grammar.constants`)."""
    term = _parse(text, "expr", path=path, line=line, allow_pvars=False, warnings=warnings)
    return resolve_constants(term) if mentions_constant(text) else term


def parse_pattern(text: str, *, path: str = "<pattern>", line: int = 1) -> Term:
    """Parse a rule pattern: an expression that may contain ``?name`` pattern variables."""
    return _parse(text, "expr", path=path, line=line, allow_pvars=True)


def strip_comment(raw: str) -> str:
    """``raw`` without its ``#`` comment."""
    cut = raw.find("#")
    return raw if cut < 0 else raw[:cut]


_NAMED = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")
"""``name = expr``: a line of an expression file that names its function."""


@dataclass(frozen=True)
class ExprLine:
    """One expression of an expression file: its line, the name it was given (``name = expr``)
    if any, and the term."""

    line: int
    name: str | None
    term: Term


def parse_expression_lines(
    text: str, *, path: str = "<stdin>", warnings: list[SourceWarning] | None = None
) -> list[ExprLine]:
    """Parse an expression file: one expression per line, optionally named (``energy = x*y``;
    a name used twice is an error). Every bad line is reported
    (:class:`~symopt.errors.MultiSourceError` in file order when there are several); warnings
    are appended to ``warnings`` if given (see :func:`parse_expr`)."""
    out: list[ExprLine] = []
    errors: list[SourceError] = []
    named: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        code = strip_comment(raw)
        if not code.strip():
            continue
        match = _NAMED.match(code)
        name = match[1] if match else None
        # The name is blanked out, so columns stay those of the raw line.
        expr = " " * match.end() + raw[match.end() :] if match else raw
        try:
            if name is not None and name in named:
                raise SourceError(
                    f"{name} is named twice (first on line {named[name]})",
                    path=path,
                    line=number,
                    column=code.index(name) + 1,
                    source_line=raw,
                    width=len(name),
                )
            found: list[SourceWarning] = []
            term = parse_expr(expr, path=path, line=number, warnings=found)
        except SourceError as exc:
            exc.source_line = raw if exc.source_line is not None else None
            errors.append(exc)
            continue
        if warnings is not None:
            warnings.extend(replace(w, source_line=raw) for w in found)
        if name is not None:
            named[name] = number
        out.append(ExprLine(number, name, term))
    raise_errors(errors)
    return out


def parse_expression_file(
    text: str, *, path: str = "<stdin>", warnings: list[SourceWarning] | None = None
) -> list[tuple[int, Term]]:
    """:func:`parse_expression_lines` as ``(line_number, term)`` pairs (names dropped)."""
    return [(e.line, e.term) for e in parse_expression_lines(text, path=path, warnings=warnings)]


def parse_statement(
    text: str,
    *,
    path: str = "<input>",
    line: int = 1,
    warnings: list[SourceWarning] | None = None,
) -> Statement:
    """Parse one model statement: ``target = expr`` or ``let name = expr`` (warnings as for
    :func:`parse_expr`)."""
    reads: list[Sym] = []
    target, expr, is_let = _parse(
        text, "statement", path=path, line=line, allow_pvars=False, warnings=warnings, reads=reads
    )
    return Statement(target, expr, is_let, line, tuple(reads))


DECLARATION = re.compile(r"\s*(input|output)\s+(?=[A-Za-z_])")
"""``input t, u[4]`` / ``output du[4]`` (but not ``input = 1``, an output named ``input``)."""


@dataclass(frozen=True, slots=True)
class Declaration:
    """A signature line: ``kind`` is ``"input"`` or ``"output"``; each item's ``index`` is the
    declared size of an array (``u[4]``: 4 entries), ``None`` for a scalar."""

    kind: str
    items: tuple[Target, ...]
    line: int


def parse_declaration(text: str, *, path: str = "<input>", line: int = 1) -> Declaration | None:
    """Parse ``text`` as a declaration line (``input t, u[4], p[3]``, ``output du[4]``), or
    ``None`` if it is not one. Columns in errors and spans are those of ``text``."""
    match = DECLARATION.match(strip_comment(text))
    if match is None:
        return None
    # The keyword is blanked out, so columns stay those of the raw line.
    rest = " " * match.end() + text[match.end() :]
    items = _parse(rest, "declaration", path=path, line=line, allow_pvars=False)
    return Declaration(match[1], tuple(items), line)
