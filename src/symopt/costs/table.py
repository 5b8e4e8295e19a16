"""Per-operator cycle costs loaded from TOML (``[ops] name = { cycles = N, source = "…" }``)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from symopt.errors import ConfigError, SourceError
from symopt.ir import OPERATORS, App, Term, postorder
from symopt.tomlpos import key_lines, locate, toml_error_position

BUILTIN_TABLES = ("throughput", "latency")


@dataclass(frozen=True)
class CostTable:
    """Cycle cost per operator. Leaves (numbers, symbols) cost nothing: they are loads."""

    name: str
    cycles: dict[str, float]
    sources: dict[str, str]

    def op(self, op: str) -> float:
        try:
            return self.cycles[op]
        except KeyError:
            raise ConfigError(f"cost table '{self.name}' has no cost for operator '{op}'") from None

    def dag_cost(self, roots: Iterable[Term]) -> float:
        """Cost of evaluating ``roots`` with every distinct subterm computed once."""
        return sum(self.op(t.op) for t in postorder(list(roots)) if isinstance(t, App))

    def breakdown(self, roots: Iterable[Term]) -> dict[str, tuple[int, float]]:
        """Per operator of ``roots``: ``(count, cycles)``, each subterm counted once as in
        :meth:`dag_cost` (pass interned terms), so the cycles sum to it. Costliest first."""
        counts: dict[str, int] = {}
        for t in postorder(list(roots)):
            if isinstance(t, App):
                counts[t.op] = counts.get(t.op, 0) + 1
        rows = {op: (n, n * self.op(op)) for op, n in counts.items()}
        return dict(sorted(rows.items(), key=lambda kv: (-kv[1][1], kv[0])))


def parse_cost_table(text: str, *, name: str, path: str = "<costs>") -> CostTable:
    """Parse and validate a cost table; every operator of the language must have a cost. A
    problem is a :class:`SourceError` at its key (``FILE:LINE:COL: error: …``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_error_position(exc)
        raise SourceError.in_text(f"invalid TOML: {message}", path, text, line, column) from None
    lines = key_lines(text)

    def fail(message: str, *key: str) -> SourceError:
        line, column = locate(lines, key)
        width = len(key[-1]) if key and key in lines else 1
        return SourceError.in_text(message, path, text, line, column, width)

    for table in data:
        if table not in ("meta", "ops"):
            raise fail(f"unknown table '{table}'; expected [meta] and [ops]", table)
    ops = data.get("ops")
    if not isinstance(ops, dict):
        raise fail("missing [ops] table")
    cycles: dict[str, float] = {}
    sources: dict[str, str] = {}
    for op, entry in ops.items():
        if op not in OPERATORS:
            raise fail(f"[ops] {op}: unknown operator", "ops", op)
        if isinstance(entry, int | float) and not isinstance(entry, bool):
            value, source = float(entry), ""
        elif isinstance(entry, dict) and "cycles" in entry:
            value, source = entry["cycles"], str(entry.get("source", ""))
            extra = set(entry) - {"cycles", "source"}
            if extra:
                raise fail(f"[ops] {op}: unknown key(s) {sorted(extra)}", "ops", op)
        else:
            raise fail(f'[ops] {op}: expected {{ cycles = N, source = "…" }}', "ops", op)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise fail(f"[ops] {op}: cycles must be a non-negative number", "ops", op)
        cycles[op] = float(value)
        sources[op] = source
    missing = sorted(set(OPERATORS) - set(cycles))
    if missing:
        raise fail(f"no cost for operator(s): {', '.join(missing)}", "ops")
    meta_name = data.get("meta", {}).get("name", name)
    return CostTable(str(meta_name), cycles, sources)


def load_cost_table(spec: str) -> CostTable:
    """Load a built-in table by name (``throughput``, ``latency``) or a TOML file by path."""
    if spec in BUILTIN_TABLES:
        text = resources.files("symopt.costs").joinpath(f"{spec}.toml").read_text()
        return parse_cost_table(text, name=spec, path=f"<builtin {spec}>")
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(
            f"cost table '{spec}' is neither a built-in ({', '.join(BUILTIN_TABLES)}) nor a file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{spec}: cannot read: {exc}") from None
    return parse_cost_table(text, name=path.stem, path=str(path))
