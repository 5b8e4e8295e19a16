"""``symopt.load``: a model file (or text) to a Python callable, through the cache.

The cache key covers everything that changes the product: the model and sidecar text, every
optimiser option with the ruleset's and cost table's contents, the language, the compiler
command and flags, and the symopt and egglog versions. A hit reads the signature and loads the
product, without parsing or optimising anything."""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from symopt.codegen.cfiles import (
    DEFAULT_MAX_FILE_OPERATIONS,
    part_file_path,
    part_file_paths,
)
from symopt.codegen.split import DEFAULT_MAX_STATEMENTS
from symopt.errors import ConfigError
from symopt.native import cache
from symopt.native.caller import Function
from symopt.native.signature import Signature
from symopt.specs import cost_table_text, ruleset_text

LANGS = ("c", "python", "numpy")
SOURCE_FILE = {"c": "model.c", "python": "model.py", "numpy": "model.py"}
LIBRARY_FILE = "model.so"

ModelSource = str | os.PathLike[str]


@dataclass(frozen=True)
class Options:
    """How a model is optimised and built (the defaults are ``symopt compile``'s)."""

    lang: str = "c"
    name: str = "f"
    ruleset: str = "default"
    costs: str = "throughput"
    tier: str | None = None
    time_limit: float = 30.0
    node_limit: int = 200_000
    iter_limit: int = 30
    verify: bool = True
    assume: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    max_statements: int = DEFAULT_MAX_STATEMENTS
    max_file_operations: int = DEFAULT_MAX_FILE_OPERATIONS
    """C: most operations of split-function parts per file (``compile --max-file-operations``)."""
    cc: str | None = None
    cflags: tuple[str, ...] | None = None
    order: tuple[str, ...] | None = None
    """The inputs' order, as an ``input`` line without sizes (``compile --args``)."""
    args: tuple[tuple[str, bool], ...] | None = field(default=None)
    """The parameters in calling order as ``(name, is_array)`` (``symopt.function``); ``None``:
    the model's inputs."""
    jacobian: str | None = None
    """Also build the sparse Jacobian by this input array (``""``: the state, as
    ``compile --jacobian``); ``None``: no Jacobian."""

    @classmethod
    def of(
        cls,
        *,
        args: Sequence[str] | None = None,
        cflags: str | Sequence[str] | None = None,
        jacobian: bool | str | None = None,
        assume: Sequence[str] = (),
        samples: Sequence[str] = (),
        **fields: Any,
    ) -> Options:
        """Options from the settings of :func:`load` (and ``symopt build``): ``args`` (the
        inputs' order) becomes ``order``, sequences become tuples, ``cflags`` a tuple of flags
        (a string is split as a shell would), ``jacobian`` ``True``/``""`` the default array, an
        array name, ``False``/``None`` none. The other settings are fields of the same name."""
        from symopt.native.compiler import split_flags

        if jacobian is True:
            jacobian = ""
        elif jacobian is False:
            jacobian = None
        elif jacobian is not None and not isinstance(jacobian, str):
            raise ConfigError(f"jacobian must be True, False or an array name, got {jacobian!r}")
        return cls(
            order=None if args is None else tuple(args),
            cflags=None if cflags is None else tuple(split_flags(cflags)),
            jacobian=jacobian,
            assume=tuple(assume),
            samples=tuple(samples),
            **fields,
        )


@dataclass(frozen=True)
class Built:
    """A cache entry: its directory, signature, generated source and library (C only)."""

    directory: Path
    signature: Signature
    source: Path
    library: Path | None
    warnings: tuple[str, ...] = ()
    parts: tuple[Path, ...] = ()
    """C part files compiled into the library with ``source`` (a model over the per-file
    budget)."""


