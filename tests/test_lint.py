"""symopt lint: discovery, Python translation, codes, formats, exit status, --fix and --diff."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from symopt.cli.main import cli
from symopt.ir import App, Sym
from symopt.lint.findings import RULES, enabled_codes
from symopt.lint.python_src import parse_python
from symopt.lint.sources import SourcePath, discover

from .conftest import ROOT, run_cli

DATA = ROOT / "tests" / "data" / "lint"
KERNELS = DATA / "kernels.py"
MODEL = DATA / "model.sym"


def lint(*args: str) -> Result:
    return CliRunner().invoke(cli, ["lint", *args])


def codes_at(output: str) -> set[tuple[int, str]]:
    """``(line, code)`` of every text-format finding."""
    found = set()
    for row in output.splitlines():
        if row.startswith(" "):
            continue
        _, line, _, rest = row.split(":", 3)
        found.add((int(line), rest.split()[0]))
    return found


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_skips_default_excludes_and_honours_globs(tmp_path: Path) -> None:
    for rel in (
        "a.sym",
        "b.txt",
        "c.py",
        "notes.md",
        "requirements.txt",
        ".venv/lib/x.py",
        "pkg/__pycache__/y.py",
        "build/z.sym",
        "pkg/mod.py",
        "pkg/gen/skip.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    found = [s.path for s in discover([str(tmp_path)]) if isinstance(s, SourcePath)]
    walked = sorted(str(Path(p).relative_to(tmp_path)) for p in found)
    assert walked == ["a.sym", "b.txt", "c.py", "pkg/gen/skip.py", "pkg/mod.py"]
    only_py = discover([str(tmp_path)], include=["*.py"], exclude=["gen/"])
    py_names = sorted(Path(s.path).name for s in only_py if isinstance(s, SourcePath))
    assert py_names == ["c.py", "mod.py"]
    (tmp_path / ".gitignore").write_text("# generated\n*.txt\n!b.txt\n")
    (tmp_path / "pkg" / ".gitignore").write_text("mod.py\n")
    kept = [Path(s.path).name for s in discover([str(tmp_path)]) if isinstance(s, SourcePath)]
    assert sorted(kept) == ["a.sym", "c.py", "skip.py"]
    every = discover([str(tmp_path)], respect_gitignore=False)
    assert len([s for s in every if isinstance(s, SourcePath)]) == 5
    errors = list(discover([str(tmp_path / "nope"), str(tmp_path / "notes.md")]))
    assert all(isinstance(e, str) for e in errors) and "no such file" in str(errors[0])


# -- Python translation ------------------------------------------------------------------------


def test_python_candidates_map_calls_attributes_subscripts_and_spans() -> None:
    src = (
        "import math\n"
        "import numpy as np\n"
        "from math import exp as e\n"
        "def f(self, u, x):\n"
        "    y = self.k * u[3] + e(x) * np.sqrt(x)\n"
        "    return g(x * x + 1, y // 2)\n"
    )
    parsed = parse_python(src, "m.py")
    (unit,) = parsed.units
    first, *rest = unit.candidates
    assert unit.name == "f"
    assert (first.loc.line, first.loc.column, first.loc.end_column) == (5, 9, 42)
    assert first.flavor == "numpy"
    ops = {t.op for t in _walk(first.term) if isinstance(t, App)}
    assert ops == {"add", "mul", "exp", "sqrt"}
    names = {_print(parsed.printer(t, first)) for t in _walk(first.term) if isinstance(t, Sym)}
    assert names == {"self.k", "u[3]", "x"}
    # The opaque call g(...) keeps its arguments as candidates of their own.
    assert [c.loc.column for c in rest] == [14]
    assert rest[0].wrap is False


def test_python_reassigned_name_is_a_new_symbol() -> None:
    src = "def f(a, b):\n    x = a * b + 1\n    a = 2\n    y = a * b + 1\n    return x + y\n"
    xs, ys = (c.term for c in parse_python(src, "m.py").units[0].candidates[:2])
    assert xs != ys


def test_python_syntax_error_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n    pass\n")
    result = lint(str(bad), str(MODEL))
    assert result.exit_code == 2
    assert f"{bad}:1:7: error: invalid Python" in result.output
    assert "model.sym" in result.output  # the other file is still linted


def _print(printed: tuple[str, bool] | None) -> str:
    assert printed is not None
    return printed[0]


def _walk(term: object) -> list[object]:
    out, stack = [], [term]
    while stack:
        t = stack.pop()
        out.append(t)
        if isinstance(t, App):
            stack.extend(t.args)
    return out


# -- findings and text format ------------------------------------------------------------------


def test_python_module_findings_and_noqa() -> None:
    result = lint(str(KERNELS), "--show-fixes")
    assert result.exit_code == 1, result.output
    found = codes_at(result.stdout)
    assert {(9, "SYM001"), (9, "SYM004"), (9, "SYM005"), (9, "SYM006")} <= found
    assert {(13, "SYM001"), (13, "SYM004"), (18, "SYM003"), (27, "SYM006")} <= found
    assert not {code for line, code in found if line == 22}  # suppressed in the file
    assert f"{KERNELS}:27:9: SYM006 one exp of the sum (29 -> 15 cycles): np.exp(x + y)" in (
        result.output
    )
    assert "    fix: np.exp(x + y)" in result.output
    assert "SYM001 87% cheaper (38 -> 5 cycles): m * (0.5 * (v * v) + g * h)" in result.output


def test_model_findings_are_located_at_statements(tmp_path: Path) -> None:
    result = lint(str(MODEL))
    assert result.exit_code == 1
    assert codes_at(result.stdout) == {(2, "SYM001"), (3, "SYM001"), (3, "SYM006"), (4, "SYM001")}
    assert f"{MODEL}:3:9: SYM001 47% cheaper (30 -> 16 cycles): exp(a + b)*s" in result.stdout
    assert f"{MODEL}:3:9: SYM006 one exp of the sum (29 -> 15 cycles): exp(a + b)" in result.stdout
    assert f"{MODEL}:4:9: SYM001 67% cheaper (6 -> 2 cycles): (x + y)*(x + y)" in result.stdout


def test_select_ignore_min_saving_and_exit_zero() -> None:
    only = lint(str(MODEL), "--select", "SYM006")
    assert codes_at(only.stdout) == {(3, "SYM006")}
    ignored = lint(str(MODEL), "--ignore", "SYM00")
    assert ignored.exit_code == 0 and ignored.stdout == ""
    strict = lint(str(MODEL), "--min-saving", "99", "--select", "SYM001")
    assert strict.exit_code == 0
    assert lint(str(MODEL), "--exit-zero").exit_code == 0
    bad = lint(str(MODEL), "--select", "SYM999")
    assert bad.exit_code == 2 and "unknown code 'SYM999'" in bad.output
    assert enabled_codes(["SYM00"], ["SYM003"]) == frozenset(RULES) - {"SYM003"}


def test_budgets() -> None:
    result = lint(str(MODEL), "--select", "SYM002", "--max-cost", "20", "--max-model-cost", "10")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{MODEL}:1:1: SYM002 the model's optimised function costs ")
    # 21 (was 24 before issue 13): z/4 in du[2] is now z*0.25 (x/c -> x*(1/c) is algebra)
    assert lines[0].endswith("costs 21 cycles, over the budget of 10")
    assert lines[1] == (
        f"{MODEL}:3:9: SYM002 costs 30 cycles, over the budget of 20; an equivalent form costs 16"
    )
    py = lint(str(KERNELS), "--select", "SYM002", "--max-model-cost", "60")
    assert py.stdout == (
        f"{KERNELS}:8:1: SYM002 function gaussian costs 72 cycles, over the budget of 60\n"
    )


def test_unverified_suggestion_is_not_reported(tmp_path: Path) -> None:
    rules = tmp_path / "wrong.toml"
    rules.write_text(
        '[meta]\nname = "wrong"\n\n[[rule]]\nname = "bad"\nlhs = "exp(?a)"\nrhs = "?a"\n'
        'tier = "exact"\n'
    )
    expr = tmp_path / "e.expr"
    expr.write_text("exp(x + y) + exp(x*y)\n")
    result = lint(str(expr), "--ruleset", str(rules), "--select", "SYM001")
    assert result.exit_code == 0, result.output
    unchecked = lint(str(expr), "--ruleset", str(rules), "--select", "SYM001", "--no-verify")
    assert "SYM001" in unchecked.output


# -- machine formats ---------------------------------------------------------------------------


def test_json_format() -> None:
    result = lint(str(MODEL), "--output-format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["count"] == len(doc["findings"]) > 0
    first = doc["findings"][0]
    assert set(first) >= {
        "code", "message", "path", "start_line", "start_column", "end_line", "end_column",
        "cost_before", "cost_after", "suggestion",
    }  # fmt: skip
    assert (first["code"], first["start_line"], first["start_column"]) == ("SYM001", 2, 9)
    assert first["end_column"] == 20 and first["cost_after"] < first["cost_before"]
    assert first["suggestion"] == "k1*(x + y)"


def test_sarif_relative_paths_are_under_srcroot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    log = json.loads(lint("model.sym", "--output-format", "sarif").stdout)
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "model.sym", "uriBaseId": "%SRCROOT%"}


def test_github_format() -> None:
    result = lint(str(MODEL), "--output-format", "github")
    rows = result.stdout.splitlines()
    assert result.exit_code == 1 and rows
    assert all(r.startswith("::warning file=") for r in rows)
    assert rows[0] == (
        f"::warning file={MODEL},line=2,col=9,endLine=2,endColumn=20,title=SYM001::"
        "33%25 cheaper (3 -> 2 cycles): k1*(x + y)"
    )


SARIF_REQUIRED = {
    "log": {"version", "runs"},
    "run": {"tool"},
    "tool": {"driver"},
    "driver": {"name"},
    "rule": {"id"},
    "result": {"message"},
    "message": {"text"},
    "artifactLocation": {"uri"},
}
"""Properties the SARIF 2.1.0 schema requires (plus what GitHub code scanning reads)."""


def test_sarif_format_has_the_required_properties() -> None:
    result = lint(str(KERNELS), str(MODEL), "--output-format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert SARIF_REQUIRED["log"] <= set(log) and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert SARIF_REQUIRED["driver"] <= set(driver)
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(RULES)
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in driver["rules"])
    assert run["results"]
    for res in run["results"]:
        assert SARIF_REQUIRED["result"] <= set(res) and res["message"]["text"]
        assert res["level"] in ("none", "note", "warning", "error")
        assert ids[res["ruleIndex"]] == res["ruleId"]
        (loc,) = res["locations"]
        phys = loc["physicalLocation"]
        assert SARIF_REQUIRED["artifactLocation"] <= set(phys["artifactLocation"])
        assert phys["artifactLocation"]["uri"].startswith("file:///")  # absolute paths given
        region = phys["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        if (
            "endColumn" in region
            and region.get("endLine", region["startLine"]) == region["startLine"]
        ):
            assert region["endColumn"] > region["startColumn"]


# -- --fix and --diff --------------------------------------------------------------------------


def test_diff_and_fix_on_a_model(tmp_path: Path) -> None:
    model = tmp_path / "model.sym"
    shutil.copy(MODEL, model)
    before = model.read_text()
    diff = lint(str(model), "--diff")
    assert diff.exit_code == 1
    assert f"--- {model}\n+++ {model}\n" in diff.stdout  # absolute: no a/ b/ prefixes
    assert "+du[1] = (x + y)*(x + y)" in diff.output
    assert model.read_text() == before  # --diff writes nothing
    fixed = lint(str(model), "--fix", "--select", "SYM001")
    assert fixed.exit_code == 0, fixed.output
    after = model.read_text().splitlines()
    assert after[3] == "du[1] = (x + y)*(x + y)"
    assert after[2].endswith("   # flux") and "exp(" in after[2]
    assert after[4] == "du[2] = z/4 + s  # symopt: noqa"
    assert lint(str(model), "--select", "SYM001").exit_code == 0
    compiled = CliRunner().invoke(cli, ["compile", str(model), "--lang", "python"])
    assert compiled.exit_code == 0, compiled.output


def test_python_fixes_need_unsafe_fixes(tmp_path: Path) -> None:
    module = tmp_path / "kernels.py"
    shutil.copy(KERNELS, module)
    before = module.read_text()
    assert lint(str(module), "--fix").exit_code == 1
    assert module.read_text() == before
    lint(str(module), "--fix", "--unsafe-fixes")
    after = module.read_text()
    assert after != before
    old: dict[str, object] = {}
    new: dict[str, object] = {}
    exec(compile(before, "before", "exec"), old)
    exec(compile(after, "after", "exec"), new)
    for name, args in (("gaussian", (0.3, 0.7, 1.1)), ("energy", (1.5, 2.0, 9.81, 3.0))):
        got, want = new[name](*args), old[name](*args)  # type: ignore[operator]
        assert math.isclose(got, want, rel_tol=1e-12)


# -- a real process ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["sarif"])
def test_lint_directory_subprocess(symopt_cmd: list[str], fmt: str) -> None:
    proc = run_cli(symopt_cmd, "lint", str(ROOT / "samples"), "--output-format", fmt)
    assert proc.returncode == 1, proc.stderr
    results = json.loads(proc.stdout)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {
        (ROOT / "samples" / n).as_uri() for n in ("basics.txt", "kinetics.txt", "physics.txt")
    }
    clean = run_cli(symopt_cmd, "lint", str(ROOT / "samples"), "--select", "SYM002")
    assert clean.returncode == 0 and clean.stdout == ""


BENCH = ROOT.parent / "shared" / "bench"


@pytest.mark.skipif(not (BENCH / "multisite2").is_dir(), reason=f"{BENCH} missing")
def test_shared_bench_models_every_format() -> None:
    """A real 66-equation model (its sidecar narrows verification) in all four formats."""
    model = str(BENCH / "multisite2" / "multisite2.sym")
    text = lint(model, "--show-fixes")
    assert text.exit_code == 1
    assert text.stdout.startswith(f"{model}:15:9: SYM001 ")
    doc = json.loads(lint(model, "--output-format", "json").stdout)
    assert {f["code"] for f in doc["findings"]} == {"SYM001"}
    assert all(f["cost_after"] < f["cost_before"] for f in doc["findings"])
    github = lint(model, "--output-format", "github").stdout.splitlines()
    assert len(github) == doc["count"] and github[0].startswith(f"::warning file={model},line=15,")
    sarif = json.loads(lint(model, "--output-format", "sarif").stdout)
    assert len(sarif["runs"][0]["results"]) == doc["count"]


def test_unknown_calls_are_distinct_values_known_ones_repeat(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import math\n"
        "def f(x, y):\n"
        "    a = rand(x) * y + rand(x) * y\n"
        "    return math.exp(x * y + 1) + math.exp(x * y + 1)\n"
    )
    result = lint(str(module), "--select", "SYM003")
    assert codes_at(result.stdout) == {(4, "SYM003")}
    assert "(also at 4:34)" in result.stdout


def test_expression_files_named_lines_errors_and_output_file(tmp_path: Path) -> None:
    good = tmp_path / "good.expr"
    good.write_text("# costs\nenergy = 0.5*m*v^2 + m*g*h\n\na/b/c  # symopt: noqa: SYM001\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("x +\n")
    out = tmp_path / "findings.json"
    result = lint(str(good), str(bad), "--output-format", "json", "-o", str(out))
    assert result.exit_code == 2
    assert f"{bad}:1:4: error: unexpected end of line" in result.stderr
    doc = json.loads(out.read_text())
    assert [(f["code"], f["start_line"], f["start_column"]) for f in doc["findings"]] == [
        ("SYM001", 2, 10)
    ]
    assert doc["findings"][0]["suggestion"] == "m*(0.5*(v*v) + g*h)"
    fixed = lint(str(good), "--fix")
    assert fixed.exit_code == 0
    assert good.read_text().splitlines()[1] == "energy = m*(0.5*(v*v) + g*h)"


def test_pre_commit_hooks_run_valid_commands(tmp_path: Path) -> None:
    """Each hook of .pre-commit-hooks.yaml: its entry is a working symopt command line."""
    hooks: dict[str, dict[str, str]] = {}
    for raw in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines():
        key, _, value = raw.strip().removeprefix("- ").partition(": ")
        if raw.startswith("- id: "):
            current = hooks.setdefault(value, {})
        elif raw.startswith("  ") and value:
            current[key] = value.strip("'\"")
    assert set(hooks) == {"symopt-lint", "symopt-fix"}
    model = tmp_path / "m.sym"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["entry"].startswith("symopt lint")
        model.write_text("du[0] = x*x + 2*x*y + y*y\n")
        result = lint(*hook["entry"].split()[2:], str(model))
        assert result.exit_code in (0, 1), result.output
    assert model.read_text() == "du[0] = (x + y)*(x + y)\n"  # symopt-fix rewrote it


def test_python_fixes_nested_in_opaque_code_and_parentheses(tmp_path: Path) -> None:
    module = tmp_path / "w.py"
    module.write_text("def f(x, a, b, c):\n    return x // (a * b + a * c) - (a * b + a * c)**2\n")
    first = lint(str(module), "--fix", "--unsafe-fixes", "--select", "SYM001")
    assert first.exit_code == 1  # the outer fix won; the one inside the opaque `//` remains
    assert lint(str(module), "--fix", "--unsafe-fixes", "--select", "SYM001").exit_code == 0
    assert module.read_text().splitlines()[1] == (
        "    return (x // (a * (b + c))) - a * (b + c) * (a * (b + c))"
    )


def test_python_long_chains_and_nesting_beyond_pythons_parser(tmp_path: Path) -> None:
    args = ", ".join(f"x{i}" for i in range(30))
    chain = " + ".join(f"x{i % 30} * x{(i + 1) % 30}" for i in range(700))
    deep = tmp_path / "deep.py"
    deep.write_text(f"def f({args}):\n    return {chain}\n")
    parsed = parse_python(deep.read_text(), str(deep))  # deeper than the recursion limit
    assert len(parsed.units[0].candidates) == 1
    too_deep = tmp_path / "too_deep.py"
    too_deep.write_text("y = " + " + ".join(["x"] * 20_000) + "\n")
    result = lint(str(too_deep))
    assert result.exit_code == 2
    assert f"{too_deep}:1:1: error: nested too deeply for Python's own parser" in result.stderr


def test_fix_of_an_unwritable_file_is_an_error_that_keeps_its_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import symopt.cli.lint as lint_cli
    from symopt.cli.io import InputError

    model = tmp_path / "m.sym"
    model.write_text("du[0] = x*x + 2*x*y + y*y\n")
    real = lint_cli.write_output

    def refuse(text: str, path: str | None) -> None:
        if path == str(model):
            raise InputError(f"{path}: cannot write: Read-only file system")
        real(text, path)

    monkeypatch.setattr(lint_cli, "write_output", refuse)
    result = lint(str(model), "--fix")
    assert result.exit_code == 2
    assert f"error: {model}: cannot write: Read-only file system" in result.stderr
    assert f"{model}:1:9: SYM001 " in result.stdout
    assert model.read_text() == "du[0] = x*x + 2*x*y + y*y\n"


def test_assume_enables_guarded_rewrites(tmp_path: Path) -> None:
    # log(x) + log(y) -> log(x*y) needs x > 0 and y > 0: --assume (or the config key) gives them.
    src = tmp_path / "logs.expr"
    src.write_text("log(x) + log(y)\n")
    assert lint(str(src)).exit_code == 0
    found = lint(str(src), "--assume", "x > 0", "--assume", "y > 0")
    assert found.exit_code == 1
    assert codes_at(found.stdout) == {(1, "SYM001")}
    assert "log(x*y)" in found.stdout
