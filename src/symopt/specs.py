"""The TOML text behind a ``--ruleset`` or ``--costs`` value (a built-in name or a file), for
digests of everything that affects generated code (``symopt batch``, ``symopt.load``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from symopt.costs.table import BUILTIN_TABLES
from symopt.errors import ConfigError
from symopt.rulesets.loader import BUILTIN_RULESETS


def spec_text(spec: str, package: str, builtins: tuple[str, ...], what: str) -> str:
    """The text of built-in ``spec`` in ``package``, or of the file ``spec``."""
    if spec in builtins:
        return resources.files(package).joinpath(f"{spec}.toml").read_text(encoding="utf-8")
    try:
        return Path(spec).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(
            f"{what} '{spec}' is neither a built-in ({', '.join(builtins)}) nor a readable file"
        ) from None


def ruleset_text(spec: str) -> str:
    return spec_text(spec, "symopt.rulesets", tuple(BUILTIN_RULESETS), "ruleset")


def cost_table_text(spec: str) -> str:
    return spec_text(spec, "symopt.costs", tuple(BUILTIN_TABLES), "cost table")
