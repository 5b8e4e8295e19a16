"""C output in several files (``--max-file-operations``): the files compile together with the
system compiler and give the single file's numbers; the CLI lists them; the set is written
all or nothing; ``symopt.load`` and ``symopt build`` compile and link them."""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import symopt
from symopt.cli.io import InputError, write_outputs
from symopt.cli.main import cli
from symopt.codegen import FunctionDef
from symopt.codegen.c import render_c_files, render_c_module
from symopt.codegen.cfiles import PART_FILE_MARKER, part_file_paths
from symopt.model import parse_model

DATA = Path(__file__).parent / "data"
MODEL = DATA / "multisite2.sym"
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler found")
SMALL = ("--max-statements-per-function", "20", "--max-file-operations", "300")
"""multisite2 (141 statements) in parts of 20 statements, several parts per 300-operation file."""


def _function() -> FunctionDef:
    parsed = parse_model(MODEL.read_text(), str(MODEL))
    return FunctionDef("f", parsed.inputs, tuple(parsed.output_terms()), parsed.outputs)


def _library(texts: list[str], where: Path) -> ctypes.CDLL:
    """Every text as its own file, compiled separately (warnings are errors) and linked."""
    assert CC is not None
    where.mkdir()
    paths = [where / "m.c", *map(Path, part_file_paths(str(where / "m.c"), len(texts) - 1))]
    flags = ["-O1", "-std=c99", "-Wall", "-Wextra", "-Werror", "-fPIC"]
    for path, text in zip(paths, texts, strict=True):
        path.write_text(text)
        subprocess.run([CC, *flags, "-c", "-o", f"{path}.o", str(path)], check=True, timeout=120)
    lib = where / "libm.so"
    objects = [f"{p}.o" for p in paths]
    subprocess.run([CC, "-shared", "-o", str(lib), *objects, "-lm"], check=True, timeout=120)
    return ctypes.CDLL(str(lib))


def _call(lib: ctypes.CDLL, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    du = np.zeros(len(u))
    ptr = ctypes.POINTER(ctypes.c_double)
    lib.f.restype = None
    lib.f(*(a.ctypes.data_as(ptr) for a in (du, p, u)))
    return du


def _point() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.uniform(0.1, 2.0, 9), rng.uniform(0.1, 2.0, 66)


def test_small_budget_gives_several_files_and_a_large_one_todays_file() -> None:
    fn = _function()
    single = render_c_module([fn], max_statements=20)
    files = render_c_files([fn], max_statements=20, max_file_operations=300)
    assert len(files) > 2
    assert all(f.startswith(PART_FILE_MARKER) for f in files[1:])
    assert "static" not in "".join(files)  # the parts are called from another file
    defined = sorted(n for f in files[1:] for n in _part_names(f, "SYMOPT_NOINLINE void "))
    declared = sorted(_part_names(files[0], "SYMOPT_HIDDEN void "))
    assert defined == declared and len(defined) == single.count("static SYMOPT_NOINLINE void")
    assert render_c_files([fn], max_statements=20, max_file_operations=10**9) == [single]
    assert render_c_files([fn], max_statements=20) == [single]


def _part_names(text: str, prefix: str) -> list[str]:
    return [line.split(prefix)[1].split("(")[0] for line in text.splitlines() if prefix in line]


@needs_cc
def test_files_compile_together_and_give_the_single_files_numbers(tmp_path: Path) -> None:
    fn = _function()
    p, u = _point()
    one = _call(_library([render_c_module([fn], max_statements=20)], tmp_path / "one"), p, u)
    files = render_c_files([fn], max_statements=20, max_file_operations=300)
    several = _call(_library(files, tmp_path / "several"), p, u)
    assert np.array_equal(one, several) and np.all(np.isfinite(one)) and one.any()


def test_cli_lists_the_files_and_removes_stale_parts(tmp_path: Path) -> None:
    out = tmp_path / "m.c"
    run = CliRunner().invoke(
        cli, ["compile", str(MODEL), "--iter-limit", "1", *SMALL, "-o", str(out)]
    )
    assert run.exit_code == 0, run.output
    listed = run.stdout.split()
    assert listed == [str(out), *part_file_paths(str(out), len(listed) - 1)]
    assert len(listed) > 2 and all(Path(p).is_file() for p in listed)
    base = ["compile", str(MODEL), "--iter-limit", "1", "--max-statements-per-function", "20"]
    again = CliRunner().invoke(cli, [*base, "-o", str(out)])  # the default budget: one file
    assert again.exit_code == 0 and again.stdout == ""  # one file: nothing listed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.c"]  # the old parts are gone
    to_stdout = CliRunner().invoke(cli, [*base, "--max-file-operations", "300"])
    assert to_stdout.exit_code == 0 and to_stdout.stdout == out.read_text()  # stdout: one file
    assert "static SYMOPT_NOINLINE void f_part" in to_stdout.stdout


def test_a_failed_set_leaves_no_files(tmp_path: Path) -> None:
    out = tmp_path / "m.c"
    (tmp_path / "m.part2.c").mkdir()  # the second part file cannot be written
    args = ["compile", str(MODEL), "--iter-limit", "1", *SMALL, "-o", str(out)]
    run = CliRunner().invoke(cli, args)
    assert run.exit_code == 2, run.output
    assert "m.part2.c" in run.output and "Traceback" not in run.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.part2.c"]  # no m.c, no temp files


def test_write_outputs_removes_what_it_renamed_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    real = os.replace
    calls = []

    def flaky(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    (tmp_path / "b").write_text("old")
    with pytest.raises(InputError, match="No space left"):
        write_outputs([("A", str(tmp_path / "a")), ("B", str(tmp_path / "b"))])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # a removed, no temp files
    assert (tmp_path / "b").read_text() == "old"


@needs_cc
def test_load_and_build_compile_several_files(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    one = symopt.load(MODEL, max_statements=20, cache_dir=cache, iter_limit=1)
    several = symopt.load(
        MODEL, max_statements=20, max_file_operations=300, cache_dir=cache, iter_limit=1
    )
    p, u = _point()
    assert np.array_equal(one(p, u), several(p, u))
    entries = [d for d in (cache / "build").iterdir() if (d / "model.part1.c").is_file()]
    assert len(entries) == 1 and not list(entries[0].glob("*.o"))  # objects removed after linking
    outdir = tmp_path / "out"
    args = ["build", str(MODEL), "-o", str(outdir), "--iter-limit", "1", *SMALL]
    run = CliRunner(env={"SYMOPT_CACHE_DIR": str(cache)}).invoke(cli, args)
    assert run.exit_code == 0, run.output
    names = [Path(line).name for line in run.stdout.split()]
    assert names[0] == "multisite2.c" and names[1] == "multisite2.part1.c"
    assert names[-2:] == ["multisite2.so", "multisite2.json"]
    assert json.loads((outdir / "multisite2.json").read_text())["name"] == "f"
