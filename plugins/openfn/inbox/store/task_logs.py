"""Task log files in the local log folder (``[logging] base_log_folder``), as the api-server reaches them:
the last lines of a task's log for the receipt, and the erasure of a run's logs.

A task's log file is where Airflow's ``[logging] log_filename_template`` puts it (by default
``dag_id=<dag>/run_id=<run>/task_id=<task>/attempt=<n>.log``, one JSON object per line). Only files on the
api-server's own disk are reached: with remote logging, or Celery workers that keep their logs on their
own machines, the api-server reads them through Airflow and cannot erase them (docs/security.md says what
such deployments need).

Erasing a run's logs replaces each of its task log files by one line that says when and by whom it was
erased. The whole file goes, not only the lines that hold the content: a job can log the content in
pieces, transformed, or over many lines, and only removing every line is sure to remove all of it.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

TAIL_BYTES = 256 * 1024  # read at most this much from a log's end for its last lines
_SENTINEL = "openfn-task-placeholder"


@dataclass(frozen=True)
class TaskTry:
    dag_id: str
    run_id: str
    task_id: str
    try_number: int
    map_index: int = -1


def log_folder() -> Path:
    from airflow.configuration import conf

    return Path(conf.get("logging", "base_log_folder")).expanduser()


def _template() -> str:
    from airflow.configuration import conf

    return conf.get("logging", "log_filename_template")


def _render(template: str, dag_id: str, run_id: str, task_id: str, try_number: int, map_index: int) -> str | None:
    import jinja2

    ti = SimpleNamespace(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index, try_number=try_number)
    try:
        return jinja2.Template(template, undefined=jinja2.StrictUndefined).render(ti=ti, try_number=try_number)
    except jinja2.TemplateError:  # a template that needs more than these fields (e.g. the logical date)
        return None


def log_path(task: TaskTry, folder: Path | None = None) -> Path | None:
    """Where ``task``'s log file is (whether or not it exists); None when the template cannot be rendered."""
    rendered = _render(_template(), task.dag_id, task.run_id, task.task_id, task.try_number, task.map_index)
    return None if rendered is None else (folder or log_folder()) / rendered


def run_folder(dag_id: str, run_id: str, folder: Path | None = None) -> Path | None:
    """The folder that holds every task log of one run and nothing else, when the template has one (the
    default does: ``dag_id=<dag>/run_id=<run>``); None otherwise."""
    rendered = _render(_template(), dag_id, run_id, _SENTINEL, 1, -1)
    if rendered is None or _SENTINEL not in rendered:
        return None
    prefix = rendered.split(_SENTINEL, 1)[0]
    if "/" not in prefix:
        return None
    parent = Path(prefix.rsplit("/", 1)[0])
    if not any(dag_id in part for part in parent.parts) or not any(run_id in part for part in parent.parts):
        return None  # logs of several runs share this folder
    return (folder or log_folder()) / parent


def format_line(line: str) -> str:
    """One log line as a person reads it: ``time level message`` (an exception: its type and message)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line.rstrip("\n")
    if not isinstance(record, dict):
        return line.rstrip("\n")
    when = str(record.get("timestamp", ""))[11:19]
    text = str(record.get("event", ""))
    for detail in record.get("error_detail") or []:
        if isinstance(detail, dict) and detail.get("exc_type"):
            text += f"\n{detail['exc_type']}: {detail.get('exc_value', '')}"
    return f"{when} {str(record.get('level', '')).upper():<7} {text}".strip()


@dataclass(frozen=True)
class Tail:
    lines: list[str]  # formatted, oldest first
    more: bool  # the log has lines before these
    exception: tuple[str, str] | None  # (type, message) of the last exception the log recorded


def tail(path: Path, lines: int | None, max_bytes: int = TAIL_BYTES) -> Tail | None:
    """The last ``lines`` lines (None: all that fit in ``max_bytes``) of the log at ``path``, formatted;
    None when the file is not on this machine."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except OSError:
        return None
    found = data.decode("utf-8", "replace").splitlines()
    if size > max_bytes and found:
        found = found[1:]  # the first line read is cut
    found = [line for line in found if line.strip()]
    shown = found if lines is None else found[-lines:]
    return Tail([format_line(line) for line in shown], len(shown) < len(found) or size > max_bytes, _last_exception(found))


def _last_exception(found: list[str]) -> tuple[str, str] | None:
    for line in reversed(found):
        if '"error_detail"' not in line:
            continue
        try:
            details = json.loads(line).get("error_detail") or []
        except (ValueError, AttributeError):
            continue
        for detail in details:
            if isinstance(detail, dict) and detail.get("exc_type") and not detail.get("is_cause"):
                return str(detail["exc_type"]), str(detail.get("exc_value", ""))
    return None


def erasure_line(message_id: str, by: str, at: datetime.datetime) -> str:
    """The line an erased log keeps: Airflow's log view shows it as the task's only line."""
    return json.dumps({
        "timestamp": at.isoformat().replace("+00:00", "Z"), "level": "info", "logger": "openfn.erasure",
        "event": f"This task log was erased by {by} at {at.isoformat(timespec='seconds')} with the content of message {message_id}.",
    }) + "\n"  # fmt: skip


def erase_logs(runs: list[tuple[str, str]], tries: list[TaskTry], line: str, folder: Path | None = None) -> int:
    """Replace every log file of ``runs`` ((dag_id, run_id)) by ``line``; ``tries``: the runs' task tries,
    for a template that keeps no folder per run. Returns how many files were erased."""
    folder = folder or log_folder()
    paths: set[Path] = set()
    for dag_id, run_id in runs:
        found = run_folder(dag_id, run_id, folder)
        if found is not None and found.is_dir():
            paths.update(p for p in found.rglob("*") if p.is_file())
    for task in tries:
        for number in range(1, max(task.try_number, 1) + 1):
            path = log_path(TaskTry(task.dag_id, task.run_id, task.task_id, number, task.map_index), folder)
            if path is not None and path.is_file():
                paths.add(path)
    erased = 0
    for path in sorted(paths):
        try:
            if path.stat().st_size == len(line.encode("utf-8")) and path.read_text(encoding="utf-8", errors="replace") == line:
                erased += 1  # erased before: nothing written since
                continue
            with open(path, "w", encoding="utf-8") as handle:  # truncates in place: the inode Airflow serves stays
                handle.write(line)
            erased += 1
        except OSError:
            continue
    return erased
