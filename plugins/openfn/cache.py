"""The private per-user directory where parse results are kept between processes (see readers/_cache.py and
node/check.py). Never trusted when anyone else could write to it."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path


def cache_dir() -> Path | None:
    return _checked(tempfile.gettempdir(), os.getuid())


@functools.lru_cache(maxsize=8)
def _checked(tempdir: str, uid: int) -> Path | None:
    """Checked once per process: only its owner (us) can make a folder that was ours alone writable by others."""
    folder = Path(tempdir) / f"openfn-parse-cache-{uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None  # not ours alone: never trust it
    except OSError:
        return None
    return folder
