"""`--explain`: the per-operator cost breakdown, the explanation data and its rendering."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner

from symopt import Limits, optimize
from symopt.cli.explain import render_explain
from symopt.cli.main import cli
from symopt.costs import load_cost_table
from symopt.explain import explain
from symopt.grammar import parse_expr
from symopt.ir import intern
from symopt.rulesets.loader import load_ruleset

TABLE = load_cost_table("throughput")
LIMITS = Limits(time=60.0)  # saturation, not the clock, ends these small runs, even on a busy CI
SLOW = ["--time-limit", "60"]


def test_breakdown_counts_shared_subterms_once_and_sums_to_dag_cost() -> None:
    roots = intern([parse_expr("exp(x*y) + exp(x*y)/z"), parse_expr("x*y")])
    rows = TABLE.breakdown(roots)
    assert rows == {
        "exp": (1, TABLE.op("exp")),
        "div": (1, TABLE.op("div")),
        "add": (1, TABLE.op("add")),
        "mul": (1, TABLE.op("mul")),
    }
    assert list(rows) == ["exp", "div", "add", "mul"]  # costliest first
    assert sum(c for _, c in rows.values()) == TABLE.dag_cost(roots)
    assert TABLE.breakdown([parse_expr("x")]) == {}


def _explained(source: str) -> dict:
    result = optimize([parse_expr(source)], limits=LIMITS)
    return explain(result, TABLE, ruleset=load_ruleset("default"), label="t:1")


def test_explanation_of_a_run() -> None:
    e = _explained("exp(a)*exp(b)")
    assert e["expressions"] == [{"input": "exp(a)*exp(b)", "output": "exp(a + b)"}]
    assert e["cost"] == {"before": 29.0, "after": 15.0, "table": "throughput"}
    assert e["stop"] == "saturated"
    assert e["rules"]["exp-add"] >= 1
    assert "pos-exp" not in e["rules"]  # fact rules are counted apart
    assert e["other_matches"] > 0
    assert sum(e["rules"].values()) == sum(it["matches"] for it in e["iterations"])
    assert [it["index"] for it in e["iterations"]] == list(range(len(e["iterations"])))
    assert e["iterations"][-1]["enodes"] <= e["enodes"]
    assert {"saturate", "extract", "verify"} <= set(e["phases"])
    ops = {row["op"]: row for row in e["operators"]}
    assert ops["exp"]["before"] == {"count": 2, "cycles": 28.0}
    assert ops["exp"]["after"] == {"count": 1, "cycles": 14.0}
    assert ops["mul"]["after"] == {"count": 0, "cycles": 0.0}
    assert ops["add"]["before"] == {"count": 0, "cycles": 0.0}
    json.dumps(e)  # JSON-ready


def test_without_ruleset_every_match_is_listed() -> None:
    result = optimize([parse_expr("exp(a)*exp(b)")], limits=LIMITS)
    e = explain(result, TABLE, with_expressions=False)
    assert e["expressions"] == []
    assert e["other_matches"] == 0
    assert "pos-exp" in e["rules"]


def test_plain_text_rendering() -> None:
    out = io.StringIO()
    render_explain([_explained("exp(a)*exp(b)")], "text", out)
    text = out.getvalue()
    assert text.startswith("t:1: cost 29 -> 15 cycles (1.93x, table throughput), stop: saturated")
    assert "  in:  exp(a)*exp(b)\n  out: exp(a + b)\n" in text
    assert "\n  time: fold " in text and ", saturate " in text  # fold runs first
    assert any(
        line.split()[:1] == ["e-graph"] and "saturated" in line for line in text.splitlines()
    )
    assert "exp-add" in text
    lines = text.splitlines()
    assert any(line.split() == ["exp", "2", "28", "1", "14"] for line in lines)
    assert any(line.split() == ["total", "29", "15"] for line in lines)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_rendering_on_a_terminal() -> None:
    out = _Terminal()
    render_explain([_explained("exp(a)*exp(b)")], "text", out)
    text = out.getvalue()
    assert "e-graph growth" in text and "cost per operator" in text
    assert "│" in text  # a table, not the plain text


def test_simplify_explain_text_goes_to_stderr() -> None:
    plain = CliRunner().invoke(cli, ["simplify", "-"], input="exp(a)*exp(b)\nx*1\n")
    result = CliRunner().invoke(
        cli, ["simplify", "--explain", *SLOW, "-"], input="exp(a)*exp(b)\nx*1\n"
    )
    assert result.exit_code == 0
    assert result.stdout == plain.stdout == "exp(a + b)\nx\n"
    assert "<stdin>:1: cost 29 -> 15 cycles" in result.stderr
    assert "<stdin>:2: cost 1 -> 0 cycles" in result.stderr
    assert "rule matches:" in result.stderr


def test_simplify_explain_json_is_one_document() -> None:
    result = CliRunner().invoke(
        cli,
        ["simplify", "--explain", "--output-format", "json", *SLOW, "-"],
        input="exp(a)*exp(b)\nx*x + 2*x*y + y*y\n",
    )
    assert result.exit_code == 0
    doc = json.loads(result.stderr)
    assert doc["command"] == "simplify"
    assert [r["label"] for r in doc["results"]] == ["<stdin>:1", "<stdin>:2"]
    second = doc["results"][1]
    assert second["expressions"][0]["output"] == "(x + y)*(x + y)"
    assert second["cost"]["before"] == 6.0 and second["cost"]["after"] == 2.0
    assert {"factor", "add-comm"} <= set(second["rules"])


def test_compile_explain_json() -> None:
    model = "let t = exp(a)*exp(b)\ny = t + a/b/c\nz = t*2\n"
    result = CliRunner().invoke(
        cli, ["compile", "--explain", "--output-format", "json", *SLOW, "-"], input=model
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stderr)
    assert doc["command"] == "compile"
    (entry,) = doc["results"]
    assert entry["expressions"] == []  # a model can be huge: no texts
    ops = {row["op"]: row for row in entry["operators"]}
    assert ops["exp"]["before"]["count"] == 2 and ops["exp"]["after"]["count"] == 1


def test_explain_names_the_guard_that_blocked_a_rewrite_and_the_assume_that_enables_it() -> None:
    (entry,) = _explained("G*m/r^1.5")["blocked_guards"]
    assert entry["rule"] == "pow-three-halves" and entry["term"] == "r^1.5"
    assert entry["needs"] == [{"term": "r", "fact": "r >= 0", "assume": "r >= 0"}]
    out = CliRunner().invoke(cli, ["simplify", "--explain", "-"], input="G*m/r^1.5\n")
    assert "needs r >= 0; --assume 'r >= 0' would enable it" in out.stderr
    given = CliRunner().invoke(
        cli, ["simplify", "--explain", "--assume", "r >= 0", "-"], input="G*m/r^1.5\n"
    )
    assert "r*sqrt(r)" in given.stdout and "guard blocked" not in given.stderr
    # A compound term gets no hint; a guard that holds for a literal is not reported.
    assert _explained("(x - y)^1.5")["blocked_guards"][0]["needs"][0]["assume"] is None
    assert _explained("2^1.5*y")["blocked_guards"] == []
