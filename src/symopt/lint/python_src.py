"""Python source → candidate expressions (our terms) with their ``ast`` source spans.

Arithmetic in function bodies (assignments, augmented assignments, returns, expression
statements) built from names, dotted attributes (``self.k``), constant subscripts (``u[3]``),
numbers, ``+ - * / **``, unary minus and calls of ``math.*``/``numpy.*`` (or names imported from
them) that map to our language. Anything else becomes an opaque symbol, and its own
subexpressions are analysed as candidates of their own. A name assigned again gets a new
symbol, so ``a*b`` before and after ``a = …`` are different values.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from symopt.codegen.infix import ATOM, POW, UNARY, Dialect, Layout, Operand
from symopt.errors import SourceError
from symopt.ir import FUNCTIONS, App, Num, Sym, Term
from symopt.lint.findings import Location
from symopt.lint.parsed import Candidate, ParsedFile, Unit

MATH_FUNCTIONS: dict[str, str] = {
    **{n: n for n in FUNCTIONS if n not in ("abs", "min", "max")},
    "fabs": "abs",
}
"""``math`` function name -> our operator (arity checked against :data:`FUNCTIONS`)."""

NUMPY_FUNCTIONS: dict[str, str] = {
    **{
        n: n
        for n in "sin cos tan sinh cosh tanh exp expm1 log log1p log2 log10 sqrt cbrt floor ceil "
        "hypot".split()
    },
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "power": "pow",
    "abs": "abs",
    "absolute": "abs",
    "fabs": "abs",
    "fmin": "min",
    "fmax": "max",
}
"""``numpy`` function name -> our operator."""

_NUMPY_NAMES = {
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "atan2": "arctan2",
    "min": "fmin",
    "max": "fmax",
}

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
}

_ATOMIC = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant, ast.List, ast.Tuple)


class _Imports:
    """How the module names ``math`` and ``numpy`` and what it imports from them."""

    def __init__(self, tree: ast.Module) -> None:
        self.modules: dict[str, str] = {}  # alias -> "math" | "numpy"
        self.functions: dict[str, tuple[str, str]] = {}  # bare name -> (module, name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in ("math", "numpy"):
                        self.modules[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom) and node.module in ("math", "numpy"):
                for a in node.names:
                    self.functions[a.asname or a.name] = (node.module, a.name)

    def resolve(self, func: ast.expr) -> tuple[str, str] | None:
        """``(module, function)`` a call's callee names, if it is math/numpy."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = self.modules.get(func.value.id)
            return (module, func.attr) if module else None
        if isinstance(func, ast.Name):
            return self.functions.get(func.id)
        return None

    def spelling(self, module: str, name: str) -> str | None:
        """How this file can call ``module.name`` (``None`` if it imports neither)."""
        for alias, mod in self.modules.items():
            if mod == module:
                return f"{alias}.{name}"
        for bare, (mod, orig) in self.functions.items():
            if mod == module and orig == name:
                return bare
        return None


