"""``symopt lint``: cost findings for models, expression files and Python code, like ruff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from symopt.cli.io import InputError, check_output, read_source, write_output
from symopt.cli.options import assume_option, optimizer_options
from symopt.errors import SymoptError

if TYPE_CHECKING:
    from symopt.lint.analyze import Engine, Settings
    from symopt.lint.findings import Finding
    from symopt.lint.parsed import ParsedFile
    from symopt.lint.sources import SourcePath
    from symopt.rulesets.assume import Assumption

EXIT_FINDINGS = 1
EXIT_ERROR = 2

MODEL_NODES = 200_000
"""Default e-node limit for a model: that of ``symopt compile``, so lint sees what it emits."""
OTHER_NODES = 10_000
"""Default for Python and expression files: their batches of small expressions go region by
region through bounded e-graphs; past 10,000 e-nodes a 2,000-line module got 0.1 % more savings
for 40 % more time."""


def _codes(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    """Repeatable and comma-separated (``--select SYM001,SYM003``); every code must exist."""
    from symopt.lint.findings import check_selectors

    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    bad = check_selectors(codes)
    if bad is not None:
        raise click.BadParameter(f"unknown code {bad!r}", ctx=ctx, param=param)
    return codes


@dataclass
class _FileResult:
    """One file's text and findings; with --fix/--diff its fixed text."""

    path: str
    kind: str
    text: str
    findings: list[Finding]
    new_text: str | None = None
    fixed: int = 0
    findings_before: list[Finding] = field(default_factory=list)


@click.command("lint")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@optimizer_options(
    time_limit=30.0,
    node_limit=None,
    scope="per file",
    node_help="Maximum e-nodes per file (default: 200,000 for a model, as compile; 10,000 "
    "for Python and expression files).",
)
@assume_option
@click.option("--select", multiple=True, callback=_codes, help="Codes (or prefixes) to report.")
@click.option("--ignore", multiple=True, callback=_codes, help="Codes (or prefixes) to skip.")
@click.option(
    "--min-saving",
    type=click.FloatRange(min=0.0, max=100.0),
    default=10.0,
    show_default=True,
    metavar="PCT",
    help="Report a cheaper form only if it saves at least this percentage.",
)
@click.option(
    "--min-ops",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Skip expressions with fewer operations (budgets still apply).",
)
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0.0),
    default=None,
    metavar="N",
    help="SYM002: cycle budget per expression or statement.",
)
@click.option(
    "--max-model-cost",
    type=click.FloatRange(min=0.0),
    default=None,
    metavar="N",
    help="SYM002: cycle budget per model function (optimised) or Python function.",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="Files a directory walk reads (default: *.sym *.expr *.txt *.py).",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="More .gitignore-style patterns to skip in directory walks.",
)
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=True,
    show_default=True,
    help="Skip what the .gitignore files of walked directories ignore.",
)
@click.option(
    "--output-format",
    type=click.Choice(["text", "json", "github", "sarif"]),
    default="text",
    show_default=True,
    help="How findings are written.",
)
@click.option("--show-fixes", is_flag=True, help="text: the suggested form under each finding.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fix", is_flag=True, help="Rewrite .sym and expression files in place.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff: rewrite Python too.")
@click.option("--diff", is_flag=True, help="Print what --fix would change; write nothing.")
@click.option(
    "-o",
    "--output",
    default=None,
    callback=check_output,
    help="Write the findings here (atomically) instead of stdout.",
)
def lint(
    paths: tuple[str, ...],
    ruleset: str,
    costs: str,
    tier: str | None,
    time_limit: float,
    node_limit: int | None,
    iter_limit: int,
    verify: bool,
    assumptions: list[Assumption],
    select: list[str],
    ignore: list[str],
    min_saving: float,
    min_ops: int,
    max_cost: float | None,
    max_model_cost: float | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    respect_gitignore: bool,
    output_format: str,
    show_fixes: bool,
    exit_zero: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    output: str | None,
) -> None:
    """Report costly arithmetic in PATHs (files or directories; default '.'): models (*.sym),
    expression files (*.expr, *.txt) and Python (*.py). Exit 0 clean, 1 findings, 2 errors."""
    from symopt.lint.analyze import Settings
    from symopt.lint.findings import enabled_codes
    from symopt.lint.formats import render

    ctx = click.get_current_context()
    if fix and diff:
        raise click.UsageError("--fix and --diff exclude each other")
    run = _Run(
        Settings(enabled_codes(select, ignore), min_ops, min_saving, max_cost, max_model_cost),
        _engines(ruleset, costs, tier, time_limit, node_limit, iter_limit, verify),
        assumptions,
    )
    results = run.lint_all(paths or (".",), include, exclude, respect_gitignore)
    changed = _fixes(results, unsafe_fixes) if fix or diff else []
    if diff:
        from symopt.lint.fix import unified_diff

        text = "".join(unified_diff(r.path, r.text, r.new_text or r.text) for r in changed)
        write_output(text, output)
        ctx.exit(_status(run.errors, bool(text), exit_zero))
    for r in changed if fix else []:
        r.findings = run.write_fixed(r)
    remaining = sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key)
    write_output(render(remaining, output_format, show_fixes), output)
    if output_format == "text":
        _summary(remaining, fixed=sum(r.fixed for r in changed))
    ctx.exit(_status(run.errors, bool(remaining), exit_zero))


