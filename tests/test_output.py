"""``-o FILE``: atomic writes of regular files, special files in place, symlinks followed, no
temp file left behind on any error, and the mode a plain ``open`` would give."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from symopt.cli import io
from symopt.cli.io import InputError, write_output
from symopt.cli.main import cli
from tests.conftest import ROOT


def simplify_to(out: str, source: str = "x*1\n", *flags: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["simplify", "-o", out, *flags, "-"], input=source)
    return result.exit_code, result.stderr


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mknod_char(path: Path, major: int, minor: int) -> None:
    """A character device node in ``path`` (a copy of /dev/null or /dev/full that a buggy
    writer could replace without harming the real one); skips where we may not create one."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
        with open(path, "rb", buffering=0):
            pass
    except OSError as exc:  # not root, no CAP_MKNOD, or a nodev file system
        pytest.skip(f"cannot create a device node: {exc}")


@pytest.mark.parametrize(("name", "message"), [("adir", "is a directory"), ("", "empty")])
def test_directory_and_empty_path_are_refused_before_anything_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str
) -> None:
    (tmp_path / "adir").mkdir()
    monkeypatch.chdir(tmp_path)
    code, err = simplify_to(name)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == ["adir"]
    assert os.listdir(tmp_path / "adir") == []


@pytest.mark.parametrize(
    "command",
    [["compile", str(ROOT / "tests/data/multistate.sym")], ["costs", "calibrate", "--cc", "nocc"]],
)
def test_every_output_option_refuses_a_directory_before_working(
    tmp_path: Path, command: list[str]
) -> None:
    """Checked as the option is read: no optimisation or calibration runs first (the bogus
    compiler would be an error of its own)."""
    (tmp_path / "adir").mkdir()
    result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path / "adir")])
    assert result.exit_code == 2
    assert "is a directory" in result.stderr and "nocc" not in result.stderr
    assert os.listdir(tmp_path) == ["adir"]
    assert os.listdir(tmp_path / "adir") == []


def test_trailing_slash_is_refused(tmp_path: Path) -> None:
    code, err = simplify_to(f"{tmp_path}/new/")
    assert code == 2 and "names a directory" in err
    assert os.listdir(tmp_path) == []


def test_write_output_refuses_directories_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper checks too (the directory may appear after the option was checked)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    for bad in (str(tmp_path / "d"), ""):
        with pytest.raises(InputError, match="cannot write"):
            write_output("x\n", bad)
    assert os.listdir(tmp_path) == ["d"]


def test_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    chain = tmp_path / "chain.txt"
    chain.symlink_to("link.txt")
    code, err = simplify_to(str(chain))
    assert code == 0, err
    assert chain.is_symlink() and link.is_symlink()
    assert real.read_text() == "x\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["chain.txt", "link.txt", "real.txt"]


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to("sub/target.txt")
    assert simplify_to(str(link))[0] == 0
    assert link.is_symlink() and (tmp_path / "sub" / "target.txt").read_text() == "x\n"


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_new_file_gets_the_mode_open_would_give(tmp_path: Path, mask: int, mode: int) -> None:
    out = tmp_path / "new.txt"
    with umask(mask):
        assert simplify_to(str(out))[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    out = tmp_path / "old.txt"
    out.write_text("old\n")
    out.chmod(0o604)
    with umask(0o077):
        assert simplify_to(str(out))[0] == 0
    assert out.read_text() == "x\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o604


def test_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, err = simplify_to(str(fifo), "y*1\n")
    reader.join(timeout=30)
    assert code == 0, err
    assert received == [b"y\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_character_device_is_written_in_place(tmp_path: Path) -> None:
    null = tmp_path / "null"
    mknod_char(null, 1, 3)
    code, err = simplify_to(str(null))
    assert code == 0, err
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert os.listdir(tmp_path) == ["null"]


def test_full_device_reports_the_error(tmp_path: Path) -> None:
    full = tmp_path / "full"
    mknod_char(full, 1, 7)
    code, err = simplify_to(str(full))
    assert code == 2
    assert err.startswith(f"error: {full}: cannot write: No space left on device")
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert os.listdir(tmp_path) == ["full"]


def test_dev_null_stays_a_device() -> None:
    """The real /dev/null, after the in-place tests above proved a device is not replaced."""
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert simplify_to("/dev/null")[0] == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_file_size_limit_leaves_no_temp_file(symopt_cmd: list[str], tmp_path: Path) -> None:
    source = tmp_path / "big.txt"
    source.write_text("".join(f"alpha_beta_gamma_{i} + delta_{i}\n" for i in range(200)))
    out = tmp_path / "out.txt"
    out.write_text("old\n")
    limit = source.stat().st_size // 2  # the input fits, the output does not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = ["simplify", str(source), "-o", str(out), "--iter-limit", "0", "--no-verify"]
    proc = subprocess.run(
        [*symopt_cmd, *args], capture_output=True, text=True, timeout=120, preexec_fn=small_files
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"error: {out}: cannot write: File too large\n"
    assert out.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["big.txt", "out.txt"]


@pytest.mark.parametrize(
    ("exc", "raised"),
    [
        (KeyboardInterrupt(), KeyboardInterrupt),
        (OSError(28, "No space left on device"), InputError),
    ],
)
def test_interrupted_write_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, raised: type
) -> None:
    def half_then_fail(fd: int, data: bytes) -> None:
        os.write(fd, data[: len(data) // 2])
        raise exc

    monkeypatch.setattr(io, "_write_all", half_then_fail)
    out = tmp_path / "out.txt"
    out.write_text("old\n")
    with pytest.raises(raised):
        write_output("x + y\n", str(out))
    assert out.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_interrupt_through_the_cli_exits_130_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int, data: bytes) -> None:
        os.write(fd, data[:1])
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "_write_all", interrupted)
    code, err = simplify_to(str(tmp_path / "out.txt"))
    assert code == 130 and "interrupted" in err
    assert os.listdir(tmp_path) == []
