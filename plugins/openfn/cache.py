"""The private per-user directory where parse results are kept between processes (see spec/_cache.py and
node/check.py). Never trusted when anyone else could write to it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_dir() -> Path | None:
    folder = Path(tempfile.gettempdir()) / f"openfn-parse-cache-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None  # not ours alone: never trust it
    except OSError:
        return None
    return folder
