"""Errors that carry a source location, formatted like a compiler's: ``FILE:LINE:COL: error: …``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitStatus(IntEnum):
    """The exit status of every command."""

    OK = 0
    FINDINGS = 1
    """Findings reported, or checks that failed (``rules check``, ``lint``)."""
    ERROR = 2
    """Bad usage, configuration or input: nothing (or nothing complete) was produced."""
    INTERNAL = 3
    """A bug or an exhausted resource (out of memory)."""


def located(
    kind: str, message: str, path: str, line: int, column: int, source_line: str | None, width: int
) -> str:
    """``FILE:LINE:COL: KIND: MESSAGE``, then the source line with a caret snippet if given."""
    head = f"{path}:{line}:{column}: {kind}: {message}"
    if source_line is None:
        return head
    text = source_line.rstrip("\n").expandtabs(1)
    caret = " " * (column - 1) + "^" * min(width, max(1, len(text) - column + 1))
    return f"{head}\n    {text}\n    {caret}"


class SymoptError(Exception):
    """Base of every error symopt reports to a user (never shown as a traceback)."""

    exit_code: int = ExitStatus.ERROR

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

    @classmethod
    def in_text(
        cls, message: str, path: str, text: str, line: int, column: int = 1, width: int = 1
    ) -> SourceError:
        """An error at ``line``/``column`` of ``text`` (the file's whole text), with its snippet."""
        lines = text.splitlines()
        source = lines[line - 1] if 0 < line <= len(lines) else None
        return cls(message, path=path, line=line, column=column, source_line=source, width=width)

    def format(self) -> str:
        return located(
            "error", self.message, self.path, self.line, self.column, self.source_line, self.width
        )

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


MAX_ERRORS = 20
"""Errors of one file shown at most; the rest are counted."""


class MultiSourceError(SourceError):
    """Every error found in one file, in file order. It is also the first of them (as a
    :class:`SourceError`), so code that handles one error handles this too."""

    def __init__(self, errors: list[SourceError]) -> None:
        flat = _flatten(errors)
        files: dict[str, int] = {}  # files in the order they were read
        for e in flat:
            files.setdefault(e.path, len(files))
        ordered = sorted(flat, key=lambda e: (files[e.path], e.line, e.column))
        first = ordered[0]
        super().__init__(
            first.message,
            path=first.path,
            line=first.line,
            column=first.column,
            source_line=first.source_line,
            width=first.width,
        )
        self.errors = ordered

    def format(self) -> str:
        shown = [e.format() for e in self.errors[:MAX_ERRORS]]
        hidden = len(self.errors) - MAX_ERRORS
        if hidden > 0:
            shown.append(f"{self.path}: {hidden} more error{'s' if hidden > 1 else ''} not shown")
        return "\n".join(shown)


def _flatten(errors: list[SourceError]) -> list[SourceError]:
    out: list[SourceError] = []
    for e in errors:
        out.extend(e.errors if isinstance(e, MultiSourceError) else [e])
    return out


def raise_errors(errors: list[SourceError]) -> None:
    """Raise the one error, or every error as :class:`MultiSourceError`; nothing if none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultiSourceError(errors)


class ConfigError(SymoptError):
    """A bad ruleset, cost table or option value."""


class InternalError(SymoptError):
    """A self-check failed (e.g. a derivative disagrees with finite differences): a bug."""

    exit_code: int = ExitStatus.INTERNAL


@dataclass(frozen=True)
class SourceWarning:
    """A warning at a place in an input file (e.g. a literal that underflows to 0). Parsers
    return these; the CLI prints them (``FILE:LINE:COL: warning: …`` with a caret snippet)."""

    message: str
    path: str
    line: int
    column: int
    source_line: str | None = None
    width: int = 1

    def format(self) -> str:
        return located(
            "warning", self.message, self.path, self.line, self.column, self.source_line, self.width
        )
