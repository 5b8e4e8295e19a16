"""Errors that carry a source location, formatted like a compiler's: ``FILE:LINE:COL: error: …``."""

from __future__ import annotations


class SymoptError(Exception):
    """Base of every error symopt reports to a user (never shown as a traceback)."""

    exit_code = 2

    def format(self) -> str:
        return f"error: {self}"


class SourceError(SymoptError):
    """An error at a place in an input file, with a caret snippet under the offending text."""

    def __init__(
        self,
        message: str,
        *,
        path: str = "<input>",
        line: int = 1,
        column: int = 1,
        source_line: str | None = None,
        width: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.source_line = source_line
        self.width = max(1, width)

    def format(self) -> str:
        head = f"{self.path}:{self.line}:{self.column}: error: {self.message}"
        if self.source_line is None:
            return head
        text = self.source_line.rstrip("\n").expandtabs(1)
        caret = " " * (self.column - 1) + "^" * min(self.width, max(1, len(text) - self.column + 1))
        return f"{head}\n    {text}\n    {caret}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ConfigError(SymoptError):
    """A bad ruleset, cost table or option value."""
