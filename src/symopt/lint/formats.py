"""Findings as text, JSON, GitHub workflow commands or SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from symopt.lint.findings import RULES, Finding, Location

FORMATS = ("text", "json", "github", "sarif")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URL = "https://github.com/symopt/symopt/blob/main/docs/lint.md"


def render(findings: Sequence[Finding], fmt: str, show_fixes: bool = False) -> str:
    """``findings`` (sorted) in format ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "text":
        return text(findings, show_fixes)
    if fmt == "json":
        return json.dumps(to_json(findings), indent=2) + "\n"
    if fmt == "github":
        return github(findings)
    if fmt == "sarif":
        return json.dumps(sarif(findings), indent=2) + "\n"
    raise ValueError(f"unknown output format {fmt!r}")


def text(findings: Sequence[Finding], show_fixes: bool) -> str:
    """``path:line:col: CODE message``, the suggested form on the next line with
    ``show_fixes``."""
    out = []
    for f in findings:
        out.append(f"{f.path}:{f.loc.line}:{f.loc.column}: {f.code} {f.message}\n")
        if show_fixes and f.suggestion is not None:
            out.append(f"    fix: {f.suggestion}\n")
    return "".join(out)


def _loc_json(loc: Location) -> dict[str, int | None]:
    return {
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
    }


def to_json(findings: Sequence[Finding]) -> dict[str, Any]:
    """One document: ``{"version", "findings": [...]}``; positions are 1-based, end columns
    exclusive (``null`` where unknown)."""
    return {
        "tool": "symopt lint",
        "version": _version(),
        "count": len(findings),
        "findings": [
            {
                "code": f.code,
                "message": f.message,
                "path": f.path,
                **{
                    k: v
                    for k, v in zip(
                        ("start_line", "start_column", "end_line", "end_column"),
                        _loc_json(f.loc).values(),
                        strict=True,
                    )
                },
                "cost_before": f.cost_before,
                "cost_after": f.cost_after,
                "suggestion": f.suggestion,
                "fixable": f.suggestion is not None and f.fixable,
                "related": [_loc_json(r) for r in f.related],
            }
            for f in findings
        ],
    }


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(findings: Sequence[Finding]) -> str:
    """GitHub Actions workflow commands: an annotation per finding."""
    out = []
    for f in findings:
        props = [f"file={_escape_property(f.path)}", f"line={f.loc.line}", f"col={f.loc.column}"]
        if f.loc.end_line is not None:
            props.append(f"endLine={f.loc.end_line}")
        if f.loc.end_column is not None and f.loc.end_line == f.loc.line:
            props.append(f"endColumn={f.loc.end_column}")
        props.append(f"title={_escape_property(f.code)}")
        out.append(f"::warning {','.join(props)}::{_escape_data(f.message)}\n")
    return "".join(out)


def _region(loc: Location) -> dict[str, int]:
    region = {"startLine": loc.line, "startColumn": loc.column}
    if loc.end_line is not None:
        region["endLine"] = loc.end_line
    if loc.end_column is not None:
        region["endColumn"] = loc.end_column
    return region


def _artifact(path: str) -> dict[str, str]:
    """A relative path as a URI reference under ``%SRCROOT%`` (what code scanning resolves
    against the repository root); an absolute one as a ``file://`` URI."""
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(Path(path).as_posix().removeprefix("./")), "uriBaseId": "%SRCROOT%"}


def _physical(path: str, loc: Location) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": _artifact(path), "region": _region(loc)}}


def sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    """A SARIF 2.1.0 log as GitHub code scanning reads it: ``tool.driver`` with every rule and
    its help, a result per finding with ``ruleId``, ``level``, ``message`` and a physical
    location with a region."""
    codes = list(RULES)
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.why},
            "help": {"text": f"{r.summary} {r.why}", "markdown": f"**{r.code}** {r.why}"},
            "helpUri": f"{DOCS_URL}#{r.code.lower()}",
            "defaultConfiguration": {"level": "warning"},
        }
        for r in RULES.values()
    ]
    results = []
    for f in findings:
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": "warning",
            "message": {"text": f.message},
            "locations": [_physical(f.path, f.loc)],
        }
        if f.related:
            result["relatedLocations"] = [
                {"id": i, **_physical(f.path, loc)} for i, loc in enumerate(f.related)
            ]
        if f.cost_before is not None:
            result["properties"] = {"costBefore": f.cost_before, "costAfter": f.cost_after}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "symopt",
                        "version": _version(),
                        "informationUri": DOCS_URL,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def _version() -> str:
    try:
        return version("symopt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"
