"""``symopt rules check|list``: validate and numerically test a ruleset, or print its rules."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from symopt.cli.options import output_format_option
from symopt.cli.table import print_rows
from symopt.errors import ExitStatus
from symopt.ir import Term
from symopt.rulesets.rule import Rule


def pattern_text(term: Term) -> str:
    """A rule pattern in the input language: ``?a*(?b + ?c)``."""
    from symopt.codegen import to_sym
    from symopt.rulesets.check import as_symbols

    return to_sym(as_symbols(term))


def _where(rule: Rule) -> str:
    return f"{rule.path}:{rule.line}" if rule.line else rule.path


def _guard_text(rule: Rule) -> str:
    return ", ".join(f"?{var} {kind}" for var, kind in rule.guards)


def _json_number(value: float) -> float | str:
    from symopt.rulesets.check import format_value

    return value if math.isfinite(value) else format_value(value)


@click.group()
def rules() -> None:
    """Validate, test and list rulesets."""


@rules.command("check")
@click.argument("spec", metavar="NAME|PATH")
@output_format_option("Findings as `PATH:LINE: RULE: error: …` lines or one JSON document.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random points.")
def check(spec: str, output_format: str, seed: int) -> None:
    """Validate a ruleset (built-in NAME or TOML PATH) and test every rule against its tier.

    exact rules must give bit-identical results everywhere (±0, ±inf, nan included); algebra
    rules must be the same real number wherever the reals define either side (judged in doubles
    and, where rounding or overflow would blur the answer, in high precision: see
    symopt.rulesets.check); fast rules are not tested. Exit status: 0 all pass, 1 a rule fails
    its tier, 2 a malformed ruleset.
    """
    from symopt.rulesets.check import check_ruleset
    from symopt.rulesets.loader import load_ruleset

    ruleset = load_ruleset(spec)
    findings = check_ruleset(ruleset, seed=seed)
    counts = {s: sum(f.status == s for f in findings) for s in ("pass", "fail", "unchecked")}
    if output_format == "json":
        doc: dict[str, Any] = {
            "ruleset": ruleset.name,
            "path": ruleset.path,
            "summary": counts,
            "rules": [
                {
                    "name": f.rule.name,
                    "path": f.rule.path,
                    "line": f.rule.line,
                    "tier": f.rule.tier,
                    "status": f.status,
                    "message": f.message,
                    "points": f.points,
                    "skipped": f.skipped,
                    "real_points": f.real_points,
                    "counterexample": None
                    if f.counterexample is None
                    else {
                        "point": {k: _json_number(v) for k, v in f.counterexample.point.items()},
                        "lhs": _json_number(f.counterexample.lhs),
                        "rhs": _json_number(f.counterexample.rhs),
                    },
                }
                for f in findings
            ],
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        for f in findings:
            if f.status == "fail":
                click.echo(
                    f"{_where(f.rule)}: {f.rule.name}: error: {f.message}: {f.counterexample}"
                )
        unchecked = [f.rule.name for f in findings if f.status == "unchecked"]
        line = (
            f"{ruleset.name}: {len(findings)} rules: {counts['pass']} passed, "
            f"{counts['fail']} failed, {counts['unchecked']} unchecked"
        )
        click.echo(line + (f" (fast: {', '.join(unchecked)})" if unchecked else ""))
    if counts["fail"]:
        click.get_current_context().exit(ExitStatus.FINDINGS)


@rules.command("list")
@click.argument("spec", default="default", metavar="[NAME|PATH]")
@output_format_option()
def list_rules(spec: str, output_format: str) -> None:
    """Print every rule of a ruleset: name, tier, guard, lhs → rhs."""
    from symopt.rulesets.loader import load_ruleset

    ruleset = load_ruleset(spec)
    if output_format == "json":
        doc = {
            "ruleset": ruleset.name,
            "description": ruleset.description,
            "path": ruleset.path,
            "rules": [
                {
                    "name": r.name,
                    "tier": r.tier,
                    "guards": [{"var": var, "guard": kind} for var, kind in r.guards],
                    "lhs": pattern_text(r.lhs),
                    "rhs": pattern_text(r.rhs),
                    "bidirectional": r.bidirectional,
                    "path": r.path,
                    "line": r.line,
                }
                for r in ruleset.rules
            ],
        }
        click.echo(json.dumps(doc, indent=2))
        return
    rows = [
        (
            r.name,
            r.tier,
            _guard_text(r) or "-",
            f"{pattern_text(r.lhs)} {'<->' if r.bidirectional else '->'} {pattern_text(r.rhs)}",
        )
        for r in ruleset.rules
    ]
    title = f"ruleset {ruleset.name}: {ruleset.description}".rstrip(": ")
    print_rows(title, ("name", "tier", "guard", "rule"), rows)
