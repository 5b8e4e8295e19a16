"""The polynomial path (symopt.algebra): polynomials, factorings, sub-sum sharing."""

from __future__ import annotations

from pathlib import Path

from symopt.algebra.pipeline import optimize_polynomials
from symopt.algebra.polynomial import Atoms, poly_size, to_poly
from symopt.algebra.sums import share_products, share_sums, split_chains
from symopt.codegen import to_sym
from symopt.costs import load_cost_table
from symopt.grammar import parse_expr
from symopt.ir import App, intern, postorder
from symopt.model import parse_model
from symopt.verify import check_equivalent

DATA = Path(__file__).parent / "data"
COSTS = load_cost_table("throughput")


def _poly(text: str) -> dict | None:
    return to_poly(parse_expr(text), Atoms())


def test_like_terms_combine_and_powers_expand() -> None:
    poly = _poly("2*x*y + y*x*3 - x^2 + 0")
    assert poly is not None
    assert sorted(poly.values()) == [-1.0, 5.0]
    assert len(poly) == 2


def test_exact_cancellation_drops_the_monomial() -> None:
    # Issue 13 settles x - x -> 0 as algebra (equal over the reals; only inf/nan inputs differ),
    # so like terms that cancel exactly disappear instead of refusing the statement.
    poly = _poly("x*y - y*x + z")
    assert poly is not None and list(poly.values()) == [1.0] and len(poly) == 1
    assert _poly("1e16*x + 3*x - 1e16*x") == _poly("3*x")  # exact sums: not 4*x
    assert _poly("x - x") == {}


def test_overflowing_coefficient_is_still_refused() -> None:
    assert _poly("1e308*x + 1e308*x") is None  # 2e308 is not a double
    assert _poly("1e-200*(1e-200*x)") is None  # underflows to 0


def test_statement_that_cancels_entirely_becomes_zero() -> None:
    terms = intern([parse_expr("a*b + c - b*a - c"), parse_expr("a + c")])
    out, report = optimize_polynomials(terms)
    assert to_sym(out[0]) == "0" and report.kept == []


def test_products_of_large_sums_stay_atoms() -> None:
    big = " + ".join(f"a{i}" for i in range(20))
    poly = _poly(f"({big})*({big.replace('a', 'b')})")
    assert poly is not None and len(poly) == 1  # not expanded into 400 monomials


def _model_terms(name: str) -> list:
    model = parse_model((DATA / f"{name}.sym").read_text(), str(DATA / f"{name}.sym"))
    return intern([term for _, term in model.output_terms()])


def test_model_gets_cheaper_and_agrees_numerically() -> None:
    terms = _model_terms("multisite2")
    out, report = optimize_polynomials(terms)
    assert COSTS.dag_cost(out) < 0.8 * COSTS.dag_cost(terms)
    assert report.kept == [] and report.classes > 0
    assert check_equivalent(terms, out, ranges={"u": (0.0, 50.0), "p": (0.01, 2.0)}) == []


def test_result_is_deterministic() -> None:
    terms = _model_terms("multisite2")
    first = [to_sym(t) for t in optimize_polynomials(terms)[0]]
    second = [to_sym(t) for t in optimize_polynomials(_model_terms("multisite2"))[0]]
    assert first == second


def test_past_deadline_skips_optional_phases_but_stays_correct() -> None:
    terms = _model_terms("multisite2")
    out, report = optimize_polynomials(terms, deadline=0.0)
    assert report.timed_out
    assert check_equivalent(terms, out, ranges={"u": (0.0, 50.0), "p": (0.01, 2.0)}) == []


def test_common_sub_sums_are_shared() -> None:
    sums = [parse_expr(s) for s in ("x + a + b + c", "b + y + c + a", "c + a + z + b")]
    assert COSTS.dag_cost(intern(sums)) == 9
    out = share_sums(intern(sums))
    assert COSTS.dag_cost(out) == 2 + 3  # a+b+c once, then one add per sum
    assert check_equivalent(sums, out) == []


def test_opposite_signs_share_too() -> None:
    sums = [parse_expr(s) for s in ("x + a - b", "y - a + b", "z + a - b")]
    out = share_sums(intern(sums))
    assert COSTS.dag_cost(out) < COSTS.dag_cost(intern(sums))
    assert check_equivalent(sums, out) == []


