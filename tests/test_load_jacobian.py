"""symopt.load(..., jacobian=True) and symopt build --jacobian: the sparse Jacobian as
scipy.sparse.csc_matrix values, checked against finite differences of the loaded function."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import symopt
from symopt.cli.main import cli
from symopt.errors import ConfigError

sparse = pytest.importorskip("scipy.sparse")

REPO = Path(__file__).resolve().parent.parent
LOTKA = REPO / "samples" / "lotka_volterra.sym"

# reversible dimerisation and a conversion chain: mass action, some zero Jacobian entries
MASS_ACTION = """\
input u[5], k[4]
output du[5]
let bind = k[0]*u[0]*u[1] - k[1]*u[2]
let conv = k[2]*u[2]*u[2]
du[0] = -bind
du[1] = -bind
du[2] = bind - 2*conv
du[3] = conv - k[3]*u[3]
du[4] = k[3]*u[3]
"""


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(root))
    return root


def central_jacobian(f: Callable[..., np.ndarray], u: np.ndarray, *rest: Any) -> np.ndarray:
    """Dense d f(u, *rest) / du by central differences."""
    cols = []
    for j in range(u.size):
        h = 1e-6 * max(1.0, abs(u[j]))
        up, down = u.copy(), u.copy()
        up[j] += h
        down[j] -= h
        cols.append((f(up, *rest) - f(down, *rest)) / (2 * h))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("lang", ["c", "numpy"])
def test_mass_action_jacobian_matches_finite_differences(lang: str) -> None:
    f = symopt.load(MASS_ACTION, jacobian=True, lang=lang)
    rng = np.random.default_rng(3)
    u, k = rng.uniform(0.5, 2.0, 5), rng.uniform(0.5, 2.0, 4)
    jac = f.jac(u, k)
    assert isinstance(jac, sparse.csc_matrix)
    assert jac.shape == (5, 5)
    dense = jac.toarray()
    np.testing.assert_allclose(dense, central_jacobian(f, u, k), rtol=1e-7, atol=1e-8)
    # the structure: exactly the entries that depend on u (du[4] does not read u[0..2])
    assert not dense[:, 4].any() and jac.nnz == f.jac.nnz
    pattern = f.jac_sparsity.toarray() != 0
    assert pattern[0, 0] and pattern[3, 2] and not pattern[4, 0] and not pattern[0, 3]
    assert not (dense != 0)[~pattern].any()
    assert np.array_equal(jac.indptr, f.jac.indptr)
    starts, ends = jac.indptr[:-1], jac.indptr[1:]
    assert all(np.all(np.diff(jac.indices[a:b]) > 0) for a, b in zip(starts, ends, strict=True))
    du, both = f.f_and_jac(u, k)
    np.testing.assert_array_equal(du, f(u, k))
    np.testing.assert_array_equal(both.toarray(), dense)


def test_lotka_volterra_jacobian_and_in_place_refill() -> None:
    f = symopt.load(LOTKA, jacobian=True)
    p, u = np.array([1.5, 1.0, 3.0, 1.0]), np.array([1.2, 0.7])
    expected = [[p[0] - p[1] * u[1], -p[1] * u[0]], [p[2] * p[1] * u[1], p[2] * p[1] * u[0] - p[3]]]
    jac = f.jac(0.0, u, p)
    np.testing.assert_allclose(jac.toarray(), expected, rtol=1e-15)
    assert f.jac.array == "u" and f.signature.jacobian is not None
    data = jac.data
    same = f.jac(0.0, 2 * u, p, out=jac)
    assert same is jac and jac.data is data  # refilled in place, no new arrays
    np.testing.assert_allclose(jac.toarray(), central_jacobian(lambda v: f(0.0, v, p), 2 * u))
    du = np.empty(2)
    got_du, got = f.f_and_jac(0.0, u, p, out=(du, jac))
    assert got_du is du and got is jac
    np.testing.assert_allclose(jac.toarray(), expected, rtol=1e-15)
    # a cached load gives the same Jacobian
    again = symopt.load(LOTKA, jacobian=True)
    np.testing.assert_array_equal(again.jac(0.0, u, p).toarray(), jac.toarray())


def test_jacobian_errors_are_clean() -> None:
    f = symopt.load(LOTKA)
    with pytest.raises(AttributeError, match=r"jacobian=True"):
        f.jac  # noqa: B018
    with pytest.raises(ConfigError, match=r"'q' is not an input array"):
        symopt.load(LOTKA, jacobian="q", lang="python")
    g = symopt.load(LOTKA, jacobian=True, lang="python")
    u, p = np.array([1.0, 2.0]), np.ones(4)
    with pytest.raises(ValueError, match=r"out must be a CSC matrix with this Jacobian"):
        g.jac(0.0, u, p, out=sparse.csc_matrix(np.eye(2)))
    with pytest.raises(TypeError, match=r"f_jac\(\): argument .u. must be a float64 array"):
        g.jac(0.0, u.astype(np.float32), p)


def test_build_cli_jacobian(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(cli, ["build", str(LOTKA), "-o", str(out), "--jacobian=u"])
    assert result.exit_code == 0, result.output
    signature = json.loads((out / "lotka_volterra.json").read_text())
    assert signature["jacobian"] == {"array": "u", "rows": 2, "cols": 2, "nnz": 4, "values": "jac"}
    source = (out / "lotka_volterra.c").read_text()
    assert "void f_jac(" in source and "f_jac_indptr" in source
    bad = runner.invoke(cli, ["build", str(LOTKA), "-o", str(out), "--jacobian=q"])
    assert bad.exit_code == 2
    assert "'q' is not an input array" in bad.output
