"""How symopt's time and memory grow with the input (issue 12's table), before and after.

``run`` generates every input (the multisite networks with ``../shared/bench/gen/multisite_n.py``,
the four shared models, synthetic sums, let chains, exp chains, a 1 MB line, deep nesting) and
measures one ``symopt`` executable on each with ``/usr/bin/time -f "%e %M"``: wall seconds, peak
RSS, exit status, the per-phase times of ``--stats`` and the stop reasons. Rows are measured one
at a time, each with a timeout; results are merged into a JSON file row by row, so an interrupted
run keeps what it measured and a single row can be re-measured.

``report`` reads one or more result files (e.g. before and after), prints the table (nodes,
wall, RSS, s per node, bytes per node), fits the growth exponents (least squares of log wall and
log peak RSS against log nodes over multisite 4..7 and the four shared models) and writes a
log-log PNG (matplotlib, ``pip install -e '.[bench]'``) and optionally a Markdown table.

Usage:
  python benchmarks/scaling.py run --label after [--symopt PATH] [--rows a,b] [--timeout S]
      [--max-memory-gb G] [--out FILE] [--work DIR] [--compare BEFORE.json] [--png P] [--markdown M]
  python benchmarks/scaling.py report benchmarks/results/scaling-before.json \
      benchmarks/results/scaling-after.json [--png docs/scaling.png] [--markdown FILE]
  python benchmarks/scaling.py list
See docs/benchmarks.md (Scaling).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
RESULTS = REPO / "benchmarks" / "results"
SHARED_MODELS = ("multistate", "multisite2", "egfr_net", "bcr")
FIT_ROWS = (*(f"multisite{n}" for n in range(4, 8)), *SHARED_MODELS)
"""The rows whose growth exponents the issue targets."""


@dataclass(frozen=True)
class Row:
    """One input and the command that measures it (``{input}`` and ``{out}`` substituted)."""

    name: str
    what: str
    make: Callable[[Path], Path]  # work dir -> input file
    args: tuple[str, ...]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _multisite(n: int) -> Callable[[Path], Path]:
    def make(work: Path) -> Path:
        out = work / f"multisite{n}"
        sym = out / f"multisite{n}.sym"
        if not sym.exists():
            gen = BENCH / "gen" / "multisite_n.py"
            subprocess.run([sys.executable, str(gen), str(n), str(out)], check=True)
        return sym

    return make


def _shared(name: str) -> Callable[[Path], Path]:
    def make(work: Path) -> Path:
        return BENCH / name / f"{name}.sym"

    return make


def _text(filename: str, build: Callable[[], str]) -> Callable[[Path], Path]:
    def make(work: Path) -> Path:
        path = work / filename
        return path if path.exists() else _write(path, build())

    return make


def sum_mod7(n: int) -> str:
    """One sum of ``n`` terms ``x{i}*y{i % 7}``."""
    return " + ".join(f"x{i}*y{i % 7}" for i in range(n)) + "\n"


def sum_pairs(n: int) -> str:
    """One sum of ``n`` terms ``x{i}*y{i}``."""
    return " + ".join(f"x{i}*y{i}" for i in range(n)) + "\n"


def sum_indexed(n: int) -> str:
    """A model of one statement: the sum of ``p[i]*u[i]``, ``n`` terms."""
    return "du[0] = " + " + ".join(f"p[{i}]*u[{i}]" for i in range(n)) + "\n"


def let_chain(n: int) -> str:
    """``let a{i} = a{i-1}*u + p``, ``n`` deep, and one output reading the last."""
    lines = ["let a0 = u"]
    lines += [f"let a{i} = a{i - 1}*u + p" for i in range(1, n + 1)]
    return "\n".join([*lines, f"y = a{n}", ""])


def exp_chain(n: int) -> str:
    """``n`` output statements, each the ``exp`` of a term of the one before."""
    lines = ["du[0] = exp(-u[0])"]
    lines += [f"du[{i}] = exp(-du[{i - 1}]*p[{i % 10}])" for i in range(1, n)]
    return "\n".join([*lines, ""])


def long_line(size: int) -> str:
    """One line of at least ``size`` bytes: the sum of ``v{i % 1000}``."""
    terms: list[str] = []
    length = 0
    i = 0
    while length < size:
        term = f"v{i % 1000}"
        terms.append(term)
        length += len(term) + 3
        i += 1
    return " + ".join(terms) + "\n"


def deep_nesting(depth: int) -> str:
    """``depth`` nested parentheses: ``(x + (x + (...)))``."""
    return "(x + " * depth + "x" + ")" * depth + "\n"


def _rows() -> dict[str, Row]:
    compile_c = ("compile", "{input}", "--lang", "c", "--stats", "-o", "{out}")
    simplify = ("simplify", "{input}", "--stats", "-o", "{out}")
    limit1 = ("--time-limit", "1")
    rows = [
        *(
            Row(
                f"multisite{n}",
                f"multisite {n} (generated), compile --lang c",
                _multisite(n),
                compile_c,
            )
            for n in range(4, 8)
        ),
        *(Row(m, f"{m} (shared), compile --lang c", _shared(m), compile_c) for m in SHARED_MODELS),
        Row(
            "sum10k",
            "simplify, one sum of 10,000 terms x{i}*y{i % 7}, --time-limit 1",
            _text("sum10k.txt", lambda: sum_mod7(10_000)),
            (*simplify, *limit1),
        ),
        Row(
            "sum30k",
            "the same with 30,000 terms",
            _text("sum30k.txt", lambda: sum_mod7(30_000)),
            (*simplify, *limit1),
        ),
        Row(
            "pairs5k",
            "simplify, sum of x{i}*y{i}, 5,000 terms, --time-limit 1",
            _text("pairs5k.txt", lambda: sum_pairs(5_000)),
            (*simplify, *limit1),
        ),
        Row(
            "pu20k",
            "compile, one statement sum of p[i]*u[i], 20,000 terms",
            _text("pu20k.sym", lambda: sum_indexed(20_000)),
            compile_c,
        ),
        Row(
            "let500",
            "compile, let chain a_i = a_{i-1}*u + p, 500 deep, --time-limit 1",
            _text("let500.sym", lambda: let_chain(500)),
            (*compile_c, *limit1),
        ),
        Row(
            "exp5000",
            "compile, 5,000 chained exp statements, --time-limit 1",
            _text("exp5000.sym", lambda: exp_chain(5_000)),
            (*compile_c, *limit1),
        ),
        Row(
            "line1mb",
            "simplify, one 1 MB line of v{i % 1000} terms",
            _text("line1mb.txt", lambda: long_line(1_000_000)),
            simplify,
        ),
        Row(
            "line2mb",
            "simplify, one 2 MB line of v{i % 1000} terms",
            _text("line2mb.txt", lambda: long_line(2_000_000)),
            simplify,
        ),
        Row(
            "nest5000",
            "simplify, 5,000 nested parentheses",
            _text("nest5000.txt", lambda: deep_nesting(5_000)),
            simplify,
        ),
    ]
    return {r.name: r for r in rows}


ROWS = _rows()

_TOKEN = re.compile(
    r"(?P<call>[A-Za-z_]\w*)\s*\(|(?P<leaf>[A-Za-z_]\w*(?:\s*\[\s*\d+\s*\])?|(?:\d+\.?\d*|\.\d+)"
    r"(?:[eE][+-]?\d+)?)|(?P<op>\*\*|[-+*/^])|(?P<open>[(,=])|(?P<close>\))"
)
_SKIP_LINE = re.compile(r"\s*(input|output|assume)\s+(?=[A-Za-z_])")


def count_nodes(text: str) -> int:
    """Tree nodes of the expressions in ``text`` (a model or an expression file), counted from
    tokens without parsing (so the harness stays light on a 2.4 M-node input): leaves, calls,
    binary operators and unary minus except before a literal (``-2`` is one constant). Targets,
    ``let``, declarations, ``assume`` lines and comments do not count. Equals symopt's own tree
    count on the shared models (bcr: 284,488)."""
    total = 0
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        if not line.strip() or _SKIP_LINE.match(line):
            continue
        head, eq, rest = line.partition("=")
        if eq and re.fullmatch(r"\s*(let\s+)?[A-Za-z_]\w*\s*(\[\s*\d+\s*\])?\s*", head):
            line = rest
        operand_before = False
        pending_minus = False
        for match in _TOKEN.finditer(line):
            kind = match.lastgroup
            if kind == "op":
                if operand_before:
                    total += 1
                    operand_before = False
                elif match.group() == "-":
                    pending_minus = True
                continue
            if kind == "leaf":
                literal = match.group()[0].isdigit() or match.group()[0] == "."
                total += 1 + (pending_minus and not literal)
                operand_before = True
            elif kind == "call":
                total += 1 + pending_minus
                operand_before = False
            elif kind == "open":
                total += pending_minus
                operand_before = False
            else:
                operand_before = True
            pending_minus = False
    return total


def _phase_times(stderr: str) -> dict[str, float]:
    """``name: 1.2 s`` / ``name 1.2 s`` pairs of the ``time:`` lines of ``--stats`` (summed
    over lines, e.g. one per expression of an expression file)."""
    times: dict[str, float] = {}
    for line in stderr.splitlines():
        _, found, rest = line.partition("time:")
        per_expression = re.search(r"stop: .*, ([\d.]+) s$", line)
        if not found and per_expression:  # simplify --stats: one line per expression
            times["expressions"] = round(
                times.get("expressions", 0.0) + float(per_expression[1]), 3
            )
        if not found:
            continue
        for name, value in re.findall(r"([A-Za-z][\w -]*?):?\s+([\d.]+)\s*s\b", rest):
            key = name.strip()
            times[key] = round(times.get(key, 0.0) + float(value), 3)
    return times


def _stop_reasons(stderr: str) -> list[str]:
    found = re.findall(r"stop: ([^,\n]+)", stderr)
    return sorted(set(found))


def default_symopt() -> str:
    here = Path(sys.executable).parent / "symopt"
    return str(here) if here.exists() else shutil.which("symopt") or "symopt"


def _address_space_limit(gigabytes: float) -> Callable[[], None]:
    def limit() -> None:
        cap = int(gigabytes * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    return limit


def measure(
    row: Row, symopt: str, work: Path, timeout: float, max_memory_gb: float
) -> dict[str, object]:
    """Run ``row`` once under ``/usr/bin/time`` (``timeout`` seconds, ``max_memory_gb`` of
    address space: past it allocations fail, as on a smaller machine, rather than the shared
    machine swapping or the OOM killer choosing); the result as a JSON-ready dict."""
    source = row.make(work)
    text = source.read_text()
    out = work / "out" / f"{row.name}.out"
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [a.replace("{input}", str(source)).replace("{out}", str(out)) for a in row.args]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        command = ["/usr/bin/time", "-f", "%e %M", "-o", timing.name, symopt, *args]
        load = os.getloadavg()[0]
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_address_space_limit(max_memory_gb),
        )
        try:
            _, stderr = proc.communicate(timeout=timeout)
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, stderr = proc.communicate()
            status = f"timeout {timeout:g} s"
        elapsed = time.perf_counter() - start
        fields = timing.read().split()
    wall = float(fields[-2]) if len(fields) >= 2 else round(elapsed, 2)
    rss_kb = int(fields[-1]) if len(fields) >= 2 else None
    if proc.returncode and "MemoryError" in stderr:
        status += " (MemoryError)"
    elif proc.returncode == -signal.SIGKILL and not status.startswith("timeout"):
        status += " (killed: out of memory?)"
    return {
        "row": row.name,
        "what": row.what,
        "command": " ".join(["symopt", *args]).replace(str(work), "WORK"),
        "nodes": count_nodes(text),
        "input_bytes": len(text.encode()),
        "status": status,
        "wall_s": wall,
        "peak_rss_kb": rss_kb,
        "phases_s": _phase_times(stderr),
        "stop": _stop_reasons(stderr),
        "stderr_tail": stderr.strip().splitlines()[-3:],
        "load_before": round(load, 2),
        "max_memory_gb": max_memory_gb,
        "measured": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def startup_rss_kb(symopt: str, work: Path) -> int:
    """Peak RSS (KB) of ``symopt simplify`` on a one-term input with ``--time-limit 0``: the
    interpreter and symopt's imports, no phase run (the memory every row pays before its
    input; the rule e-graph's program, about 0.35 GB more, is not in it)."""
    one = _write(work / "startup.txt", "x*y\n")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        command = [symopt, "simplify", str(one), "--time-limit", "0", "-o", os.devnull]
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", timing.name, *command], check=True)
        return int(timing.read().split()[-1])


