"""``symopt config show``: the settings each command would run with, and where each comes from."""

from __future__ import annotations

import json
from typing import Any

import click
from click.core import ParameterSource

from symopt.cli.options import output_format_option
from symopt.cli.table import print_rows
from symopt.config import SECTIONS, Config, default_map, long_name


@click.group()
def config() -> None:
    """Inspect the configuration (pyproject.toml [tool.symopt] or symopt.toml)."""


@config.command(
    "show", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@output_format_option()
@click.argument("command", required=False, metavar="[COMMAND [ARGS]...]")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def show(
    ctx: click.Context, output_format: str, command: str | None, args: tuple[str, ...]
) -> None:
    """Print every configurable setting of COMMAND (default: every command) with its value and
    source: default, FILE:LINE, or command line (ARGS are COMMAND's options, as you would give
    them: `symopt config show simplify --tier exact`)."""
    from symopt.cli.main import CONFIG_KEY

    root = ctx.find_root()
    cfg: Config = root.meta.get(CONFIG_KEY) or Config()
    group = root.command
    assert isinstance(group, click.Group)
    names = [command] if command else [n for n in SECTIONS if n in group.list_commands(root)]
    if args and not command:
        raise click.UsageError("ARGS need a COMMAND")
    rows: list[dict[str, Any]] = []
    for name in names:
        cmd = group.get_command(root, name)
        if cmd is None or name not in SECTIONS:
            raise click.BadParameter(
                f"{name!r} has no settings; one of {', '.join(s for s in SECTIONS)}",
                param_hint="COMMAND",
            )
        rows.extend(resolved(name, cmd, cfg, list(args)))
    if output_format == "json":
        click.echo(json.dumps({"config": cfg.path, "settings": rows}, indent=2))
        return
    click.echo(f"config: {cfg.path or '(none)'}")
    print_rows(
        "symopt settings",
        ("command", "key", "value", "source"),
        [(r["command"], r["key"], _text(r["value"]), r["source"]) for r in rows],
    )


def resolved(
    name: str, command: click.Command, cfg: Config, args: list[str]
) -> list[dict[str, Any]]:
    """Each configurable option of ``command`` as click resolves it from ``args``, the
    configuration and the built-in defaults."""
    keys = SECTIONS[name]
    settings = cfg.for_command(name)
    options = [p for p in command.params if long_name(p) in keys]
    probe = click.Command(name, params=options)  # the options alone: no required arguments
    sub = probe.make_context(name, args, default_map=default_map(command, settings))
    rows = []
    for param in options:
        key = long_name(param)
        assert key is not None and param.name is not None
        source = sub.get_parameter_source(param.name)
        if source is ParameterSource.DEFAULT_MAP:
            where = settings[key].origin
        elif source is ParameterSource.COMMANDLINE:
            where = "command line"
        else:
            where = "default"
        value = (
            settings[key].value if source is ParameterSource.DEFAULT_MAP else sub.params[param.name]
        )
        rows.append({"command": name, "key": key, "value": _plain(value), "source": where})
    return rows


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (a parsed assumption as its text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return getattr(value, "text", str(value))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)
