"""The README's model-to-ODE example runs as printed and solves the ODE correctly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    """The README's Python block that loads a model and calls solve_ivp."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    found = [b for b in blocks if "symopt.load(" in b and "solve_ivp" in b]
    assert len(found) == 1, "README: expected one symopt.load + solve_ivp example"
    return str(found[0])


def test_readme_example_solves_lotka_volterra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("scipy")
    from scipy.integrate import solve_ivp

    code = readme_example()
    assert len(code.strip().splitlines()) <= 11
    monkeypatch.setenv("SYMOPT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(REPO)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    exec(compile(code, "README.md", "exec"), namespace)
    sol = namespace["sol"]
    assert sol.success and sol.njev > 0  # type: ignore[attr-defined]
    assert str(sol.nfev) in capsys.readouterr().out  # type: ignore[attr-defined]

    def rhs(t: float, u: np.ndarray) -> list[float]:
        a, b, d, g = 1.5, 1.0, 1.0, 3.0
        return [a * u[0] - b * u[0] * u[1], d * u[0] * u[1] - g * u[1]]

    ref = solve_ivp(rhs, (0.0, 15.0), [10.0, 5.0], method="DOP853", rtol=1e-11, atol=1e-11)
    # BDF at 1e-8 over several periods: a phase error of a few 1e-5
    np.testing.assert_allclose(sol.y[:, -1], ref.y[:, -1], rtol=1e-3)  # type: ignore[attr-defined]