def _load(path: Path) -> dict[str, object]:
    return json.loads(path.read_text()) if path.exists() else {}


def run(args: argparse.Namespace) -> None:
    names = args.rows.split(",") if args.rows else list(ROWS)
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        sys.exit(f"unknown rows: {', '.join(unknown)} (see: scaling.py list)")
    out = Path(args.out or RESULTS / f"scaling-{args.label}.json")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    symopt = args.symopt or default_symopt()
    baseline = startup_rss_kb(symopt, work)
    for name in names:
        result = measure(ROWS[name], symopt, work, args.timeout, args.max_memory_gb)
        data = _load(out)
        data.update({"label": args.label, "symopt": symopt, "cores": os.cpu_count()})
        data["startup_rss_kb"] = baseline
        rows = data.setdefault("rows", {})
        assert isinstance(rows, dict)
        rows[name] = result
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        tmp.replace(out)
        print(_line(result), flush=True)
    if args.compare or args.png or args.markdown:
        files = [*([args.compare] if args.compare else []), str(out)]
        report(argparse.Namespace(files=files, png=args.png, markdown=args.markdown))


def _line(r: dict[str, object]) -> str:
    rss = r["peak_rss_kb"]
    mem = f"{int(rss) / 1e6:.2f} GB" if isinstance(rss, int) else "-"
    return f"{r['row']:<12} {r['nodes']:>9,} nodes  {r['wall_s']:>7.1f} s  {mem:>8}  {r['status']}"


