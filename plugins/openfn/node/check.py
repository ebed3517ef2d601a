"""Checking, when the DAGs are built, that JavaScript jobs compile (``js/src/check.mjs``).

Every job not checked before goes to one Node process, whatever the number of projects. Each result is
kept in the parse cache under a key made of the source, the adaptor version and the compiler's own code,
so an unchanged job is compiled once, not at every parse of the DAG file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from openfn.cache import cache_dir
from openfn.node.process import NODE_FLAGS

log = logging.getLogger("openfn.readers")
CHECK_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class CheckRequest:
    id: str  # any key unique in one call, e.g. "<project>.<job>"
    expression: str
    package: str  # '@openfn/language-http'
    version: str  # installed exact version


@dataclass(frozen=True)
class CompileProblem:
    message: str
    line: int | None = None
    column: int | None = None  # counted from 1
    fix: str | None = None


@functools.cache
def _compiler_stamp(js_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(js_dir.joinpath("src").rglob("*.mjs")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _key(js_dir: Path, request: CheckRequest) -> str:
    text = f"{_compiler_stamp(js_dir)}\0{request.package}@{request.version}\0{request.expression}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _problem(error: dict) -> CompileProblem:
    position = error.get("position") or {}
    line = position.get("line")
    column = position.get("column")
    return CompileProblem(
        message=str(error.get("message") or error.get("type") or "does not compile"),
        line=line,
        column=None if column is None else int(column),
        fix=error.get("fix"),
    )


def check(requests: list[CheckRequest], *, node: str, js_dir: Path) -> dict[str, CompileProblem | None]:
    """id -> None (compiles) or the problem. Jobs that could not be checked at all are left out."""
    folder = cache_dir()
    results: dict[str, CompileProblem | None] = {}
    missing: list[CheckRequest] = []
    for request in requests:
        entry = folder / f"{_key(js_dir, request)}.jscheck" if folder else None
        try:
            cached = json.loads(entry.read_text(encoding="utf-8")) if entry else None
        except (OSError, ValueError):
            cached = None
        if cached is None:
            missing.append(request)
        else:
            results[request.id] = None if cached.get("ok") else _problem(cached.get("error") or {})
    if missing:
        for request, outcome in zip(missing, _run_checker(missing, node=node, js_dir=js_dir)):
            if outcome is None:
                continue
            results[request.id] = None if outcome.get("ok") else _problem(outcome.get("error") or {})
            if folder is not None:
                _store(folder / f"{_key(js_dir, request)}.jscheck", outcome)
    return results


def _run_checker(requests: list[CheckRequest], *, node: str, js_dir: Path) -> list[dict | None]:
    payload = [{"id": r.id, "expression": r.expression, "adaptor": {"name": r.package, "version": r.version}} for r in requests]
    try:
        completed = subprocess.run(
            [node, *NODE_FLAGS, str(js_dir / "src" / "check.mjs")],
            input=json.dumps(payload).encode("utf-8"), capture_output=True, cwd=js_dir, timeout=CHECK_TIMEOUT_SECONDS,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        log.error("Could not check JavaScript jobs with %s: %s", node, error)
        return [None] * len(requests)
    try:
        answers = {item["id"]: item for item in json.loads(completed.stdout)}
    except (ValueError, KeyError, TypeError):
        log.error("Checking JavaScript jobs failed (exit %s): %s", completed.returncode, completed.stderr.decode("utf-8", "replace")[-2000:])
        return [None] * len(requests)
    return [answers.get(r.id) for r in requests]


def _store(entry: Path, outcome: dict) -> None:
    try:
        temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"ok": bool(outcome.get("ok")), "error": outcome.get("error")}), encoding="utf-8")
        temporary.replace(entry)
    except OSError:
        pass