def load(
    model: ModelSource,
    *,
    lang: str = "c",
    name: str = "f",
    cc: str | None = None,
    cflags: str | Sequence[str] | None = None,
    ruleset: str = "default",
    costs: str = "throughput",
    tier: str | None = None,
    time_limit: float = 30.0,
    node_limit: int = 200_000,
    iter_limit: int = 30,
    verify: bool = True,
    assume: Sequence[str] = (),
    samples: Sequence[str] = (),
    sidecar: str | os.PathLike[str] | None = None,
    max_statements: int = DEFAULT_MAX_STATEMENTS,
    max_file_operations: int = DEFAULT_MAX_FILE_OPERATIONS,
    args: Sequence[str] | None = None,
    jacobian: bool | str = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Function:
    """A model as a Python callable ``f(*inputs, out=None)`` with ``f.many(...)``.

    ``model`` is a path to a ``.sym`` file or the model's text (a string holding a newline or
    ``=``). ``lang="c"`` compiles with ``cc`` (default: the first of ``cc``, ``gcc``, ``clang``)
    and ``cflags`` (default ``-O2``; ``-fPIC -shared`` are always added); ``args`` orders the
    inputs as ``symopt compile --args`` does; C larger than ``max_file_operations`` is
    compiled as several files, in parallel, and linked (see docs/compile.md); ``"python"`` or
    ``"numpy"`` need no compiler. ``jacobian=True`` (or the name of an input array) also builds
    the sparse Jacobian (as ``compile --jacobian``): ``f.jac``, ``f.f_and_jac`` and
    ``f.jac_sparsity`` (see docs/python.md). Products are cached under ``cache_dir`` (default:
    ``$SYMOPT_CACHE_DIR``, else the user cache directory). Errors: a
    :class:`~symopt.errors.SymoptError` (``SourceError`` for a bad model, ``BuildError`` for a
    missing compiler or a failed build).
    """
    options = Options.of(
        lang=lang,
        name=name,
        ruleset=ruleset,
        costs=costs,
        tier=tier,
        time_limit=time_limit,
        node_limit=node_limit,
        iter_limit=iter_limit,
        verify=verify,
        assume=assume,
        samples=samples,
        max_statements=max_statements,
        args=args,
        cc=cc,
        cflags=cflags,
        jacobian=jacobian,
        max_file_operations=max_file_operations,
    )
    path, text = read_model(model)
    return load_text(text, path, options, sidecar=sidecar, cache_dir=cache_dir)


def load_text(
    text: str,
    path: str,
    options: Options,
    *,
    sidecar: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Function:
    """:func:`load` of model ``text`` (named ``path`` in messages) with ``options``."""
    built = build(text, path, options, sidecar=sidecar, cache_dir=cache_dir)
    for message in built.warnings:
        warnings.warn(message, stacklevel=3)
    return open_built(built, options.lang)


def read_model(model: ModelSource) -> tuple[str, str]:
    """``(path, text)``: a path is read; a string with a newline or ``=`` is the text."""
    if isinstance(model, str) and ("\n" in model or "=" in model):
        return "<model>", model
    path = os.fspath(model)
    try:  # the common case without importing the CLI's reader (and click)
        return path, Path(path).read_bytes().decode("utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        from symopt.cli.io import read_source

        return read_source(path)


def open_built(built: Built, lang: str) -> Function:
    """The callable of a cache entry."""
    from symopt.native.backends import native_function, python_function

    source = built.source.read_text(encoding="utf-8")
    if built.library is not None:
        fn = native_function(built.signature, str(built.library), source)
    else:
        fn = python_function(built.signature, lang, source)
    if built.signature.jacobian is not None:
        from symopt.native.backends import attach_jacobian

        attach_jacobian(fn, source)
    return fn


def build(
    text: str,
    path: str,
    options: Options,
    *,
    sidecar: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Built:
    """The cache entry of ``text`` (the model read from ``path``), built if missing."""
    if options.lang not in LANGS:
        raise ConfigError(f"unknown lang '{options.lang}'; expected one of {', '.join(LANGS)}")
    sidecar_text, sidecar_name = _sidecar(path, sidecar)
    command: list[str] = []
    flags: list[str] = []
    if options.lang == "c":
        from symopt.native.compiler import find_compiler, split_flags

        command = find_compiler(options.cc)
        flags = split_flags(options.cflags)
    key = cache.digest(
        [
            symopt_version(),
            _version("egglog"),
            text,
            sidecar_text,
            ruleset_text(options.ruleset),
            cost_table_text(options.costs),
            repr(dataclasses.replace(options, cc=None, cflags=None)),
            repr(command),
            repr(flags),
        ]
    )
    root = cache.cache_root(cache_dir)
    found: list[str] = []

    def fill(tmp: Path) -> None:
        from symopt.native.generate import generate

        generated = generate(text, path, options, sidecar_text, sidecar_name)
        found.extend(generated.warnings)
        source = tmp / SOURCE_FILE[options.lang]
        source.write_text(generated.source, encoding="utf-8")
        parts = [Path(p) for p in part_file_paths(str(source), len(generated.parts))]
        for part, part_text in zip(parts, generated.parts, strict=True):
            part.write_text(part_text, encoding="utf-8")
        if options.lang == "c":
            from symopt.native.compiler import compile_shared

            compile_shared(command, flags, source, tmp / LIBRARY_FILE, parts)
        (tmp / cache.SIGNATURE).write_text(generated.signature.to_json(), encoding="utf-8")

    try:
        directory = cache.store(root, key, fill)
    except OSError as exc:
        from symopt.native.compiler import BuildError

        raise BuildError(
            f"cannot write the build cache {root} ({exc.strerror or exc}); "
            f"set {cache.ENV_VAR} or cache_dir= to a writable directory"
        ) from None
    signature = Signature.from_json((directory / cache.SIGNATURE).read_text(encoding="utf-8"))
    library = directory / LIBRARY_FILE if options.lang == "c" else None
    source = directory / SOURCE_FILE[options.lang]
    parts = _existing_parts(source)
    return Built(directory, signature, source, library, tuple(found), parts)


def _existing_parts(source: Path) -> tuple[Path, ...]:
    """The part files next to a cached ``source`` (``model.part1.c`` …, in order)."""
    found: list[Path] = []
    while True:
        path = part_file_path(str(source), len(found) + 1)
        if not os.path.isfile(path):
            return tuple(found)
        found.append(Path(path))


def symopt_version() -> str:
    from symopt import __version__

    return __version__


def _sidecar(path: str, sidecar: str | os.PathLike[str] | None) -> tuple[str | None, str]:
    """The sidecar's text and name: ``sidecar``, else ``MODEL.json`` next to a model file."""
    from symopt.cli.io import read_sidecar

    return read_sidecar(path, None if sidecar is None else os.fspath(sidecar))


def _version(package: str) -> str:
    """A package's version: its ``__version__`` if imported, else the name of its
    ``.dist-info`` directory on ``sys.path`` (importing ``importlib.metadata`` alone would cost
    a cached load a third of its time), else its metadata."""
    import sys

    known = getattr(sys.modules.get(package), "__version__", None)
    if isinstance(known, str):
        return known
    prefix = f"{package}-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for found in names:
            if found.startswith(prefix) and found.endswith(".dist-info"):
                return found[len(prefix) : -len(".dist-info")]
    from symopt.batch.digest import version

    return version(package)
