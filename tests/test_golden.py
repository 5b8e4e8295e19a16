"""Golden cases: tests/golden/*.case hold flags, input and the exact expected output.

Format::

    # flags: --lang c --costs latency
    === input
    x*x + 2*x*y + y*y
    === output
    (x + y)*(x + y)

Regenerate after an intended change with ``SYMOPT_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.main import cli

CASES = sorted((Path(__file__).parent / "golden").glob("*.case"))


def _parse(text: str) -> tuple[list[str], str, str]:
    flags: list[str] = []
    head, _, rest = text.partition("=== input\n")
    for line in head.splitlines():
        if line.startswith("# flags:"):
            flags = shlex.split(line.removeprefix("# flags:"))
    source, _, expected = rest.partition("=== output\n")
    return flags, source, expected


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden(case: Path) -> None:
    flags, source, expected = _parse(case.read_text())
    result = CliRunner().invoke(cli, ["simplify", *flags, "-"], input=source)
    assert result.exit_code == 0, result.output
    if os.environ.get("SYMOPT_UPDATE_GOLDEN"):
        head = case.read_text().partition("=== output\n")[0]
        case.write_text(head + "=== output\n" + result.stdout)
        return
    assert result.stdout == expected


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 5
