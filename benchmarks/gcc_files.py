"""gcc -O2 time per emitted C file, and instructions per call, for several part sizes and
per-file budgets (issue 12: "keep every emitted file compiling in ≤ 30 s at -O2").

The model is optimised once, as ``symopt compile --lang c`` does with its defaults except
``--time-limit`` (300 s here: on a loaded machine the default 30 s cuts phases at random
points, and the code compared would differ from run to run); then for every combination of
``--part-statements`` and ``--part-operations`` (``symopt.codegen.split.PART_STATEMENTS`` and
``PART_OPERATIONS``) and ``--max-file-operations`` (0: one file) the C is rendered, each file
compiled alone with ``gcc -O2 -std=c99 -c`` (one at a time; gcc's user CPU time of the child,
steady on a loaded machine), and with ``--callgrind`` linked with the benchmark driver of
benchmarks/modelbench and counted (callgrind ``--toggle-collect=f``, inclusive of the part
functions) and its outputs compared with the first variant's.

Usage: python benchmarks/gcc_files.py MODEL.sym [--part-statements 500]
       [--part-operations 12000,4000] [--max-file-operations 0,100000] [--callgrind] [--keep DIR]
The model's sidecar (MODEL.json, with ``p`` and ``sampling.u``) gives the driver's inputs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from modelbench.build import compile_driver, compile_object, link
from modelbench.compile_like import optimise_like_compile, read_sym_model
from modelbench.measure import instructions_per_call, write_inputs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--part-operations", default="12000")
    ap.add_argument("--max-file-operations", default="0", help="0: one file")
    ap.add_argument("--part-statements", default="500", help="split.PART_STATEMENTS values")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="write the C files here")
    ap.add_argument("--time-limit", type=float, default=300.0, help="the optimiser's deadline")
    ap.add_argument("--timeout", type=float, default=1800.0)
    return ap.parse_args(argv)


@dataclass
class Variant:
    part_statements: int
    part_operations: int
    max_file_operations: int
    files: list[Path]
    seconds: list[float]
    instructions: float | None = None
    max_rel_diff: float | None = None

    def row(self) -> str:
        budget = self.max_file_operations or "one file"
        gcc = ", ".join(f"{s:.1f}" for s in self.seconds)
        count = f"{self.instructions:,.0f}" if self.instructions is not None else "–"
        diff = f"{self.max_rel_diff:.1e}" if self.max_rel_diff is not None else "–"
        return (
            f"| {self.part_statements:,} | {self.part_operations:,} | {budget} "
            f"| {len(self.files)} | {max(self.seconds):.1f} | {sum(self.seconds):.1f} | {gcc} "
            f"| {count} | {diff} |"
        )


def optimise(model_path: Path, time_limit: float):
    """Parse and optimise as ``symopt compile`` (with ``time_limit``); a renderer of the C
    files."""
    import symopt.codegen.split as splitting
    from symopt.model.pipeline import render_model_files

    t0 = time.perf_counter()
    model = read_sym_model(model_path)
    deadline = model.parsed_at + time_limit
    result, table = optimise_like_compile(model, time_limit=time_limit, deadline=deadline)
    parsed, pairs = model.parsed, model.pairs
    print(
        f"optimised in {time.perf_counter() - t0:.1f} s: cost {result.cost_before:g} -> "
        f"{result.cost_after:g}, stop: {result.stop_text}",
        flush=True,
    )

    def render(part_operations: int, max_file_operations: int, statements: int) -> list[str]:
        saved = splitting.PART_OPERATIONS, splitting.PART_STATEMENTS
        splitting.PART_OPERATIONS = part_operations
        splitting.PART_STATEMENTS = statements
        try:
            return render_model_files(
                parsed,
                pairs,
                result,
                lang="c",
                name="f",
                table=table,
                max_statements=splitting.DEFAULT_MAX_STATEMENTS,
                max_file_operations=max_file_operations or None,
            )
        finally:
            splitting.PART_OPERATIONS, splitting.PART_STATEMENTS = saved

    return render, parsed


def gcc_cpu(source: Path, timeout: float) -> float:
    """``gcc -O2 -std=c99 -c``: user CPU seconds of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    compile_object(source, source.with_suffix(".o"), [], timeout)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    render, parsed = optimise(args.model, args.time_limit)
    side = json.loads(args.model.with_suffix(".json").read_text())
    n_p, n_u = parsed.sizes["p"], parsed.sizes["u"]
    n_du = parsed.sizes["du"]
    variants: list[Variant] = []
    with tempfile.TemporaryDirectory(prefix="symopt-gccfiles-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.callgrind:
            lo, hi = (np.asarray(side["sampling"]["u"][k], dtype=float) for k in ("lo", "hi"))
            points = np.random.default_rng(0).uniform(lo, hi, size=(4, n_u))
            inputs = write_inputs(work, np.asarray(side["p"], dtype=float), points, n_du)
            driver = compile_driver(work, n_p, n_u, n_du, args.timeout)
        reference = None
        combos = [
            (int(st), int(po), int(fo))
            for st in args.part_statements.split(",")
            for po in args.part_operations.split(",")
            for fo in args.max_file_operations.split(",")
        ]
        for statements, part_ops, file_ops in combos:
            texts = render(part_ops, file_ops, statements)
            stem = f"s{statements}_p{part_ops}_f{file_ops}"
            files = [work / f"{stem}.c"] + [
                work / f"{stem}.part{k}.c" for k in range(1, len(texts))
            ]
            for path, text in zip(files, texts, strict=True):
                path.write_text(text)
            seconds = [gcc_cpu(path, args.timeout) for path in files]
            v = Variant(statements, part_ops, file_ops, files, seconds)
            if args.callgrind:
                exe = work / f"drv_{stem}"
                link([driver, *(p.with_suffix(".o") for p in files)], exe, args.timeout)
                v.instructions = instructions_per_call(exe, inputs, work, args.timeout)
                out = work / f"{stem}.bin"
                subprocess.run([*inputs.argv(exe), "eval", str(out)], check=True)
                values = np.fromfile(out)
                if reference is None:
                    reference = values
                scale = np.abs(reference) + 1e-300
                v.max_rel_diff = float(np.max(np.abs(values - reference) / scale))
            variants.append(v)
            print(v.row(), flush=True)
    print()
    print(
        "| part statements | part operations | max file operations | files | slowest file s "
        "| gcc total s | per file s | instr/call | max rel diff |"
    )
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for v in variants:
        print(v.row())
    return 0


if __name__ == "__main__":
    sys.exit(main())
