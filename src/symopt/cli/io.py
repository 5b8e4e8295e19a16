"""Input and output at the CLI edge: reading sources, writing files atomically."""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from symopt.errors import SourceError, SymoptError


class InputError(SymoptError):
    """An input file that cannot be read."""


def read_source(path: str) -> tuple[str, str]:
    """Return ``(display_name, text)`` for a path, or ``-`` for standard input (read as bytes and
    decoded by :func:`decode_source`, like a file)."""
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)  # None: a text-only stand-in for stdin
        data = (
            stdin.read()
            if stdin is not None
            else sys.stdin.read().encode("utf-8", "surrogateescape")
        )
        return "<stdin>", decode_source(data, "<stdin>")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return path, decode_source(data, path)


def decode_source(data: bytes, path: str = "<stdin>") -> str:
    """``data`` as UTF-8 text, without a leading byte order mark. Invalid UTF-8 is a
    :class:`SourceError` at the line and column (in characters) of the first bad byte."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Lines as the parsers split them; "?" stands in for the bad byte to find its column.
        before = (data[: exc.start].decode("utf-8") + "?").splitlines()
        line, column = len(before), len(before[-1])
        source_line = data.decode("utf-8", "replace").splitlines()[line - 1]
        bad = data[exc.start : exc.end]
        shown = ("byte " if len(bad) == 1 else "bytes ") + " ".join(f"0x{b:02x}" for b in bad)
        raise SourceError(
            f"invalid UTF-8 ({shown}: {exc.reason})",
            path=path,
            line=line,
            column=column,
            source_line=source_line,
        ) from None


def output_problem(path: str) -> str | None:
    """Why ``path`` cannot be an output file (``None`` if it may be): checked before anything is
    created, so a refused ``-o`` leaves no temp file behind."""
    if path == "":
        return "empty output path"
    if path.endswith(("/", os.sep)):
        return "names a directory"
    if os.path.isdir(path):
        return "is a directory"
    return None


def check_output(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback for ``-o``: refuse a directory or an empty path before any work (exit 2)."""
    if value is not None and value != "-" and (problem := output_problem(value)):
        raise click.BadParameter(f"{value!r}: {problem}", ctx=ctx, param=param)
    return value


def read_sidecar(model_path: str, sidecar: str | None) -> tuple[str | None, str]:
    """A model's sidecar text and name: ``sidecar``, else ``MODEL.json`` next to a model file
    if there is one (none for standard input); ``(None, "")`` without a sidecar."""
    if sidecar is None:
        if model_path == "-" or model_path.startswith("<"):
            return None, ""
        candidate = Path(model_path).with_suffix(".json")
        if not candidate.is_file():
            return None, ""
        sidecar = str(candidate)
    try:
        return Path(sidecar).read_text(encoding="utf-8"), sidecar
    except FileNotFoundError:
        raise InputError(f"{sidecar}: no such sidecar file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{sidecar}: cannot read: {exc}") from None


def write_output(text: str, path: str | None) -> None:
    """Write to stdout, or to ``path``: a regular file atomically (a temp file next to it, renamed
    into place, removed on any error), a device, FIFO or socket directly. A symlink is followed:
    its final target is written, the link stays."""
    if path is None or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if problem := output_problem(path):
        raise InputError(f"{path}: cannot write: {problem}")
    target = os.path.realpath(path)
    data = text.encode("utf-8")
    try:
        try:
            mode: int | None = os.stat(target).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise InputError(f"{path}: cannot write: is a directory")
        if mode is not None and not stat.S_ISREG(mode):
            _write_special(target, data)
        else:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(target, data, None if mode is None else stat.S_IMODE(mode))
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None


def write_outputs(files: Sequence[tuple[str, str]]) -> None:
    """Write several ``(text, path)`` files as a set: every text goes to a temp file next to
    its target first, then all are renamed into place; on any error the temp files, and the
    targets already renamed that did not exist before, are removed, so a failure leaves the
    previous state (all files or none). Regular files only (a device or FIFO target is
    refused)."""
    staged: list[tuple[str, str]] = []  # (temp, target)
    placed: list[str] = []
    new: set[str] = set()
    current = ""
    try:
        for text, path in files:
            current = path
            target = _regular_target(path)
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            mode = stat.S_IMODE(os.stat(target).st_mode) if os.path.exists(target) else None
            staged.append((_stage(target, text.encode("utf-8"), mode), target))
            if mode is None:
                new.add(target)
        for tmp, target in staged:
            current = target
            os.replace(tmp, target)
            placed.append(target)
    except BaseException as exc:  # a full disk, Ctrl-C: leave neither temp files nor a part set
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for target in placed:
            if target in new:
                with contextlib.suppress(OSError):
                    os.unlink(target)
        if isinstance(exc, OSError):
            raise InputError(f"{current}: cannot write: {exc.strerror or exc}") from None
        raise


def write_c_files(texts: Sequence[str], output: str) -> list[str]:
    """Write the first file to ``output`` and the part files next to it (``OUT.part1.c`` …)
    as one set (all or none); remove stale part files of an earlier, larger output (numbered
    on from the last, recognised by their first line). The paths written, in order."""
    from symopt.codegen.cfiles import PART_FILE_MARKER, part_file_path, part_file_paths

    paths = [output, *part_file_paths(output, len(texts) - 1)]
    if len(texts) == 1:
        write_output(texts[0], output)
    else:
        write_outputs(list(zip(texts, paths, strict=True)))
    k = len(texts)
    while True:
        stale = part_file_path(output, k)
        try:
            with open(stale, encoding="utf-8") as fh:
                if fh.read(len(PART_FILE_MARKER)) != PART_FILE_MARKER:
                    break
            os.unlink(stale)
        except (OSError, UnicodeDecodeError):
            break
        k += 1
    return paths


def _regular_target(path: str) -> str:
    """The file ``path`` names (a symlink followed), refused unless a regular file or new."""
    if problem := output_problem(path):
        raise InputError(f"{path}: cannot write: {problem}")
    target = os.path.realpath(path)
    if os.path.exists(target) and not os.path.isfile(target):
        raise InputError(f"{path}: cannot write several files: not a regular file")
    return target


def _write_special(target: str, data: bytes) -> None:
    """Write to a device, FIFO or socket in place (it must never be replaced by a file)."""
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_atomic(target: str, data: bytes, mode: int | None) -> None:
    """Write ``target`` via a temp file in its directory (:func:`_stage`) and a rename."""
    tmp = _stage(target, data, mode)
    try:
        os.replace(tmp, target)
    except BaseException:  # never leave the temp file
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _stage(target: str, data: bytes, mode: int | None) -> str:
    """A new temp file next to ``target`` holding ``data``, for a rename into place: the one
    way every output is written. It gets ``mode`` (an existing file's permissions) or, when
    new, what ``open(..., "w")`` gives (0666 & ~umask, applied by the kernel as the temp file
    is created). On any error (a failed write, a full disk, Ctrl-C) it is removed."""
    directory, name = os.path.split(target)
    fd, tmp = _create_temp(directory, f".{name}.")
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            _write_all(fd, data)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def _create_temp(directory: str, prefix: str) -> tuple[int, str]:
    """A new, exclusively created file ``directory/prefixXXXXXXXX`` opened for writing, with the
    mode a plain ``open`` gives (unlike :func:`tempfile.mkstemp`, which forces 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, prefix + secrets.token_hex(4))
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", directory)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
