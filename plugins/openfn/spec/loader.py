"""Load project folders: one ProjectError per broken folder, and every other project still loads."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from openfn.errors import ProjectError
from openfn.spec._cache import cached_yaml
from openfn.spec._jobs import parse_credentials, parse_jobs
from openfn.spec._reader import PROJECT_NAME, Reader
from openfn.spec._triggers import parse_triggers
from openfn.spec.model import InboxConfig, Job, Project

log = logging.getLogger("openfn.spec")

PROJECT_FILE = "project.yaml"
TOP_KEYS = ("name", "description", "inbox", "notify", "jobs", "triggers", "credentials", "globals")
AUTH_KINDS = ("api_key", "basic")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LoadReport:
    projects: list[Project] = field(default_factory=list)
    errors: list[ProjectError] = field(default_factory=list)


def load_projects(jobs_dir: Path, only: str | None = None, only_job: str | None = None) -> LoadReport:
    """Load every ``<jobs_dir>/<folder>/project.yaml``; with ``only``, just the project of that name
    (and with ``only_job``, only that job's code is compiled: a task start)."""
    report = LoadReport()
    if not jobs_dir.is_dir():
        log.warning("OpenFn jobs directory %s does not exist: no projects loaded", jobs_dir)
        return report
    files = sorted(jobs_dir.glob(f"*/{PROJECT_FILE}"))
    if only is not None:
        # A task start builds one DAG: try the folder of the same name first, then every folder.
        files = [f for f in files if f.parent.name == only] + [f for f in files if f.parent.name != only]
    seen: dict[str, Path] = {}
    for file in files:
        try:
            project = load_project(file.parent, compile_only=only_job if only is not None else None)
            if project.name in seen:
                raise ProjectError(str(file), "name", f"is already used by {seen[project.name]}", value=project.name, fix="give each project a unique name.")
        except ProjectError as error:
            report.errors.append(error)
            continue
        seen[project.name] = file
        report.projects.append(project)
        if only is not None and project.name == only:
            break
    return report


def load_project(folder: Path, *, compile_only: str | None = None) -> Project:
    """Parse and check one project folder; raises ProjectError naming the file, key path and fix."""
    file = folder / PROJECT_FILE
    reader = Reader(file, compile_only=compile_only)
    try:
        raw = cached_yaml(file, lambda text: yaml.load(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ProjectError(str(file), "", f"is not valid YAML ({where}{getattr(exc, 'problem', exc)})", fix="correct the YAML syntax there.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(str(file), "", f"cannot be read ({exc})", fix="make it a readable UTF-8 file.") from None
    top = reader.mapping(raw, "", fix="start project.yaml with `jobs:` and `triggers:` mappings.")
    reader.check_keys(top, "", TOP_KEYS)
    name = top.get("name", folder.name)
    reader.string(name, "name", fix="use lower-case letters, digits, '-' and '_' (or rename the folder).", pattern=PROJECT_NAME)
    triggers = parse_triggers(reader, top.get("triggers"))
    credentials = parse_credentials(reader, top.get("credentials"))
    jobs = parse_jobs(reader, top.get("jobs"), name, triggers, credentials)
    _check_cycles(reader, jobs)
    return Project(
        name=name,
        folder=folder,
        file=file,
        jobs=jobs,
        triggers=triggers,
        credentials=credentials,
        inbox=_inbox(reader, top.get("inbox"), name),
        notify_email=_notify(reader, top.get("notify")),
    )


def _check_cycles(reader: Reader, jobs: dict[str, Job]) -> None:
    """Flow/fail triggers form a graph upstream -> job; a cycle would chain runs forever."""
    children: dict[str, list[Job]] = {}
    for job in jobs.values():
        upstream = getattr(job.trigger, "upstream", None)
        if upstream is not None:
            children.setdefault(upstream, []).append(job)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(key: str, path: list[str]) -> None:
        state[key] = 1
        for job in children.get(key, ()):
            if state.get(job.key) == 1:
                cycle = path[path.index(job.key):] + [job.key]
                raise reader.error(f"jobs.{job.key}.trigger", f"makes a cycle of flow/fail triggers ({' -> '.join(cycle)})", value=job.trigger.key, fix="break the cycle: a job cannot (indirectly) start itself.")
            if job.key not in state:
                visit(job.key, path + [job.key])
        state[key] = 2

    for key in jobs:
        if key not in state:
            visit(key, [key])


def _inbox(reader: Reader, raw, project: str) -> InboxConfig:
    body = reader.mapping(raw, "inbox", fix="write `inbox: {auth: [api_key]}` or leave it out.")
    reader.check_keys(body, "inbox", ("auth", "api_key_variable", "basic_conn_id"))
    auth = body.get("auth") or []
    auth = [auth] if isinstance(auth, str) else auth
    if not isinstance(auth, list) or any(kind not in AUTH_KINDS for kind in auth):
        raise reader.error("inbox.auth", "must be a list of api_key and/or basic", value=body.get("auth"), fix="write `auth: [api_key]`, `auth: [basic]` or both.")
    slug = project.replace("-", "_")
    return InboxConfig(
        auth=tuple(dict.fromkeys(auth)),
        api_key_variable=str(body.get("api_key_variable") or f"openfn_inbox_api_key_{slug}"),
        basic_conn_id=str(body.get("basic_conn_id") or f"openfn_inbox_{slug}"),
    )


def _notify(reader: Reader, raw) -> tuple[str, ...]:
    body = reader.mapping(raw, "notify", fix="write `notify: {email: [ops@example.org]}` or leave it out.")
    reader.check_keys(body, "notify", ("email",))
    emails = body.get("email") or []
    emails = [emails] if isinstance(emails, str) else emails
    if not isinstance(emails, list) or not all(isinstance(e, str) and "@" in e for e in emails):
        raise reader.error("notify.email", "must be a list of e-mail addresses", value=body.get("email"), fix="write `email: [ops@example.org]`.")
    return tuple(emails)
