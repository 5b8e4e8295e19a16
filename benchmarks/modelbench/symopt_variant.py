"""The symopt variant: ``symopt compile MODEL --lang c --name f -o FILE`` as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from modelbench.build import run_timed


class SymoptUnavailableError(Exception):
    """symopt could not produce C for this model; the message is the short reason."""


def symopt_exe() -> Path:
    """The ``symopt`` script installed next to the running Python."""
    return Path(sys.executable).parent / "symopt"


def symopt_compile(
    model_path: Path,
    out: Path,
    *,
    timeout: float,
    no_verify: bool,
    extra: Sequence[str] = (),
) -> float:
    """Run ``symopt compile`` into ``out`` (with ``extra`` arguments); return its wall time
    (start-up and parse included)."""
    exe = symopt_exe()
    if not exe.exists():
        raise SymoptUnavailableError(f"no symopt executable at {exe}")
    cmd = [str(exe), "compile", str(model_path), "--lang", "c", "--name", "f", "-o", str(out)]
    if no_verify:
        cmd.append("--no-verify")
    cmd += extra
    try:
        elapsed, proc = run_timed(cmd, timeout)
    except subprocess.TimeoutExpired:
        raise SymoptUnavailableError(f"symopt compile timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        text = (proc.stderr or proc.stdout).strip()
        if "No such command" in text:
            raise SymoptUnavailableError("this symopt has no 'compile' command yet")
        last = text.splitlines()[-1] if text else "(no output)"
        raise SymoptUnavailableError(f"symopt compile failed ({proc.returncode}): {last}")
    if not out.exists():
        raise SymoptUnavailableError("symopt compile wrote no file")
    return elapsed