class _Columns:
    """``ast`` byte offsets → 1-based character columns."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def column(self, line: int, byte_offset: int) -> int:
        raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(raw.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def parenthesised(self, loc: Location) -> bool:
        """Whether the source has ``(`` right before ``loc`` and ``)`` right after it."""
        start = self.lines[loc.line - 1][: loc.column - 1].rstrip()
        end_line = loc.end_line or loc.line
        end = self.lines[end_line - 1][(loc.end_column or loc.column) - 1 :].lstrip()
        return start.endswith("(") and end.startswith(")")

    def loc(self, node: ast.expr | ast.stmt) -> Location:
        end_line = node.end_lineno or node.lineno
        end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Location(
            node.lineno,
            self.column(node.lineno, node.col_offset),
            end_line,
            self.column(end_line, end),
        )


_SAFE = re.compile(r"[^A-Za-z0-9_]")


class _Function:
    """Translates one function body; names get a new symbol at every assignment."""

    def __init__(self, owner: _Translator, index: int, name: str, node: ast.AST) -> None:
        self.owner = owner
        self.prefix = f"f{index}_"
        self.unit = Unit(name, owner.cols.loc(node))  # type: ignore[arg-type]
        self.versions: dict[str, int] = {}
        self.pending: list[tuple[ast.expr, bool]] = []

    # -- symbols ----------------------------------------------------------------------------
    def symbol(self, key: str, display: str) -> str:
        internal = f"{self.prefix}{_SAFE.sub('_', key)}_{self.versions.get(key, 0)}"
        self.owner.names[internal] = display
        return internal

    def assigned(self, target: ast.expr) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name | ast.Attribute):
                key = _dotted(node)
                if key is not None:
                    self.versions[key] = self.versions.get(key, 0) + 1

    # -- statements -------------------------------------------------------------------------
    def statements(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue  # its own unit (or not a function)
            value: ast.expr | None = None
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                value, targets = stmt.value, stmt.targets
            elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
                value, targets = stmt.value, [stmt.target]
            elif isinstance(stmt, ast.Return | ast.Expr):
                value = stmt.value
            if value is not None:
                self.root(value, wrap=False)
            for target in targets:
                self.assigned(target)
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and not isinstance(stmt, ast.Try | ast.TryStar):
                    self.statements(inner)
            if isinstance(stmt, ast.Try | ast.TryStar):
                self.statements(stmt.body)
                for handler in stmt.handlers:
                    self.statements(handler.body)
                self.statements(stmt.orelse)
                self.statements(stmt.finalbody)
            if isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    self.statements(case.body)

    def root(self, node: ast.expr, wrap: bool) -> None:
        """A candidate expression, then the subexpressions of the opaque parts it contains."""
        self.pending = []
        self.numpy = False
        term = self.term(node)
        if isinstance(term, App):
            flavor = "numpy" if self.numpy else "math"
            loc = self.owner.cols.loc(node)
            wrap = wrap and not self.owner.cols.parenthesised(loc)
            self.unit.candidates.append(Candidate(term, loc, wrap, flavor))
        for child, child_wrap in self.pending:
            self.root(child, child_wrap)

    # -- expressions ------------------------------------------------------------------------
    def term(self, root: ast.expr) -> Term:
        """``root`` as a term, built bottom-up with an explicit stack (a long ``a + b + …``
        chain is as deep as it is long)."""
        built: dict[int, Term] = {}
        stack: list[tuple[ast.expr, list[ast.expr] | None]] = [(root, None)]
        while stack:
            node, kids = stack.pop()
            if kids is None:
                kids = self._operands(node)
                if kids:
                    stack.append((node, kids))
                    stack.extend((k, None) for k in reversed(kids))
                    continue
            term = self._build(node, [built.pop(id(k)) for k in kids])
            if isinstance(term, App):
                self.owner.spans[id(term)] = self.owner.cols.loc(node)
            built[id(node)] = term
        return built[id(root)]

    def _operands(self, node: ast.expr) -> list[ast.expr]:
        """The subexpressions ``node`` is built from, if it maps to one of our operators."""
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            return [node.operand]
        if isinstance(node, ast.Call) and self._call_op(node) is not None:
            return list(node.args)
        return []

    def _call_op(self, node: ast.Call) -> str | None:
        """Our operator for a call of a ``math``/``numpy`` function (``square`` is ``pow``)."""
        target = self.owner.imports.resolve(node.func)
        if target is None or node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        module, name = target
        if module == "numpy" and name == "square" and len(node.args) == 1:
            return "square"
        op = (MATH_FUNCTIONS if module == "math" else NUMPY_FUNCTIONS).get(name)
        if op is None or FUNCTIONS.get(op) != len(node.args):
            return None
        return op

    def _build(self, node: ast.expr, args: list[Term]) -> Term:
        """``node`` as a term, given its operands' terms (see :meth:`_operands`; none: a leaf)."""
        if not args:
            return self._leaf(node)
        if isinstance(node, ast.BinOp):
            return App(_BINOPS[type(node.op)], (args[0], args[1]))
        if isinstance(node, ast.UnaryOp):
            (inner,) = args
            if isinstance(node.op, ast.UAdd):
                return inner
            return Num(-inner.value) if isinstance(inner, Num) else App("neg", (inner,))
        if isinstance(node, ast.Call):
            op = self._call_op(node)
            assert op is not None
            module = self.owner.imports.resolve(node.func)
            self.numpy = self.numpy or (module is not None and module[0] == "numpy")
            if op == "square":
                return App("pow", (args[0], Num(2.0)))
            return App(op, tuple(args))
        raise AssertionError(f"no operands expected for {type(node).__name__}")

    def _leaf(self, node: ast.expr) -> Term:
        """A number, a name, ``self.k``, ``u[3]``, or an opaque symbol."""
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return Num(float(value))
            except OverflowError:
                pass
        key = _dotted(node)
        if key is not None:
            return Sym(self.symbol(key, key))
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
            and 0 <= node.slice.value <= 2**31 - 1
            and (base := _dotted(node.value)) is not None
        ):
            return Sym(self.symbol(base, base), node.slice.value)
        return self.opaque(node)

    def opaque(self, node: ast.expr) -> Sym:
        """An expression we do not model: a symbol named by its text (and the versions of the
        names it reads; a call of an unknown function is a new value every time, as it may have
        side effects); its subexpressions become candidates of their own."""
        text = ast.unparse(node)
        display = text if isinstance(node, _ATOMIC) else f"({text})"
        versions = sorted(
            f"{n.id}{self.versions.get(n.id, 0)}" for n in ast.walk(node) if isinstance(n, ast.Name)
        )
        if isinstance(node, ast.Call):  # may have side effects: every call its own value
            versions.append(f"call{len(self.owner.names)}")
        opaque = self.owner.opaque  # numbered in order of appearance: the same names every run
        key = f"opaque{opaque.setdefault((text, *versions), len(opaque))}"
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) and not isinstance(child, ast.Lambda):
                wrap = not isinstance(node, ast.Call | ast.List | ast.Tuple | ast.Subscript)
                self.pending.append((child, wrap))
        return Sym(self.symbol(key, display))


