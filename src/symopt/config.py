"""Project configuration: ``[tool.symopt]`` in ``pyproject.toml``, or ``symopt.toml``.

Discovery: from the current directory upward, the first directory holding a ``pyproject.toml``
with a ``[tool.symopt]`` table or a ``symopt.toml`` (the ``pyproject.toml`` wins within one
directory). ``--config PATH`` picks a file; ``--isolated`` ignores every file.

A key is exactly the long name of a command option (``time-limit`` for ``--time-limit``).
Top-level keys (:data:`GLOBAL_KEYS`) apply to every command having that option; a command's table
(``[tool.symopt.lint]``, or ``[lint]`` in ``symopt.toml``) applies to that command and wins over a
top-level key. The values reach the commands as click's ``default_map``, so a flag on the command
line always wins. An unknown key or a value of the wrong type is a
:class:`~symopt.errors.SourceError` at the key's line (exit 2).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from symopt.errors import SourceError
from symopt.tomlpos import key_lines, locate, toml_error_position

PYPROJECT = "pyproject.toml"
SYMOPT_TOML = "symopt.toml"


@dataclass(frozen=True)
class KeySpec:
    """What a key accepts: ``kind`` is ``str``, ``int``, ``float``, ``bool`` or ``list`` (of
    strings); ``choices`` limits a string; ``minimum`` a number."""

    kind: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None


_STR, _BOOL, _LIST = KeySpec("str"), KeySpec("bool"), KeySpec("list")
_TEXT_JSON = KeySpec("str", ("text", "json"))
_COMPILE_LANGS = ("c", "python", "numpy")

GLOBAL_KEYS: dict[str, KeySpec] = {
    "ruleset": _STR,
    "costs": _STR,
    "tier": KeySpec("str", ("exact", "algebra", "fast")),
    "time-limit": KeySpec("float", minimum=0),
    "node-limit": KeySpec("int", minimum=1),
    "iter-limit": KeySpec("int", minimum=0),
    "verify": _BOOL,
    "assume": _LIST,
}
"""Top-level keys: the optimiser options every optimising command has."""

SECTIONS: dict[str, dict[str, KeySpec]] = {
    "simplify": {
        **GLOBAL_KEYS,
        "lang": KeySpec("str", ("sym", *_COMPILE_LANGS)),
        "name": _STR,
        "stats": _BOOL,
        "explain": _BOOL,
        "output-format": _TEXT_JSON,
        "memory-limit": _STR,
    },
    "compile": {
        **GLOBAL_KEYS,
        "lang": KeySpec("str", _COMPILE_LANGS),
        "name": _STR,
        "restrict": _BOOL,
        "max-statements-per-function": KeySpec("int", minimum=1),
        "max-file-operations": KeySpec("int", minimum=1),
        "sample": _LIST,
        "sidecar": _STR,
        "args": _STR,
        "jacobian": _STR,
        "stats": _BOOL,
        "explain": _BOOL,
        "output-format": _TEXT_JSON,
        "memory-limit": _STR,
    },
    "lint": {
        **GLOBAL_KEYS,
        "select": _LIST,
        "ignore": _LIST,
        "include": _LIST,
        "exclude": _LIST,
        "min-saving": KeySpec("float", minimum=0),
        "max-cost": KeySpec("float", minimum=0),
        "max-model-cost": KeySpec("float", minimum=0),
        "min-ops": KeySpec("int", minimum=0),
        "show-fixes": _BOOL,
        "exit-zero": _BOOL,
        "fix": _BOOL,
        "unsafe-fixes": _BOOL,
        "output-format": KeySpec("str", ("text", "json", "github", "sarif")),
    },
    "batch": {
        **GLOBAL_KEYS,
        "jobs": KeySpec("int", minimum=1),
        "lang": KeySpec("str", _COMPILE_LANGS),
        "include": _LIST,
        "exclude": _LIST,
        "restrict": _BOOL,
        "max-statements-per-function": KeySpec("int", minimum=1),
        "force": _BOOL,
        "quiet": _BOOL,
    },
    "build": {
        **GLOBAL_KEYS,
        "lang": KeySpec("str", _COMPILE_LANGS),
        "name": _STR,
        "args": _STR,
        "cc": _STR,
        "cflags": _STR,
        "max-statements-per-function": KeySpec("int", minimum=1),
        "max-file-operations": KeySpec("int", minimum=1),
        "sample": _LIST,
        "sidecar": _STR,
        "jacobian": _STR,
    },
}
"""Keys of each command's table. ``simplify`` and ``compile`` mirror their options (a test keeps
them in step); ``lint`` and ``batch`` are the keys those commands are specified to take."""


@dataclass(frozen=True)
class Setting:
    """One configured value: ``section`` is ``""`` for a top-level key, else a command name."""

    section: str
    key: str
    value: Any
    path: str
    line: int

    @property
    def origin(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Config:
    """The settings of one file (none: no file found, or ``--isolated``)."""

    path: str | None = None
    settings: tuple[Setting, ...] = ()

    def for_command(self, command: str) -> dict[str, Setting]:
        """The settings reaching ``command``: top-level keys it has, overridden by its table."""
        keys = SECTIONS.get(command, {})
        found = {s.key: s for s in self.settings if s.section == "" and s.key in keys}
        found.update({s.key: s for s in self.settings if s.section == command})
        return found


# ---- discovery ---------------------------------------------------------------------------------


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start`` (see the module docstring)."""
    for directory in (start, *start.parents):
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_symopt_table(pyproject):
            return pyproject
        candidate = directory / SYMOPT_TOML
        if candidate.is_file():
            return candidate
    return None


