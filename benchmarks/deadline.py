"""Is ``--time-limit`` a deadline? (issue 12): wall time against parse + limit + emit + 10 %.

For each case (an input of ``benchmarks/scaling.py`` and a command) and each limit (``1`` and
the command's default: 1 s for ``simplify``, 30 s for ``compile``), runs one ``symopt ...
--stats`` under ``/usr/bin/time`` and reads the command's own ``time:`` line: parse (for
``compile`` it includes substituting the model), emit (``simplify``: rendering; ``compile``:
codegen). The bound is ``1.1 * (parse + limit + emit)``; ``slack`` is the bound minus the wall
time (negative: the deadline was overrun). Python's start-up (imports, measured on a one-term
input with ``--time-limit 0``) is in the wall time but in none of parse, limit, emit: the
``slack past start-up`` column adds it back. Also: the stop reason (which phase was cut), the
cost ratio, peak RSS.

    python benchmarks/deadline.py [--cases sum30k,line1mb] [--limits 1,default] [--work DIR]
        [--symopt PATH] [--markdown FILE]

See docs/benchmarks.md ("The time limit as a deadline (issue 12)").
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scaling  # the inputs

DEFAULT_LIMIT = {"simplify": 1.0, "compile": 30.0}


@dataclass(frozen=True)
class Case:
    name: str
    command: str  # simplify | compile
    make: Callable[[Path], Path]


def _cases() -> dict[str, Case]:
    rows = scaling.ROWS
    cases = [
        Case("sum10k", "simplify", rows["sum10k"].make),
        Case("sum30k", "simplify", rows["sum30k"].make),
        Case(
            "sum100k",
            "simplify",
            scaling._text("sum100k.txt", lambda: scaling.sum_mod7(100_000)),
        ),
        Case("pairs5k", "simplify", rows["pairs5k"].make),
        Case("line1mb", "simplify", rows["line1mb"].make),
        Case("line2mb", "simplify", rows["line2mb"].make),
        Case("pu20k", "compile", rows["pu20k"].make),
        Case("let500", "compile", rows["let500"].make),
        Case("exp5000", "compile", rows["exp5000"].make),
    ]
    return {c.name: c for c in cases}


CASES = _cases()

_TIME = re.compile(r"time: (.*)$", re.M)
_COST = re.compile(r"cost ([\d.e+]+) -> ([\d.e+]+) cycles")
_STOP = re.compile(r"stop: ([^,\n]+)")


def _steps(stderr: str) -> dict[str, float]:
    found = _TIME.findall(stderr)
    if not found:
        return {}
    return {k: float(v) for k, v in re.findall(r"([\w-]+) ([\d.]+) s", found[-1])}


def run_one(symopt: str, case: Case, limit: str, work: Path) -> dict[str, object]:
    """One measurement of ``case`` at ``limit`` (seconds, or ``default``)."""
    source = case.make(work)
    out = work / "out" / f"deadline-{case.name}.out"
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [case.command, str(source), "--stats", "-o", str(out)]
    if case.command == "compile":
        args += ["--lang", "c"]
    if limit != "default":
        args += ["--time-limit", limit]
    seconds = DEFAULT_LIMIT[case.command] if limit == "default" else float(limit)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        load = os.getloadavg()[0]
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %M", "-o", timing.name, symopt, *args],
            capture_output=True,
            text=True,
        )
        wall, user, rss = timing.read().split()[-3:]
    steps = _steps(proc.stderr)
    parse = steps.get("parse", 0.0)
    emit = steps.get("emit", steps.get("codegen", 0.0))
    costs = _COST.findall(proc.stderr)  # none when not counted (cut in intern: "nan")
    before, after = (float(costs[-1][0]), float(costs[-1][1])) if costs else (0.0, 0.0)
    return {
        "case": case.name,
        "command": case.command,
        "limit": limit,
        "status": proc.returncode,
        "wall": float(wall),
        "user": float(user),
        "rss_mb": int(rss) / 1024,
        "parse": parse,
        "emit": emit,
        "bound": 1.1 * (parse + seconds + emit),
        "stop": sorted(set(_STOP.findall(proc.stderr))),
        "ratio": before / after if after else None,
        "load": round(load, 1),
    }


def startup(symopt: str, work: Path) -> float:
    """Wall seconds of ``symopt simplify`` on a one-term input with ``--time-limit 0``."""
    one = work / "one.txt"
    one.write_text("x*y\n")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        command = [symopt, "simplify", str(one), "--time-limit", "0", "-o", os.devnull]
        subprocess.run(["/usr/bin/time", "-f", "%e", "-o", timing.name, *command], check=True)
        return float(timing.read().split()[-1])


def _ratio(value: object) -> str:
    return f"{value:.2f}x" if isinstance(value, float) else "?"


def table(results: list[dict[str, object]], start: float) -> list[str]:
    lines = [
        f"Start-up (`symopt simplify` of one term, `--time-limit 0`): {start:.2f} s.",
        "",
        "| input | command | limit | wall (user) | parse | emit | bound | slack | slack past "
        "start-up | stop | cheaper | peak RSS | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        slack = float(r["bound"]) - float(r["wall"])  # type: ignore[arg-type]
        lines.append(
            f"| {r['case']} | {r['command']} | {r['limit']} | {r['wall']:.2f} s ({r['user']:.2f}) "
            f"| {r['parse']:.2f} | {r['emit']:.2f} | {r['bound']:.2f} | {slack:+.2f} | "
            f"{slack + start:+.2f} | {'; '.join(r['stop'])} | {_ratio(r['ratio'])} | "  # type: ignore[arg-type]
            f"{r['rss_mb']:.0f} MB | {r['load']} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--limits", default="1,default")
    parser.add_argument("--symopt", default=scaling.default_symopt())
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "symopt-scaling"))
    parser.add_argument("--markdown", help="also write the table here")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    start = startup(args.symopt, work)
    results = []
    for name in args.cases.split(","):
        for limit in args.limits.split(","):
            case = CASES[name]
            if limit == "default" and "1" in args.limits.split(",") and case.command == "simplify":
                continue  # simplify's default is 1 s: measured once
            results.append(run_one(args.symopt, case, limit, work))
            print(table(results[-1:], start)[-1], flush=True)
    lines = table(results, start)
    print("\n".join(lines))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
