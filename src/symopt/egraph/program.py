"""Compiling rules to egglog program text: one egglog ruleset per rewrite direction (so the runner
can schedule and ban each rule on its own), plus built-in fact analysis and constant folding."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from symopt.egraph.schema import constructor, datatype_program
from symopt.errors import ConfigError
from symopt.ir import OPERATORS, App, Num, PVar, Sym, Term
from symopt.rulesets.rule import Rule, Ruleset

GUARD_RELATION = {
    "positive": "Positive",
    "nonnegative": "Nonnegative",
    "nonzero": "Nonzero",
    "finite": "Finite",
    "integer": "Integer",
    "literal": "Literal",
    "exp-shared": "ExpShared",
}
"""The fact relation (:data:`~symopt.egraph.schema.FACT_RELATIONS`) each guard kind reads."""

ANALYSIS_RULESET = "analysis"
FOLD_RULESET = "fold"


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
        guards = " ".join(f"({GUARD_RELATION[kind]} p_{var})" for var, kind in rule.guards)
        text = (
            f"(ruleset {ruleset})\n"
            f"(rule ((= root__ {pattern_sexpr(lhs)}) {guards}) "
            f'((union root__ {pattern_sexpr(rhs)})) :ruleset {ruleset} :name "{name}")'
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


def _builtin(name: str) -> str:
    return resources.files("symopt.egraph").joinpath(name).read_text()


@cache
def prune_constants_program() -> str:
    """Rules that subsume every operator node in a class known to be a constant.

    A constant class needs no other forms: the literal is what extraction picks. Without this,
    exact identities turn such a class into a cycle (``0 = 0 + 0 = 2*0 = 2*(0 + 0) …``) and
    factoring and associativity grow it without bound (``z - 0`` filled 40,000 e-nodes). A
    negative constant is ``(Neg (Num c))``; its class keeps its ``Neg`` nodes. A class holding a
    rounded constant ``(Rounded v …)`` is pruned the same way (it prints as the literal ``v``)."""
    lines = [
        "(relation ConstClass (Math))",
        "(relation NegConstClass (Math))",
        f'(rule ((= e (Num c))) ((ConstClass e)) :ruleset {FOLD_RULESET} :name "literal-num")',
        f"(rule ((= e (Rounded v o x y))) ((ConstClass e)) "
        f':ruleset {FOLD_RULESET} :name "literal-rounded")',
        f"(rule ((= e (Neg (Num c)))) ((NegConstClass e)) "
        f':ruleset {FOLD_RULESET} :name "literal-neg")',
    ]
    for op, arity in sorted(OPERATORS.items()):
        ctor = constructor(op)
        node = f"({ctor} {' '.join(f'a{i}' for i in range(arity))})"
        lines.append(
            f"(rule ((ConstClass e) (= e {node})) ((subsume {node})) "
            f':ruleset {FOLD_RULESET} :name "prune-{op}")'
        )
        if ctor != "Neg":
            lines.append(
                f"(rule ((NegConstClass e) (= e {node})) ((subsume {node})) "
                f':ruleset {FOLD_RULESET} :name "prune-neg-{op}")'
            )
    return "\n".join(lines)


def build_program(ruleset: Ruleset, *, fold: bool = True) -> Program:
    """Datatype, fact analysis (``analysis.egg``), constant folding (``fold.egg``, with constant
    classes pruned) and the rules."""
    compiled = [c for rule in ruleset.rules for c in compile_rule(rule)]
    parts = [datatype_program(), f"(ruleset {ANALYSIS_RULESET})", _builtin("analysis.egg")]
    parts += [f"(ruleset {FOLD_RULESET})"]
    parts += [_builtin("fold.egg"), prune_constants_program()] if fold else []
    parts += [c.text for c in compiled]
    return Program("\n".join(parts), tuple(compiled))
