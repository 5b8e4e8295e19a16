"""benchmarks/peers.py and its corpus: the corpus is well formed, wrong outputs and domain changes
are told apart from rounding, and a tiny run reports what it measured."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from symopt.grammar import parse_expr
from symopt.ir import Term, intern
from symopt.rulesets.assume import parse_assumption

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "peers.py"
_spec = importlib.util.spec_from_file_location("peers", SCRIPT)
assert _spec and _spec.loader
peers = importlib.util.module_from_spec(_spec)
sys.modules["peers"] = peers  # dataclasses look their module up while the class is built
_spec.loader.exec_module(peers)


def test_corpus_is_well_formed() -> None:
    entries = peers.load_corpus(peers.CORPUS)
    assert len(entries) >= 100
    assert len({e.name for e in entries}) == len(entries)
    for e in entries:
        parse_expr(e.expr, path=e.name)
        assert e.source.strip()
        for text in e.assume:
            parse_assumption(text)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    twice = '[[expr]]\nname = "a"\nexpr = "x"\nsource = "s"\n' * 2
    (tmp_path / "c.toml").write_text(twice)
    with pytest.raises(ValueError, match="given twice"):
        peers.load_corpus(tmp_path / "c.toml")


def _terms(*texts: str) -> list[Term]:
    return intern([parse_expr(t) for t in texts])


def test_rounded_constant_is_not_wrong_but_a_different_real_is() -> None:
    inp, rounded, off = _terms("x/100 + y", "x*0.01 + y", "x*0.0100001 + y")
    assert peers._wrong(inp, rounded, {}) == (False, False)
    assert peers._wrong(inp, off, {})[0] is True
    # Right over the reals, but the product underflows at rescaled points where the input
    # does not: reported apart from wrong outputs.
    a, b = _terms(
        "Vs*(R3/(R3 + Rx) - R2/(R1 + R2))",
        "-(Vs*(R2*(R3 + Rx) - R3*(R1 + R2))/((R1 + R2)*(R3 + Rx)))",
    )
    assert peers._wrong(a, b, {}) == (False, True)


def test_domain_verdicts() -> None:
    pytest.importorskip("sympy")
    inp, out = _terms("(x - 1)/(x*x - 1)", "1/(x + 1)")
    assert peers.domain_verdict(inp, out, []).startswith("changes: at x=1")
    inp, out = _terms("1/x - 1/(x + 1)", "1/(x*x + x)")
    assert peers.domain_verdict(inp, out, []) == "keeps"
    # Under x > 0, x/x -> 1 keeps the (assumed) domain.
    inp, out = _terms("y*x/x", "y")
    assert peers.domain_verdict(inp, out, [parse_assumption("x > 0")]) == "keeps"
    assert peers.domain_verdict(inp, out, []).startswith("changes")


def test_tiny_run_reports_json(tmp_path: Path) -> None:
    pytest.importorskip("sympy")
    out = tmp_path / "r.json"
    args = ["--only", "lineweaver_burk", "--json", str(out), "--timeout", "60"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    rows = {r["name"]: r for r in doc["rows"]}
    assert set(rows) == {"lineweaver_burk"}
    assert doc["summary"]["symopt"]["wrong"] == 0
    assert doc["summary"]["symopt"]["costlier"] == 0
    # SymPy's (Km + S)/(S*Vmax) is cheaper than the input and keeps its domain.
    lb = rows["lineweaver_burk"]
    assert lb["sympy_status"] == "ok"
    assert lb["cost_sympy"] < lb["cost_input"]
    assert "Expressions where SymPy is cheaper" in proc.stdout
