"""``symopt simplify``: expressions in, optimised expressions out, one per line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from symopt.cli.explain import explain_options, render_explain
from symopt.cli.io import check_output, read_source, write_output
from symopt.cli.options import assume_option, lang_option, optimizer_options
from symopt.cli.report import StatRow, print_stats, warn_fallback, warn_source
from symopt.egraph.runner import Limits
from symopt.errors import ConfigError
from symopt.ir import Sym, Term, symbols
from symopt.rulesets.assume import Assumption, facts, sample_ranges

if TYPE_CHECKING:
    from symopt.codegen import FunctionDef
    from symopt.errors import SourceWarning


def function_for(name: str, source: Term, term: Term) -> FunctionDef:
    """A one-expression function computing ``term``; its parameters are the symbols of ``source``
    (the input) in order of first appearance, so the signature does not depend on the rewrite.
    An indexed base name (``u[3]``) becomes an array parameter."""
    from symopt.codegen import FunctionDef, Param

    params: dict[str, bool] = {}
    for sym in symbols([source, term]):
        params[sym.name] = params.get(sym.name, False) or sym.index is not None
    inputs = tuple(Param(n, is_array) for n, is_array in params.items())
    body: tuple[tuple[Sym | None, Term], ...] = ((None, term),)
    return FunctionDef(name=name, inputs=inputs, body=body)


@click.command()
@click.argument("source", default="-", metavar="[FILE|-]")
@lang_option
@optimizer_options()
@assume_option
@click.option(
    "--name",
    default="f",
    show_default=True,
    help="Function name (c/python/numpy); several expressions get NAME_LINE.",
)
@click.option(
    "-o",
    "--output",
    default=None,
    callback=check_output,
    help="Write here (atomically) instead of stdout.",
)
@click.option("--stats", is_flag=True, help="Cost before/after and stop reason per line (stderr).")
@explain_options
def simplify(
    source: str,
    lang: str,
    ruleset: str,
    costs: str,
    tier: str | None,
    time_limit: float,
    node_limit: int,
    iter_limit: int,
    verify: bool,
    assumptions: list[Assumption],
    name: str,
    output: str | None,
    stats: bool,
    explain: bool,
    output_format: str,
) -> None:
    """Optimise each expression of FILE (one per line; '-' or nothing reads stdin)."""
    from symopt.codegen import render_module, to_sym
    from symopt.explain import explain as explain_run
    from symopt.grammar.parser import parse_expression_file
    from symopt.optimize import optimize, resolve_costs, resolve_ruleset

    path, text = read_source(source)
    warnings: list[SourceWarning] = []
    exprs = parse_expression_file(text, path=path, warnings=warnings)
    warn_source(warnings)
    rules = resolve_ruleset(ruleset, tier)
    table = resolve_costs(costs)
    limits = Limits(iterations=iter_limit, nodes=node_limit, time=time_limit)
    ranges = sample_ranges(assumptions) or None
    rows: list[StatRow] = []
    results = []
    explained = []
    for line, term in exprs:
        result = optimize(
            [term],
            ruleset=rules,
            costs=table,
            limits=limits,
            verify=verify,
            sample_ranges=ranges,
            assumptions=facts(assumptions, symbols([term])),
            tree_output=lang == "sym",  # one expression per line, no temporaries
        )
        for fb in result.fallbacks:
            warn_fallback(f"{path}:{line}", fb, "kept the input")
        rows.append(StatRow(f"{path}:{line}", result))
        if explain:
            explained.append(explain_run(result, table, ruleset=rules, label=f"{path}:{line}"))
        results.append((line, term, result.outputs[0]))
    if lang == "sym":
        rendered = "".join(to_sym(out) + "\n" for _, _, out in results)
    else:
        single = len(results) == 1
        try:
            fns = [
                function_for(name if single else f"{name}_{line}", src, out)
                for line, src, out in results
            ]
            rendered = render_module(lang, fns, costs=table)
        except ValueError as exc:  # a bad --name, or a parameter clashing with it
            raise ConfigError(str(exc)) from None
    write_output(rendered, output)
    if stats:
        print_stats(rows)
    if explain:
        render_explain(explained, output_format, command="simplify")
