"""A reader that goes away (`symopt … | head`) ends symopt quietly, not with an internal error."""

from __future__ import annotations

import subprocess

from symopt.cli.main import EXIT_BROKEN_PIPE


def test_closed_stdout_exits_quietly(symopt_cmd: list[str]) -> None:
    proc = subprocess.Popen(
        [*symopt_cmd, "simplify", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdout.close()  # the reader leaves before symopt writes (it must read stdin first)
    proc.stdin.write("x*x + 2*x*y + y*y\n")
    proc.stdin.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == EXIT_BROKEN_PIPE == 141
    assert err == ""
