"""Options shared by the optimising commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from symopt.codegen import LANGS
from symopt.codegen.cfiles import DEFAULT_MAX_FILE_OPERATIONS
from symopt.codegen.split import DEFAULT_MAX_STATEMENTS

F = Callable[..., Any]


def optimizer_options(
    *,
    time_limit: float = 1.0,
    node_limit: int | None = 20_000,
    scope: str = "per expression",
    node_help: str | None = None,
) -> Callable[[F], F]:
    """``--ruleset --costs --tier --time-limit --node-limit --iter-limit --no-verify``, with
    the limits' defaults of the command using them (``node_help`` explains a ``None``
    default)."""

    def apply(fn: F) -> F:
        for deco in reversed(_optimizer_decorators(time_limit, node_limit, scope, node_help)):
            fn = deco(fn)
        return fn

    return apply


def _optimizer_decorators(
    time_limit: float, node_limit: int | None, scope: str, node_help: str | None
) -> list[Callable[[F], F]]:
    return [
        click.option(
            "--ruleset",
            default="default",
            show_default=True,
            help="Built-in ruleset name (default, fast) or a TOML file.",
        ),
        click.option(
            "--costs",
            default="throughput",
            show_default=True,
            help="Built-in cost table (throughput, latency) or a TOML file.",
        ),
        click.option(
            "--tier",
            type=click.Choice(["exact", "algebra", "fast"]),
            default=None,
            help="Use only rules up to this tier (default: every rule of the ruleset).",
        ),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0.0),
            default=time_limit,
            show_default=True,
            help=f"Seconds of optimisation {scope}.",
        ),
        click.option(
            "--node-limit",
            type=click.IntRange(min=1),
            default=node_limit,
            show_default=True,
            help=node_help or f"Maximum e-nodes {scope}.",
        ),
        click.option(
            "--iter-limit",
            type=click.IntRange(min=0),
            default=30,
            show_default=True,
            help="Maximum saturation iterations.",
        ),
        click.option(
            "--verify/--no-verify",
            default=True,
            show_default=True,
            help="Check outputs numerically against inputs; fall back on mismatch.",
        ),
    ]


def _parse_memory(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    from symopt.memory import parse_size

    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def memory_option(fn: F) -> F:
    """``--memory-limit SIZE``: resident memory past which the optimiser's phases stop and keep
    their best result (stop reason ``memory limit``)."""
    return click.option(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        callback=_parse_memory,
        help="Resident memory at which optimisation stops with the best result so far, e.g. "
        "2G or 500M (default: 3/4 of physical memory).",
    )(fn)


def lang_option(fn: F) -> F:
    return click.option(
        "--lang",
        type=click.Choice(LANGS),
        default="sym",
        show_default=True,
        help="Output language.",
    )(fn)


def _parse_assumptions(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[Any]:
    from symopt.errors import ConfigError
    from symopt.rulesets.assume import parse_assumption, sample_ranges

    try:
        parsed = [parse_assumption(v) for v in values]
        sample_ranges(parsed)  # contradictions are option errors too
    except ConfigError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return parsed


def assume_option(fn: F) -> F:
    """``--assume 'x>0'`` (repeatable): facts for guards, narrower verification sampling."""
    return click.option(
        "--assume",
        "assumptions",
        multiple=True,
        metavar="'NAME OP NUMBER'",
        callback=_parse_assumptions,
        help="Assume a fact about a symbol, e.g. 'x > 0', 'u >= 0', 'y != 0' (repeatable).",
    )(fn)


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_args(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...] | None:
    """``--args t,u,p``: distinct identifiers, in order."""
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(","))
    for n in names:
        if not IDENTIFIER.fullmatch(n):
            raise click.BadParameter(f"{n!r} is not a name", ctx=ctx, param=param)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise click.BadParameter(f"{', '.join(twice)} given twice", ctx=ctx, param=param)
    return names


def args_option(help: str) -> Callable[[F], F]:
    """``--args NAME,...``: the inputs in parameter order (``compile``, ``build``)."""
    return click.option(
        "--args", "args", default=None, metavar="NAME,...", callback=parse_args, help=help
    )


def _positive_count_option(flag: str, dest: str, default: int, help: str) -> Callable[[F], F]:
    """An option taking a count of at least 1, its default shown."""
    return click.option(
        flag, dest, type=click.IntRange(min=1), default=default, show_default=True, help=help
    )


def max_statements_option(help: str) -> Callable[[F], F]:
    """``--max-statements-per-function N`` for C bodies (``compile``, ``build``, ``batch``)."""
    flag = "--max-statements-per-function"
    return _positive_count_option(flag, "max_statements", DEFAULT_MAX_STATEMENTS, help)


def max_file_operations_option(help: str) -> Callable[[F], F]:
    """``--max-file-operations N``: C split across files (``compile -o``, ``build``)."""
    flag = "--max-file-operations"
    return _positive_count_option(flag, "max_file_operations", DEFAULT_MAX_FILE_OPERATIONS, help)


TABLE_OR_JSON = "A table (plain text off a terminal) or one JSON document."


def output_format_option(help: str = TABLE_OR_JSON) -> Callable[[F], F]:
    """``--output-format text|json`` of the reporting commands (``costs show``, ``rules``,
    ``config show``)."""
    return click.option(
        "--output-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help=help,
    )


def sample_option(help: str) -> Callable[[F], F]:
    """``--sample NAME=LO:HI`` (repeatable): a verification range of an input."""
    return click.option("--sample", "samples", multiple=True, metavar="NAME=LO:HI", help=help)


def sidecar_option(fn: F) -> F:
    """``--sidecar PATH``: the model's sampling ranges (default: ``MODEL.json`` beside it)."""
    return click.option(
        "--sidecar",
        default=None,
        metavar="PATH",
        help="JSON file with a 'sampling' object (default: MODEL.json next to MODEL, if present).",
    )(fn)


def _parse_jacobian(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--jacobian`` alone is ``""`` (the default array), else an array name."""
    if value and not IDENTIFIER.fullmatch(value):
        hint = " (write --jacobian after MODEL, or --jacobian=ARRAY)"
        raise click.BadParameter(f"{value!r} is not an array name{hint}", ctx=ctx, param=param)
    return value


def jacobian_option(help: str) -> Callable[[F], F]:
    """``--jacobian[=ARRAY]``: ``None`` without it, ``""`` alone, else the array name."""
    return click.option(
        "--jacobian",
        "jacobian",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[ARRAY]",
        callback=_parse_jacobian,
        help=help,
    )
