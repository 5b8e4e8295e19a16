"""The term IR: immutable, structurally compared expression trees.

Terms are values: two terms are equal when their structure is equal; source spans ride along
for error messages but never take part in equality or hashing. Hashes are computed once, at
construction, so hash-consing large models (hundreds of thousands of nodes) stays linear.

Operators (``App.op``):

* ``add sub mul div`` (binary), ``neg`` (unary), ``pow`` (binary; ``^``, ``**`` and ``pow()``)
* the calls in :data:`FUNCTIONS`, by name.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

ARITH_ARITY: dict[str, int] = {"add": 2, "sub": 2, "mul": 2, "div": 2, "neg": 1, "pow": 2}

FUNCTIONS: dict[str, int] = {
    **dict.fromkeys(
        (
            "sin cos tan asin acos atan sinh cosh tanh exp expm1 log log1p log2 log10 "
            "sqrt cbrt abs floor ceil"
        ).split(),
        1,
    ),
    "pow": 2,
    "atan2": 2,
    "hypot": 2,
    "min": 2,
    "max": 2,
    "fma": 3,
}
"""Callable functions of the input language and their fixed arity."""

OPERATORS: dict[str, int] = {**FUNCTIONS, **ARITH_ARITY}
"""Every operator an ``App`` may carry, with its arity."""

MAX_INDEX = 2**31 - 1
"""The largest array index (``u[i]``) the input accepts. Every index becomes a subscript in the
generated code: up to 2^31 - 1 it is an ``int`` constant in C and a valid pointer offset on every
target, 32-bit ``ptrdiff_t`` included (and far inside egglog's i64 and numpy's ``intp``); larger
ones overflowed egglog's i64 (at 2^63) or made C that compilers reject. An array that long
already holds 16 GiB of doubles."""


def index_fits(digits: str) -> bool:
    """Whether the decimal ``digits`` are an index of at most :data:`MAX_INDEX` (checked by
    length first: ``int()`` of thousands of digits is slow, and refused past 4300)."""
    significant = digits.lstrip("0")
    return len(significant) <= len(str(MAX_INDEX)) and int(significant or "0") <= MAX_INDEX


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based source position (start) plus the end column on the same line."""

    line: int
    column: int
    end_column: int | None = None


_set = object.__setattr__


class Term:
    """Base class of IR nodes. Use :class:`Num`, :class:`Sym`, :class:`App`, :class:`PVar`."""

    __slots__ = ("_hash", "span")
    _hash: int
    span: Span | None

    def __hash__(self) -> int:
        return self._hash

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def children(self) -> tuple[Term, ...]:
        return ()


class Num(Term):
    """A floating-point constant (an IEEE double)."""

    __slots__ = ("value",)
    value: float

    def __init__(self, value: float, span: Span | None = None) -> None:
        value = float(value)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "span", span)
        # 0.0 and -0.0 hash alike but are different constants: keep the sign in the hash key.
        object.__setattr__(self, "_hash", hash(("num", value.hex())))

    __hash__ = Term.__hash__

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, Num) and self.value.hex() == other.value.hex()

    def __repr__(self) -> str:
        return f"Num({self.value!r})"


class Sym(Term):
    """A named input or output: ``x`` (``index`` None) or ``u[12]``."""

    __slots__ = ("index", "name")
    name: str
    index: int | None

    def __init__(self, name: str, index: int | None = None, span: Span | None = None) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "span", span)
        object.__setattr__(self, "_hash", hash(("sym", name, index)))

    __hash__ = Term.__hash__

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return isinstance(other, Sym) and self.name == other.name and self.index == other.index

    def __repr__(self) -> str:
        return f"Sym({self.name!r})" if self.index is None else f"Sym({self.name!r}, {self.index})"

    @property
    def key(self) -> str:
        """The name as written: ``x`` or ``u[12]``."""
        return self.name if self.index is None else f"{self.name}[{self.index}]"


