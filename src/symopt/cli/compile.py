"""``symopt compile``: a whole model file in, one optimised function out."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from symopt.cli.explain import explain_options, render_explain
from symopt.cli.io import check_output, read_sidecar, read_source, write_c_files, write_output
from symopt.cli.options import (
    args_option,
    assume_option,
    jacobian_option,
    max_file_operations_option,
    max_statements_option,
    memory_option,
    optimizer_options,
    sample_option,
    sidecar_option,
)
from symopt.gcpause import without_gc
from symopt.model.pipeline import check_jacobian, ranges_from_sidecar
from symopt.model.sampling import Ranges

if TYPE_CHECKING:
    from symopt.optimize import Optimized
    from symopt.rulesets.assume import Assumption

COMPILE_LANGS = ("c", "python", "numpy")


def load_ranges(model_path: str, sidecar: str | None, samples: tuple[str, ...]) -> Ranges:
    """Sampling ranges: the sidecar (``--sidecar`` or ``MODEL.json`` next to the model, if any),
    overridden by ``--sample`` options."""
    text, where = read_sidecar(model_path, sidecar or None)
    return ranges_from_sidecar(text, where, samples)


@click.command("compile")
@click.argument("model", metavar="MODEL")
@click.option(
    "--lang",
    type=click.Choice(COMPILE_LANGS),
    default="c",
    show_default=True,
    help="Output language.",
)
@optimizer_options(time_limit=30.0, node_limit=200_000, scope="for the whole model")
@memory_option
@assume_option
@click.option("--name", default="f", show_default=True, help="Name of the generated function.")
@click.option(
    "-o",
    "--output",
    default=None,
    callback=check_output,
    help="Write here (atomically) instead of stdout.",
)
@click.option("--restrict", is_flag=True, help="C: declare the pointer parameters restrict.")
@max_statements_option("C: split a longer body into static functions (compiles much faster).")
@max_file_operations_option(
    "C with -o: when the split functions hold more operations than this, put their parts into "
    "further files OUT.part1.c … of at most this many each (compile and link them all)."
)
@sample_option("Verification range of an input (u or u[3]); repeatable; overrides the sidecar.")
@sidecar_option
@args_option(
    "The inputs, in parameter order (as an 'input' line; sizes inferred): any other free "
    "name is an error."
)
@jacobian_option(
    "Also emit the sparse (CSC) Jacobian of the outputs by input ARRAY (default: the "
    "array read by the most statements): NAME_jac, NAME_f_and_jac and the structure; write "
    "the flag after MODEL or as --jacobian=ARRAY.",
)
@click.option("--stats", is_flag=True, help="Costs, e-graph size and time per phase (stderr).")
@explain_options
@without_gc
def compile_model(
    model: str,
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
    restrict: bool,
    max_statements: int,
    max_file_operations: int,
    samples: tuple[str, ...],
    sidecar: str | None,
    args: tuple[str, ...] | None,
    jacobian: str | None,
    stats: bool,
    explain: bool,
    output_format: str,
) -> None:
    """Optimise every statement of MODEL together and emit one function.

    The function's parameters are the model's outputs, then its inputs: as declared ('output'
    and 'input' lines, --args), else each in order of first appearance ('-' reads the model
    from stdin).
    """
    from symopt.cli.report import warn_source
    from symopt.limits import Limits
    from symopt.model import parse_model
    from symopt.model.pipeline import (
        fallback_messages,
        model_jacobian,
        model_outputs,
        optimize_model,
        render_model_files,
    )
    from symopt.optimize import resolve_costs, resolve_ruleset

    if restrict and lang != "c":
        raise click.UsageError("--restrict applies to --lang c only")
    t0 = time.perf_counter()
    path, text = read_source(model)
    parsed = parse_model(text, path, args)
    # The time limit is a deadline for everything after parsing: substituting the model's
    # definitions, the Jacobian and the optimiser's phases.
    deadline = time.perf_counter() + time_limit
    warn_source(parsed.warnings)
    pairs = model_outputs(parsed, path)
    ranges = load_ranges(model, sidecar, samples) if verify else {}
    rules = resolve_ruleset(ruleset, tier)
    table = resolve_costs(costs)
    t1 = time.perf_counter()
    jac = None if jacobian is None else model_jacobian(parsed, pairs, jacobian or None)
    t_jac = time.perf_counter()
    result = optimize_model(
        parsed,
        pairs,
        rules=rules,
        table=table,
        limits=Limits(
            iterations=iter_limit, nodes=node_limit, time=time_limit, memory=memory_limit
        ),
        verify=verify,
        ranges=ranges,
        assumptions=assumptions,
        extra=jac.entries if jac else (),
        deadline=deadline,
    )
    t2 = time.perf_counter()
    for message in fallback_messages(path, parsed, pairs, result, jac):
        sys.stderr.write(message + "\n")
    if jac is not None and verify:
        check_jacobian(path, parsed, pairs, jac, result.outputs[len(pairs) :], ranges)
    t_check = time.perf_counter()
    to_file = output is not None and output != "-"
    rendered = render_model_files(
        parsed,
        pairs,
        result,
        lang=lang,
        name=name,
        table=table,
        restrict=restrict,
        max_statements=max_statements,
        jacobian=jac,
        max_file_operations=max_file_operations if to_file else None,
    )
    t3 = time.perf_counter()
    if lang == "c" and output is not None and to_file:
        written = write_c_files(rendered, output)
        if len(written) > 1:
            click.echo("\n".join(written))
    else:
        write_output(rendered[0], output)
    if stats:
        seconds = {"parse": t1 - t0, **result.seconds, "codegen": t3 - t_check}
        if jac is not None:
            seconds |= {"jacobian": t_jac - t1, "jacobian-check": t_check - t2}
        _print_stats(path, len(pairs), result, seconds)
        if jac is not None:
            rows, cols = jac.shape
            sys.stderr.write(
                f"{path}: Jacobian by {jac.array}: {rows}x{cols}, {jac.nnz} nonzeros\n"
            )
    if explain:
        from symopt.explain import explain as explain_run

        entry = explain_run(result, table, ruleset=rules, label=path, with_expressions=False)
        render_explain([entry], output_format, command="compile")


def _print_stats(path: str, outputs: int, r: Optimized, seconds: dict[str, float]) -> None:
    """Costs, stop reason (and the phase it cut), rule e-graph size, time per step and the
    optimiser's phases, on stderr."""
    from symopt.cli.report import phase_lines, render_phases
    from symopt.cli.table import speedup

    rep = r.report
    ratio = speedup(r.cost_before, r.cost_after)
    phases = ", ".join(f"{phase} {s:.3f} s" for phase, s in seconds.items())
    fallbacks = f", {len(r.fallbacks)} kept unoptimised" if r.verified else ", not verified"
    sys.stderr.write(
        f"{path}: {outputs} outputs{fallbacks}\n"
        f"{path}: cost {r.cost_before:g} -> {r.cost_after:g} cycles ({ratio}), "
        f"stop: {r.stop_text}, {len(rep.iterations)} iterations, {rep.enodes} e-nodes\n"
        f"{path}: time: {phases}\n"
    )
    if sys.stderr.isatty():
        render_phases(f"phases ({r.strategy})", r.phases)
    else:
        sys.stderr.write(f"{path}: phases ({r.strategy}):\n" + phase_lines(r.phases))
