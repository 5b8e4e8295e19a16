"""Loading rulesets from TOML (built-in by name, or a user file by path) with validation.

Every problem is a :class:`RulesetError` at a line of the file (``FILE:LINE:COL: error: …``):
invalid TOML, unknown tables or keys (with a "did you mean"), duplicate rule names, malformed
patterns (including calls to unknown functions), unknown tiers or guards, rhs variables the lhs
does not bind and guards on variables the lhs does not bind.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from symopt.errors import ConfigError, SourceError
from symopt.grammar.parser import parse_pattern
from symopt.ir import App, Term
from symopt.rulesets.rule import GUARDS, TIERS, Rule, Ruleset, pattern_vars
from symopt.tomlpos import toml_error_position

BUILTIN_RULESETS = ("default", "fast")
_RULE_KEYS = ("name", "lhs", "rhs", "tier", "guard", "bidirectional", "doc")
_META_KEYS = ("name", "description", "extends")
_TABLES = ("meta", "rule")
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?")


class RulesetError(SourceError, ConfigError):
    """A malformed ruleset, at a line of its file: ``FILE:LINE:COL: error: …`` (the column is
    where the line's text starts; line 1 when the place is unknown)."""

    def __init__(self, message: str, *, path: str, line: int | None = None, text: str = "") -> None:
        lines = text.splitlines()
        number = line or 1
        source = lines[number - 1] if 0 < number <= len(lines) else None
        column = len(source) - len(source.lstrip()) + 1 if source and source.strip() else 1
        width = len(source.strip()) if source else 1
        super().__init__(
            message, path=path, line=number, column=column, source_line=source, width=width
        )


def _did_you_mean(word: str, options: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Lines:
    """Finds the line (1-based) of a table header or of a key inside a table of the TOML text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        starts = [
            (m.group(1), i + 1) for i, raw in enumerate(self.lines) if (m := _HEADER.match(raw))
        ]
        ends = [start - 1 for _, start in starts[1:]] + [len(self.lines)]
        self.blocks: list[tuple[str, int, int]] = [
            (name, start, end) for (name, start), end in zip(starts, ends, strict=True)
        ]
        """(table name, header line, last line) per table header, in file order."""

    def table(self, name: str, occurrence: int = 0) -> int | None:
        """Line of the ``occurrence``-th ``[name]``/``[[name]]`` header, or of a top-level key."""
        found = [b for b in self.blocks if b[0] == name]
        if occurrence < len(found):
            return found[occurrence][1]
        top = self.blocks[0][1] - 1 if self.blocks else len(self.lines)
        pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*[=.]")
        return next((i + 1 for i in range(top) if pattern.match(self.lines[i])), None)

    def key(self, table: str, key: str, occurrence: int = 0) -> int | None:
        """Line of ``key = …`` in the ``occurrence``-th ``[table]`` (else its header line)."""
        found = [b for b in self.blocks if b[0] == table]
        if occurrence >= len(found):
            return None
        _, start, end = found[occurrence]
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
        for number in range(start + 1, end + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return start


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.text = text
        self.where = _Lines(text)

    def fail(self, message: str, line: int | None) -> RulesetError:
        return RulesetError(message, path=self.path, line=line, text=self.text)

    def pattern(self, rule: str, src: Any, key: str, line: int | None) -> Term:
        if not isinstance(src, str):
            raise self.fail(f"rule '{rule}': '{key}' must be a string pattern", line)
        try:
            return parse_pattern(src, path=f"{self.path}:{key}", line=line or 1)
        except SourceError as exc:
            raise self.fail(
                f"rule '{rule}': bad {key} pattern {src!r}: {exc.message}", line
            ) from None

    def guards(self, rule: str, raw: Any, line: int | None) -> tuple[tuple[str, str], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            raise self.fail(
                f"rule '{rule}': 'guard' must be a table such as {{ x = \"positive\" }}", line
            )
        out: list[tuple[str, str]] = []
        for var, kinds in raw.items():
            if not isinstance(kinds, str | list):
                raise self.fail(
                    f"rule '{rule}': guard on {var} must be a guard name or a list of them", line
                )
            for kind in [kinds] if isinstance(kinds, str) else kinds:
                if kind not in GUARDS:
                    raise self.fail(
                        f"rule '{rule}': unknown guard '{kind}'{_did_you_mean(str(kind), GUARDS)}; "
                        f"expected one of {', '.join(GUARDS)}",
                        line,
                    )
                out.append((var.lstrip("?"), kind))
        return tuple(out)

    def rule(self, entry: Any, index: int) -> Rule:
        header = self.where.table("rule", index)
        if not isinstance(entry, dict):
            raise self.fail(f"[[rule]] #{index + 1} is not a table", header)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(f"[[rule]] #{index + 1} needs a 'name' (a non-empty string)", header)

        def line(key: str) -> int | None:
            return self.where.key("rule", key, index) or header

        for key in entry:
            if key not in _RULE_KEYS:
                raise self.fail(
                    f"rule '{name}': unknown key '{key}'{_did_you_mean(key, _RULE_KEYS)}", line(key)
                )
        for key in ("lhs", "rhs"):
            if key not in entry:
                raise self.fail(f"rule '{name}': missing '{key}'", header)
        lhs = self.pattern(name, entry["lhs"], "lhs", line("lhs"))
        rhs = self.pattern(name, entry["rhs"], "rhs", line("rhs"))
        tier = entry.get("tier", "algebra")
        if tier not in TIERS:
            raise self.fail(
                f"rule '{name}': unknown tier '{tier}'{_did_you_mean(str(tier), TIERS)}; "
                f"expected one of {', '.join(TIERS)}",
                line("tier"),
            )
        bidirectional = entry.get("bidirectional", False)
        if not isinstance(bidirectional, bool):
            raise self.fail(
                f"rule '{name}': 'bidirectional' must be true or false", line("bidirectional")
            )
        doc = entry.get("doc", "")
        if not isinstance(doc, str):
            raise self.fail(f"rule '{name}': 'doc' must be a string", line("doc"))
        guards = self.guards(name, entry.get("guard"), line("guard"))
        if not isinstance(lhs, App):
            raise self.fail(
                f"rule '{name}': lhs must be an operation, not a lone variable", line("lhs")
            )
        if bidirectional and not isinstance(rhs, App):
            raise self.fail(
                f"rule '{name}': a bidirectional rule's rhs must be an operation", line("rhs")
            )
        bound = pattern_vars(lhs)
        unbound = pattern_vars(rhs) - bound
        if unbound:
            raise self.fail(
                f"rule '{name}': rhs uses ?{', ?'.join(sorted(unbound))} not bound by lhs",
                line("rhs"),
            )
        if bidirectional and bound - pattern_vars(rhs):
            missing = sorted(bound - pattern_vars(rhs))
            raise self.fail(
                f"rule '{name}': bidirectional, but rhs does not bind ?{', ?'.join(missing)}",
                line("rhs"),
            )
        for var, _kind in guards:
            if var not in bound:
                raise self.fail(
                    f"rule '{name}': guard on ?{var}, which lhs does not bind", line("guard")
                )
        return Rule(name, lhs, rhs, tier, guards, bidirectional, doc, line("name"), self.path)

    def ruleset(self, data: dict[str, Any]) -> Ruleset:
        for key in data:
            if key not in _TABLES:
                raise self.fail(
                    f"unknown table '{key}'{_did_you_mean(key, _TABLES)}; expected [meta] and "
                    "[[rule]]",
                    self.where.table(key),
                )
        meta = data.get("meta", {})
        if not isinstance(meta, dict):
            raise self.fail("'meta' must be a table ([meta])", None)
        for key in meta:
            if key not in _META_KEYS:
                raise self.fail(
                    f"[meta] unknown key '{key}'{_did_you_mean(key, _META_KEYS)}",
                    self.where.key("meta", key),
                )
        rules: list[Rule] = []
        base = meta.get("extends")
        if base is not None:
            try:
                rules.extend(load_ruleset(str(base)).rules)
            except RulesetError:
                raise
            except ConfigError as exc:
                raise self.fail(
                    f"[meta] extends: {exc}", self.where.key("meta", "extends")
                ) from None
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            raise self.fail("'rule' must be an array of tables ([[rule]])", None)
        seen = {r.name for r in rules}
        for i, entry in enumerate(raw_rules):
            rule = self.rule(entry, i)
            if rule.name in seen:
                raise self.fail(f"duplicate rule name '{rule.name}'", rule.line)
            seen.add(rule.name)
            rules.append(rule)
        name = str(meta.get("name", Path(self.path).stem))
        return Ruleset(name, tuple(rules), str(meta.get("description", "")), self.path)


def parse_ruleset(text: str, *, path: str = "<ruleset>") -> Ruleset:
    """Parse and validate ruleset TOML text; raises :class:`RulesetError` (``FILE:LINE:COL``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_error_position(exc)
        raise SourceError.in_text(f"invalid TOML: {message}", path, text, line, column) from None
    return _Parser(text, path).ruleset(data)


@functools.cache
def _builtin_ruleset(name: str) -> Ruleset:
    """A built-in ruleset, parsed once per process (rulesets are immutable)."""
    text = resources.files("symopt.rulesets").joinpath(f"{name}.toml").read_text()
    return parse_ruleset(text, path=f"<builtin {name}>")


def load_ruleset(spec: str) -> Ruleset:
    """A built-in ruleset by name (``default``, ``fast``) or a TOML file by path."""
    if spec in BUILTIN_RULESETS:
        return _builtin_ruleset(spec)
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(
            f"ruleset '{spec}' is neither a built-in ({', '.join(BUILTIN_RULESETS)}) nor a file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{spec}: cannot read: {exc}") from None
    return parse_ruleset(text, path=str(path))
