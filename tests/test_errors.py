"""One error style (`PATH:LINE:COL: error: …` with the line and a caret) and one exit-status map
for every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.errors import ExitStatus


def invoke(*args: str, stdin: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_exit_status_values() -> None:
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 3]


@pytest.mark.parametrize("name", ["1bad", "double"])
@pytest.mark.parametrize("command", ["simplify", "compile"])
def test_bad_function_name_is_a_usage_error_in_both_commands(
    tmp_path: Path, command: str, name: str
) -> None:
    model = tmp_path / "m.sym"
    model.write_text("y = x*x\n")
    args = ["simplify", "--lang", "c"] if command == "simplify" else ["compile", str(model)]
    code, out, err = invoke(*args, "--name", name, stdin="x*x\n")
    assert code == ExitStatus.ERROR, err
    assert out == ""
    assert f"'{name}'" in err and "internal error" not in err


def test_cost_table_error_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[meta]\nname = "x"\n[ops]\nadd = 1\nfoo = { cycles = 3 }\n')
    code, _, err = invoke("costs", "show", str(path))
    assert code == ExitStatus.ERROR
    assert err.splitlines() == [
        f"{path}:5:1: error: [ops] foo: unknown operator",
        "    foo = { cycles = 3 }",
        "    ^^^",
    ]


def test_cost_table_invalid_toml_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[ops]\nadd = \n")
    code, _, err = invoke("simplify", "--costs", str(path), stdin="x\n")
    assert code == ExitStatus.ERROR
    assert err.startswith(f"{path}:2:7: error: invalid TOML: ")


@pytest.mark.parametrize(
    ("sidecar", "head"),
    [
        (
            '{\n  "sampling": {"x": {"lo": 1, "hi": }}\n}\n',
            "2:37: error: bad JSON: Expecting value",
        ),
        (
            '{\n  "sampling": {\n    "x": {"lo": 1, "hi": "a"}\n  }\n}\n',
            "3:5: error: sampling.x: lo and hi must be numbers, got 1 and 'a'",
        ),
    ],
)
def test_sidecar_errors_are_located(tmp_path: Path, sidecar: str, head: str) -> None:
    model = tmp_path / "m.sym"
    model.write_text("y = x*x\n")
    (tmp_path / "m.json").write_text(sidecar)
    code, out, err = invoke("compile", str(model))
    assert code == ExitStatus.ERROR and out == ""
    assert err.splitlines()[0] == f"{tmp_path / 'm.json'}:{head}"
    assert err.splitlines()[2].strip().startswith("^")


def test_rules_list_json() -> None:
    code, out, _ = invoke("rules", "list", "--output-format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["ruleset"] == "default"
    first = doc["rules"][0]
    assert set(first) == {"name", "tier", "guards", "lhs", "rhs", "bidirectional", "path", "line"}
    guarded = [r for r in doc["rules"] if r["guards"]]
    assert guarded and {"var", "guard"} == set(guarded[0]["guards"][0])


def test_costs_show_json_matches_the_table() -> None:
    from symopt.costs import load_cost_table

    code, out, _ = invoke("costs", "show", "latency", "--output-format", "json")
    assert code == 0
    doc = json.loads(out)
    table = load_cost_table("latency")
    assert doc["table"] == "latency"
    assert {op: e["cycles"] for op, e in doc["ops"].items()} == table.cycles


def test_rules_check_failure_is_exit_1_without_sys_exit(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('[[rule]]\nname = "div-self"\nlhs = "?x/?x"\nrhs = "1"\ntier = "exact"\n')
    code, out, _ = invoke("rules", "check", str(path))
    assert code == ExitStatus.FINDINGS
    assert "div-self" in out
