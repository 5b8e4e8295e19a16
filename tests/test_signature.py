"""The signature is the user's: ``input``/``output`` declarations, ``compile --args``, and the
typo and gap warnings of a model without a declaration."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.codegen import Param
from symopt.errors import MultiSourceError, SourceError
from symopt.grammar.parser import parse_declaration
from symopt.model import parse_model
from symopt.model.hints import gaps, one_edit

CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")

LOTKA_VOLTERRA = """\
# Lotka-Volterra: autonomous, so t is a parameter that is never read
input t, x, y, alpha, beta, gamma, delta
output dx, dy
dx = alpha*x - beta*x*y
dy = delta*x*y - gamma*y
"""


def _errors(text: str, args: tuple[str, ...] | None = None) -> list[str]:
    """Every error of ``text``, as ``LINE:COL: message``."""
    with pytest.raises(SourceError) as info:
        parse_model(text, "m.sym", args)
    exc = info.value
    found = exc.errors if isinstance(exc, MultiSourceError) else [exc]
    return [f"{e.line}:{e.column}: {e.message}" for e in found]


def _warnings(text: str) -> list[str]:
    return [f"{w.line}:{w.column}: {w.message}" for w in parse_model(text, "m.sym").warnings]


def invoke(*args: str, stdin: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--isolated", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


# --- parsing declarations -------------------------------------------------------------------


def test_declaration_line_items_sizes_and_columns() -> None:
    decl = parse_declaration("input t, u[4], p[3]  # note", line=2)
    assert decl is not None and decl.kind == "input" and decl.line == 2
    assert [(i.name, i.index, i.span.column) for i in decl.items] == [
        ("t", None, 7),
        ("u", 4, 10),
        ("p", 3, 16),
    ]


@pytest.mark.parametrize("text", ["input = 1", "input[0] = 2", "inputs x", "y = input"])
def test_an_output_named_input_is_not_a_declaration(text: str) -> None:
    assert parse_declaration(text) is None


def test_a_model_may_still_assign_a_name_called_input() -> None:
    model = parse_model("input = 2*output\n", "m.sym")
    assert model.outputs == (Param("input", False),) and model.inputs == (Param("output", False),)


def test_bad_declaration_syntax_is_an_error_at_its_column() -> None:
    assert _errors("input t,\ny = t\n") == ["1:9: unexpected end of line; expected a name"]
    assert _errors("output du[]\n") == ["1:11: unexpected ']'; expected an integer index"]


# --- declared signature ---------------------------------------------------------------------


def test_declaration_fixes_order_and_sizes_and_keeps_unread_inputs() -> None:
    model = parse_model(
        "input t, u[4], p[3]\noutput du[4]\n"
        "du[3] = p[0]*u[3]\ndu[0] = -p[1]*u[0]\ndu[1] = u[1]\ndu[2] = p[2]*u[2]\n",
        "m.sym",
    )
    assert model.inputs == (Param("t", False), Param("u", True), Param("p", True))
    assert model.outputs == (Param("du", True),)
    assert model.sizes == {"du": 4, "u": 4, "p": 3}


def test_output_declaration_orders_outputs_and_inputs_stay_first_appearance() -> None:
    model = parse_model("output b, a\na = x\nb = y*x\n", "m.sym")
    assert model.outputs == (Param("b", False), Param("a", False))
    assert model.inputs == (Param("x", False), Param("y", False))


def test_declarations_on_several_lines_add_up_in_file_order() -> None:
    model = parse_model("input b\ny = a + b\ninput a\n", "m.sym")
    assert model.inputs == (Param("b", False), Param("a", False))


def test_undeclared_name_is_an_error_with_did_you_mean() -> None:
    text = "input k, u[2]\nlet flux = k*u[0]*u[1]\ndu[0] = -flx + z\ndu[1] = flx\n"
    assert _errors(text) == [
        "3:10: flx is neither assigned nor a declared input (input on line 1); "
        "did you mean 'flux'?",
        "3:16: z is neither assigned nor a declared input (input on line 1)",
    ]


def test_index_out_of_declared_range_and_shape_mismatches() -> None:
    text = "input t, u[2], p[1]\noutput du[2]\ndu[0] = u[2] + p[1]\ndu[1] = t[0] + u\ndu[2] = 1\n"
    assert _errors(text) == [
        "3:9: u[2] is out of range: u has 2 entries (input u[2], line 1)",
        "3:16: p[1] is out of range: p has 1 entry (input p[1], line 1)",
        "4:9: t[0] is indexed but t is declared as a scalar (input t, line 1)",
        "4:16: u is used as a scalar but declared as an array (input u[2], line 1)",
        "5:1: du[2] is out of range: du has 2 entries (output du[2], line 2)",
    ]


def test_targets_against_the_declaration() -> None:
    text = "input t, x\noutput y, z[3]\ny = x\nt = 1\nlet y2 = x\nw = x\nz[1] = x\nlet z = 2\n"
    assert _errors(text) == [
        "2:11: z[0] is never assigned (output z[3], line 2)",
        "2:11: z[2] is never assigned (output z[3], line 2)",
        "4:1: t is a declared input (input t, line 1) and cannot be assigned",
        "6:1: w is assigned but not a declared output (output on line 2); "
        "write 'let w = ...' for a local",
        "8:5: z is a declared output (output z[3], line 2); assign it without 'let'",
    ]


def test_declared_twice_empty_array_and_unassigned_scalar_output() -> None:
    assert _errors("input a, b\noutput a, c[0], d\nd = b\n") == [
        "2:8: a is declared twice (first on line 1)",
        "2:11: c[0]: an array needs at least 1 entry",
    ]
    assert _errors("output y, z\ny = 1\n") == [
        "1:11: z is declared as an output but never assigned"
    ]


def test_assumption_about_an_undeclared_name() -> None:
    assert _errors("input kk\nassume k > 0\ny = kk\n") == [
        "2:8: assumption about k, which is not a declared input; did you mean 'kk'?"
    ]


def test_no_warnings_with_a_declaration() -> None:
    # with inputs declared, a typo is an error instead; with outputs declared, a gap too
    model = parse_model("input flux_in, gamma\noutput du[1]\ndu[0] = gamma*flux_in\n", "m.sym")
    assert model.warnings == ()


# --- --args ---------------------------------------------------------------------------------


def test_args_declare_the_input_order_with_inferred_shapes_and_sizes() -> None:
    model = parse_model("du[0] = p[0]*u[1]\n", "m.sym", ("t", "u", "p"))
    assert model.inputs == (Param("t", False), Param("u", True), Param("p", True))
    assert model.sizes == {"du": 1, "u": 2, "p": 1}
    assert _errors("du[0] = p[0]*uu[1]\n", ("t", "u", "p")) == [
        "1:14: uu is neither assigned nor a declared input (--args); did you mean 'u'?"
    ]


def test_args_reorder_an_input_line_but_must_name_the_same_inputs() -> None:
    text = "input a, b[2]\ny = a*b[1]\n"
    assert parse_model(text, "m.sym", ("b", "a")).inputs == (Param("b", True), Param("a", False))
    assert _errors(text, ("b", "c")) == [
        "1:7: --args b,c does not match the input declaration: c not declared by an input "
        "line; a missing from --args"
    ]


# --- warnings without a declaration ---------------------------------------------------------


def test_typo_read_once_near_a_local_or_an_input_is_a_warning() -> None:
    text = (
        "let flux = k*u[0]*u[1]\n"
        "du[0] = -flx\n"
        "du[1] = flux - gamma*u[1] - gama\n"
        "du[2] = gamma*u[0]\n"
    )
    assert _warnings(text) == [
        "2:10: flx is read only here and assigned nowhere, so it is an input; did you mean 'flux'?",
        "3:29: gama is read only here and assigned nowhere, so it is an input; "
        "did you mean 'gamma'?",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "y = x + z\n",  # short names one edit apart by design
        "y = k1*a + k2*b + k3*c\n",  # numbered families
        "y = beta + zeta\n",  # both read once: neither is the evident typo
        "y = gamma*x + gamma*z + gama*gama\n",  # both read twice: both meant
    ],
)
def test_no_typo_warning(text: str) -> None:
    assert _warnings(text) == []


def test_gaps_in_an_indexed_output_are_warnings() -> None:
    text = "du[1] = x\ndu[2] = x\ndu[6] = x\n"
    assert _warnings(text) == [
        "1:1: gap in output du: du[0] is never assigned (left unchanged by the generated function)",
        "3:1: gap in output du: du[3] to du[5] are never assigned (left unchanged by the "
        "generated function)",
    ]


def test_edit_distance_and_gap_helpers() -> None:
    assert one_edit("flx", "flux") and one_edit("fulx", "flux") and one_edit("flux", "flox")
    assert not one_edit("flux", "flux") and not one_edit("fx", "flux")
    assert not one_edit("k1", "k2") and not one_edit("rate", "rate2")
    assert not one_edit("abcd", "dbca")
    assert gaps([0, 1, 2]) == [] and gaps([2, 5]) == [(0, 1), (3, 4)]


# --- the CLI --------------------------------------------------------------------------------


def test_compile_reports_undeclared_name_with_snippet(tmp_path: Path) -> None:
    path = tmp_path / "m.sym"
    path.write_text("input k, u[2]\nlet flux = k*u[0]\ndu[0] = -flx\n")
    out_file = tmp_path / "m.c"
    code, out, err = invoke("compile", str(path), "-o", str(out_file))
    assert code == 2 and out == "" and not out_file.exists()
    assert err == (
        f"{path}:3:10: error: flx is neither assigned nor a declared input (input on line 1); "
        "did you mean 'flux'?\n    du[0] = -flx\n             ^^^\n"
    )


def test_compile_prints_typo_and_gap_warnings(tmp_path: Path) -> None:
    path = tmp_path / "m.sym"
    path.write_text("let flux = k*u[0]\ndu[0] = -flx\ndu[2] = flux\n")
    code, out, err = invoke("compile", str(path), "--no-verify", "--lang", "python")
    assert code == 0
    assert "def f(du, k, u, flx):" in out
    assert err.splitlines() == [
        f"{path}:2:10: warning: flx is read only here and assigned nowhere, so it is an input; "
        "did you mean 'flux'?",
        "    du[0] = -flx",
        "             ^^^",
        f"{path}:3:1: warning: gap in output du: du[1] is never assigned (left unchanged by the "
        "generated function)",
        "    du[2] = flux",
        "    ^^^^^",
    ]


def test_compile_args_orders_the_parameters() -> None:
    model = "du[0] = p[0]*u[0]\ndu[1] = -p[1]*u[1]\n"
    code, out, err = invoke("compile", "-", "--no-verify", "--args", "t, u,p", stdin=model)
    assert code == 0, err
    assert "void f(double *du, double t, const double *u, const double *p) {" in out
    assert "    (void)t;" in out.splitlines()
    code, _, err = invoke("compile", "-", "--args", "u,p,u", stdin=model)
    assert code == 2 and "Invalid value for '--args': u given twice" in err
    code, _, err = invoke("compile", "-", "--args", "u,2p", stdin=model)
    assert code == 2 and "Invalid value for '--args': '2p' is not a name" in err
    code, _, err = invoke("compile", "-", "--args", "u", stdin=model)
    assert code == 2
    assert err.startswith("<stdin>:1:9: error: p is neither assigned nor a declared input (--args)")


def test_lotka_volterra_python_follows_the_declaration() -> None:
    code, out, err = invoke("compile", "-", "--lang", "python", stdin=LOTKA_VOLTERRA)
    assert code == 0, err
    assert "def f(dx, dy, t, x, y, alpha, beta, gamma, delta):" in out.splitlines()
    namespace: dict[str, object] = {}
    exec(out, namespace)  # our own generated code
    dx, dy = [0.0], [0.0]
    f = namespace["f"]
    assert callable(f)
    f(dx, dy, 0.0, 2.0, 3.0, 1.5, 0.5, 0.25, 0.75)
    assert dx == [1.5 * 2 - 0.5 * 2 * 3] and dy == [0.75 * 2 * 3 - 0.25 * 3]


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_lotka_volterra_c_follows_the_declaration_and_compiles_cleanly(tmp_path: Path) -> None:
    code, out, err = invoke("compile", "-", stdin=LOTKA_VOLTERRA)
    assert code == 0, err
    assert (
        "void f(double *dx, double *dy, double t, double x, double y, double alpha, "
        "double beta, double gamma_, double delta) {"
    ) in out.splitlines()
    source = tmp_path / "lv.c"
    source.write_text(out)
    assert CC is not None
    cc = subprocess.run(
        [CC, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cc.returncode == 0, cc.stderr


def test_args_from_the_compile_table_of_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "symopt.toml").write_text('[compile]\nargs = "b, a"\nlang = "python"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["compile", "-", "--no-verify"], input="y = a*b\n")
    assert result.exit_code == 0, result.stderr
    assert "def f(y, b, a):" in result.stdout.splitlines()