def fit(points: Iterable[tuple[float, float]]) -> float | None:
    """Least-squares slope of log y against log x."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else None


def _complete(r: dict[str, object]) -> bool:
    return r["status"] == "ok" and isinstance(r["peak_rss_kb"], int)


MULTISITE_ROWS = FIT_ROWS[:4]


def exponents(
    rows: dict[str, dict[str, object]], names: tuple[str, ...] = FIT_ROWS
) -> tuple[float | None, float | None]:
    """Growth exponents (time, memory) over the completed rows ``names``."""
    done = [rows[n] for n in names if n in rows and _complete(rows[n])]
    t = fit((float(r["nodes"]), float(r["wall_s"])) for r in done)  # type: ignore[arg-type]
    m = fit((float(r["nodes"]), float(r["peak_rss_kb"])) for r in done)  # type: ignore[arg-type]
    return t, m


def table(data: dict[str, object]) -> list[str]:
    """Markdown table rows of one result file."""
    rows = data["rows"]
    assert isinstance(rows, dict)
    base = data.get("startup_rss_kb")
    head = [
        "| input | nodes | wall | peak RSS | s / node | B / node | B / node above start-up "
        "| status | load | phases (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    body = []
    for name in ROWS:
        if name not in rows:
            continue
        r = rows[name]
        nodes, wall, rss = r["nodes"], r["wall_s"], r["peak_rss_kb"]
        mem = f"{rss / 1e6:.2f} GB" if isinstance(rss, int) else "–"
        per_byte = f"{rss * 1024 / nodes:,.0f}" if isinstance(rss, int) and nodes else "–"
        per_s = f"{wall / nodes * 1e6:.1f} µs" if nodes else "–"
        above = "–"
        if isinstance(rss, int) and isinstance(base, int) and nodes:
            above = f"{(rss - base) * 1024 / nodes:,.0f}"
        times = r["phases_s"] or _phase_times("\n".join(r["stderr_tail"]))
        phases = ", ".join(
            f"{k} {v:g}" for k, v in sorted(times.items(), key=lambda kv: -kv[1])[:3]
        )
        body.append(
            f"| {name} | {nodes:,} | {wall:.1f} s | {mem} | {per_s} | {per_byte} | {above} | "
            f"{r['status']} | {r['load_before']:.1f} | {phases} |"
        )
    return head + body


def report(args: argparse.Namespace) -> None:
    files = [Path(p) for p in args.files]
    datasets = [json.loads(p.read_text()) for p in files]
    md: list[str] = []
    for data in datasets:
        base = data.get("startup_rss_kb")
        t, m = exponents(data["rows"])
        ts, ms = exponents(data["rows"], MULTISITE_ROWS)
        fmt = lambda e: "–" if e is None else f"{e:.2f}"  # noqa: E731
        md += [
            f"### {data['label']}",
            "",
            *table(data),
            "",
            f"Growth exponents (least squares, log against log nodes, completed rows only) over "
            f"multisite 4..7 and the four shared models: time {fmt(t)}, peak RSS {fmt(m)}; over "
            f"multisite 4..7 alone: time {fmt(ts)}, peak RSS {fmt(ms)}.",
            "",
            *(
                [f"Start-up peak RSS (one term, `--time-limit 0`): {base / 1e3:.0f} MB.", ""]
                if isinstance(base, int)
                else []
            ),
        ]
    print("\n".join(md))
    if args.markdown:
        Path(args.markdown).write_text("\n".join(md))
    if args.png:
        plot(datasets, Path(args.png))


def plot(datasets: list[dict[str, object]], png: Path) -> None:
    """Log-log plot of wall time and peak RSS against nodes, one series per result file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for data, marker in zip(datasets, "os^D", strict=False):
        rows = data["rows"]
        assert isinstance(rows, dict)
        done = [rows[n] for n in FIT_ROWS if n in rows and _complete(rows[n])]
        t, m = exponents(rows)
        for ax, key, scale, slope in (
            (axes[0], "wall_s", 1.0, t),
            (axes[1], "peak_rss_kb", 1e-6, m),
        ):
            xs = [r["nodes"] for r in done]
            ys = [r[key] * scale for r in done]
            label = f"{data['label']} (slope {slope:.2f})" if slope is not None else data["label"]
            ax.loglog(xs, ys, marker, linestyle="none", label=label)
            for r, y in zip(done, ys, strict=True):
                ax.annotate(r["row"], (r["nodes"], y), fontsize=7, alpha=0.7)
    for ax in axes:  # slope 1 (linear growth) through the middle of the plotted range
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        xm, ym = math.sqrt(x0 * x1), math.sqrt(y0 * y1)
        ax.loglog([x0, x1], [ym * x0 / xm, ym * x1 / xm], "k--", lw=0.8, label="slope 1")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    for ax, ylabel in ((axes[0], "wall (s)"), (axes[1], "peak RSS (GB)")):
        ax.set_xlabel("input nodes")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("symopt compile --lang c: multisite 4..7 and the shared models")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("run", help="measure rows with one symopt executable")
    r.add_argument("--symopt", help="the symopt executable (default: this venv's)")
    r.add_argument("--label", default="after", help="before | after | any name")
    r.add_argument("--rows", help="comma-separated row names (default: all; see list)")
    r.add_argument("--timeout", type=float, default=900.0, help="seconds per row")
    r.add_argument(
        "--max-memory-gb",
        type=float,
        default=10.0,
        help="address-space cap per row (allocations past it fail)",
    )
    r.add_argument("--out", help="JSON results (default benchmarks/results/scaling-LABEL.json)")
    r.add_argument("--compare", help="then report this result file (e.g. before) beside ours")
    r.add_argument("--png", help="then write the log-log plot here")
    r.add_argument("--markdown", help="then write the tables here")
    r.add_argument(
        "--work",
        default=os.path.join(tempfile.gettempdir(), "symopt-scaling"),
        help="where generated inputs and outputs go",
    )
    p = sub.add_parser("report", help="table, growth exponents and plot of result files")
    p.add_argument("files", nargs="+")
    p.add_argument("--png", help="write the log-log plot here")
    p.add_argument("--markdown", help="write the tables here")
    sub.add_parser("list", help="the rows")
    args = parser.parse_args()
    if args.mode == "run":
        run(args)
    elif args.mode == "report":
        report(args)
    else:
        for row in ROWS.values():
            print(f"{row.name:<12} {row.what}")


if __name__ == "__main__":
    main()
