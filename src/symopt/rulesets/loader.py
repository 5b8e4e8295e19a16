"""Loading rulesets from TOML (built-in by name, or a user file by path) with validation."""

from __future__ import annotations

import difflib
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from symopt.errors import ConfigError, SourceError
from symopt.grammar.parser import parse_pattern
from symopt.ir import App
from symopt.rulesets.rule import GUARDS, TIERS, Rule, Ruleset, pattern_vars

BUILTIN_RULESETS = ("default", "fast")
_RULE_KEYS = {"name", "lhs", "rhs", "tier", "guard", "bidirectional", "doc"}
_META_KEYS = {"name", "description", "extends"}


def _line_of(text: str, name: str) -> int | None:
    match = re.search(rf'^\s*name\s*=\s*"{re.escape(name)}"', text, flags=re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _did_you_mean(word: str, options: set[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _RuleParser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path

    def fail(self, message: str, line: int | None) -> ConfigError:
        where = f"{self.path}:{line}" if line else self.path
        return ConfigError(f"{where}: {message}")

    def pattern(self, src: Any, key: str, line: int | None) -> Any:
        if not isinstance(src, str):
            raise self.fail(f"'{key}' must be a string pattern", line)
        try:
            return parse_pattern(src, path=f"{self.path}:{key}", line=line or 1)
        except SourceError as exc:
            raise self.fail(f"bad {key} pattern {src!r}: {exc.message}", line) from None

    def guards(self, raw: Any, line: int | None) -> tuple[tuple[str, str], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            raise self.fail("'guard' must be a table such as { x = \"positive\" }", line)
        out: list[tuple[str, str]] = []
        for var, kinds in raw.items():
            for kind in [kinds] if isinstance(kinds, str) else kinds:
                if kind not in GUARDS:
                    raise self.fail(
                        f"unknown guard '{kind}'{_did_you_mean(str(kind), GUARDS)}; "
                        f"expected one of {', '.join(GUARDS)}",
                        line,
                    )
                out.append((var.lstrip("?"), kind))
        return tuple(out)

    def rule(self, entry: Any, index: int) -> Rule:
        if not isinstance(entry, dict):
            raise self.fail(f"[[rule]] #{index + 1} is not a table", None)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(f"[[rule]] #{index + 1} needs a 'name'", None)
        line = _line_of(self.text, name)
        for key in entry:
            if key not in _RULE_KEYS:
                raise self.fail(
                    f"rule '{name}': unknown key '{key}'{_did_you_mean(key, _RULE_KEYS)}", line
                )
        for key in ("lhs", "rhs"):
            if key not in entry:
                raise self.fail(f"rule '{name}': missing '{key}'", line)
        lhs = self.pattern(entry["lhs"], "lhs", line)
        rhs = self.pattern(entry["rhs"], "rhs", line)
        tier = entry.get("tier", "algebra")
        if tier not in TIERS:
            raise self.fail(
                f"rule '{name}': unknown tier '{tier}'{_did_you_mean(str(tier), TIERS)}", line
            )
        bidirectional = entry.get("bidirectional", False)
        if not isinstance(bidirectional, bool):
            raise self.fail(f"rule '{name}': 'bidirectional' must be true or false", line)
        guards = self.guards(entry.get("guard"), line)
        self.check_vars(name, lhs, rhs, guards, bidirectional, line)
        return Rule(name, lhs, rhs, tier, guards, bidirectional, str(entry.get("doc", "")), line)

    def check_vars(
        self, name: str, lhs: Any, rhs: Any, guards: Any, bidirectional: bool, line: int | None
    ) -> None:
        if not isinstance(lhs, App):
            raise self.fail(f"rule '{name}': lhs must be an operation, not a lone variable", line)
        if bidirectional and not isinstance(rhs, App):
            raise self.fail(f"rule '{name}': a bidirectional rule's rhs must be an operation", line)
        bound = pattern_vars(lhs)
        unbound = pattern_vars(rhs) - bound
        if unbound:
            raise self.fail(
                f"rule '{name}': rhs uses ?{', ?'.join(sorted(unbound))} not bound by lhs", line
            )
        if bidirectional and bound - pattern_vars(rhs):
            missing = sorted(bound - pattern_vars(rhs))
            raise self.fail(
                f"rule '{name}': bidirectional, but rhs does not bind ?{', ?'.join(missing)}", line
            )
        for var, _kind in guards:
            if var not in bound:
                raise self.fail(f"rule '{name}': guard on ?{var}, which lhs does not bind", line)


def parse_ruleset(text: str, *, path: str = "<ruleset>") -> Ruleset:
    """Parse and validate ruleset TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    for key in data:
        if key not in {"meta", "rule"}:
            raise ConfigError(
                f"{path}: unknown table '{key}'{_did_you_mean(key, {'meta', 'rule'})}"
            )
    meta = data.get("meta", {})
    for key in meta:
        if key not in _META_KEYS:
            raise ConfigError(f"{path}: [meta] unknown key '{key}'{_did_you_mean(key, _META_KEYS)}")
    parser = _RuleParser(text, path)
    rules: list[Rule] = []
    base = meta.get("extends")
    if base is not None:
        rules.extend(load_ruleset(str(base)).rules)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{path}: 'rule' must be an array of tables ([[rule]])")
    seen = {r.name for r in rules}
    for i, entry in enumerate(raw_rules):
        rule = parser.rule(entry, i)
        if rule.name in seen:
            raise parser.fail(f"duplicate rule name '{rule.name}'", rule.line)
        seen.add(rule.name)
        rules.append(rule)
    name = str(meta.get("name", Path(path).stem))
    return Ruleset(name, tuple(rules), str(meta.get("description", "")), path)


def load_ruleset(spec: str) -> Ruleset:
    """A built-in ruleset by name (``default``, ``fast``) or a TOML file by path."""
    if spec in BUILTIN_RULESETS:
        text = resources.files("symopt.rulesets").joinpath(f"{spec}.toml").read_text()
        return parse_ruleset(text, path=f"<builtin {spec}>")
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(
            f"ruleset '{spec}' is neither a built-in ({', '.join(BUILTIN_RULESETS)}) nor a file"
        )
    return parse_ruleset(path.read_text(), path=str(path))
