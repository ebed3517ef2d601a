"""The ``jobs:`` section of a v1 project, each job the one step of its own workflow (openfn.model): its
trigger and credential references, the expression (Python file, JavaScript file or inline JavaScript) and
the adaptor it runs with."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

from openfn.readers._cache import compiles
from openfn.readers._reader import JOB_KEY, Reader
from openfn.model.project import Credential, Trigger
from openfn.model.workflow import Step

ADAPTOR = re.compile(r"(?:@openfn/)?(?:language-)?([a-z0-9][a-z0-9_-]*)(?:@(\S+))?")
JOB_KEYS = (
    "expression", "adaptor", "language_pack", "trigger", "credential", "autoprocess", "enabled",
    "retries", "retry_delay_seconds", "timeout", "memory_limit_mb", "description", "name",
)  # fmt: skip
ADAPTOR_FIX = "write an adaptor name such as `http` or '@openfn/language-http@7.2.10'."
FILE_PREFIX = "file://"  # OpenFn v1's "URI" form of an expression file


def parse_jobs(
    reader: Reader, raw: Any, project: str, triggers: dict[str, Trigger], credentials: dict[str, Credential], *, timeout: float
) -> dict[str, Step]:
    section = reader.mapping(raw, "jobs", fix="list jobs as `job-key: {expression: ..., trigger: ...}` entries.")
    jobs = {}
    for key, value in section.items():
        with reader.guard(f"jobs.{key}"):
            key = reader.string(key, f"jobs.{key}", fix="use letters, digits, '-' and '_' in job keys.", pattern=JOB_KEY)
            try:
                jobs[key] = _job(reader, project, key, value, triggers, credentials, timeout)
            except _AlreadyReported:  # its trigger or credential is broken, and reported there
                reader.broken.add(f"jobs.{key}")
    for key, trigger in triggers.items():
        upstream = getattr(trigger, "upstream", None)
        if upstream is not None and upstream not in jobs and f"jobs.{upstream}" not in reader.broken and not reader.partial:
            field = "success" if trigger.kind == "flow" else "failure"
            with reader.guard():
                raise reader.error(f"triggers.{key}.{field}", "names an unknown job", value=upstream, fix=_one_of("job", jobs))
    return jobs


def _reference(reader: Reader, body: dict, where: str, kind: str, known: dict, *, required: bool) -> Any:
    """The trigger/credential a job names; raises (or marks the job broken quietly when that entry is)."""
    field = f"{where}.{kind}"
    if body.get(kind) is None and not required:
        return None
    name = reader.string(body.get(kind), field, fix=_one_of(kind, known))
    if name in known:
        return known[name]
    if f"{kind}s.{name}" in reader.broken:  # already reported where it is defined
        raise _AlreadyReported()
    raise reader.error(field, f"names an unknown {kind}", value=name, fix=_one_of(kind, known))


class _AlreadyReported(Exception):
    pass


def _job(reader: Reader, project: str, key: str, raw: Any, triggers: dict, credentials: dict, timeout: float) -> Step:
    where = f"jobs.{key}"
    body = reader.mapping(raw, where, fix="give the job an `expression` and a `trigger`.")
    reader.check_keys(body, where, JOB_KEYS)
    trigger = _reference(reader, body, where, "trigger", triggers, required=True)
    credential = _reference(reader, body, where, "credential", credentials, required=False)
    language, expression_file, expression = _expression(reader, body.get("expression"), f"{where}.expression", check=reader.compile_only in (None, key))
    adaptor, version = _adaptor(reader, body.get("adaptor", body.get("language_pack")), f"{where}.adaptor", language)
    return Step(  # a v1 job: the one step of its own workflow
        project=project,
        workflow=key,
        key=key,
        name=key,
        where=where,
        source_key=key,
        adaptor=adaptor,
        adaptor_version=version,
        trigger=trigger,
        language=language,
        expression_file=expression_file,
        expression=expression,
        credential=credential,
        autoprocess=reader.boolean(body.get("autoprocess"), f"{where}.autoprocess", True),
        enabled=reader.boolean(body.get("enabled"), f"{where}.enabled", True),
        retries=reader.number(body.get("retries"), f"{where}.retries", 0, minimum=0, integer=True),
        retry_delay_seconds=float(reader.number(body.get("retry_delay_seconds"), f"{where}.retry_delay_seconds", 300, minimum=0, integer=False)),
        timeout=float(reader.number(body.get("timeout"), f"{where}.timeout", timeout, minimum=1, integer=False)),
        memory_limit_mb=memory_limit(reader, body.get("memory_limit_mb"), f"{where}.memory_limit_mb"),
    )


def memory_limit(reader: Reader, value: Any, where: str) -> int | None:
    """``memory_limit_mb``: a JavaScript run's memory limit in MB (none: the deployment's default)."""
    return None if value is None else reader.number(value, where, 500, minimum=16, integer=True)


def _expression(reader: Reader, value: Any, where: str, *, check: bool = True) -> tuple[str, Path | None, str | None]:
    """(language, file, inline source): a .py file is Python; a .js file or inline code is JavaScript."""
    fix = "name a job file next to project.yaml (`register_patient.py`, `register.js`) or write JavaScript inline."
    text = reader.string(value, where, fix=fix)
    candidate = text.strip()
    uri = candidate.startswith(FILE_PREFIX)
    if uri:
        candidate = candidate[len(FILE_PREFIX):]
    elif "\n" in candidate or not candidate.endswith((".py", ".js")) or " " in candidate:
        return "javascript", None, text  # an inline expression, as OpenFn exports carry them
    path = _inside_folder(reader, candidate, where, fix)
    if path.suffix == ".js":
        return "javascript", path, None
    if path.suffix != ".py":
        raise reader.error(where, "names a file that is neither a .py nor a .js job", value=candidate, fix=fix)
    if check:
        try:
            compiles(path)  # parsing only compiles the job; it is imported when its task runs
        except SyntaxError as exc:
            raise reader.error(where, f"has a Python syntax error at line {exc.lineno}: {exc.msg}", value=candidate, fix=f"correct {path.name} line {exc.lineno}.") from None
    return "python", path, None


def _inside_folder(reader: Reader, name: str, where: str, fix: str) -> Path:
    """The job file ``name`` relative to the project folder; refused if it (or a symlink) leads outside."""
    folder = os.path.abspath(reader.file.parent)
    path = Path(os.path.normpath(os.path.join(folder, name)))  # normpath: no per-component lstat
    if not path.is_relative_to(folder):
        raise reader.error(where, "points outside the project folder", value=name, fix=fix)
    if not os.path.isfile(path):
        raise reader.error(where, "names a file that does not exist", value=name, fix=f"create {path} or fix the name.")
    if os.path.islink(path) or path.parent != Path(folder):
        real, real_folder = os.path.realpath(path), os.path.realpath(folder)
        if os.path.commonpath([real, real_folder]) != real_folder:
            raise reader.error(where, "is a symbolic link to a file outside the project folder", value=name, fix="copy the file into the project folder.")
    return path


def _adaptor(reader: Reader, value: Any, where: str, language: str) -> tuple[str, str | None]:
    if value is None:
        return "common", None
    text = reader.string(value, where, fix=ADAPTOR_FIX)
    found = ADAPTOR.fullmatch(text.strip())
    if not found:
        raise reader.error(where, "is not an adaptor name", value=text, fix=ADAPTOR_FIX)
    name, version = found.group(1), found.group(2)
    if version and re.fullmatch(r"v\d+\.\d+\.\d+.*", version):
        version = version[1:]  # Lightning exports write '@openfn/language-mssql@v2.6.4' for 2.6.4
    if language == "python" and not python_adaptor_exists(name):
        raise reader.error(where, "names an adaptor this deployment does not have", value=text, fix=f"use one of: {', '.join(available_adaptors())}.")
    return name, version


@functools.cache
def python_adaptor_exists(name: str) -> bool:
    return importlib.util.find_spec(f"openfn.adaptors.{name.replace('-', '_')}") is not None


def available_adaptors() -> list[str]:
    folder = Path(__file__).resolve().parents[1] / "adaptors"
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def _one_of(kind: str, known: dict) -> str:
    if not known:
        return f"define the {kind} first."
    return f"use one of: {', '.join(sorted(known))}."