def _dotted(node: ast.expr) -> str | None:
    """``x`` or ``self.k`` / ``a.b.c`` as text, else ``None``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


class _Translator:
    def __init__(self, text: str, tree: ast.Module) -> None:
        self.cols = _Columns(text)
        self.imports = _Imports(tree)
        self.names: dict[str, str] = {}
        self.spans: dict[int, Location] = {}
        self.opaque: dict[tuple[str, ...], int] = {}

    def units(self, tree: ast.Module) -> list[Unit]:
        units = []
        for index, (name, node) in enumerate(_functions(tree)):
            fn = _Function(self, index, name, node)
            fn.statements(node.body)
            units.append(fn.unit)
        return units


def _functions(
    tree: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method with its qualified name, in source order."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.stmt):
            yield from _functions(node, prefix)


class PythonDialect(Dialect):
    """Suggestions in the file's own Python: ``**`` for powers, functions spelled as the file
    imports them (``math.exp``, ``np.exp``, or a bare imported ``exp``)."""

    lang = "python"

    def __init__(self, names: dict[str, str], imports: _Imports, flavor: str) -> None:
        super().__init__(names)
        self.imports = imports
        self.flavor = flavor
        self.unspellable = False

    def number(self, value: float) -> str:
        """Integral values as Python ints (``2``, not ``2.0``), as source code writes them."""
        if value.is_integer() and abs(value) < 2**53 and str(value) != "-0.0":
            return str(int(value))
        return super().number(value)

    def symbol(self, sym: Sym) -> str:
        name = self.names.get(sym.name, sym.name)
        return name if sym.index is None else f"{name}[{sym.index}]"

    def call_name(self, op: str) -> str:
        if op == "abs" and self.flavor == "math":
            return "abs"
        module = "numpy" if self.flavor == "numpy" else "math"
        name = _NUMPY_NAMES.get(op, op) if module == "numpy" else op
        spelled = self.imports.spelling(module, name)
        if spelled is None:
            self.unspellable = True
            return f"{'np' if module == 'numpy' else 'math'}.{name}"
        return spelled

    def layout(self, app: App) -> Layout:
        if app.op == "pow":
            base, exponent = app.args
            small = isinstance(exponent, Num) and abs(exponent.value) < 2**53
            if small and isinstance(exponent, Num) and exponent.value.is_integer():
                return POW, [Operand(base, ATOM), f"**{int(exponent.value)}"]
            return POW, [Operand(base, ATOM), "**", Operand(exponent, UNARY)]
        if app.op == "fma":
            raise ValueError("fma has no portable Python spelling")
        return super().layout(app)


def parse_python(text: str, path: str) -> ParsedFile:
    """Candidates of a Python module; a syntax error is a located :class:`SourceError`."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        lines = text.splitlines()
        line = exc.lineno or 1
        raise SourceError(
            f"invalid Python: {exc.msg}",
            path=path,
            line=line,
            column=exc.offset or 1,
            source_line=lines[line - 1] if 0 < line <= len(lines) else None,
        ) from None
    except (RecursionError, MemoryError):
        raise SourceError(
            "nested too deeply for Python's own parser", path=path, line=1, column=1
        ) from None
    translator = _Translator(text, tree)
    try:
        units = translator.units(tree)
    except RecursionError:  # ast.unparse of a deep opaque expression
        raise SourceError(
            "an expression is nested too deeply to analyse", path=path, line=1, column=1
        ) from None
    names, imports = translator.names, translator.imports

    def printer(term: Term, cand: Candidate) -> tuple[str, bool] | None:
        from symopt.codegen.infix import write

        dialect = PythonDialect(names, imports, cand.flavor)
        try:
            out = write(term, dialect)
        except ValueError:
            return None
        if cand.wrap and not _atomic_text(term):
            out = f"({out})"
        return out, not dialect.unspellable

    return ParsedFile(path, "python", text, units, printer, spans=translator.spans, tree_costs=True)


def _atomic_text(term: Term) -> bool:
    return not isinstance(term, App) or term.op not in ("add", "sub", "mul", "div", "neg", "pow")
