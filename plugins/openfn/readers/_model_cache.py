"""Checked projects kept between parses: a project folder that has not changed is not read and checked again.

The DAG processor parses the DAG files every few seconds, each time in a fresh process, and reading and
checking a large project (its file, every job's file, adaptor versions, compile checks) is a third of a
parse. A checked project is kept in the private parse-cache directory (openfn/cache.py), with everything its
reading depended on:

- every file under the project folder (path, size, modification time): the project file, job files and
  anything a project file can name;
- the product's own code (the readers and model decide what a file means);
- the settings reading uses, the Node.js binary found, and the JavaScript install (package.json,
  node_modules, the compiler's sources): installed adaptor versions and compile checks.

Any difference, or an entry that cannot be read, means the folder is read again. Projects that fail to load
are never kept: their errors are always produced afresh. A file changed less than ``SETTLE_NS`` before the
folder was looked at keeps its project out of the cache: file times are coarse (a clock tick), so a second
change within the same tick, to the same size, would otherwise go unseen.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import shutil
import sys
import time
from pathlib import Path

from openfn.cache import cache_dir
from openfn.model.project import Project

log = logging.getLogger("openfn.readers")

FORMAT = 1  # bump when what is kept changes shape
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", ".git"})
SETTLE_NS = 200_000_000


def _stat(path: Path | str) -> tuple:
    try:
        info = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), info.st_size, info.st_mtime_ns)


def folder_signature(folder: Path) -> tuple:
    """Every file under ``folder`` (symbolic links followed to what they name), sorted."""
    found = []
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            found.append((current, None))
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in SKIPPED_FOLDERS:
                    pending.append(entry.path)
            else:
                found.append(_stat(entry.path))
    return tuple(sorted(found, key=lambda item: item[0]))


@functools.lru_cache(maxsize=1)
def _code_signature() -> str:
    """The product's own Python files: a changed reader or model class makes every kept project stale."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(repr(_stat(path)).encode())
    return digest.hexdigest()


def context_signature(*, timeout: float, js_dir: Path, node: str) -> str:
    """What reading depends on besides the folder: code, settings, Node.js and the JavaScript install."""
    parts = [_code_signature(), repr(timeout), str(js_dir), node, repr(shutil.which(node))]
    parts += [repr(_stat(js_dir / name)) for name in ("package.json", "package-lock.json", "node_modules", "node_modules/.package-lock.json")]
    source = js_dir / "src"
    if source.is_dir():
        parts += [repr(_stat(path)) for path in sorted(source.glob("*.mjs"))]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _entry(folder: Path, context: str) -> Path | None:
    base = cache_dir()
    if base is None:
        return None
    key = hashlib.sha256(f"{os.path.abspath(folder)}\0{context}".encode("utf-8", "surrogatepass")).hexdigest()
    return base / f"{key}.project"


def load(folder: Path, context: str) -> tuple[Project | None, tuple]:
    """The kept project of ``folder`` if nothing it depended on changed, and the folder's signature now
    (with the time it was taken, for ``store``)."""
    taken = time.time_ns()
    signature = (folder_signature(folder), taken)
    entry = _entry(folder, context)
    if entry is None:
        return None, signature
    try:
        kept_signature, project = pickle.loads(entry.read_bytes())
    except FileNotFoundError:
        return None, signature
    except Exception:  # an entry of another version, or cut short: read the folder again
        log.debug("Ignoring the unreadable parse-cache entry %s", entry, exc_info=True)
        return None, signature
    if kept_signature != signature[0] or not isinstance(project, Project):
        return None, signature
    return project, signature


def store(folder: Path, context: str, signature: tuple, project: Project) -> None:
    """Keep ``project``, read when the folder had ``signature``; unless the folder changed meanwhile, or a
    file of it had changed just before (its time would not tell a change within the same clock tick)."""
    files, taken = signature
    entry = _entry(folder, context)
    if entry is None or any(len(item) == 3 and item[2] > taken - SETTLE_NS for item in files) or folder_signature(folder) != files:
        return
    try:
        data = pickle.dumps((files, project), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)  # never keep what cannot be read back
        temporary = entry.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, entry)
    except Exception:
        log.debug("Cannot keep the checked project of %s", folder, exc_info=True)
