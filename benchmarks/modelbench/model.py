"""Loading a benchmark model (``NAME.sym`` + ``NAME.json``), sample points, reference values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symopt.grammar.parser import parse_statement
from symopt.ir import Sym, Term, symbols
from symopt.verify import error_scale, evaluate


@dataclass(frozen=True)
class Model:
    """One benchmark model: ``du[index] = expr`` statements plus the sidecar's numbers."""

    name: str
    sym_path: Path
    outputs: list[tuple[int, Term]]
    """``(i, expr)`` for every statement ``du[i] = expr``, in file order."""
    p: np.ndarray
    u_lo: np.ndarray
    u_hi: np.ndarray

    @property
    def n_p(self) -> int:
        return len(self.p)

    @property
    def n_u(self) -> int:
        return len(self.u_lo)

    @property
    def n_du(self) -> int:
        return 1 + max(i for i, _ in self.outputs)


def _statements(path: Path) -> list[tuple[int, Term]]:
    outputs: list[tuple[int, Term]] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        stmt = parse_statement(text, path=str(path), line=number)
        if stmt.is_let or stmt.target.name != "du" or stmt.target.index is None:
            raise ValueError(f"{path}:{number}: expected 'du[i] = expr', got {stmt.target.key}")
        outputs.append((stmt.target.index, stmt.expr))
    return outputs


def load_model(folder: Path) -> Model:
    """Parse ``folder/NAME.sym`` and read ``folder/NAME.json`` (NAME = the folder's name)."""
    name = folder.name
    sym_path = folder / f"{name}.sym"
    side = json.loads((folder / f"{name}.json").read_text())
    sampling = side["sampling"]["u"]
    model = Model(
        name=name,
        sym_path=sym_path,
        outputs=_statements(sym_path),
        p=np.asarray(side["p"], dtype=np.float64),
        u_lo=np.asarray(sampling["lo"], dtype=np.float64),
        u_hi=np.asarray(sampling["hi"], dtype=np.float64),
    )
    _check_inputs(model)
    return model


def _check_inputs(model: Model) -> None:
    """Every symbol is ``p[k]`` (k < n_p) or ``u[j]`` (j < n_u): ValueError otherwise."""
    sizes = {"p": model.n_p, "u": model.n_u}
    for s in symbols([expr for _, expr in model.outputs]):
        if s.name not in sizes or s.index is None or not 0 <= s.index < sizes[s.name]:
            raise ValueError(f"{model.sym_path}: unexpected input {s.key} (sizes {sizes})")


def sample_points(model: Model, n: int, seed: int) -> np.ndarray:
    """``n`` points u, shape (n, n_u), uniform in the sidecar's ranges (seeded)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(model.u_lo, model.u_hi, size=(n, model.n_u))


def _env(model: Model, points: np.ndarray) -> dict[Sym, np.ndarray]:
    n = len(points)
    env = {Sym("p", k): np.full(n, v) for k, v in enumerate(model.p)}
    env.update({Sym("u", j): points[:, j].copy() for j in range(model.n_u)})
    return env


def _scatter(model: Model, columns: list[np.ndarray], n: int) -> np.ndarray:
    out = np.zeros((n, model.n_du))
    for (i, _), col in zip(model.outputs, columns, strict=True):
        out[:, i] = col
    return out


def reference(model: Model, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numpy values and error scales (Σ|terms|) of du at ``points``; each of shape (n, n_du).

    The scale is :func:`symopt.verify.error_scale`: for these sums of products of non-negative
    numbers it is the sum of the absolute values of the statement's terms.
    """
    env = _env(model, points)
    terms = [expr for _, expr in model.outputs]
    n = len(points)
    return _scatter(model, evaluate(terms, env), n), _scatter(model, error_scale(terms, env), n)


def max_rel_error(values: np.ndarray, base: np.ndarray, scale: np.ndarray) -> float:
    """max |values - base| / scale over all points and outputs (0/0 counts as 0; nan wins)."""
    diff = np.abs(values - base)
    if np.isnan(diff).any():
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0.0, 0.0, diff / scale)
    return float(rel.max()) if rel.size else 0.0
