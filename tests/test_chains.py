"""Very long operator chains in C are cut into consecutive statements (gcc's cc1 overflows its
stack on one statement of ~100k additions) without changing a single result bit."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import symopt.codegen.chains as chains
from symopt.codegen import FunctionDef, Param
from symopt.codegen.c import render_c_module
from symopt.codegen.chains import chain_cuts
from symopt.ir import App, Sym, Term

CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
U = (Param("p", True), Param("u", True))
DU = (Param("du", True),)


def _chain(n: int) -> Term:
    """``u[0] + u[1]*p[1] + u[2]*p[2] - u[3]*p[0] …``: ``n`` links down the left spine."""
    t: Term = Sym("u", 0)
    for k in range(1, n + 1):
        t = App("sub" if k % 3 == 0 else "add", (t, App("mul", (Sym("u", k), Sym("p", k % 3)))))
    return t


def _spine_depth(term: Term, stop: Term) -> int:
    depth = 0
    while term is not stop:
        assert isinstance(term, App)
        term, depth = term.args[0], depth + 1
    return depth


def test_cuts_every_links_from_the_bottom_never_the_root() -> None:
    root = _chain(10)
    assert chain_cuts(root, {}, 10) == [] and chain_cuts(root, {}, 11) == []
    cuts = chain_cuts(root, {}, 4)
    assert [_spine_depth(root, c) for c in cuts] == [6, 2]  # 4 and 8 links from the bottom
    assert chain_cuts(root, {}, 5) == [chain_cuts(root, {}, 1)[4]]  # 10 links: only the 5th
    assert isinstance(root, App) and isinstance(root.args[0], App)
    below = root.args[0].args[0]  # a temporary stops the spine: 8 links above it
    assert isinstance(below, App)
    assert len(chain_cuts(root, {id(below): "t0"}, 3)) == 0  # root + 1 link: nothing to cut
    assert len(chain_cuts(below, {id(below): "t0"}, 3)) == 2  # the temporary's own definition
    with pytest.raises(ValueError):
        chain_cuts(root, {}, 0)


def test_long_statements_print_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    fn = FunctionDef("f", U, ((Sym("du", 0), _chain(11)),), DU)
    whole = render_c_module([fn])
    monkeypatch.setattr(chains, "CHAIN_LINKS", 4)
    text = render_c_module([fn])
    assert "const double out0_0 = u[0] + u[1] * p[1]" in text
    assert "const double out0_1 = out0_0 + " in text and "du[0] = out0_1 - " in text
    assert text.replace("out0_0 + ", "").count(" + ") < whole.count(" + ")


@pytest.mark.skipif(CC is None, reason="no C compiler found")
def test_pieces_compute_the_same_bits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 300
    shared = App("mul", (Sym("u", 1), Sym("u", 2)))  # read twice: a temporary
    body = (
        (Sym("du", 0), _chain(n)),
        (Sym("du", 1), App("add", (App("div", (_chain(n), Sym("u", 3))), shared))),
        (Sym("du", 2), App("sub", (_chain(n // 2), shared))),
    )
    fn = FunctionDef("f", U, body, DU)
    texts = {"whole": render_c_module([fn])}
    monkeypatch.setattr(chains, "CHAIN_LINKS", 7)
    texts["pieces"] = render_c_module([fn])
    assert texts["pieces"].count("const double t1_") > 20  # the shared chain, a temporary
    rng = np.random.default_rng(3)
    p, u = rng.uniform(-2, 2, 3), rng.uniform(-2, 2, n + 1)
    got = {}
    for name, text in texts.items():
        src, lib = tmp_path / f"{name}.c", tmp_path / f"{name}.so"
        src.write_text(text)
        assert CC is not None
        cmd = [CC, "-O2", "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC"]
        subprocess.run([*cmd, "-o", str(lib), str(src), "-lm"], check=True, timeout=120)
        f = ctypes.CDLL(str(lib)).f
        du = np.zeros(3)
        ptr = ctypes.POINTER(ctypes.c_double)
        f(*(a.ctypes.data_as(ptr) for a in (du, p, u)))
        got[name] = du
    assert np.array_equal(got["whole"], got["pieces"]) and np.all(np.isfinite(got["whole"]))


def test_a_split_body_cuts_between_the_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    fn = FunctionDef("f", U, ((Sym("du", 0), _chain(40)),), DU)
    monkeypatch.setattr(chains, "CHAIN_LINKS", 5)
    text = render_c_module([fn], max_statements=3)  # 7 pieces + the statement: 3 parts
    parts = text.split("static SYMOPT_NOINLINE void ")[1:]
    assert len(parts) == 3
    defined = [re.findall(r"const double (out0_\d+) = (?!scratch)", p) for p in parts]
    assert defined == [["out0_0", "out0_1", "out0_2"], ["out0_3", "out0_4", "out0_5"], ["out0_6"]]
    assert "du[0] = out0_6 " in parts[2] and "out0_6 = scratch" not in text
