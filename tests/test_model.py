"""Model files: parsing, checks with file:line:col, outputs/inputs, substitution, sampling."""

from __future__ import annotations

from pathlib import Path

import pytest

from symopt.codegen import Param
from symopt.errors import ConfigError, SourceError
from symopt.ir import App, Num, Sym, node_count, postorder
from symopt.model import parse_model
from symopt.model.sampling import merge_ranges, parse_sample, sidecar_ranges

DATA = Path(__file__).parent / "data"


def _error(text: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_model(text, "m.sym")
    return info.value


def test_outputs_inputs_and_statements() -> None:
    model = parse_model(
        "# header\n\nlet k = a*b  # local\ny = k + c\nz[1] = y*x[2]\nz[0] = k\n", "m.sym"
    )
    assert [s.line for s in model.statements] == [3, 4, 5, 6]
    assert model.outputs == (Param("y", False), Param("z", True))
    assert model.inputs == (
        Param("a", False),
        Param("b", False),
        Param("c", False),
        Param("x", True),
    )
    assert model.line_of(Sym("z", 0)) == 6


def test_output_terms_substitute_locals_and_earlier_targets() -> None:
    model = parse_model("let k = a*b\ny = k + c\nz[0] = y*k\n", "m.sym")
    (y, ty), (z, tz) = model.output_terms()
    assert (y, z) == (Sym("y"), Sym("z", 0))
    k = App("mul", (Sym("a"), Sym("b")))
    assert ty == App("add", (k, Sym("c")))
    assert tz == App("mul", (ty, k))
    assert isinstance(tz, App) and isinstance(ty, App)
    assert tz.args[0] is ty and tz.args[1] is ty.args[0]  # shared objects


def test_output_terms_are_linear_in_a_deep_chain_of_locals() -> None:
    # Written out as a tree the output has ~2^2000 nodes; shared it has 2003.
    lines = ["let a0 = x + 1"] + [f"let a{i} = a{i - 1}*a{i - 1}" for i in range(1, 2000)]
    model = parse_model("\n".join([*lines, "y = a1999 + a1000"]), "deep.sym")
    [(_, term)] = model.output_terms()  # a walk of the tree would never end
    assert node_count([term]) == 2003  # x, 1, a0, a1..a1999, the sum


def test_multistate_signature_order() -> None:
    model = parse_model((DATA / "multistate.sym").read_text(), "multistate.sym")
    assert model.outputs == (Param("du", True),)
    assert model.inputs == (Param("p", True), Param("u", True))
    assert [t.key for t, _ in model.output_terms()] == [f"du[{i}]" for i in range(9)]


@pytest.mark.parametrize(
    ("text", "where", "message", "caret"),
    [
        ("x = y + 1\ny = 2\n", "m.sym:1:5", "y is read before it is assigned (on line 2)", "^"),
        ("x = x + 1\n", "m.sym:1:5", "x is read before it is assigned (on this line)", "^"),
        ("z = 1\ny = du[1]\ndu[1] = 3\n", "m.sym:2:5", "du[1] is read before", "^^^^^"),
        ("x = 1\n\nx = 2\n", "m.sym:3:1", "x is assigned twice (first on line 1)", "^"),
        ("let k = 1\nk = 2\n", "m.sym:2:1", "k is assigned twice (first on line 1)", "^"),
        ("u[0] = 1\ny = u + 1\n", "m.sym:2:5", "u is used both indexed and as a scalar", "^"),
        ("y = u + u[0]\n", "m.sym:1:9", "u is used both indexed and as a scalar", "^^^^"),
        ("let a = 1\na[0] = 2\n", "m.sym:2:1", "a is used both indexed", "^^^^"),
        ("du[0] = 1\ndu[1] = du[5]\n", "m.sym:2:9", "du[5] is read but never assigned", "^^^^^"),
        ("x = (1\n", "m.sym:1:7", "unexpected end of line", "^"),
    ],
)
def test_errors_name_file_line_column(text: str, where: str, message: str, caret: str) -> None:
    err = _error(text)
    head, _, marks = err.format().splitlines()
    assert head.startswith(f"{where}: error: {message}")
    assert marks.strip() == caret


def test_sample_option() -> None:
    assert parse_sample("u=0.5:2") == ("u", (0.5, 2.0))
    assert parse_sample("u[3]=-1e-3:1") == ("u[3]", (-0.001, 1.0))
    for bad in ("u", "u=1", "u=2:1", "u=a:b", "1u=0:1", "u=0:inf"):
        with pytest.raises(ConfigError):
            parse_sample(bad)


def test_sidecar_ranges_per_index_and_scalar() -> None:
    data = {"sampling": {"u": {"lo": [0, 1], "hi": [2, 1], "rule": "x"}, "k": {"lo": 1, "hi": 3}}}
    assert sidecar_ranges(data, "m.json") == {"u[0]": (0, 2), "u[1]": (1, 1), "k": (1, 3)}
    assert sidecar_ranges({}, "m.json") == {}
    for bad in (
        {"sampling": {"u": {"lo": [0], "hi": [1, 2]}}},
        {"sampling": {"u": {"lo": 2, "hi": 1}}},
    ):
        with pytest.raises(ConfigError, match=r"m\.json: sampling\.u"):
            sidecar_ranges(bad, "m.json")


def test_sample_option_overrides_sidecar() -> None:
    base = {"u[0]": (0.0, 1.0), "u[1]": (0.0, 1.0), "p[0]": (2.0, 2.0)}
    merged = merge_ranges(base, {"u": (5.0, 6.0), "p[0]": (1.0, 3.0)})
    assert merged == {"u": (5.0, 6.0), "p[0]": (1.0, 3.0)}


def test_comment_only_and_numbers() -> None:
    model = parse_model("# nothing\ny = 2  # two\n", "m.sym")
    [(_, term)] = model.output_terms()
    assert term == Num(2.0) and model.inputs == ()
    assert not [t for t in postorder([term]) if isinstance(t, Sym)]


def test_assume_lines() -> None:
    model = parse_model(
        "assume x > 0\nassume = 3  # an output named assume\ny = log(x)*u[0]\n", "m.sym"
    )
    [fact] = model.assumptions
    assert (fact.sym, fact.relation) == (Sym("x"), "Positive")
    assert model.outputs == (Param("assume", False), Param("y", False))
    assert [p.name for p in model.inputs] == ["x", "u"]
    assert parse_model("assume u >= 0\ny = u[1]\n", "m.sym").assumptions[0].sym == Sym("u")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("assume x > -1\ny = x\n", "m.sym:1:8", "assumption 'x > -1' says nothing"),
        ("y = 2\nassume y > 0\n", "m.sym:2:8", "assumption about y, which the model assigns"),
        ("y = x\nassume x[0] > 0\n", "m.sym:2:8", "x is used both indexed and as a scalar"),
    ],
)
def test_assume_errors(text: str, where: str, message: str) -> None:
    assert _error(text).format().startswith(f"{where}: error: {message}")
