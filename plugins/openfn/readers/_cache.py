"""Parse caches: a project.yaml already parsed, and a job file already compiled, are not parsed again.

The DAG processor re-parses the DAG file every few seconds in a fresh process, and a project file is
read by every task start. YAML is slow to construct; the same data as JSON loads several times faster.
The cache lives in a private per-user directory, is keyed by the file's path, size and mtime, and holds
only data that survives a JSON round trip unchanged (anything else is simply parsed every time).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from openfn.cache import cache_dir


def cached_yaml(path: Path, parse: Callable[[str], Any]) -> Any:
    """``parse(text)`` of ``path``, from the cache when the file has not changed since."""
    info = path.stat()
    folder = cache_dir()
    key = hashlib.sha256(f"{path.resolve()}\0{info.st_size}\0{info.st_mtime_ns}".encode()).hexdigest()
    entry = folder / f"{key}.json" if folder else None
    if entry is not None:
        try:
            return json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    data = parse(path.read_text(encoding="utf-8"))
    if entry is not None and _json_safe(data):
        try:
            temporary = entry.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            os.replace(temporary, entry)
        except OSError:
            pass
    return data


def _json_safe(data: Any) -> bool:
    try:
        again = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError):
        return False
    return _same(data, again)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types all the way down (True == 1 and 1 == 1.0 in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _stamp(path: Path, kind: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    info = os.stat(path)
    # The absolute path, not the resolved one: a file reached through a symbolic link only misses the cache.
    key = hashlib.sha256(f"{kind}\0{os.path.abspath(path)}\0{info.st_size}\0{info.st_mtime_ns}".encode()).hexdigest()
    return folder / f"{key}.{kind}"


def compiles(path: Path) -> None:
    """Raise SyntaxError unless ``path`` is valid Python; a file that compiled before, unchanged since,
    is not compiled again (a stamp in the cache directory, whatever PYTHONDONTWRITEBYTECODE says)."""
    stamp = _stamp(path, "compiles")
    if stamp is not None and stamp.exists():
        return
    compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    if stamp is not None:
        try:
            stamp.touch()
        except OSError:
            pass
