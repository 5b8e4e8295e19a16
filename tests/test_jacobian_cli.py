"""``symopt compile --jacobian``: structure, generated functions, checks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.limits import Limits
from symopt.model import parse_model
from symopt.model.pipeline import model_jacobian, model_outputs, optimize_model
from symopt.optimize import resolve_costs, resolve_ruleset

DATA = Path(__file__).parent / "data"
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")

TINY = """\
input u[3], k[2]
let r = k[0]*u[0]*u[1]
du[0] = -r + k[1]*u[2]
du[1] = -r
du[2] = r - k[1]*u[2] + sin(u[0])
"""


def _compile(*args: str, stdin: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["compile", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _namespace(source: str) -> dict[str, object]:
    ns: dict[str, object] = {}
    exec(compile(source, "<generated>", "exec"), ns)
    return ns


def test_tiny_model_exact_structure_in_c() -> None:
    code, out, err = _compile("-", "--jacobian", "--time-limit", "5", stdin=TINY)
    assert code == 0, err
    assert "const int f_jac_indptr[4] = {\n    0, 3, 6, 8\n};" in out
    assert "const int f_jac_indices[8] = {\n    0, 1, 2, 0, 1, 2, 0, 2\n};" in out
    assert "const int f_jac_shape[2] = {\n    3, 3\n};" in out
    assert "void f_jac(double *jac, const double *u, const double *k) {" in out
    assert "void f_f_and_jac(double *du, double *jac, const double *u, const double *k) {" in out


def _dense(ns: dict[str, object], prefix: str, values: np.ndarray) -> np.ndarray:
    indptr, indices, shape = (ns[f"{prefix}_jac_{k}"] for k in ("indptr", "indices", "shape"))
    assert isinstance(shape, list) and isinstance(indptr, list) and isinstance(indices, list)
    dense = np.zeros(shape)
    for col in range(shape[1]):
        for k in range(indptr[col], indptr[col + 1]):
            dense[indices[k], col] = values[k]
    return dense


def test_multistate_python_matches_finite_differences() -> None:
    code, out, err = _compile(str(DATA / "multistate.sym"), "--jacobian", "--lang", "python")
    assert code == 0, err
    ns = _namespace(out)
    indptr = ns["f_jac_indptr"]
    assert isinstance(indptr, list) and len(indptr) == 10
    f, jac, both = ns["f"], ns["f_jac"], ns["f_f_and_jac"]
    assert callable(f) and callable(jac) and callable(both)
    rng = np.random.default_rng(3)
    u, p = rng.uniform(0.5, 2.0, 9), rng.uniform(0.1, 1.0, 9)
    values = [0.0] * indptr[-1]
    jac(values, u=list(u), p=list(p))
    got = _dense(ns, "f", np.array(values))
    fd = np.zeros((9, 9))
    for j in range(9):
        up, down, du_up, du_down = u.copy(), u.copy(), [0.0] * 9, [0.0] * 9
        up[j] += 1e-6
        down[j] -= 1e-6
        f(du_up, u=list(up), p=list(p))
        f(du_down, u=list(down), p=list(p))
        fd[:, j] = (np.array(du_up) - np.array(du_down)) / 2e-6
    assert np.allclose(got, fd, rtol=1e-6, atol=1e-8)
    # the structure is what each output reads: du[2] reads u[0], u[2], u[3], u[4], u[5], u[8]
    assert [int(i) for i in np.nonzero(got[2])[0]] == [0, 2, 3, 4, 5, 8]
    du, values2 = [0.0] * 9, [0.0] * indptr[-1]
    both(du, values2, u=list(u), p=list(p))
    expected = [0.0] * 9
    f(expected, u=list(u), p=list(p))
    assert du == pytest.approx(expected) and values2 == pytest.approx(values)


def test_numpy_output_and_an_explicit_array() -> None:
    code, out, err = _compile("-", "--jacobian=k", "--lang", "numpy", stdin=TINY)
    assert code == 0, err
    ns = _namespace(out)
    assert ns["f_jac_shape"] == [3, 2]
    assert ns["f_jac_indptr"] == [0, 3, 5]
    values = np.zeros(5)
    jac = ns["f_jac"]
    assert callable(jac)
    jac(values, np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25]))
    assert values.tolist() == [-2.0, -2.0, 2.0, 3.0, -3.0]


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_multistate_c_compiles_cleanly(tmp_path: Path) -> None:
    source = tmp_path / "m.c"
    code, _, err = _compile(str(DATA / "multistate.sym"), "--jacobian", "-o", str(source))
    assert code == 0, err
    assert CC is not None
    flags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only"]
    cc = subprocess.run([CC, *flags, str(source)], capture_output=True, text=True, check=False)
    assert cc.returncode == 0, cc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jacobian=q"], "'q' is not an input array (input arrays: u, k)"),
        (["--jacobian=1x"], "'1x' is not an array name"),
    ],
)
def test_bad_array_is_an_error(args: list[str], message: str) -> None:
    code, out, err = _compile("-", *args, stdin=TINY)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_f_and_jac_shares_work() -> None:
    parsed = parse_model((DATA / "multistate.sym").read_text(), "multistate.sym", None)
    pairs = model_outputs(parsed, "multistate.sym")
    jac = model_jacobian(parsed, pairs, None)
    assert jac.array == "u" and jac.nnz == 55
    table = resolve_costs("throughput")
    result = optimize_model(
        parsed,
        pairs,
        rules=resolve_ruleset("default", None),
        table=table,
        limits=Limits(time=10.0),
        verify=True,
        ranges={},
        extra=jac.entries,
    )
    assert not result.fallbacks
    n = len(pairs)
    rhs, values = result.outputs[:n], result.outputs[n:]
    together = table.dag_cost([*rhs, *values])
    assert together < table.dag_cost(rhs) + table.dag_cost(values)


def test_jacobian_from_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.symopt.compile]\njacobian = "k"\n')
    (tmp_path / "m.sym").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    code, out, err = _compile("m.sym", "--lang", "python", "--time-limit", "5")
    assert code == 0, err
    assert "f_jac_shape = [3, 2]" in out


def test_a_wrong_entry_is_an_internal_error() -> None:
    from symopt.cli.compile import check_jacobian
    from symopt.errors import ExitStatus, InternalError
    from symopt.ir import App, Num

    parsed = parse_model(TINY, "tiny.sym", None)
    pairs = model_outputs(parsed, "tiny.sym")
    jac = model_jacobian(parsed, pairs, "u")
    check_jacobian("tiny.sym", parsed, pairs, jac, jac.entries, {})  # the right ones pass
    wrong = list(jac.entries)
    wrong[2] = App("add", (wrong[2], Num(0.5)))  # d du[2] / d u[0] off by 0.5
    with pytest.raises(InternalError, match=r"1 Jacobian entry disagrees.*\(2, u\[0\]\)") as exc:
        check_jacobian("tiny.sym", parsed, pairs, jac, wrong, {})
    assert exc.value.exit_code == ExitStatus.INTERNAL
