"""SymPy interop: terms to and from SymPy expressions, and ``function``, a ``lambdify`` that
goes through the optimiser. SymPy is an optional dependency (``pip install 'symopt[sympy]'``).

``to_sympy`` maps every operator of the language (``expm1``, ``log1p``, ``log2``, ``log10``,
``cbrt``, ``hypot`` and ``fma`` to ``sympy.codegen.cfunctions``); ``from_sympy`` accepts those
and SymPy's arithmetic, powers (``x**-1`` becomes a division, ``x**(1/2)`` ``sqrt``), numbers
(``pi`` and ``E`` as doubles), ``Symbol`` and ``Indexed`` (``u[3]``) leaves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import reduce
from typing import Any

from symopt.errors import SymoptError
from symopt.ir import App, Num, Sym, Term, neg
from symopt.native.caller import Function


class SympyError(SymoptError):
    """An expression or argument SymPy interop cannot translate."""


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:  # pragma: no cover - sympy is in the test extra
        raise SympyError("SymPy is not installed (pip install 'symopt[sympy]')") from None
    return sympy


def _tables() -> tuple[dict[str, Callable[..., Any]], dict[str, str]]:
    """``(symopt op -> SymPy constructor, SymPy class name -> symopt op)``."""
    sp = _sympy()
    from sympy.codegen import cfunctions as cf

    to_sp: dict[str, Callable[..., Any]] = {
        name: getattr(sp, name)
        for name in "sin cos tan asin acos atan sinh cosh tanh exp log sqrt floor atan2".split()
    }
    to_sp.update(
        expm1=cf.expm1,
        log1p=cf.log1p,
        log2=cf.log2,
        log10=cf.log10,
        cbrt=cf.Cbrt,
        hypot=cf.hypot,
        fma=cf.fma,
        abs=sp.Abs,
        ceil=sp.ceiling,
        min=sp.Min,
        max=sp.Max,
        pow=sp.Pow,
    )
    from_sp = {ctor.__name__: op for op, ctor in to_sp.items() if op != "pow"}
    from_sp["Sqrt"] = "sqrt"
    return to_sp, from_sp


def to_sympy(term: Term) -> Any:
    """``term`` as a SymPy expression (``u[3]`` as ``IndexedBase('u')[3]``)."""
    sp = _sympy()
    funcs, _ = _tables()
    from symopt.ir import postorder

    done: dict[int, Any] = {}
    for t in postorder([term]):
        if isinstance(t, Num):
            v = t.value
            done[id(t)] = sp.Integer(int(v)) if v.is_integer() and abs(v) < 2**53 else sp.Float(v)
        elif isinstance(t, Sym):
            done[id(t)] = sp.Symbol(t.name) if t.index is None else sp.IndexedBase(t.name)[t.index]
        elif isinstance(t, App):
            a = [done[id(x)] for x in t.args]
            done[id(t)] = _arith(t.op, a) if t.op in _ARITH else funcs[t.op](*a)
        else:
            raise SympyError(f"cannot convert {t!r} to SymPy")
    return done[id(term)]


_ARITH: dict[str, Callable[[list[Any]], Any]] = {
    "add": lambda a: a[0] + a[1],
    "sub": lambda a: a[0] - a[1],
    "mul": lambda a: a[0] * a[1],
    "div": lambda a: a[0] / a[1],
    "neg": lambda a: -a[0],
}


def _arith(op: str, args: list[Any]) -> Any:
    return _ARITH[op](args)


def from_sympy(expr: Any) -> Term:
    """A SymPy expression as a term (see the module docstring for what is accepted)."""
    sp = _sympy()
    _, funcs = _tables()
    return _From(sp, funcs).term(sp.sympify(expr))


class _From:
    def __init__(self, sp: Any, funcs: dict[str, str]) -> None:
        self.sp = sp
        self.funcs = funcs

    def term(self, e: Any) -> Term:
        sp = self.sp
        if e.is_Number or isinstance(e, sp.NumberSymbol):
            return self.number(e)
        if isinstance(e, sp.Symbol):
            return Sym(e.name)
        if isinstance(e, sp.Indexed):
            if len(e.indices) != 1 or not e.indices[0].is_Integer or e.indices[0] < 0:
                raise SympyError(f"only a constant non-negative index is supported: {e}")
            return Sym(str(e.base.label), int(e.indices[0]))
        if isinstance(e, sp.Add):
            return self.add(e)
        if isinstance(e, sp.Mul):
            return self.mul(e)
        if isinstance(e, sp.Pow):
            return self.pow(e)
        name = type(e).__name__
        op = self.funcs.get(name)
        args = [self.term(a) for a in e.args]
        if op in ("min", "max") and len(args) > 2:
            return reduce(lambda x, y: App(op, (x, y)), args)
        if name == "log" and len(args) == 2:
            return App("div", (App("log", (args[0],)), App("log", (args[1],))))
        if name == "exp2":
            return App("pow", (Num(2.0), args[0]))
        if op is None:
            raise SympyError(f"cannot convert {name} ({e}) from SymPy")
        return App(op, tuple(args))

    def number(self, e: Any) -> Term:
        e = self.sp.sympify(e)
        if e.is_Rational and not e.is_Integer:
            return self.divide(self.number(e.p), self.number(e.q))
        value = float(e)
        return neg(Num(-value)) if value < 0 else Num(value)

    @staticmethod
    def divide(a: Term, b: Term) -> Term:
        return App("div", (a, b))

    def add(self, e: Any) -> Term:
        acc: Term | None = None
        for arg in e.args:
            negative = arg.could_extract_minus_sign()
            t = self.term(-arg if negative else arg)
            if acc is None:
                acc = neg(t) if negative else t
            else:
                acc = App("sub" if negative else "add", (acc, t))
        assert acc is not None
        return acc

    def mul(self, e: Any) -> Term:
        sp = self.sp
        sign = 1
        num: list[Term] = []
        den: list[Term] = []
        for f in e.args:
            if f == -1:
                sign = -sign
            elif isinstance(f, sp.Pow) and f.exp.is_Number and f.exp < 0:
                den.append(self.term(f.base ** (-f.exp)))
            elif f.is_Rational and not f.is_Integer:
                if f < 0:
                    sign, f = -sign, -f
                if f.p != 1:
                    num.append(self.number(f.p))
                den.append(self.number(f.q))
            else:
                num.append(self.term(f))
        top = reduce(lambda a, b: App("mul", (a, b)), num) if num else Num(1.0)
        out = top
        if den:
            out = App("div", (top, reduce(lambda a, b: App("mul", (a, b)), den)))
        return neg(out) if sign < 0 else out

    def pow(self, e: Any) -> Term:
        sp = self.sp
        base, exp = e.base, e.exp
        if exp == sp.S.Half:
            return App("sqrt", (self.term(base),))
        if exp.is_Number and exp < 0:
            return self.divide(Num(1.0), self.term(base ** (-exp)))
        if base == sp.E:
            return App("exp", (self.term(exp),))
        return App("pow", (self.term(base), self.term(exp)))


def function(
    exprs: Any,
    args: Sequence[Any],
    *,
    lang: str = "c",
    name: str = "f",
    cache_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> Function:
    """Like ``sympy.lambdify(args, exprs)``, optimised: a :class:`~symopt.native.caller.Function`
    of ``args`` (``Symbol``: a float; ``IndexedBase``: an array) returning the value of
    ``exprs`` (one expression: a float; a list: an array). ``options`` are ``symopt.load``'s."""
    from symopt.codegen.sym import to_sym
    from symopt.native.load import Options, load_text

    sp = _sympy()
    params: list[tuple[str, bool]] = []
    for a in args:
        if isinstance(a, sp.IndexedBase):
            params.append((str(a.label), True))
        elif isinstance(a, sp.Symbol):
            params.append((a.name, False))
        elif isinstance(a, str):
            params.append((a, False))
        else:
            raise SympyError(f"an argument must be a Symbol or an IndexedBase, got {a!r}")
    names = {n for n, _ in params}
    target = next(t for t in ("out", "out_", "out__") if t not in names)
    many = isinstance(exprs, list | tuple) or (
        hasattr(exprs, "is_Matrix") and bool(exprs.is_Matrix)
    )
    terms = [from_sympy(x) for x in exprs] if many else [from_sympy(exprs)]
    if many:
        text = "".join(f"{target}[{i}] = {to_sym(t)}\n" for i, t in enumerate(terms))
    else:
        text = f"{target} = {to_sym(terms[0])}\n"
    try:
        opts = replace(Options.of(lang=lang, name=name, **options), args=tuple(params))
    except TypeError as exc:
        raise TypeError(f"symopt.function(): {exc}") from None
    return load_text(text, "<sympy>", opts, cache_dir=cache_dir)
