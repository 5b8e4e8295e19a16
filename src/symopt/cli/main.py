"""The ``symopt`` command group; errors become ``FILE:LINE:COL: error: …`` and exit 2."""

from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from symopt.errors import ExitStatus, SymoptError

COMMANDS = {
    "simplify": "symopt.cli.simplify:simplify",
    "compile": "symopt.cli.compile:compile_model",
    "rules": "symopt.cli.rules:rules",
    "costs": "symopt.cli.costs:costs",
    "config": "symopt.cli.config:config",
    "batch": "symopt.cli.batch:batch",
    "build": "symopt.cli.build:build",
    "lint": "symopt.cli.lint:lint",
}
"""Subcommands, imported only when used: start-up stays that of the one command that runs."""

CONFIG_KEY = "symopt.config"
"""Where the root context's ``meta`` keeps the loaded :class:`symopt.config.Config`."""

EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe."""


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def _out_of_memory() -> None:
    """Say so without allocating much (no traceback, no chained MemoryError)."""
    gc.collect()
    try:
        os.write(sys.stderr.fileno(), b"symopt: error: out of memory\n")
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        click.echo("symopt: error: out of memory", err=True)


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SymoptError as exc:
            click.echo(exc.format(), err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("symopt: interrupted", err=True)
            ctx.exit(130)
        except MemoryError:
            _out_of_memory()
            ctx.exit(ExitStatus.INTERNAL)
        except BrokenPipeError:  # e.g. `symopt … | head`: the reader left; stop quietly
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # never a traceback for users; SYMOPT_DEBUG=1 shows it
            if os.environ.get("SYMOPT_DEBUG"):
                raise
            click.echo(f"symopt: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("(set SYMOPT_DEBUG=1 for a traceback)", err=True)
            ctx.exit(ExitStatus.INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symopt")
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    default=None,
    help="Read settings from this file (default: the nearest pyproject.toml with "
    "[tool.symopt], else symopt.toml, from the current directory upward).",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, isolated: bool) -> None:
    """symopt: e-graph optimizer for numerical expressions."""
    install_config(ctx, config_path, isolated)


def install_config(ctx: click.Context, config_path: str | None, isolated: bool) -> None:
    """Load the configuration and hand the invoked command its settings as click defaults."""
    from pathlib import Path

    from symopt.config import default_map, resolve_config

    if isolated and config_path is not None:
        raise click.UsageError("--config and --isolated exclude each other")
    config = resolve_config(config_path, isolated, Path.cwd())
    ctx.meta[CONFIG_KEY] = config
    name = ctx.invoked_subcommand
    command = (
        ctx.command.get_command(ctx, name)
        if isinstance(ctx.command, click.Group) and name
        else None
    )
    if command is not None and name is not None:
        ctx.default_map = {name: default_map(command, config.for_command(name))}


def main() -> None:
    cli(prog_name="symopt")
    sys.exit(ExitStatus.OK)
