"""Reading input: UTF-8 errors located by line and column, a byte order mark accepted, warnings
for literals that underflow, indexes that must fit the generated code's index type."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli.io import decode_source
from symopt.cli.main import cli
from symopt.errors import SourceError, SourceWarning
from symopt.grammar.parser import literal_warning, parse_expr
from symopt.ir import MAX_INDEX
from symopt.model import parse_model


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


# --- literals that underflow --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("1e-400", "literal 1e-400 underflows to 0"),
        ("0.0002e-320", "literal 0.0002e-320 underflows to 0"),
        ("2.4e-324", "literal 2.4e-324 underflows to 0"),  # below half the smallest subnormal
        ("2.5e-324", "literal 2.5e-324 is subnormal and rounds to 5e-324 (precision lost)"),
        (
            "1.2345678e-320",
            "literal 1.2345678e-320 is subnormal and rounds to 1.2347e-320 (precision lost)",
        ),
    ],
)
def test_literal_warning(literal: str, message: str) -> None:
    assert literal_warning(literal, float(literal)) == message


@pytest.mark.parametrize(
    "literal",
    ["0", "0.0", "00.000e-999", "5e-324", "0.5e-323", "1e-310", "2.2250738585072014e-308", "1e-3"],
)
def test_no_warning_for_exact_zero_or_a_literal_that_round_trips(literal: str) -> None:
    assert literal_warning(literal, float(literal)) is None


def test_parser_returns_warnings_and_does_not_print(capsys: pytest.CaptureFixture[str]) -> None:
    warnings: list[SourceWarning] = []
    term = parse_expr("x + -1e-400", path="f.txt", line=7, warnings=warnings)
    assert capsys.readouterr() == ("", "")
    assert term == parse_expr("x + -0.0")
    assert warnings == [
        SourceWarning("literal 1e-400 underflows to 0", "f.txt", 7, 6, "x + -1e-400", 6)
    ]
    model = parse_model("let k = 1e-999\ny = k*x + 3e-500\n", "m.sym")
    assert [(w.line, w.column, w.message) for w in model.warnings] == [
        (1, 9, "literal 1e-999 underflows to 0"),
        (2, 11, "literal 3e-500 underflows to 0"),
    ]


SIMPLIFY_WARNING = """\
<stdin>:2:9: warning: literal 1e-400 underflows to 0
    y + 2 * 1e-400
            ^^^^^^
"""


def test_simplify_warns_and_still_succeeds(symopt_cmd: list[str]) -> None:
    code, out, err = run(["simplify", "-"], stdin=b"x*1\ny + 2 * 1e-400\n")
    assert code == 0
    assert out == "x\ny\n"
    assert err == SIMPLIFY_WARNING
    proc = subprocess.run(
        [*symopt_cmd, "simplify", "--lang", "c"],
        input=b"x*1\ny + 2 * 1e-400\n",
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stderr.decode() == SIMPLIFY_WARNING


def test_compile_warns_the_same_way(tmp_path: Path) -> None:
    model = tmp_path / "m.sym"
    model.write_text("let k = 1e-400\ndu[0] = k*u[0] + 1.2345678e-320\n")
    code, out, err = run(["compile", str(model), "--lang", "python"])
    assert code == 0 and "def f(du, u):" in out
    assert err == (
        f"{model}:1:9: warning: literal 1e-400 underflows to 0\n"
        "    let k = 1e-400\n"
        "            ^^^^^^\n"
        f"{model}:2:18: warning: literal 1.2345678e-320 is subnormal and rounds to 1.2347e-320 "
        "(precision lost)\n"
        "    du[0] = k*u[0] + 1.2345678e-320\n"
        "                     ^^^^^^^^^^^^^^\n"
    )


def test_out_of_range_literal_is_still_an_error() -> None:
    code, _, err = run(["simplify", "-"], stdin=b"1e999 + x\n")
    assert code == 2 and err.startswith("<stdin>:1:1: error: number 1e999 is out of range")


# --- indexes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "where", "index"),
    [
        ("u[9223372036854775808]", "1:3", "9223372036854775808"),
        ("u[0] + u[2147483648]", "1:10", "2147483648"),
        ("u[" + "9" * 5000 + "]", "1:3", "9" * 5000),  # past int()'s digit limit
    ],
)
def test_simplify_rejects_an_index_that_does_not_fit(source: str, where: str, index: str) -> None:
    code, out, err = run(["simplify", "-"], stdin=source.encode() + b"\n")
    assert code == 2 and out == ""
    assert err.startswith(f"<stdin>:{where}: error: index {index} too large (max {MAX_INDEX})")
    column = int(where.split(":")[1])
    assert err.splitlines()[2] == " " * (3 + column) + "^" * min(len(index), len(source) - column)


@pytest.mark.parametrize(
    ("text", "where", "index"),
    [
        ("du[9223372036854775808] = u[0]\n", "1:4", "9223372036854775808"),
        ("du[0] = u[18446744073709551616]\n", "1:11", "18446744073709551616"),
        ("assume u[4294967296] > 0\ndu[0] = u[0]\n", "1:8", "4294967296"),
    ],
)
def test_compile_rejects_an_index_that_does_not_fit(
    symopt_cmd: list[str], tmp_path: Path, text: str, where: str, index: str
) -> None:
    model = tmp_path / "m.sym"
    model.write_text(text)
    out = tmp_path / "m.c"
    proc = subprocess.run(
        [*symopt_cmd, "compile", str(model), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{model}:{where}: error: ")
    assert f"index {index} too large (max {MAX_INDEX})" in proc.stderr.splitlines()[0]
    assert not out.exists()


def test_assume_option_rejects_an_index_that_does_not_fit() -> None:
    code, _, err = run(["simplify", "--assume", "u[99999999999] > 0", "-"], stdin=b"u[0]\n")
    assert code == 2 and f"index 99999999999 too large (max {MAX_INDEX})" in err


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_the_largest_index_compiles_to_valid_c(tmp_path: Path) -> None:
    model = tmp_path / "m.sym"
    model.write_text(f"du[{MAX_INDEX}] = u[{MAX_INDEX}]*u[0] + 1\n")
    c_file = tmp_path / "m.c"
    code, _, err = run(["compile", str(model), "-o", str(c_file)])
    assert code == 0, err
    assert f"u[{MAX_INDEX}]" in c_file.read_text()
    cc = ["cc", "-std=c99", "-Wall", "-Werror", "-c", str(c_file), "-o", str(tmp_path / "m.o")]
    subprocess.run(cc, check=True, capture_output=True)
    code, out, err = run(["simplify", "-"], stdin=f"u[{MAX_INDEX}] * 1\n".encode())
    assert (code, out) == (0, f"u[{MAX_INDEX}]\n"), err
