"""Reading input: UTF-8 errors located by line and column, a byte order mark accepted."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.io import decode_source
from symopt.cli.main import cli
from symopt.errors import SourceError


def run(args: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("data", "where", "message", "snippet"),
    [
        (b"x+\xff\n", "1:3", "invalid UTF-8 (byte 0xff: invalid start byte)", "x+\ufffd"),
        (b"x\n+y\xe9z\n", "2:3", "(byte 0xe9: invalid continuation byte)", "+y\ufffdz"),
        # the column counts characters, not bytes; CRLF lines count once
        ("x\r\n\r\nél+".encode() + b"\xe2\x82", "3:4", "(bytes 0xe2 0x82: unexpected end", "él+"),
        (b"\xef\xbb\xbfx + \x80\n", "1:5", "(byte 0x80: invalid start byte)", "x + \ufffd"),
    ],
)
def test_invalid_utf8_is_located_in_files_and_stdin(
    tmp_path: Path, data: bytes, where: str, message: str, snippet: str
) -> None:
    source = tmp_path / "bad.txt"
    source.write_bytes(data)
    for arg, name in ((str(source), str(source)), ("-", "<stdin>")):
        code, out, err = run(["simplify", arg], stdin=data)
        assert code == 2 and out == ""
        head, shown, caret = err.splitlines()
        assert head.startswith(f"{name}:{where}: error: ") and message in head
        assert shown.startswith(f"    {snippet}")
        column = int(where.split(":")[1])
        assert caret == " " * (4 + column - 1) + "^"
        assert "position" not in err and "Traceback" not in err


def test_invalid_utf8_in_a_model_subprocess(symopt_cmd: list[str], tmp_path: Path) -> None:
    model = tmp_path / "m.sym"
    model.write_bytes(b"y = 2*x\nz = x\xc3(\n")
    proc = subprocess.run([*symopt_cmd, "compile", str(model)], capture_output=True, timeout=120)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith(f"{model}:2:6: error: invalid UTF-8 (byte 0xc3: invalid continuation")


def test_decode_source_strips_only_a_leading_bom() -> None:
    assert decode_source("\ufeffx\n".encode(), "f") == "x\n"
    assert decode_source(b"x\n", "f") == "x\n"
    with pytest.raises(SourceError, match="invalid UTF-8"):
        decode_source(b"\xef\xbbx", "f")  # a truncated BOM is not one


@pytest.mark.parametrize("via_file", [True, False])
def test_bom_is_accepted(tmp_path: Path, via_file: bool) -> None:
    data = "\ufeffx*1 + 0\n".encode()
    source = tmp_path / "bom.txt"
    source.write_bytes(data)
    code, out, err = run(["simplify", str(source) if via_file else "-"], stdin=data)
    assert (code, out) == (0, "x\n"), err
    model = tmp_path / "bom.sym"
    model.write_bytes("\ufeffy = x*1\n".encode())
    code, out, err = run(["compile", str(model), "--lang", "python"])
    assert code == 0, err
    assert "def f(y, x):" in out


def test_bom_inside_the_text_is_still_an_error() -> None:
    code, _, err = run(["simplify", "-"], stdin="x\n\ufeffy\n".encode())
    assert code == 2
    assert err.startswith("<stdin>:2:1: error: unexpected character '\\ufeff'")