def _depth(term) -> int:
    depth: dict[int, int] = {}
    for node in postorder([term]):
        kids = node.args if isinstance(node, App) else ()
        depth[id(node)] = 1 + max((depth[id(k)] for k in kids), default=0)
    return depth[id(term)]


def test_long_sums_split_into_independent_chains() -> None:
    term = parse_expr(" + ".join(f"x{i}*y{i}" for i in range(32)))
    (split,) = split_chains([term])
    assert COSTS.dag_cost([split]) == COSTS.dag_cost([term])
    assert _depth(split) < _depth(term) / 2
    assert check_equivalent([term], [split]) == []


def test_common_sub_products_are_shared() -> None:
    products = [parse_expr(f"v{i}*u*p") for i in range(4)] + [parse_expr("p*w")]
    assert COSTS.dag_cost(intern(products)) == 9
    out = share_products(intern(products))
    assert COSTS.dag_cost(out) == 1 + 4 + 1  # p*u once, then one multiply per product
    assert check_equivalent(products, out) == []


def test_rare_sub_products_are_not_shared() -> None:
    products = intern([parse_expr("v*u*p"), parse_expr("w*u*p")])
    assert [to_sym(t) for t in share_products(products, min_uses=3)] == [
        to_sym(t) for t in products
    ]


def test_a_square_inside_a_product_is_one_factor() -> None:
    # u*u*k*0.5 for several u: k*0.5 is the shared part; the squares stay whole.
    products = [parse_expr(f"x{i}*x{i}*k*0.5") for i in range(4)]
    out = share_products(intern(products))
    assert COSTS.dag_cost(out) == 1 + 4 * 2
    assert check_equivalent(products, out) == []


def test_monomials_sharing_a_coefficient_share_one_multiply() -> None:
    term = intern([parse_expr(" + ".join(f"2*x{i}" for i in range(6)) + " + 3*y + z")])
    (out,), _ = optimize_polynomials(term)
    muls = sum(1 for n in postorder([out]) if isinstance(n, App) and n.op == "mul")
    assert muls == 2  # 2*(x0 + ... + x5) and 3*y
    assert check_equivalent(term, [out]) == []


def test_coefficient_groups_keep_signs_and_constants() -> None:
    term = intern([parse_expr("-2*a + 2*b - 3*c + 3*d + 2*g + 2 + f")])
    (out,), _ = optimize_polynomials(term)
    muls = sum(1 for n in postorder([out]) if isinstance(n, App) and n.op == "mul")
    assert muls == 2  # 2*(b + g - a) and 3*(d - c); the constant and f stay single terms
    assert check_equivalent(term, [out]) == []


def test_products_with_repeated_factors_share_only_whole_items() -> None:
    # x*x*x*y: the square x*x is one item and x another, so (x*x)*x*y flattens to three items;
    # x^4 is (x*x)*(x*x): an item repeats and the product is left alone.
    products = intern([parse_expr(f"x*x*x*y{i}") for i in range(3)] + [parse_expr("x*x*(x*x)*z")])
    out = share_products(products)
    assert COSTS.dag_cost(out) <= COSTS.dag_cost(products)
    assert check_equivalent(products, out, ranges={"x": (-3.0, 3.0)}) == []


def test_non_polynomial_statements_keep_their_value_through_sharing() -> None:
    terms = intern([parse_expr(f"exp(a)*b*c{i} + sqrt(b)*exp(a)*c{i}") for i in range(4)])
    out, _ = optimize_polynomials(terms)
    assert check_equivalent(terms, out, ranges={"b": (0.0, 4.0)}) == []


def test_factored_input_is_not_expanded_beyond_its_size() -> None:
    # Expanded, this Horner form has 201 monomials of up to 200 factors (~20,000 factors).
    text = "x"
    for i in range(200):
        text = f"({text}*x{i} + {i + 1})"
    poly = _poly(text)
    assert poly is not None
    assert poly_size(poly) <= 2 * 4 * 200  # not more than about the input (4 nodes a level)


def test_small_products_of_sums_and_powers_still_expand() -> None:
    poly = _poly("(a + b)*(c + d)*(g + 1)")
    assert poly is not None and len(poly) == 8
    poly = _poly("(x*y)^3")
    assert poly is not None and list(poly) == [((0, 3), (1, 3))]


def test_power_towers_stay_atoms() -> None:
    # x^(2^20) as one monomial would be built as a product of a million factors.
    poly = _poly("(" * 20 + "x" + ")^2" * 20)
    assert poly is not None and poly_size(poly) <= 64
