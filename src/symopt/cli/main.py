"""The ``symopt`` command group; errors become ``FILE:LINE:COL: error: …`` and exit 2."""

from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from symopt.errors import SymoptError

COMMANDS = {
    "simplify": "symopt.cli.simplify:simplify",
    "compile": "symopt.cli.compile:compile_model",
    "rules": "symopt.cli.rules:rules",
    "costs": "symopt.cli.costs:costs",
    "lint": "symopt.cli.lint:lint",
}
"""Subcommands, imported only when used: start-up stays that of the one command that runs."""

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
            ctx.exit(3)
        except BrokenPipeError:  # e.g. `symopt … | head`: the reader left; stop quietly
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # never a traceback for users; SYMOPT_DEBUG=1 shows it
            if os.environ.get("SYMOPT_DEBUG"):
                raise
            click.echo(f"symopt: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("(set SYMOPT_DEBUG=1 for a traceback)", err=True)
            ctx.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symopt")
def cli() -> None:
    """symopt: e-graph optimizer for numerical expressions."""


def main() -> None:
    cli(prog_name="symopt")
    sys.exit(0)
