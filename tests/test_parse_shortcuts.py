"""The grammar's shortcut terminals (``u[3]`` as one INDEXED token, ``p[1]*u[2]*k`` as one
MONOMIAL token) change nothing but speed: terms, spans, warnings and errors are those of the
grammar without them (tokens of one name, number or operator each)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symopt.errors import SourceError, SourceWarning
from symopt.grammar import parser as grammar_parser
from symopt.ir import App, Term


def _walk(term: Term) -> list[tuple[str, object]]:
    """Every node with its span, in preorder (iterative: terms may be deep)."""
    out: list[tuple[str, object]] = []
    stack = [term]
    while stack:
        t = stack.pop()
        out.append((repr(t) if not isinstance(t, App) else t.op, t.span))
        stack.extend(reversed(t.children()))
    return out


def _outcome(text: str, start: str) -> object:
    warnings: list[SourceWarning] = []
    try:
        if start == "statement":
            stmt = grammar_parser.parse_statement(text, path="m.sym", line=3, warnings=warnings)
            result: object = (stmt.target, _walk(stmt.expr), [s.key for s in stmt.reads])
        else:
            result = _walk(grammar_parser.parse_expr(text, path="m.sym", line=3, warnings=warnings))
    except SourceError as exc:
        return ("error", str(exc), exc.line, exc.column, exc.width)
    return (result, [(w.message, w.line, w.column, w.width) for w in warnings])


def _both(text: str, start: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    fast = _outcome(text, start)
    original = grammar_parser._parser
    with monkeypatch.context() as m:
        m.setattr(
            grammar_parser,
            "_parser",
            lambda s, _g=None: original(s, grammar_parser.plain_grammar()),
        )
        plain = _outcome(text, start)
    return fast, plain


FACTORS = [
    "a",
    "b2",
    "u[3]",
    "u [4]",
    "p[12]",
    "2",
    "3.5e2",
    "1e-320",
    "1e999",
    "x[99999999999]",
    "exp(a)",
    "(a+b)",
    "?q",
    "2.",
    ".5",
    "3e",
    "u[1]x",
]
GLUE = ["*", " * ", "*", "/", " + ", "-", "^", "**", " ", "*-", "^2*", ""]


@st.composite
def _expressions(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 6))
    parts = [draw(st.sampled_from(FACTORS))]
    for _ in range(n - 1):
        parts += [draw(st.sampled_from(GLUE)), draw(st.sampled_from(FACTORS))]
    return draw(st.sampled_from(["", "-", "("])) + "".join(parts)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_expressions())
def test_shortcuts_parse_like_plain_tokens(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, plain = _both(text, "expr", monkeypatch)
    assert fast == plain


@pytest.mark.parametrize(
    "text",
    [
        "du[3] = p[1]*u[2]*u[3] - p[12]*u[3]^2 + 2*k*u[1]/v",
        "let a = 2*x*y*z + x*y^2*z",
        "y = a*b*c**2 - -a*b + x^a*b + a/b*c",
        "y = exp(a*b)*c*d(1)",
        "y = a u[3]",
        "y = a b*c",
        "y = p[1]*u[99999999999]",
        "y = 1e999*x",
        "y = x*1e-400*z",
        "u[2] = x",
    ],
)
def test_shortcut_statements(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, plain = _both(text, "statement", monkeypatch)
    assert fast == plain


def test_products_of_plain_factors_are_one_token() -> None:
    lark, _ = grammar_parser._parser("expr")
    kinds = [tok.type for tok in lark.lex("p[1]*u[2]*3 + q*u[4]^2 - u[5]")]
    assert kinds == [
        "MONOMIAL",
        "PLUS",
        "NAME",
        "STAR",
        "INDEXED",
        "POW",
        "NUMBER",
        "MINUS",
        "INDEXED",
    ]


@pytest.mark.parametrize("text", ["du[3] = p[1]*u[2] - -2*k^2", "y = a b*c", "y = exp(a, b)"])
def test_plain_lark_without_lark_cython_parses_alike(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _outcome(text, "statement")
    grammar = grammar_parser.grammar_text() + "\n// without lark-cython\n"
    original = grammar_parser._parser
    monkeypatch.setattr(grammar_parser, "_lark_plugins", dict)
    monkeypatch.setattr(grammar_parser, "_parser", lambda s, g=None: original(s, g or grammar))
    lark, _ = grammar_parser._parser("statement")
    assert type(lark.parser.parser).__module__.startswith("lark.")  # not lark_cython's
    assert _outcome(text, "statement") == fast