def _status(errors: int, findings: bool, exit_zero: bool) -> int:
    """2 on any error, else 1 on findings (0 with ``--exit-zero``), else 0."""
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if findings and not exit_zero else 0


def _engines(
    ruleset: str,
    costs: str,
    tier: str | None,
    time_limit: float,
    node_limit: int | None,
    iter_limit: int,
    verify: bool,
) -> Callable[[str], Engine]:
    """The optimiser settings for a kind of file (the e-node limit's default depends on it)."""
    from symopt.limits import Limits
    from symopt.lint.analyze import Engine
    from symopt.optimize import resolve_costs, resolve_ruleset

    rules, table = resolve_ruleset(ruleset, tier), resolve_costs(costs)

    def engine_for(kind: str) -> Engine:
        nodes = node_limit or (MODEL_NODES if kind == "model" else OTHER_NODES)
        limits = Limits(iterations=iter_limit, nodes=nodes, time=time_limit)
        return Engine(rules, table, limits, verify=verify, algebra=tier != "exact")

    return engine_for


@dataclass
class _Run:
    """Linting files one by one; an input error is reported on stderr and counted, and the
    other files are still linted."""

    settings: Settings
    engine_for: Callable[[str], Engine]
    assumptions: list[Assumption] = field(default_factory=list)
    """``--assume`` facts, added to every file's own."""
    errors: int = 0

    def lint_all(
        self,
        paths: Sequence[str],
        include: Sequence[str],
        exclude: Sequence[str],
        respect_gitignore: bool,
    ) -> list[_FileResult]:
        from symopt.lint.sources import discover

        results = []
        for item in discover(paths, include, exclude, respect_gitignore):
            try:
                if isinstance(item, str):
                    raise InputError(item)
                results.append(self.lint_file(item))
            except SymoptError as exc:
                click.echo(exc.format(), err=True)
                self.errors += 1
        return results

    def write_fixed(self, r: _FileResult) -> list[Finding]:
        """Write a fixed file (atomically) and return what is left in it, located in its new
        text; a file that cannot be written is an error and keeps its findings."""
        from symopt.lint.sources import SourcePath

        assert r.new_text is not None
        try:
            write_output(r.new_text, r.path)
        except SymoptError as exc:
            click.echo(exc.format(), err=True)
            self.errors += 1
            r.fixed = 0
            return r.findings_before
        return self.lint_file(SourcePath(r.path, r.kind), r.new_text).findings

    def lint_file(self, item: SourcePath, text: str | None = None) -> _FileResult:
        """Read (unless ``text`` is given), parse and analyse one file."""
        from symopt.lint.analyze import analyze

        if text is None:
            path, text = read_source(item.path)
        else:
            path = item.path
        parsed = _parse(item, path, text)
        if self.assumptions:
            from symopt.rulesets.assume import sample_ranges

            parsed.assumptions = [*parsed.assumptions, *self.assumptions]
            parsed.ranges = {**parsed.ranges, **sample_ranges(self.assumptions)}
        return _FileResult(
            path, item.kind, text, analyze(parsed, self.settings, self.engine_for(item.kind))
        )


def _parse(item: SourcePath, path: str, text: str) -> ParsedFile:
    """``text`` as its kind of file (a model reads its sidecar's sampling ranges)."""
    if item.kind == "python":
        from symopt.lint.python_src import parse_python

        return parse_python(text, path)
    if item.kind == "model":
        from symopt.cli.compile import load_ranges
        from symopt.lint.text_src import parse_model_file

        return parse_model_file(text, path, load_ranges(item.path, None, ()))
    from symopt.lint.text_src import parse_expression_lines

    return parse_expression_lines(text, path)


def _fixes(results: list[_FileResult], unsafe: bool) -> list[_FileResult]:
    """Apply the fixable findings of every file; returns the files that change. Applied
    findings leave ``findings``."""
    from symopt.lint.fix import apply_fixes, fixable

    changed = []
    for r in results:
        todo = [f for f in r.findings if fixable(f, unsafe, r.kind)]
        if not todo:
            continue
        fixed = apply_fixes(r.text, todo)
        if fixed.text != r.text:
            r.new_text = fixed.text
            r.findings_before = list(r.findings)
            done = {id(f) for f in fixed.applied}
            r.findings = [f for f in r.findings if id(f) not in done]
            r.fixed = len(done)
            changed.append(r)
    return changed


def _summary(remaining: list[Finding], fixed: int) -> None:
    """``Found N findings (K fixed, M remaining).`` on stderr (text format)."""
    found = len(remaining) + fixed
    if not found:
        return
    more = f" ({fixed} fixed, {len(remaining)} remaining)" if fixed else ""
    click.echo(f"Found {found} finding{'s' if found != 1 else ''}{more}.", err=True)
