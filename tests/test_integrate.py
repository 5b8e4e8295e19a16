"""symopt.integrate: SparseBDF (scipy's BDF, its sparse LU ordered once) and the ordering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

sparse = pytest.importorskip("scipy.sparse")
integrate = pytest.importorskip("scipy.integrate")

import symopt  # noqa: E402
from symopt.integrate import SparseBDF, fill_reducing_order  # noqa: E402

# A stiff mass-action chain: fast reversible binding, slow conversion (Robertson-like rates).
CHAIN = """\
input u[6], k[5]
output du[6]
let bind = k[0]*u[0]*u[1] - k[1]*u[2]
let conv = k[2]*u[2]*u[3]
du[0] = -bind + k[4]*u[5]
du[1] = -bind
du[2] = bind - conv
du[3] = -conv + k[3]*u[4]*u[4]
du[4] = conv - 2*k[3]*u[4]*u[4]
du[5] = k[3]*u[4]*u[4] - k[4]*u[5]
"""
K = np.array([1e4, 1e-2, 3e3, 10.0, 0.04])
U0 = np.array([1.0, 0.8, 0.0, 0.5, 0.0, 0.0])


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(root))
    return root


def diffusion(n: int) -> tuple[Any, Any, np.ndarray]:
    """``du = D u - u**2`` on a ring (a stiff, sparse system), its Jacobian and a start."""
    lap = sparse.diags([np.ones(n - 1), -2 * np.ones(n), np.ones(n - 1)], [-1, 0, 1]).tolil()
    lap[0, n - 1] = lap[n - 1, 0] = 1.0
    d = sparse.csc_matrix(lap) * 400.0

    def rhs(t: float, u: np.ndarray) -> np.ndarray:
        return np.asarray(d @ u - u * u)

    def jac(t: float, u: np.ndarray) -> Any:
        return sparse.csc_matrix(d - sparse.diags(2 * u))

    u0 = 1.0 + np.sin(np.linspace(0, 2 * np.pi, n, endpoint=False))
    return rhs, jac, u0


def test_fill_reducing_order_is_a_permutation() -> None:
    rng = np.random.default_rng(0)
    for n, density in ((1, 1.0), (7, 0.3), (60, 0.05)):
        s = sparse.random(n, n, density=density, random_state=rng, format="csc")
        q = fill_reducing_order(s)
        assert q.shape == (n,)
        assert np.array_equal(np.sort(q), np.arange(n))


def test_fill_reducing_order_reduces_fill_of_an_arrow() -> None:
    # an arrow matrix with its dense row and column first fills completely in natural order;
    # a minimum-degree order puts the hub last and has no fill at all
    n = 40
    arrow = sparse.lil_matrix((n, n))
    arrow[0, :] = 1.0
    arrow[:, 0] = 1.0
    arrow.setdiag(float(n))
    a = sparse.csc_matrix(arrow)
    q = fill_reducing_order(a)
    assert q[-1] == 0
    lu = sparse.linalg.splu(a[q][:, q], permc_spec="NATURAL", diag_pivot_thresh=0.0)
    assert lu.L.nnz + lu.U.nnz == a.nnz + n  # L and U both store the diagonal


def test_fill_reducing_order_rejects_non_square() -> None:
    with pytest.raises(ValueError, match="square"):
        fill_reducing_order(sparse.csc_matrix(np.ones((2, 3))))


@pytest.mark.parametrize("how", ["jac", "jac_sparsity"])
def test_sparse_bdf_takes_the_same_steps_as_bdf(how: str) -> None:
    rhs, jac, u0 = diffusion(50)
    options: dict[str, Any] = {"rtol": 1e-6, "atol": 1e-8}
    if how == "jac":
        options["jac"] = jac
    else:
        options["jac_sparsity"] = jac(0.0, u0) != 0
    ref = integrate.solve_ivp(rhs, (0, 2.0), u0, method="BDF", **options)
    ours = integrate.solve_ivp(rhs, (0, 2.0), u0, method=SparseBDF, **options)
    assert ref.success and ours.success
    # the same integrator: same steps and factorisations, final states equal up to rounding
    assert ours.t.size == ref.t.size and ours.nlu == ref.nlu > 0
    np.testing.assert_allclose(ours.y[:, -1], ref.y[:, -1], rtol=1e-9, atol=1e-12)


def test_sparse_bdf_uses_the_ordering_and_solves_exactly() -> None:
    rhs, jac, u0 = diffusion(30)
    solver = SparseBDF(rhs, 0.0, u0, 1.0, jac=jac)
    q = solver.order_q
    assert q is not None and np.array_equal(np.sort(q), np.arange(30))
    a = sparse.csc_matrix(sparse.eye(30) - 0.05 * jac(0.0, u0))
    b = np.random.default_rng(1).random(30)
    x = solver.solve_lu(solver.lu(a), b)
    np.testing.assert_allclose(a @ x, b, atol=1e-12)
    assert solver.nlu == 1


def test_sparse_bdf_dense_jacobian_falls_back_to_scipy() -> None:
    rhs, jac, u0 = diffusion(10)
    dense = integrate.solve_ivp(
        rhs, (0, 0.5), u0, method=SparseBDF, jac=lambda t, u: jac(t, u).toarray()
    )
    ref = integrate.solve_ivp(rhs, (0, 0.5), u0, method="BDF", jac=lambda t, u: jac(t, u).toarray())
    np.testing.assert_array_equal(dense.y[:, -1], ref.y[:, -1])
    assert SparseBDF(rhs, 0.0, u0, 1.0).order_q is None


def test_sparse_bdf_with_a_loaded_model_agrees_with_bdf() -> None:
    f = symopt.load(CHAIN, jacobian=True, lang="numpy")
    kwargs: dict[str, Any] = {"rtol": 1e-7, "atol": 1e-10}

    def solve(method: Any) -> Any:
        return integrate.solve_ivp(
            lambda t, u: f(u, K),
            (0, 100.0),
            U0,
            method=method,
            jac=lambda t, u: f.jac(u, K),
            **kwargs,
        )

    ref, ours = solve("BDF"), solve(SparseBDF)
    assert ref.success and ours.success and ours.nlu == ref.nlu
    np.testing.assert_allclose(ours.y[:, -1], ref.y[:, -1], rtol=1e-8, atol=1e-12)


def test_lu_reuse_factorises_less_and_stays_within_the_tolerance() -> None:
    rhs, jac, u0 = diffusion(40)
    tol = {"rtol": 1e-6, "atol": 1e-9}
    ref = integrate.solve_ivp(rhs, (0, 5.0), u0, method="BDF", jac=jac, rtol=1e-10, atol=1e-13)
    plain = integrate.solve_ivp(rhs, (0, 5.0), u0, method=SparseBDF, jac=jac, **tol)
    solvers: list[SparseBDF] = []

    class Spy(SparseBDF):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, lu_reuse=0.5, **kwargs)
            solvers.append(self)

    lagged = integrate.solve_ivp(rhs, (0, 5.0), u0, method=Spy, jac=jac, **tol)
    assert lagged.success and solvers[0].lu_reused > 0
    assert lagged.nlu < plain.nlu
    # both are as close to a much finer solve as the tolerance allows
    scale = tol["atol"] + tol["rtol"] * np.abs(ref.y[:, -1])
    for sol in (plain, lagged):
        assert np.max(np.abs(sol.y[:, -1] - ref.y[:, -1]) / scale) < 10


def test_lu_reuse_scales_a_lagged_solution() -> None:
    rhs, jac, u0 = diffusion(20)
    solver = SparseBDF(rhs, 0.0, u0, 1.0, jac=jac, lu_reuse=0.5)
    j = solver.J
    a0 = sparse.csc_matrix(sparse.eye(20) - 0.010 * j)
    a1 = sparse.csc_matrix(sparse.eye(20) - 0.012 * j)
    first, second = solver.lu(a0), solver.lu(a1)
    assert solver.nlu == 1 and solver.lu_reused == 1
    b = np.ones(20)
    x0 = solver.solve_lu(first, b)
    np.testing.assert_allclose(solver.solve_lu(second, b), x0 * 2 / (1 + 1.2), rtol=1e-12)
    # a second request in the same step attempt (a Newton failure) factorises afresh
    third = solver.lu(a1)
    assert solver.nlu == 2
    np.testing.assert_allclose(a1 @ solver.solve_lu(third, b), b, atol=1e-10)
