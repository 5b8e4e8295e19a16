"""Compiling rules to egglog program text: one egglog ruleset per rewrite direction (so the runner
can schedule and ban each rule on its own), plus built-in fact analysis and constant folding."""

from __future__ import annotations

from dataclasses import dataclass

from symopt.egraph.schema import constructor, datatype_program
from symopt.errors import ConfigError
from symopt.ir import App, Num, PVar, Sym, Term
from symopt.rulesets.rule import Rule, Ruleset

_GUARD_RELATION = {"positive": "Positive", "nonnegative": "Nonnegative", "nonzero": "Nonzero"}

ANALYSIS_RULESET = "analysis"
FOLD_RULESET = "fold"

# Facts about values, derived from constants and structure; rules read them through guards.
# Over the reals: exp(x) > 0, x*x >= 0, sqrt(x) >= 0, |x| >= 0, products/sums/quotients of
# positives are positive.
_ANALYSIS = """
(rule ((= e (Num x)) (> x 0.0)) ((Positive e)) :ruleset analysis :name "pos-num")
(rule ((= e (Num x)) (>= x 0.0)) ((Nonnegative e)) :ruleset analysis :name "nonneg-num")
(rule ((= e (Num x)) (!= x 0.0)) ((Nonzero e)) :ruleset analysis :name "nonzero-num")
(rule ((Positive e)) ((Nonnegative e) (Nonzero e)) :ruleset analysis :name "pos-implies")
(rule ((= e (Exp x))) ((Positive e)) :ruleset analysis :name "pos-exp")
(rule ((= e (Cosh x))) ((Positive e)) :ruleset analysis :name "pos-cosh")
(rule ((= e (Sqrt x))) ((Nonnegative e)) :ruleset analysis :name "nonneg-sqrt")
(rule ((= e (Abs x))) ((Nonnegative e)) :ruleset analysis :name "nonneg-abs")
(rule ((= e (Mul x x))) ((Nonnegative e)) :ruleset analysis :name "nonneg-square")
(rule ((= e (Hypot x y))) ((Nonnegative e)) :ruleset analysis :name "nonneg-hypot")
(rule ((= e (Mul x y)) (Positive x) (Positive y)) ((Positive e)) :ruleset analysis :name "pos-mul")
(rule ((= e (Div x y)) (Positive x) (Positive y)) ((Positive e)) :ruleset analysis :name "pos-div")
(rule ((= e (Add x y)) (Positive x) (Nonnegative y)) ((Positive e)) :ruleset analysis :name "pos-add")
(rule ((= e (Add x y)) (Nonnegative x) (Positive y)) ((Positive e)) :ruleset analysis :name "pos-add2")
(rule ((= e (Mul x y)) (Nonnegative x) (Nonnegative y)) ((Nonnegative e)) :ruleset analysis :name "nonneg-mul")
(rule ((= e (Add x y)) (Nonnegative x) (Nonnegative y)) ((Nonnegative e)) :ruleset analysis :name "nonneg-add")
(rule ((= e (Div x y)) (Nonnegative x) (Positive y)) ((Nonnegative e)) :ruleset analysis :name "nonneg-div")
(rule ((= e (Mul x y)) (Nonzero x) (Nonzero y)) ((Nonzero e)) :ruleset analysis :name "nonzero-mul")
(rule ((= e (Neg x)) (Nonzero x)) ((Nonzero e)) :ruleset analysis :name "nonzero-neg")
(rule ((= e (Sqrt x)) (Positive x)) ((Positive e)) :ruleset analysis :name "pos-sqrt")
"""

# Constant folding, IEEE-exact (it computes what the emitted code would), never to inf or nan.
# Results stay sign-free literals: a negative result becomes (Neg (Num |r|)).
_MAX = "1.7976931348623157e308"
_FOLD = f"""
(rule ((= e (Add (Num x) (Num y))) (<= (+ x y) {_MAX})) ((union e (Num (+ x y)))) :ruleset fold :name "fold-add")
(rule ((= e (Mul (Num x) (Num y))) (<= (* x y) {_MAX})) ((union e (Num (* x y)))) :ruleset fold :name "fold-mul")
(rule ((= e (Sub (Num x) (Num y))) (>= x y)) ((union e (Num (- x y)))) :ruleset fold :name "fold-sub")
(rule ((= e (Sub (Num x) (Num y))) (< x y)) ((union e (Neg (Num (- y x))))) :ruleset fold :name "fold-sub-neg")
(rule ((= e (Div (Num x) (Num y))) (> y 0.0) (<= (/ x y) {_MAX})) ((union e (Num (/ x y)))) :ruleset fold :name "fold-div")
"""


@dataclass(frozen=True)
class CompiledRule:
    name: str
    ruleset: str
    text: str


def _float_literal(value: float) -> str:
    text = repr(float(value))
    if "inf" in text or "nan" in text or value < 0:
        raise ConfigError(f"pattern constant {value!r} cannot be written in egglog")
    if "e" in text:
        mantissa, exp = text.split("e")
        text = (mantissa if "." in mantissa else mantissa + ".0") + "e" + exp
    return text


def pattern_sexpr(term: Term) -> str:
    """egglog s-expression for a pattern (pattern variables become egglog variables)."""
    if isinstance(term, PVar):
        return f"p_{term.name}"
    if isinstance(term, Num):
        if term.value < 0:
            return f"(Neg (Num {_float_literal(-term.value)}))"
        return f"(Num {_float_literal(term.value)})"
    if isinstance(term, Sym):
        if term.index is None:
            return f'(Var "{term.name}")'
        return f'(Idx "{term.name}" {term.index})'
    assert isinstance(term, App)
    return f"({constructor(term.op)} {' '.join(pattern_sexpr(a) for a in term.args)})"


def compile_rule(rule: Rule) -> list[CompiledRule]:
    """One egglog rule (in its own ruleset) per direction of ``rule``."""
    out = []
    for i, (name, lhs, rhs) in enumerate(rule.directions()):
        ruleset = f"r_{_ident(rule.name)}_{i}"
        guards = " ".join(f"({_GUARD_RELATION[kind]} p_{var})" for var, kind in rule.guards)
        text = (
            f"(ruleset {ruleset})\n"
            f"(rule ((= root__ {pattern_sexpr(lhs)}) {guards}) "
            f"((union root__ {pattern_sexpr(rhs)})) :ruleset {ruleset} :name \"{name}\")"
        )
        out.append(CompiledRule(name, ruleset, text))
    return out


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


@dataclass(frozen=True)
class Program:
    """Everything the runner loads into a fresh e-graph before inserting terms."""

    text: str
    rules: tuple[CompiledRule, ...]


def build_program(ruleset: Ruleset, *, fold: bool = True) -> Program:
    compiled = [c for rule in ruleset.rules for c in compile_rule(rule)]
    parts = [datatype_program(), f"(ruleset {ANALYSIS_RULESET})", _ANALYSIS]
    parts += [f"(ruleset {FOLD_RULESET})", _FOLD if fold else ""]
    parts += [c.text for c in compiled]
    return Program("\n".join(parts), tuple(compiled))
