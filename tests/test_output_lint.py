"""What symopt emits passes the linters its users run: `ruff check` (default rules) on Python and
NumPy output, `cc -std=c99 -Wall -Wextra -pedantic` without a warning on C output, for the golden
models and for every C option (split bodies, restrict)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden_models"
DATA = ROOT / "tests" / "data"
EXPRESSIONS = "floor(x) + fma(a, b, c)\nexp(y)*exp(z)\nx*x + ceil(y)\nq = u[0]*0 + w\n"
"""Helpers (floor, ceil, fma), library calls, none at all, an array and an unused parameter."""


def generate(*args: str, stdin: str = "") -> str:
    result = CliRunner().invoke(cli, ["--isolated", *args], input=stdin)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_python_and_numpy_output_passes_ruff(tmp_path: Path) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff is not None, "ruff is in the test extra"
    files = {f"golden_{p.stem.replace('.', '_')}.py": p.read_text() for p in GOLDEN.glob("*.out")}
    files = {k: v for k, v in files.items() if "python" in k or "numpy" in k}
    assert len(files) == 2
    for lang in ("python", "numpy"):
        files[f"exprs_{lang}.py"] = generate("simplify", "--lang", lang, stdin=EXPRESSIONS)
        files[f"exprs_{lang}_one.py"] = generate("simplify", "--lang", lang, stdin="x*y\n")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert "import" not in files["exprs_python_one.py"]
    proc = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", "--output-format", "concise", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_c_output_compiles_without_warnings(tmp_path: Path) -> None:
    model = str(DATA / "multistate.sym")
    sources = {
        "golden_multistate.c": (GOLDEN / "multistate.c.out").read_text(),
        "golden_multisite2.c": (GOLDEN / "multisite2.c.out").read_text(),
        # 2 per function: some part then leaves a parameter unused (the "(void)" check below).
        "split.c": generate("compile", model, "--max-statements-per-function", "2"),
        "split_restrict.c": generate(
            "compile", model, "--max-statements-per-function", "2", "--restrict", "--name", "g"
        ),
        "exprs.c": generate("simplify", "--lang", "c", stdin=EXPRESSIONS),
    }
    assert "split into" in sources["split.c"] and "(void)" in sources["split.c"]
    assert "    (void)u;\n    return w;" in sources["exprs.c"]  # u[0]*0 + w -> w
    paths = []
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    flags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only"]
    proc = subprocess.run(["cc", *flags, *paths], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
