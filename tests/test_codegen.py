"""symopt.codegen: golden output, number literals, power lowering, sharing, renaming, errors."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from symopt.codegen import LANGS, FunctionDef, Param, format_float, lower_powers, render_module
from symopt.codegen import to_sym as sym
from symopt.codegen.lower import default_costs
from symopt.grammar import parse_expr
from symopt.ir import App, Num, Sym, Term, symbols


def scalar_fn(name: str, text: str, *inputs: str) -> FunctionDef:
    """A value-returning function; ``inputs`` ending in ``[]`` are arrays."""
    params = tuple(Param(i.removesuffix("[]"), i.endswith("[]")) for i in inputs)
    return FunctionDef(name, params, ((None, parse_expr(text)),))


def body(lang: str, fn: FunctionDef) -> str:
    """The rendered module without its header line(s)."""
    text = render_module(lang, [fn])
    if lang == "sym" or not text.startswith(("import ", "#include")):
        return text if lang == "sym" else text.strip("\n")
    return text.split("\n\n", 1)[1].strip("\n")


NO_LOWERING = replace(default_costs(), cycles={**default_costs().cycles, "pow": 0.0})
POLY = scalar_fn("poly", "x*x+2*x*y+y*y", "x", "y")


def test_langs() -> None:
    assert LANGS == ("sym", "c", "python", "numpy")


def test_golden_poly_all_languages() -> None:
    assert render_module("sym", [POLY]) == "x*x + 2*x*y + y*y\n"
    assert render_module("c", [POLY]) == (
        "#include <math.h>\n\n"
        "double poly(double x, double y) {\n"
        "    return x * x + 2.0 * x * y + y * y;\n"
        "}\n"
    )
    # No call of math / numpy: no import (an unused one fails `ruff check`).
    assert render_module("python", [POLY]) == (
        "def poly(x, y):\n    return x * x + 2.0 * x * y + y * y\n"
    )
    assert render_module("numpy", [POLY]) == (
        "def poly(x, y):\n    return x * x + 2.0 * x * y + y * y\n"
    )


def test_golden_pow_lowering() -> None:
    assert body("c", scalar_fn("p", "x^5", "x")) == (
        "double p(double x) {\n    const double t0 = x * x;\n    return t0 * t0 * x;\n}"
    )
    assert body("c", scalar_fn("p", "x^-2", "x")) == (
        "double p(double x) {\n    return 1.0 / (x * x);\n}"
    )
    assert body("python", scalar_fn("p", "x^3 + x^2", "x")) == (
        "def p(x):\n    t0 = x * x\n    return t0 * x + t0"
    )
    assert body("numpy", scalar_fn("p", "x^-2", "x")) == "def p(x):\n    return 1.0 / (x * x)"


def test_golden_shared_subterm_becomes_temporary() -> None:
    fn = scalar_fn("f", "sin(x*y) + cos(x*y) / (x*y)", "x", "y")
    assert body("c", fn) == (
        "double f(double x, double y) {\n"
        "    const double t0 = x * y;\n"
        "    return sin(t0) + cos(t0) / t0;\n"
        "}"
    )
    assert body("python", fn) == (
        "def f(x, y):\n    t0 = x * y\n    return math.sin(t0) + math.cos(t0) / t0"
    )
    assert body("numpy", fn) == (
        "def f(x, y):\n    t0 = x * y\n    return np.sin(t0) + np.cos(t0) / t0"
    )
    assert render_module("sym", [fn]) == "sin(x*y) + cos(x*y)/(x*y)\n"


def test_golden_renaming() -> None:
    fn = scalar_fn("f", "double * sin(y0) + lambda + t0", "double", "y0", "lambda", "t0")
    assert body("c", fn) == (
        "/* renamed: double -> double_, y0 -> y0_ */\n"
        "double f(double double_, double y0_, double lambda, double t0) {\n"
        "    return double_ * sin(y0_) + lambda + t0;\n"
        "}"
    )
    assert body("python", fn) == (
        "# renamed: lambda -> lambda_\n"
        "def f(double, y0, lambda_, t0):\n"
        "    return double * math.sin(y0) + lambda_ + t0"
    )


def test_renaming_never_collides() -> None:
    fn = scalar_fn("f", "int + int_ + int_2 + exp(exp_)", "int", "int_", "int_2", "exp_")
    assert "double f(double int_3, double int_, double int_2, double exp_)" in body("c", fn)
    fn = scalar_fn("f", "__x + _Y + math + np", "__x", "_Y", "math", "np")
    assert "double f(double v__x, double v_Y, double math, double np)" in body("c", fn)
    assert "def f(__x, _Y, math_, np_):" in body("python", fn)
    assert "def f(__x, _Y, math_, np_):" in body("numpy", fn)


def test_temporaries_skip_parameter_names() -> None:
    fn = scalar_fn("f", "sin(t0*t1) + cos(t0*t1)", "t0", "t1")
    assert body("python", fn) == (
        "def f(t0, t1):\n    t2 = t0 * t1\n    return math.sin(t2) + math.cos(t2)"
    )


def test_outputs_c_python_sym() -> None:
    u0, u1, k = Sym("u", 0), Sym("u", 1), Sym("k")
    rate = App("mul", (App("mul", (k, u0)), u1))
    fn = FunctionDef(
        "rhs",
        (Param("u", True), Param("k", False)),
        (
            (Sym("du", 0), App("neg", (rate,))),
            (Sym("du", 1), rate),
            (Sym("e"), App("pow", (u0, Num(2)))),
        ),
        (Param("du", True), Param("e", False)),
    )
    assert body("c", fn) == (
        "void rhs(double *du, double *e, const double *u, double k) {\n"
        "    const double t0 = k * u[0] * u[1];\n"
        "    du[0] = -t0;\n"
        "    du[1] = t0;\n"
        "    *e = u[0] * u[0];\n"
        "}"
    )
    assert body("python", fn) == (
        "def rhs(du, e, u, k):\n"
        "    # scalar outputs are 1-element lists/arrays, written as e[0]\n"
        "    t0 = k * u[0] * u[1]\n"
        "    du[0] = -t0\n"
        "    du[1] = t0\n"
        "    e[0] = u[0] * u[0]"
    )
    assert render_module("sym", [fn]) == (
        "du[0] = -(k*u[0]*u[1])\ndu[1] = k*u[0]*u[1]\ne = u[0]^2\n"
    )


def test_temporaries_come_just_before_first_use() -> None:
    a, b = parse_expr("sin(x)*sin(x)"), parse_expr("cos(x) + cos(x) + sin(x)")
    fn = FunctionDef(
        "g", (Param("x", False),), ((Sym("o", 0), a), (Sym("o", 1), b)), (Param("o", True),)
    )
    assert body("c", fn) == (
        "void g(double *o, double x) {\n"
        "    const double t0 = sin(x);\n"
        "    o[0] = t0 * t0;\n"
        "    const double t1 = cos(x);\n"
        "    o[1] = t1 + t1 + t0;\n"
        "}"
    )


def test_c_recomputes_a_shared_sum_of_two_loads() -> None:
    # In C a temporary living across statements costs a store and reloads; u[0] + u[1] is
    # one add with a folded load where it is used. Python keeps the temporary.
    s = parse_expr("u[0] + u[1]")
    fn = FunctionDef(
        "g",
        (Param("u", True),),
        ((Sym("o", 0), App("mul", (s, Sym("u", 2)))), (Sym("o", 1), App("mul", (s, s)))),
        (Param("o", True),),
    )
    assert body("c", fn) == (
        "void g(double *o, const double *u) {\n"
        "    o[0] = (u[0] + u[1]) * u[2];\n"
        "    o[1] = (u[0] + u[1]) * (u[0] + u[1]);\n"
        "}"
    )
    assert "t0 = u[0] + u[1]" in body("python", fn)


def test_c_keeps_a_much_used_sum_of_two_loads_in_a_temporary() -> None:
    s = parse_expr("u[0] + u[1]")
    body_ = tuple((Sym("o", i), App("mul", (s, Sym("u", i + 2)))) for i in range(5))
    fn = FunctionDef("g", (Param("u", True),), body_, (Param("o", True),))
    text = body("c", fn)
    assert "const double t0 = u[0] + u[1];" in text
    assert text.count("u[0] + u[1]") == 1


def _body_with_a_shared_load_product(temporaries: int) -> FunctionDef:
    """o[0] and o[1] share p[0]*u[0]; every other output pair shares exp(u[k])."""
    product = parse_expr("p[0]*u[0]")
    body_: list[tuple[Sym, Term]] = [
        (Sym("o", 0), App("add", (product, Sym("u", 1)))),
        (Sym("o", 1), App("sub", (product, Sym("u", 2)))),
    ]
    for k in range(temporaries):
        e = parse_expr(f"exp(u[{k}])")
        body_ += [(Sym("o", 2 + 2 * k), e), (Sym("o", 3 + 2 * k), App("mul", (e, e)))]
    return FunctionDef("g", (Param("p", True), Param("u", True)), tuple(body_), (Param("o", True),))


def test_c_recomputes_a_rarely_used_load_product_only_in_large_bodies() -> None:
    # With hundreds of temporaries most live on the stack and a reload costs what the multiply
    # does; in a small body the product stays a temporary in a register.
    large = body("c", _body_with_a_shared_load_product(300))
    assert large.count("p[0] * u[0]") == 2
    small = body("c", _body_with_a_shared_load_product(10))
    assert small.count("p[0] * u[0]") == 1 and "= p[0] * u[0];" in small
    assert body("python", _body_with_a_shared_load_product(300)).count("p[0] * u[0]") == 1


def _pairs_sharing_temporaries(n: int) -> FunctionDef:
    """o[i] and o[i + n] share exp(x_i)."""
    temps = [parse_expr(f"exp(x{k})") for k in range(n)]
    body_ = tuple(
        (Sym("o", i), App("mul" if i < n else "add", (temps[i % n], Sym("u", i))))
        for i in range(2 * n)
    )
    params = (*(Param(f"x{k}", False) for k in range(n)), Param("u", True))
    return FunctionDef("g", params, body_, (Param("o", True),))


def _output_order(text: str) -> list[int]:
    return [int(line.split("o[")[1].split("]")[0]) for line in text.splitlines() if " o[" in line]


def test_c_computes_the_users_of_a_temporary_together() -> None:
    # 40 temporaries (more than AFFINITY_MIN_TEMPORARIES): o[i + 40] comes right after o[i]
    # (shorter live ranges, fewer spills); each output still gets its own value.
    text = body("c", _pairs_sharing_temporaries(40))
    order = _output_order(text)
    assert sorted(order) == list(range(80))
    assert all(order[k + 1] == order[k] + 40 for k in range(0, 80, 2))
    assert "    o[40] = t0 + u[40];" in text
    python = body("python", _pairs_sharing_temporaries(40))
    assert _output_order(python) == list(range(80))


def test_c_keeps_file_order_with_few_temporaries() -> None:
    # Few temporaries all fit in registers: the order gains nothing (multistate: 103 → 108).
    assert _output_order(body("c", _pairs_sharing_temporaries(4))) == list(range(8))


def test_whole_shared_output_is_one_temporary() -> None:
    e = parse_expr("exp(x) + 1")
    fn = FunctionDef(
        "g",
        (Param("x", False),),
        ((Sym("a"), e), (Sym("b"), e)),
        (Param("a", False), Param("b", False)),
    )
    assert body("c", fn) == (
        "void g(double *a, double *b, double x) {\n"
        "    const double t0 = exp(x) + 1.0;\n"
        "    *a = t0;\n"
        "    *b = t0;\n"
        "}"
    )


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (2.0, "c", "2.0"),
        (1e-05, "c", "1e-05"),
        (0.5, "c", "0.5"),
        (1e300, "c", "1e+300"),
        (-3.0, "c", "-3.0"),
        (math.inf, "c", "INFINITY"),
        (-math.inf, "c", "-INFINITY"),
        (math.nan, "c", "NAN"),
        (math.inf, "python", "math.inf"),
        (math.nan, "python", "math.nan"),
        (-math.inf, "numpy", "-np.inf"),
        (math.nan, "numpy", "np.nan"),
        (2.0, "sym", "2"),
        (-3.0, "sym", "-3"),
        (-0.0, "sym", "-0"),
        (0.1, "sym", "0.1"),
        (2.0**53, "sym", "9007199254740992.0"),
        (1e16, "sym", "1e+16"),
        (0.1, "python", "0.1"),
    ],
)
def test_format_float(value: float, lang: str, text: str) -> None:
    assert format_float(value, lang) == text


def test_format_float_round_trips() -> None:
    for x in (0.1, 1 / 3, 2.0**-1074, 1.7976931348623157e308, 123456789.125, -2.5e-300):
        assert float(format_float(x, "c")) == x
        assert float(format_float(x, "sym")) == x
    with pytest.raises(ValueError):
        format_float(1.0, "fortran")


def test_half_is_not_integer_division_in_c() -> None:
    assert "1.0 / 2.0 * x" in render_module("c", [scalar_fn("h", "1/2*x", "x")])


# --- precedence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sym_text", "c_text"),
    [
        ("a - (b - c)", "a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c", "a - b - c"),
        ("a / (b * c)", "a/(b*c)", "a / (b * c)"),
        ("a * (b / c)", "a*(b/c)", "a * (b / c)"),
        ("(a + b) * c", "(a + b)*c", "(a + b) * c"),
        ("a + (b + c)", "a + (b + c)", "a + (b + c)"),
        ("-(a * b)", "-(a*b)", "-(a * b)"),
        ("-a * b", "-a*b", "-a * b"),
        ("--a", "-(-a)", "-(-a)"),
        ("a - -b", "a - (-b)", "a - (-b)"),
        ("a * -3", "a*(-3)", "a * (-3.0)"),
        ("-x^2", "-x^2", "-pow(x, 2.0)"),
        ("(-x)^2", "(-x)^2", "pow(-x, 2.0)"),
        ("(x^2)^3", "(x^2)^3", "pow(pow(x, 2.0), 3.0)"),
        ("x^2^3", "x^2^3", "pow(x, pow(2.0, 3.0))"),
        ("x^-y", "x^(-y)", "pow(x, -y)"),
        ("(a+b)^(c*d)", "(a + b)^(c*d)", "pow(a + b, c * d)"),
        ("2^x", "2^x", "pow(2.0, x)"),
        ("atan2(a - b, -c)", "atan2(a - b, -c)", "atan2(a - b, -c)"),
    ],
)
def test_precedence(text: str, sym_text: str, c_text: str) -> None:
    term = parse_expr(text)
    assert sym(term) == sym_text
    assert parse_expr(sym_text) == term
    names = sorted({s.name for s in symbols([term])})
    fn = FunctionDef("f", tuple(Param(n, False) for n in names), ((None, term),))
    assert f"    return {c_text};" in render_module("c", [fn], costs=NO_LOWERING)


def test_negative_numbers_in_sym() -> None:
    assert sym(App("pow", (Sym("x"), Num(-3)))) == "x^(-3)"
    assert sym(App("sub", (Sym("a"), Num(-3)))) == "a - (-3)"
    assert sym(App("pow", (Num(-2), Sym("x")))) == "(-2)^x"
    assert sym(App("neg", (Num(-2),))) == "-(-2)"
    assert sym(App("mul", (Num(-2), Sym("x")))) == "-2*x"
    assert sym(Num(math.inf)) == "(1e308*10)"


def test_numpy_fma_and_calls() -> None:
    fn = scalar_fn(
        "f", "fma(a, b - c, -d) * asin(a) + min(a, abs(b)) + atan2(a, b)^0.5", "a", "b", "c", "d"
    )
    assert body("numpy", fn) == (
        "def f(a, b, c, d):\n"
        "    return (a * (b - c) + (-d)) * np.arcsin(a) + np.minimum(a, np.abs(b))"
        " + np.power(np.arctan2(a, b), 0.5)"
    )
    assert "_fma(a, b - c, -d) * math.asin(a) + min(a, math.fabs(b))" in body("python", fn)
    assert "fma(a, b - c, -d) * asin(a) + fmin(a, fabs(b)) + pow(atan2(a, b), 0.5)" in body("c", fn)


def test_python_helpers_only_when_used() -> None:
    assert "_floor" not in render_module("python", [POLY])
    text = render_module("python", [scalar_fn("f", "floor(x) + fma(x, x, x)", "x")])
    assert "def _floor(x):" in text and "_fma = " in text and "_ceil" not in text


# --- lowering --------------------------------------------------------------------------------


def test_lower_powers() -> None:
    x = Sym("x")
    assert lower_powers(parse_expr("x^1")) == x
    assert lower_powers(parse_expr("x^0")) == parse_expr("x^0")
    assert lower_powers(parse_expr("x^2")) == parse_expr("x*x")
    assert lower_powers(parse_expr("x^7")) == parse_expr("(x*x)*(x*x)*(x*x)*x")
    assert lower_powers(parse_expr("x^-3")) == parse_expr("1/(x*x*x)")
    assert lower_powers(App("pow", (x, Num(-3.0)))) == parse_expr("1/(x*x*x)")
    assert lower_powers(parse_expr("x^2.5")) == parse_expr("x^2.5")
    assert lower_powers(parse_expr("x^65")) == parse_expr("x^65")
    assert lower_powers(parse_expr("(x^2)^2")) == parse_expr("(x*x)*(x*x)")
    assert lower_powers(parse_expr("sin(x^3)")) == parse_expr("sin(x*x*x)")
    assert lower_powers(App("pow", (x, Num(math.nan)))) == App("pow", (x, Num(math.nan)))


def test_lower_powers_respects_costs() -> None:
    costs = default_costs()
    cheap_pow = replace(costs, cycles={**costs.cycles, "pow": 3.0})
    # x^5 needs 3 multiplications: 3 * 1 >= 3, so pow stays; x^3 needs 2 and is lowered.
    assert lower_powers(parse_expr("x^5"), cheap_pow) == parse_expr("x^5")
    assert lower_powers(parse_expr("x^3"), cheap_pow) == parse_expr("x*x*x")
    # 64 needs 6 squarings (6 cycles < 33): lowered by default
    assert "pow" not in render_module("c", [scalar_fn("f", "x^64", "x")])
    assert "pow(x, 5.0)" in render_module("c", [scalar_fn("f", "x^5", "x")], costs=cheap_pow)


# --- errors ----------------------------------------------------------------------------------


def test_errors() -> None:
    with pytest.raises(ValueError, match="not a valid identifier"):
        scalar_fn("my-fn", "x", "x")
    with pytest.raises(ValueError, match="declared twice"):
        scalar_fn("f", "x", "x", "x")
    with pytest.raises(ValueError, match="exactly one body entry"):
        FunctionDef("f", (), ())
    with pytest.raises(ValueError, match="not a declared output"):
        FunctionDef("f", (), ((Sym("y"), Num(1)),), (Param("x", False),))
    with pytest.raises(ValueError, match="output is an array"):
        FunctionDef("f", (), ((Sym("y"), Num(1)),), (Param("y", True),))
    with pytest.raises(ValueError, match="not an input"):
        render_module("c", [scalar_fn("f", "x + z", "x")])
    with pytest.raises(ValueError, match="input u is an array"):
        render_module("python", [scalar_fn("f", "u", "u[]")])
    with pytest.raises(ValueError, match="reserved in C"):
        render_module("c", [scalar_fn("sin", "x", "x")])
    with pytest.raises(ValueError, match="reserved in Python"):
        render_module("python", [scalar_fn("min", "x", "x")])
    with pytest.raises(ValueError, match="defined twice"):
        render_module("c", [POLY, POLY])
    with pytest.raises(ValueError, match="unknown language"):
        render_module("rust", [POLY])


def test_deep_expression_is_linear_and_iterative() -> None:
    term: Term = Sym("x")
    for i in range(5000):
        term = App("add", (term, App("mul", (Num(float(i)), Sym("x")))))
    fn = FunctionDef("deep", (Param("x", False),), ((None, term),))
    for lang in LANGS:
        assert render_module(lang, [fn]).count("x") > 5000


def test_affinity_order_is_a_permutation_for_long_bodies() -> None:
    # 1500 roots: the pull weights are rescaled several times on the way (they grow by
    # 1/decay per root); every root must come out exactly once, users of a temporary adjacent.
    from symopt.codegen.schedule import affinity_order, shared_subterms
    from symopt.ir import intern

    temps = [parse_expr(f"exp(x{k})") for k in range(750)]
    roots = intern([App("mul", (temps[i % 750], Sym("u", i))) for i in range(1500)])
    order = affinity_order(roots, shared_subterms(roots))
    assert sorted(order) == list(range(1500))
    assert all(abs(order[k] - order[k + 1]) == 750 for k in range(0, 1500, 2))


def test_temporaries_of_a_deep_chain_stay_direct_past_the_closure_limit() -> None:
    # y[i] = exp(y[i-1]*p) + u[i], 3,000 links: past MAX_CLOSURE links a temporary's set holds
    # only what it reads directly, and so does every one above it (the sets used to grow back
    # to MAX_CLOSURE every MAX_CLOSURE links: quadratic memory on exp chains).
    from symopt.codegen.schedule import MAX_CLOSURE, _temporaries, shared_subterms
    from symopt.ir import intern

    chain: list[Term] = [Sym("u", 0)]
    for i in range(1, 3000):
        chain.append(App("add", (App("exp", (App("mul", (chain[-1], Sym("p"))),)), Sym("u", i))))
    roots = intern(chain)
    shared = shared_subterms(roots)
    memo: dict[int, frozenset[int]] = {}
    deep: set[int] = set()
    sizes = [len(_temporaries(r, shared, memo, deep)) for r in roots]
    assert max(sizes) <= MAX_CLOSURE + 1
    assert max(sizes[2 * MAX_CLOSURE :]) <= 3  # far up the chain: direct temporaries only
    assert sum(len(v) for v in memo.values()) < 4 * MAX_CLOSURE**2


def test_value_returning_c_function_recomputes_a_load_sum() -> None:
    fn = scalar_fn("g", "(u[0] + u[1])*(u[0] + u[1])", "u[]")
    assert body("c", fn) == (
        "double g(const double *u) {\n    return (u[0] + u[1]) * (u[0] + u[1]);\n}"
    )


def test_affinity_order_without_temporaries_keeps_the_given_order() -> None:
    from symopt.codegen.schedule import affinity_order, shared_subterms
    from symopt.ir import intern

    roots = intern([parse_expr(f"u[{i}]*p[{i}]") for i in range(5)])
    assert affinity_order(roots, shared_subterms(roots)) == [0, 1, 2, 3, 4]
    assert affinity_order([], set()) == []


def test_affinity_order_is_linear_when_every_root_shares_one_temporary() -> None:
    import time

    from symopt.codegen.schedule import affinity_order, shared_subterms
    from symopt.ir import intern

    t = parse_expr("exp(x)")
    roots = intern([App("mul", (t, Sym("u", i))) for i in range(20_000)])
    start = time.process_time()
    order = affinity_order(roots, shared_subterms(roots))
    assert sorted(order) == list(range(20_000))
    assert time.process_time() - start < 10.0  # quadratic would be ~4e8 heap operations


def test_c_keeps_file_order_when_a_target_repeats() -> None:
    # A repeated target must end with its last value: no reordering then.
    fn = _pairs_sharing_temporaries(40)
    fn = replace(fn, body=(*fn.body, (Sym("o", 0), Sym("u", 99))))
    text = body("c", fn)
    assert _output_order(text) == [*range(80), 0]
    assert text.rstrip("}\n").endswith("o[0] = u[99];")


def test_split_c_function_with_reordering_defines_every_temporary_before_use() -> None:
    from symopt.codegen.c import render_c_module

    temps = [parse_expr(f"exp(x{k})") for k in range(6)]
    exprs = [
        App("mul", (temps[i % 6], App("add", (Sym("u", i), Sym("u", i + 1))))) for i in range(24)
    ]
    fn = FunctionDef(
        "g",
        (*(Param(f"x{k}", False) for k in range(6)), Param("u", True)),
        tuple((Sym("o", i), e) for i, e in enumerate(exprs)),
        (Param("o", True),),
    )
    text = render_c_module([fn], max_statements=5)
    assert "static" in text
    for k in range(6):
        assert text.count(f"exp(x{k})") == 1
    assert sorted(int(t.split("]")[0]) for t in text.split("o[")[1:]) == list(range(24))


def _calls_and_shared_sums(n: int) -> FunctionDef:
    """o[k] = exp(u[k]) * s_k + s_(k+1), with s_k = u[k] + 2*u[k+1] shared by neighbours."""
    sums = [parse_expr(f"u[{k}] + 2*u[{k + 1}]") for k in range(n + 1)]
    body_ = tuple(
        (Sym("o", k), App("add", (App("mul", (parse_expr(f"exp(u[{k}])"), sums[k])), sums[k + 1])))
        for k in range(n)
    )
    return FunctionDef("g", (Param("u", True),), body_, (Param("o", True),))


def test_c_computes_library_calls_first_in_large_bodies() -> None:
    # A call clobbers every floating-point register: computed before the outputs, it finds
    # little live to spill.
    lines = body("c", _calls_and_shared_sums(40)).splitlines()
    first_output = next(i for i, line in enumerate(lines) if line.lstrip().startswith("o["))
    calls = [i for i, line in enumerate(lines) if "exp(" in line]
    assert len(calls) == 40 and max(calls) < first_output
    assert all(lines[i].lstrip().startswith("const double") for i in calls)
    small = body("c", _calls_and_shared_sums(3))
    assert "o[0] = exp(u[0]) * " in small  # a small body keeps its calls in place
    assert "o[0] = math.exp(u[0]) * " in body("python", _calls_and_shared_sums(40))


def test_a_body_inside_a_larger_one_is_planned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """NAME_jac's entries are NAME_f_and_jac's: its plan is that one's, pruned to what the
    entries read; the pruned C computes the same values."""
    from symopt.codegen import plan as plan_module

    u, k = Param("u", True), Param("k", True)
    out, jac = Param("du", True), Param("jac", True)
    shared = parse_expr("k[0]*u[0]*u[1]")
    f_body = ((Sym("du", 0), App("sub", (shared, parse_expr("k[1]*u[1]")))),)
    j_body = (
        (Sym("jac", 0), App("mul", (shared, parse_expr("u[1] + k[2]")))),
        (Sym("jac", 1), parse_expr("exp(k[0]*u[0]) + u[0]*u[1]")),
    )
    both = FunctionDef("both", (u, k), f_body + j_body, (out, jac))
    alone = FunctionDef("alone", (u, k), j_body, (jac,))
    calls: list[str] = []
    original = plan_module.plan_function

    def counting(fn: FunctionDef, *args: object, **kwargs: object) -> plan_module.Plan:
        calls.append(fn.name)
        return original(fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("symopt.codegen.python.plan_function", counting)
    namespace: dict[str, object] = {}
    exec(render_module("python", [alone, both]), namespace)
    assert calls == ["both"]
    uv, kv = [1.5, 0.25], [2.0, 3.0, 0.5]
    got, du, expect = [0.0, 0.0], [0.0], [0.0, 0.0]
    namespace["alone"](got, uv, kv)  # type: ignore[operator]
    namespace["both"](du, expect, uv, kv)  # type: ignore[operator]
    assert got == expect
    assert expect[0] == pytest.approx(kv[0] * uv[0] * uv[1] * (uv[1] + kv[2]), rel=1e-15)
    assert expect[1] == math.exp(kv[0] * uv[0]) + uv[0] * uv[1]
