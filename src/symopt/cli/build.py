"""``symopt build``: a model compiled into a shared library (or a Python module) in a directory,
with its signature, through the same cache as ``symopt.load``."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

from symopt.cli.io import InputError, read_source, write_c_files, write_output
from symopt.cli.options import (
    args_option,
    assume_option,
    jacobian_option,
    max_file_operations_option,
    max_statements_option,
    optimizer_options,
    sample_option,
    sidecar_option,
)
from symopt.gcpause import without_gc

if TYPE_CHECKING:
    from symopt.rulesets.assume import Assumption

BUILD_LANGS = ("c", "python", "numpy")


@click.command("build")
@click.argument("model", metavar="MODEL")
@click.option(
    "-o", "--output", "outdir", required=True, metavar="DIR", help="Directory to write into."
)
@click.option(
    "--lang",
    type=click.Choice(BUILD_LANGS),
    default="c",
    show_default=True,
    help="c: a shared library; python or numpy: a module (no compiler needed).",
)
@optimizer_options(time_limit=30.0, node_limit=200_000, scope="for the whole model")
@assume_option
@click.option("--name", default="f", show_default=True, help="Name of the generated function.")
@args_option("The inputs, in parameter order (as an 'input' line; sizes inferred).")
@click.option("--cc", default=None, help="C compiler command (default: cc, gcc or clang).")
@click.option("--cflags", default=None, help="Compiler flags (default: -O2; -fPIC -shared added).")
@max_statements_option("C: split a longer body into static functions (compiles much faster).")
@max_file_operations_option(
    "C: when the split functions hold more operations than this, compile their parts as "
    "further files STEM.part1.c … of at most this many each (in parallel), linked together."
)
@sample_option("Verification range of an input (u or u[3]); repeatable; overrides the sidecar.")
@sidecar_option
@jacobian_option(
    "Also build the sparse (CSC) Jacobian by input ARRAY (default: the state): NAME_jac, "
    "NAME_f_and_jac and the structure constants, as compile --jacobian."
)
@without_gc
def build(
    model: str,
    outdir: str,
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
    args: tuple[str, ...] | None,
    cc: str | None,
    cflags: str | None,
    max_statements: int,
    max_file_operations: int,
    samples: tuple[str, ...],
    sidecar: str | None,
    jacobian: str | None,
) -> None:
    """Optimise MODEL and build it into DIR: STEM.c and STEM.so (or STEM.py), and STEM.json,
    the signature (``symopt.load`` gives the same function, from its cache).

    A missing compiler or a failed build exits with status 2 and the compiler's message.
    """
    from symopt.native.load import SOURCE_FILE, Options
    from symopt.native.load import build as build_entry

    path, text = read_source(model)
    options = Options.of(
        lang=lang,
        name=name,
        ruleset=ruleset,
        costs=costs,
        tier=tier,
        time_limit=time_limit,
        node_limit=node_limit,
        iter_limit=iter_limit,
        verify=verify,
        assume=[a.text for a in assumptions],
        samples=samples,
        max_statements=max_statements,
        args=args,
        cc=cc,
        cflags=cflags,
        jacobian=jacobian,
        max_file_operations=max_file_operations,
    )
    built = build_entry(text, path, options, sidecar=sidecar)
    for message in built.warnings:
        click.echo(message, err=True)
    stem = Path(model).stem if model != "-" else "model"
    target = Path(outdir)
    source_name = f"{stem}{Path(SOURCE_FILE[lang]).suffix}"
    texts = [p.read_text(encoding="utf-8") for p in (built.source, *built.parts)]
    if lang == "c":
        written = [Path(p) for p in write_c_files(texts, str(target / source_name))]
    else:
        write_output(texts[0], str(target / source_name))
        written = [target / source_name]
    if built.library is not None:
        written.append(_install(built.library, target / f"{stem}.so"))
    write_output(built.signature.to_json() + "\n", str(target / f"{stem}.json"))
    written.append(target / f"{stem}.json")
    for p in written:
        click.echo(str(p))


def _install(source: Path, dest: Path) -> Path:
    """Copy ``source`` to ``dest`` atomically (a temp file next to it, renamed into place)."""
    tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(f"{dest}: cannot write: {exc.strerror or exc}") from None
    return dest
