"""``symopt simplify``: expressions in, optimised expressions out, one per line."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from symopt.cli.explain import explain_options, render_explain
from symopt.cli.io import check_output, read_source, write_output
from symopt.cli.options import assume_option, lang_option, memory_option, optimizer_options
from symopt.cli.report import (
    StatRow,
    print_stats,
    print_times,
    warn_fallback,
    warn_source,
)
from symopt.errors import ConfigError, SourceError, SourceWarning, raise_errors
from symopt.gcpause import without_gc
from symopt.ir import Sym, Term, symbols
from symopt.limits import Limits
from symopt.rulesets.assume import Assumption, facts, sample_ranges

if TYPE_CHECKING:
    from symopt.codegen import FunctionDef
    from symopt.grammar.parser import ExprLine


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


@dataclass(frozen=True)
class _Item:
    """An expression and the file it came from."""

    path: str
    expr: ExprLine

    @property
    def where(self) -> str:
        return f"{self.path}:{self.expr.line}"


def _read_all(sources: tuple[str, ...]) -> list[_Item]:
    """Every expression of every file, in order; every file's errors before giving up."""
    from symopt.grammar.parser import parse_expression_lines

    items: list[_Item] = []
    errors: list[SourceError] = []
    for source in sources:
        path, text = read_source(source)
        warnings: list[SourceWarning] = []
        try:
            exprs = parse_expression_lines(text, path=path, warnings=warnings)
        except SourceError as exc:
            errors.append(exc)
            continue
        finally:
            warn_source(warnings)
        items.extend(_Item(path, e) for e in exprs)
    raise_errors(errors)
    return items


def function_names(items: list[_Item], name: str) -> list[str]:
    """The function of each expression: the line's own name; else ``name`` for a lone
    expression, ``NAME_LINE`` for one of several, ``NAME_FILE_LINE`` with several files. Two
    expressions of different files given the same name are an error at the second."""
    several_files = len({item.path for item in items}) > 1
    out: list[str] = []
    seen: dict[str, _Item] = {}
    for item in items:
        if item.expr.name:
            fn = item.expr.name
        elif len(items) == 1:
            fn = name
        elif several_files:
            fn = f"{name}_{_identifier(Path(item.path).stem)}_{item.expr.line}"
        else:
            fn = f"{name}_{item.expr.line}"
        if fn in seen:
            raise SourceError(
                f"function {fn} is defined twice (first at {seen[fn].where})",
                path=item.path,
                line=item.expr.line,
            )
        seen[fn] = item
        out.append(fn)
    return out


def _identifier(text: str) -> str:
    return re.sub(r"\W", "_", text, flags=re.ASCII) or "_"


@click.command()
@click.argument("sources", nargs=-1, metavar="[FILE|-]...")
@lang_option
@optimizer_options()
@memory_option
@assume_option
@click.option(
    "--name",
    default="f",
    show_default=True,
    help="Function name (c/python/numpy); several expressions get NAME_LINE (NAME_FILE_LINE "
    "for several files) unless a line names its own (`energy = expr`).",
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
@without_gc
def simplify(
    sources: tuple[str, ...],
    lang: str,
    ruleset: str,
    costs: str,
    tier: str | None,
    time_limit: float,
    node_limit: int,
    iter_limit: int,
    verify: bool,
    memory_limit: int | None,
    assumptions: list[Assumption],
    name: str,
    output: str | None,
    stats: bool,
    explain: bool,
    output_format: str,
) -> None:
    """Optimise each expression of each FILE (one per line, `name = expr` names its function;
    '-' or nothing reads stdin)."""
    from symopt.codegen import render_module, to_sym
    from symopt.explain import explain as explain_run
    from symopt.optimize import optimize, resolve_costs, resolve_ruleset

    t0 = time.perf_counter()
    items = _read_all(sources or ("-",))
    t_parse = time.perf_counter()
    names = function_names(items, name) if lang != "sym" else []  # clashes: before any work
    rules = resolve_ruleset(ruleset, tier)
    table = resolve_costs(costs)
    limits = Limits(iterations=iter_limit, nodes=node_limit, time=time_limit, memory=memory_limit)
    ranges = sample_ranges(assumptions) or None
    rows: list[StatRow] = []
    results = []
    explained = []
    for item in items:
        term, where = item.expr.term, item.where
        result = optimize(
            [term],
            ruleset=rules,
            costs=table,
            limits=limits,
            verify=verify,
            sample_ranges=ranges,
            assumptions=facts(assumptions, symbols([term]) if assumptions else []),
            tree_output=lang == "sym",  # one expression per line, no temporaries
        )
        for fb in result.fallbacks:
            warn_fallback(where, fb, "kept the input")
        rows.append(StatRow(where, result))
        if explain:
            explained.append(explain_run(result, table, ruleset=rules, label=where))
        results.append(result.outputs[0])
    t_optimise = time.perf_counter()
    if lang == "sym":
        rendered = "".join(
            (f"{item.expr.name} = " if item.expr.name else "") + to_sym(out) + "\n"
            for item, out in zip(items, results, strict=True)
        )
    else:
        try:
            fns = [
                function_for(fn_name, item.expr.term, out)
                for fn_name, item, out in zip(names, items, results, strict=True)
            ]
            rendered = render_module(lang, fns, costs=table)
        except ValueError as exc:  # a bad --name, or a parameter clashing with it
            raise ConfigError(str(exc)) from None
    t_emit = time.perf_counter()
    write_output(rendered, output)
    if stats:
        print_stats(rows)
        print_times(
            {"parse": t_parse - t0, "optimise": t_optimise - t_parse, "emit": t_emit - t_optimise}
        )
    if explain:
        render_explain(explained, output_format, command="simplify")
