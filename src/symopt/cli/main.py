"""The ``symopt`` command group; errors become ``FILE:LINE:COL: error: …`` and exit 2."""

from __future__ import annotations

import os
import sys

import click

from symopt.cli.costs import costs
from symopt.cli.rules import rules
from symopt.cli.simplify import simplify
from symopt.errors import SymoptError


class _Group(click.Group):
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


cli.add_command(simplify)
cli.add_command(rules)
cli.add_command(costs)


def main() -> None:
    cli(prog_name="symopt")
    sys.exit(0)
