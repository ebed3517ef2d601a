"""The ``jobs:`` and ``credentials:`` sections."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

from openfn.spec._cache import compiles
from openfn.spec._reader import JOB_KEY, Reader
from openfn.spec.model import Credential, Job, Trigger

ADAPTOR = re.compile(r"^(?:@openfn/)?(?:language-)?([a-z0-9][a-z0-9_-]*)(?:@(\S+))?$")
JOB_KEYS = (
    "expression", "adaptor", "language_pack", "trigger", "credential", "autoprocess", "enabled",
    "retries", "retry_delay_seconds", "description", "name",
)  # fmt: skip
MASK = re.compile(r"^\*+$")


def parse_credentials(reader: Reader, raw: Any) -> dict[str, Credential]:
    section = reader.mapping(raw, "credentials", fix="list credentials as `name: {}` entries.")
    return {str(key): _credential(reader, str(key), value) for key, value in section.items()}


def _credential(reader: Reader, key: str, raw: Any) -> Credential:
    where = f"credentials.{key}"
    body = reader.mapping(raw, where, fix=f"write `{key}: {{}}` and keep the secrets in the Airflow Connection '{key}'.")
    conn_id = key
    for name, value in body.items():
        if name == "conn_id":
            conn_id = reader.string(value, f"{where}.conn_id", fix="name an Airflow Connection id.")
        elif not (isinstance(value, str) and MASK.match(value)):
            # Never echo the value: it may be a real secret.
            raise reader.error(
                f"{where}.{name}",
                "holds a value; project files must not contain secrets (only '******' placeholders are accepted)",
                fix=f"remove it and store it in the Airflow Connection '{conn_id}' (UI: Admin > Connections).",
            )
    return Credential(key=key, conn_id=conn_id)


def parse_jobs(
    reader: Reader, raw: Any, project: str, triggers: dict[str, Trigger], credentials: dict[str, Credential]
) -> dict[str, Job]:
    section = reader.mapping(raw, "jobs", fix="list jobs as `job-key: {expression: ..., trigger: ...}` entries.")
    jobs = {}
    for key, value in section.items():
        key = reader.string(key, f"jobs.{key}", fix="use letters, digits, '-' and '_' in job keys.", pattern=JOB_KEY)
        jobs[key] = _job(reader, project, key, value, triggers, credentials)
    for key, trigger in triggers.items():
        upstream = getattr(trigger, "upstream", None)
        if upstream is not None and upstream not in jobs:
            field = "success" if trigger.kind == "flow" else "failure"
            raise reader.error(f"triggers.{key}.{field}", "names an unknown job", value=upstream, fix=_one_of("job", jobs))
    return jobs


def _job(reader: Reader, project: str, key: str, raw: Any, triggers: dict, credentials: dict) -> Job:
    where = f"jobs.{key}"
    body = reader.mapping(raw, where, fix="give the job an `expression` and a `trigger`.")
    reader.check_keys(body, where, JOB_KEYS)
    trigger_key = reader.string(body.get("trigger"), f"{where}.trigger", fix=_one_of("trigger", triggers))
    if trigger_key not in triggers:
        raise reader.error(f"{where}.trigger", "names an unknown trigger", value=trigger_key, fix=_one_of("trigger", triggers))
    credential = None
    if body.get("credential") is not None:
        cred_key = reader.string(body["credential"], f"{where}.credential", fix=_one_of("credential", credentials))
        if cred_key not in credentials:
            raise reader.error(f"{where}.credential", "names an unknown credential", value=cred_key, fix=_one_of("credential", credentials))
        credential = credentials[cred_key]
    language, expression_file = _expression(reader, body.get("expression"), f"{where}.expression", check=reader.compile_only in (None, key))
    adaptor, version = _adaptor(reader, body.get("adaptor", body.get("language_pack")), f"{where}.adaptor", language)
    return Job(
        project=project,
        key=key,
        adaptor=adaptor,
        adaptor_version=version,
        trigger=triggers[trigger_key],
        language=language,
        expression_file=expression_file,
        credential=credential,
        autoprocess=reader.boolean(body.get("autoprocess"), f"{where}.autoprocess", True),
        enabled=reader.boolean(body.get("enabled"), f"{where}.enabled", True),
        retries=reader.number(body.get("retries"), f"{where}.retries", 0, minimum=0, integer=True),
        retry_delay_seconds=float(reader.number(body.get("retry_delay_seconds"), f"{where}.retry_delay_seconds", 300, minimum=0, integer=False)),
    )


def _expression(reader: Reader, value: Any, where: str, *, check: bool = True) -> tuple[str, Path | None]:
    fix = "name a Python file next to project.yaml, e.g. `expression: register_patient.py`."
    text = reader.string(value, where, fix=fix)
    candidate = text.strip()
    if "\n" in candidate or not candidate.endswith((".py", ".js")) or " " in candidate:
        return "javascript", None  # an inline expression, as OpenFn exports carry them
    folder = os.path.abspath(reader.file.parent)
    path = Path(os.path.normpath(os.path.join(folder, candidate)))  # normpath: no per-component lstat
    if not path.is_relative_to(folder):
        raise reader.error(where, "points outside the project folder", value=candidate, fix=fix)
    if not os.path.isfile(path):
        raise reader.error(where, "names a file that does not exist", value=candidate, fix=f"create {path} or fix the name.")
    if path.suffix == ".js":
        return "javascript", path
    if not check:
        return "python", path
    try:
        compiles(path)  # parsing only compiles the job; it is imported when its task runs
    except SyntaxError as exc:
        raise reader.error(where, f"has a Python syntax error at line {exc.lineno}: {exc.msg}", value=candidate, fix=f"correct {path.name} line {exc.lineno}.") from None
    return "python", path


def _adaptor(reader: Reader, value: Any, where: str, language: str) -> tuple[str, str | None]:
    if value is None:
        return "common", None
    text = reader.string(value, where, fix="write an adaptor name such as `http` or '@openfn/language-http@6.0.0'.")
    found = ADAPTOR.match(text.strip())
    if not found:
        raise reader.error(where, "is not an adaptor name", value=text, fix="write an adaptor name such as `http` or '@openfn/language-http@6.0.0'.")
    name, version = found.group(1), found.group(2)
    if language == "python" and not _adaptor_exists(name):
        raise reader.error(where, "names an adaptor this deployment does not have", value=text, fix=f"use one of: {', '.join(available_adaptors())}.")
    return name, version


@functools.cache
def _adaptor_exists(name: str) -> bool:
    return importlib.util.find_spec(f"openfn.adaptors.{name.replace('-', '_')}") is not None


def available_adaptors() -> list[str]:
    folder = Path(__file__).resolve().parents[1] / "adaptors"
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def _one_of(kind: str, known: dict) -> str:
    if not known:
        return f"define the {kind} first."
    return f"use one of: {', '.join(sorted(known))}."