def _has_symopt_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "tool.symopt" in text  # ours if it mentions our table: report the syntax error
    tool = data.get("tool")
    return isinstance(tool, dict) and "symopt" in tool


def resolve_config(explicit: str | None, isolated: bool, cwd: Path) -> Config:
    """The configuration in force: none with ``isolated``, ``explicit`` if given, else the
    discovered file (an empty :class:`Config` when there is none)."""
    if isolated:
        return Config()
    if explicit is not None:
        return load_config(Path(explicit), require_table=True)
    found = find_config(cwd)
    if found is None:
        return Config()
    return load_config(Path(os.path.relpath(found, cwd)))


# ---- loading and validation --------------------------------------------------------------------


def load_config(path: Path, *, require_table: bool = False) -> Config:
    """Read and validate one configuration file."""
    from symopt.cli.io import read_source

    shown, text = read_source(str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, col = toml_error_position(exc)
        raise SourceError.in_text(f"invalid TOML: {message}", shown, text, line, col) from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = ("tool", "symopt")
        table = data.get("tool", {}).get("symopt")
        if table is None:
            if require_table:
                raise SourceError.in_text("no [tool.symopt] table", shown, text, 1, 1)
            return Config(shown)
        data = table
    lines = key_lines(text)
    return Config(shown, tuple(_validate(data, prefix, shown, text, lines)))


def _validate(
    data: Mapping[str, Any],
    prefix: tuple[str, ...],
    path: str,
    text: str,
    lines: dict[tuple[str, ...], tuple[int, int]],
) -> list[Setting]:
    settings: list[Setting] = []
    for key, value in data.items():
        where = locate(lines, (*prefix, key))
        if isinstance(value, dict):
            section = SECTIONS.get(key)
            if section is None:
                known = list(SECTIONS)
                raise SourceError.in_text(
                    _unknown("table", key, known), path, text, *where, width=len(key)
                )
            for sub, subvalue in value.items():
                subwhere = locate(lines, (*prefix, key, sub))
                settings.append(_setting(key, sub, subvalue, section, path, text, subwhere))
        else:
            settings.append(_setting("", key, value, GLOBAL_KEYS, path, text, where))
    return sorted(settings, key=lambda s: s.line)


def _setting(
    section: str,
    key: str,
    value: Any,
    specs: Mapping[str, KeySpec],
    path: str,
    text: str,
    where: tuple[int, int],
) -> Setting:
    spec = specs.get(key)
    if spec is None:
        message = _unknown("key", key, list(specs))
        if not section and key in SECTIONS.get("simplify", {}) | SECTIONS.get("lint", {}):
            table = "tool.symopt." if path.endswith(PYPROJECT) else ""
            message += f"; it belongs in a command's table, e.g. [{table}simplify]"
        raise SourceError.in_text(message, path, text, *where, width=len(key))
    problem = check_value(spec, value)
    if problem:
        table = f"[{section}] " if section else ""
        raise SourceError.in_text(f"{table}{key}: {problem}", path, text, *where, width=len(key))
    return Setting(section, key, value, path, where[0])


def _unknown(what: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what} '{key}'{hint}"


def check_value(spec: KeySpec, value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` (``None`` if it does)."""
    kind = spec.kind
    if kind == "bool" and not isinstance(value, bool):
        return f"expected true or false, got {_shown(value)}"
    if kind == "str" and not isinstance(value, str):
        return f"expected a string, got {_shown(value)}"
    if kind == "list" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return f"expected a list of strings, got {_shown(value)}"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"expected an integer, got {_shown(value)}"
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"expected a number, got {_shown(value)}"
    if spec.choices and value not in spec.choices:
        return f"expected one of {', '.join(spec.choices)}, got {_shown(value)}"
    if spec.minimum is not None and value < spec.minimum:
        return f"expected a number >= {spec.minimum:g}, got {_shown(value)}"
    return None


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


# ---- feeding the commands ----------------------------------------------------------------------


def long_name(param: click.Parameter) -> str | None:
    """An option's long name without dashes (``verify`` for ``--verify/--no-verify``)."""
    if not isinstance(param, click.Option):
        return None
    for opt in param.opts:
        if opt.startswith("--"):
            return opt[2:]
    return None


def default_map(command: click.Command, settings: Mapping[str, Setting]) -> dict[str, Any]:
    """``settings`` as click's ``default_map`` of ``command``: keyed by parameter name. A key the
    command has no option for is an error at its line."""
    by_key = {long_name(p): p for p in command.params}
    mapped: dict[str, Any] = {}
    for key, setting in settings.items():
        param = by_key.get(key)
        if param is None or param.name is None:
            if setting.section == "":
                continue  # a top-level key only reaches the commands having that option
            raise SourceError(
                f"[{setting.section}] {key}: 'symopt {setting.section}' has no option --{key}",
                path=setting.path,
                line=setting.line,
            )
        mapped[param.name] = setting.value
    return mapped
