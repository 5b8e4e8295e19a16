"""Every error of a file is reported, in file order, up to a cap; then exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli
from symopt.errors import MAX_ERRORS, MultiSourceError, SourceError
from symopt.grammar.parser import parse_expression_file
from symopt.model import parse_model


def heads(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("    ")]


def test_model_errors_all_reported_in_file_order() -> None:
    text = "y = a + k\nlet k = 2\nz = 1\nz = 2\nw = (1 +\nv = u[1] + u\n"
    with pytest.raises(MultiSourceError) as info:
        parse_model(text, "m.sym")
    exc = info.value
    assert isinstance(exc, SourceError) and (exc.line, exc.column) == (1, 9)  # the first one
    assert [(e.line, e.column) for e in exc.errors] == [(1, 9), (4, 1), (5, 9), (6, 12)]
    assert [e.message.split(" (")[0] for e in exc.errors] == [
        "k is read before it is assigned",
        "z is assigned twice",
        "unexpected end of line; expected '(', '+', '-', a name, a number",
        "u is used both indexed and as a scalar",
    ]


def test_compile_prints_every_error_with_snippets(tmp_path: Path) -> None:
    model = tmp_path / "m.sym"
    model.write_text("y = x + w\nw = 1\nw = 2\n")
    result = CliRunner().invoke(cli, ["compile", str(model)])
    assert result.exit_code == 2 and result.stdout == ""
    assert heads(result.stderr) == [
        f"{model}:1:9: error: w is read before it is assigned (on line 2)",
        f"{model}:3:1: error: w is assigned twice (first on line 2)",
    ]
    assert result.stderr.count("^") == 2


def test_expression_file_errors_all_reported() -> None:
    result = CliRunner().invoke(cli, ["simplify", "-"], input="x +\ny*2\nfoo(y)\n1 +* 2\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert [h.split(": error: ")[0] for h in heads(result.stderr)] == [
        "<stdin>:1:4",
        "<stdin>:3:1",
        "<stdin>:4:4",
    ]


def test_errors_are_capped() -> None:
    text = "(\n" * (MAX_ERRORS + 5)
    with pytest.raises(MultiSourceError) as info:
        parse_expression_file(text, path="e.txt")
    assert len(info.value.errors) == MAX_ERRORS + 5
    lines = heads(info.value.format())
    assert len(lines) == MAX_ERRORS + 1
    assert re.match(r"e\.txt:1:\d+: error: ", lines[0])
    assert lines[-1] == "e.txt: 5 more errors not shown"
