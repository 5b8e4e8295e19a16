"""Build products cached by content digest: ``CACHE/build/DIGEST/`` holds the generated source,
the shared library (for C) and ``signature.json``. A directory is filled under a temporary name
and renamed into place, so another process sees a complete entry or none."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

ENV_VAR = "SYMOPT_CACHE_DIR"
SIGNATURE = "signature.json"


def cache_root(override: str | os.PathLike[str] | None = None) -> Path:
    """``override``, else ``$SYMOPT_CACHE_DIR``, else the user cache directory's ``symopt``."""
    if override is not None:
        return Path(override)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("symopt", appauthor=False))


def digest(parts: Sequence[str | bytes | None]) -> str:
    """SHA-256 of ``parts``, each length-prefixed (``None`` distinct from every string)."""
    h = hashlib.sha256()
    for part in parts:
        if part is None:
            h.update(b"\xff")
            continue
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def entry(root: Path, key: str) -> Path:
    """The directory of the entry ``key`` (it exists only once complete)."""
    return root / "build" / key


def store(root: Path, key: str, fill: Callable[[Path], None]) -> Path:
    """The entry ``key``, built by ``fill(tmpdir)`` if missing. If another process completes
    the same entry first, its copy is kept and ours discarded."""
    final = entry(root, key)
    if (final / SIGNATURE).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key[:16]}-", dir=final.parent))
    try:
        fill(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / SIGNATURE).is_file():  # not a lost race: a real failure
                raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return final
