"""Deep and self-similar inputs (issue 9): factored input stays factored, nothing recurses past
Python's limit, printed results stay as small as the input, limits hold, memory errors are
clean. Subprocesses have a generous timeout; nothing here asserts wall time."""

from __future__ import annotations

from tests.conftest import run_cli

from symopt.grammar import parse_expr
from symopt.ir import intern


def horner(depth: int) -> str:
    """``((x*x0 + 1)*x1 + 2)*x2 + 3 …``: a factored polynomial ``depth`` levels deep."""
    text = "x"
    for i in range(depth):
        text = f"({text}*x{i} + {i + 1})"
    return text


def test_deep_horner_form_is_kept_factored_and_verified(symopt_cmd: list[str]) -> None:
    # 3,000 levels: far past Python's recursion limit (1,000) and, expanded, 3,001 monomials
    # of up to 3,000 factors each.
    text = horner(3000)
    proc = run_cli(symopt_cmd, "simplify", "--time-limit", "1", "--stats", stdin=text + "\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "warning" not in proc.stderr
    # Factored stays factored: the output is the same Horner form (it is already the cheapest).
    assert intern([parse_expr(proc.stdout.strip())]) == intern([parse_expr(text)])