class PVar(Term):
    """A pattern variable ``?a``; only appears in rule patterns."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str, span: Span | None = None) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "span", span)
        object.__setattr__(self, "_hash", hash(("pvar", name)))

    __hash__ = Term.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, PVar) and self.name == other.name)

    def __repr__(self) -> str:
        return f"PVar({self.name!r})"


class App(Term):
    """An operator applied to arguments: ``App("add", (a, b))``, ``App("sin", (x,))``."""

    __slots__ = ("args", "op")
    op: str
    args: tuple[Term, ...]

    def __init__(self, op: str, args: tuple[Term, ...], span: Span | None = None) -> None:
        _set(self, "op", op)
        _set(self, "args", args)
        _set(self, "span", span)
        # hash(child) is child._hash: read it directly (no Python-level __hash__ call).
        _set(self, "_hash", hash((op, *[a._hash for a in args])))

    __hash__ = Term.__hash__

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, App) or self._hash != other._hash or self.op != other.op:
            return False
        if len(self.args) == len(other.args) and all(map(operator.is_, self.args, other.args)):
            return True  # the same children (as between hash-consed terms)
        return _structurally_equal(self, other)

    def __repr__(self) -> str:
        return f"App({self.op!r}, {self.args!r})"

    def children(self) -> tuple[Term, ...]:
        return self.args


def _structurally_equal(left: App, right: App) -> bool:
    """Deep equality without recursion (terms may be nested far past Python's recursion
    limit); a pair of subterms is compared once, so shared DAGs compare in linear time."""
    stack: list[tuple[Term, Term]] = [(left, right)]
    compared: set[tuple[int, int]] = set()
    while stack:
        a, b = stack.pop()
        if a is b or (id(a), id(b)) in compared:
            continue
        compared.add((id(a), id(b)))
        if isinstance(a, App) and isinstance(b, App):
            if a._hash != b._hash or a.op != b.op or len(a.args) != len(b.args):
                return False
            stack.extend(zip(a.args, b.args, strict=True))
        elif isinstance(a, App) or isinstance(b, App) or a != b:
            return False
    return True


def postorder(roots: Sequence[Term], seen: set[int] | None = None) -> Iterator[Term]:
    """Yield every distinct subterm of ``roots`` once, children before parents (iterative).

    ``seen`` (ids) skips subterms already yielded by earlier walks that share the set."""
    seen = set() if seen is None else seen
    stack: list[tuple[Term, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        term, expanded = stack.pop()
        if id(term) in seen:
            continue
        if expanded or not isinstance(term, App):
            seen.add(id(term))
            yield term
            continue
        stack.append((term, True))
        for child in reversed(term.args):
            if id(child) not in seen:
                stack.append((child, False))


class Interned(list[Term]):
    """A list returned by :func:`intern`. It remembers its roots as they were, so interning it
    again while they are unchanged costs nothing (the terms are immutable); and, when the walk
    that made it counted them, its distinct ``size``, the distinct ``ops`` (operator -> number
    of distinct ``App`` nodes) and the distinct symbols in order of first appearance
    (``symbol_order``, as :func:`symbols` finds them), valid while :meth:`unchanged`."""

    def __init__(
        self,
        roots: Iterable[Term] = (),
        size: int | None = None,
        ops: dict[str, int] | None = None,
        symbol_order: tuple[Sym, ...] | None = None,
        constant_apps: int | None = None,
    ) -> None:
        super().__init__(roots)
        self.roots = tuple(self)
        self.size = size
        self.ops = ops
        self.symbol_order = symbol_order
        self.constant_apps = constant_apps
        """Operations whose arguments are all literals (``None``: not counted)."""

    @property
    def symbols(self) -> int | None:
        """Distinct symbols (``None``: not counted)."""
        return None if self.symbol_order is None else len(self.symbol_order)

    def unchanged(self) -> bool:
        """Whether it still holds the roots :func:`intern` returned, in the same places."""
        return len(self) == len(self.roots) and all(map(operator.is_, self, self.roots))

    def copy_unchanged(self) -> Interned:
        """A new list of the same roots, with what is known about them."""
        return Interned(self.roots, self.size, self.ops, self.symbol_order, self.constant_apps)


def intern(roots: Sequence[Term]) -> list[Term]:
    """Hash-cons ``roots``: structurally equal subterms become the same object. An unchanged
    result of an earlier call is already hash-consed: returned as a new list without a walk."""
    found = intern_until(roots, float("inf"))
    assert found is not None
    return found


INTERN_CHECK_EVERY = 1 << 12
"""Nodes :func:`intern_until` hash-conses between two reads of the clock."""


def intern_until(roots: Sequence[Term], deadline: float) -> Interned | None:
    """:func:`intern`, or ``None`` once the clock passes ``deadline`` (an absolute
    ``time.perf_counter()`` value, read every :data:`INTERN_CHECK_EVERY` nodes).

    One iterative walk, children before parents. A node is looked up by its operator and the
    identities of its (already canonical) children, so no structural comparison runs; it is
    rebuilt only when a child was replaced by an equal one seen earlier. The walk also counts
    the distinct nodes and operators (:class:`Interned`)."""
    if isinstance(roots, Interned) and roots.unchanged():
        return roots.copy_unchanged()
    table: dict[object, Term] = {}  # (op, id(child), ...) -> canonical App
    leaves: dict[object, Term] = {}
    ops: dict[str, int] = {}
    constant = 0  # operations on literals only (what constant folding may fold)
    done: dict[int, Term] = {}  # id(term as given) -> canonical
    get, is_, clock = table.get, operator.is_, time.perf_counter
    count = 0
    for root in roots:
        stack: list[Term | None] = [root]
        pop, push = stack.pop, stack.append
        while stack:
            term = pop()
            if term is None:  # the marker: the App below it has its children done
                term = pop()
                assert isinstance(term, App)
                if id(term) in done:
                    continue
                old = term.args
                args = tuple([done[id(a)] for a in old])
                key: object = (term.op, *map(id, args))
                found = get(key)
                if found is None:
                    same = all(map(is_, args, old))
                    table[key] = found = term if same else App(term.op, args, term.span)
                    ops[term.op] = ops.get(term.op, 0) + 1
                    if all(type(a) is Num for a in args):
                        constant += 1
            elif id(term) in done:
                continue
            elif type(term) is App:
                push(term)
                push(None)
                for a in reversed(term.args):
                    if id(a) not in done:
                        push(a)
                continue
            else:  # a leaf: symbols by name and index (hashed in C), other leaves by value
                leaf = (term.name, term.index) if isinstance(term, Sym) else term
                found = leaves.get(leaf)
                if found is None:
                    leaves[leaf] = found = term
            done[id(term)] = found
            count += 1
            if not count % INTERN_CHECK_EVERY and clock() > deadline:
                return None
    syms = tuple(t for t in leaves.values() if isinstance(t, Sym))  # first appearance first
    size = len(table) + len(leaves)
    return Interned([done[id(r)] for r in roots], size, ops, syms, constant)


def reintern(roots: Sequence[Term], before: Sequence[Term]) -> list[Term]:
    """:func:`intern` ``roots``, a phase's result from ``before``: without a walk when they are
    the same terms as ``before`` and ``before`` is an unchanged result of :func:`intern` (the
    phase changed nothing)."""
    if (
        isinstance(before, Interned)
        and before.unchanged()
        and len(roots) == len(before)
        and all(map(operator.is_, roots, before))
    ):
        return before.copy_unchanged()
    return intern(roots)


def node_count(roots: list[Term]) -> int:
    """Number of distinct nodes (after sharing) reachable from ``roots``."""
    return len(set(postorder(intern(roots))))


TREE_SIZE_CAP = 1 << 62
"""Tree sizes saturate here: a DAG of depth n can stand for a tree of 2^n nodes."""


def tree_sizes(roots: Sequence[Term]) -> list[int]:
    """Nodes of each root written out as a tree (a shared subterm counted at every use), as a
    printer without temporaries writes it; at most :data:`TREE_SIZE_CAP`. Linear in the DAG."""
    size: dict[int, int] = {}
    for t in postorder(roots):
        size[id(t)] = min(TREE_SIZE_CAP, 1 + sum(size[id(a)] for a in t.children()))
    return [size[id(r)] for r in roots]


def symbols(roots: list[Term]) -> list[Sym]:
    """Distinct symbols in order of first appearance (left to right, depth first)."""
    out: dict[Sym, None] = {}
    for t in postorder(roots):
        if isinstance(t, Sym):
            out.setdefault(t, None)
    return list(out)


def with_args(t: App, args: tuple[Term, ...]) -> Term:
    """``t`` over ``args`` (``t`` itself when they are its own arguments)."""
    return t if all(n is o for n, o in zip(args, t.args, strict=True)) else App(t.op, args, t.span)


def rebuilt(t: App, done: Mapping[int, Term]) -> Term:
    """``t`` over the rebuilt forms ``done[id(arg)]`` of its arguments (``t`` itself when none
    changed): the step of every bottom-up rewrite."""
    return with_args(t, tuple(done[id(a)] for a in t.args))


def substitute(term: Term, fn: Callable[[Term], Term | None]) -> Term:
    """Rebuild ``term`` bottom-up, replacing any subterm for which ``fn`` returns a term."""
    return substitute_all([term], fn)[0]


def substitute_all(roots: Sequence[Term], fn: Callable[[Term], Term | None]) -> list[Term]:
    """:func:`substitute` over several roots at once (a shared subterm is rebuilt once)."""
    done: dict[int, Term] = {}
    for t in postorder(roots):
        repl = fn(t)
        if repl is None and isinstance(t, App):
            repl = rebuilt(t, done)
        done[id(t)] = t if repl is None else repl
    return [done[id(r)] for r in roots]


def neg(a: Term) -> App:
    return App("neg", (a,))
