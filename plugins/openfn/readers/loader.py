"""Load project folders: every error of a broken folder at once, and every other project still loads.

``LoadReport.errors`` are the errors of projects that could not be loaded (no DAGs for them);
``LoadReport.problems`` those of loaded projects that stop some jobs from running (their DAGs exist and
their runs fail at once, saying why). Both appear under Airflow's DAG import errors.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from openfn.errors import ProjectError
from openfn.readers import _javascript, _model_cache
from openfn.readers._cache import cached_yaml
from openfn.readers._collections import parse_collections
from openfn.readers._cycles import find_cycle
from openfn.readers._credentials import parse_credentials, value_problems
from openfn.readers._jobs import parse_jobs
from openfn.readers._reader import CLI_FILE, PROJECT_NAME, Reader
from openfn.readers._triggers import parse_triggers
from openfn.readers._yaml import YamlProblem, load_yaml
from openfn.model.project import InboxConfig, Project
from openfn.model.workflow import Step

log = logging.getLogger("openfn.readers")

PROJECT_FILE = "project.yaml"
TOP_KEYS = ("name", "description", "inbox", "notify", "jobs", "triggers", "credentials", "globals", "workflows", "collections")
AUTH_KINDS = ("api_key", "basic")


class ProjectErrors(ProjectError):
    """Several errors of one project file; ``errors`` lists them, ``str()`` shows them one per line."""

    def __init__(self, errors: list[ProjectError]) -> None:
        first = errors[0]
        super().__init__(first.file, first.key, first.problem, value=first.value, fix=first.fix)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def each_error(error: ProjectError) -> list[ProjectError]:
    return list(getattr(error, "errors", None) or [error])


@dataclass
class LoadReport:
    projects: list[Project] = field(default_factory=list)
    errors: list[ProjectError] = field(default_factory=list)

    @property
    def problems(self) -> list[ProjectError]:
        return [problem for project in self.projects for problem in project.problems]

    @property
    def warnings(self) -> list[ProjectError]:
        return [warning for project in self.projects for warning in project.warnings]


def load_projects(jobs_dir: Path, only: str | None = None, only_job: str | None = None) -> LoadReport:
    """Load every ``<jobs_dir>/<folder>/project.yaml``; with ``only``, just the project of that name
    (and with ``only_job``, only that job's code is checked: a task start)."""
    report = LoadReport()
    if not jobs_dir.is_dir():
        log.warning("OpenFn jobs directory %s does not exist: no projects loaded", jobs_dir)
        return report
    files = project_files(jobs_dir)
    if only is not None:
        # A task start builds one DAG: try the folder of the same name first, then every folder.
        files = [f for f in files if f.parent.name == only] + [f for f in files if f.parent.name != only]
    toolchain = _javascript.Toolchain.from_settings()
    # A full parse keeps each checked project, and takes it back while nothing it was read from changed.
    context = None if only is not None else _model_cache.context_signature(timeout=_default_timeout(), js_dir=toolchain.js_dir, node=toolchain.node)
    fresh: dict[int, tuple] = {}  # position in report.projects -> folder signature, for those read now
    seen: dict[str, Path] = {}
    for file in files:
        try:
            project = signature = None
            if context is not None:
                project, signature = _model_cache.load(file.parent, context)
            kept = project is not None
            if not kept:
                project = _read_project(file.parent, compile_only=only_job if only is not None else None, toolchain=toolchain)
            if project.name in seen:
                raise ProjectError(str(file), "name", f"is already used by {seen[project.name]}", value=project.name, fix="give each project a unique name.")
        except ProjectError as error:
            report.errors.extend(each_error(error))
            continue
        except Exception as error:  # never let one folder hide the others, however it is broken
            log.exception("Unexpected error loading %s", file)
            report.errors.append(ProjectError(str(file), "", f"could not be loaded ({type(error).__name__}: {error})", fix="correct the file; the log has the details."))
            continue
        seen[project.name] = file
        if not kept:
            fresh[len(report.projects)] = signature
        report.projects.append(project)
        if only is not None and project.name == only:
            break
    if only is None:  # a task start runs its job, which compiles it: no check needed there
        checked = iter(_checked([report.projects[n] for n in fresh], toolchain))
        for n, signature in fresh.items():
            report.projects[n] = project = next(checked)
            _model_cache.store(project.folder, context, signature, project)
    return report


def project_files(jobs_dir: Path) -> list[Path]:
    """The file that defines each project folder: project.yaml, or the CLI's openfn.yaml."""
    found = {file.parent: file for file in jobs_dir.glob(f"*/{CLI_FILE}")}
    found.update({file.parent: file for file in jobs_dir.glob(f"*/{PROJECT_FILE}")})
    return [found[folder] for folder in sorted(found)]


def files_signature(jobs_dir: Path) -> tuple:
    """Path, mtime and size of every file that defines a project (the CLI's folders: all their files), so
    that a caller can tell cheaply whether anything changed."""
    found = []
    for file in project_files(jobs_dir):
        files = [file] if file.name == PROJECT_FILE else sorted(p for p in file.parent.rglob("*") if p.is_file())
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def load_project(folder: Path, *, compile_only: str | None = None) -> Project:
    """Parse and check one project folder; raises ProjectError (ProjectErrors for several) with the fix."""
    toolchain = _javascript.Toolchain.from_settings()
    project = _read_project(folder, compile_only=compile_only, toolchain=toolchain)
    return project if compile_only is not None else _checked([project], toolchain)[0]


def _checked(projects: list[Project], toolchain: _javascript.Toolchain) -> list[Project]:
    """The projects with every JavaScript job compiled (one Node process for all of them)."""
    groups = [(project, None, project.jobs) for project in projects]
    groups += [(project, key, workflow.steps) for project in projects for key, workflow in project.workflows.items()]
    if not any(job.language == "javascript" and job.problem is None for _, _, jobs in groups for job in jobs.values()):
        return projects
    results = _javascript.check_compiles([(project.file, jobs) for project, _, jobs in groups], toolchain)
    changed: dict[str, Project] = {project.name: project for project in projects}
    for (project, workflow, _), (jobs, problems) in zip(groups, results):
        if not problems:
            continue
        current = changed[project.name]
        if workflow is None:
            current = dataclasses.replace(current, jobs=jobs)
        else:
            current = dataclasses.replace(current, workflows={**current.workflows, workflow: dataclasses.replace(current.workflows[workflow], steps=jobs)})
        changed[project.name] = dataclasses.replace(current, problems=current.problems + tuple(problems))
    return [changed[project.name] for project in projects]


def _read_yaml(file: Path):
    real_folder = os.path.realpath(file.parent)
    if os.path.commonpath([os.path.realpath(file), real_folder]) != real_folder:
        raise ProjectError(str(file), "", "is a symbolic link to a file outside its project folder", fix="copy the file into the folder.")
    try:
        return cached_yaml(file, load_yaml)
    except YamlProblem as problem:
        raise ProjectError(str(file), "", str(problem), fix=problem.fix) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(str(file), "", f"cannot be read ({exc})", fix="make it a readable UTF-8 file.") from None


def _read_project(folder: Path, *, compile_only: str | None, toolchain: _javascript.Toolchain) -> Project:
    file = folder / PROJECT_FILE
    if not file.exists() and (folder / CLI_FILE).exists():
        file = folder / CLI_FILE
    reader = Reader(file, compile_only=compile_only)
    raw = _read_yaml(file)
    top = reader.mapping(raw, "", fix="start project.yaml with `jobs:` and `triggers:` mappings.")
    if file.name == CLI_FILE:
        from openfn.readers._lightning_project import read_cli_folder

        return read_cli_folder(reader, folder, top, toolchain, timeout=_default_timeout())
    if is_lightning(top):
        from openfn.readers._lightning_project import read_lightning_project

        return read_lightning_project(reader, folder, top, toolchain, timeout=_default_timeout())
    if top and not set(top) & {"jobs", "triggers", "credentials"}:
        raise reader.error("", f"is not an OpenFn project file: it has no `jobs:` (its keys: {', '.join(map(str, list(top)[:8]))})",
                           fix="put the OpenFn project export here, or move this file out of the projects folder.")  # fmt: skip
    with reader.guard():
        reader.check_keys(top, "", TOP_KEYS)
    if compile_only is not None:
        top = _what_a_task_start_needs(reader, top, compile_only)
    name = top.get("name", folder.name)
    with reader.guard():
        reader.string(name, "name", fix="use lower-case letters, digits, '-' and '_' (or rename the folder).", pattern=PROJECT_NAME)
    triggers: dict = {}
    credentials: dict = {}
    with reader.guard():
        triggers = parse_triggers(reader, top.get("triggers"))
    with reader.guard():
        credentials = parse_credentials(reader, top.get("credentials"))
    jobs: dict[str, Step] = {}
    with reader.guard():
        jobs = parse_jobs(reader, top.get("jobs"), str(name), triggers, credentials, timeout=_default_timeout())
    if not reader.errors:
        with reader.guard():
            _check_cycles(reader, jobs)
    workflows: dict = {}
    workflow_problems: list = []
    if top.get("workflows") is not None:  # Lightning workflows in a v1 project: their readers are imported only then
        from openfn.readers._lightning_project import workflows_section

        with reader.guard():
            workflows, workflow_problems = workflows_section(reader, top, str(name), credentials, jobs, timeout=_default_timeout())
    inbox = notify = None
    with reader.guard():
        inbox = _inbox(reader, top.get("inbox"), str(name))
    with reader.guard():
        notify = _notify(reader, top.get("notify"))
    declared: tuple[str, ...] = ()
    with reader.guard():
        declared = parse_collections(reader, top.get("collections"))
    if reader.errors:
        raise reader.errors[0] if len(reader.errors) == 1 else ProjectErrors(reader.errors)
    jobs, workflows, problems = _runnable(reader, jobs, workflows, workflow_problems, credentials, toolchain)
    return Project(
        name=name, folder=folder, file=file, jobs=jobs, triggers=triggers, credentials=credentials, workflows=workflows,
        inbox=inbox, notify_email=notify, problems=tuple(problems), warnings=tuple(reader.warnings), collections=declared,
    )  # fmt: skip


def _runnable(reader: Reader, jobs: dict, workflows: dict, workflow_problems: list, credentials: dict, toolchain) -> tuple[dict, dict, list]:
    """The jobs and workflows with what stops each from running (an adaptor not installed, credential values
    still in the file), and every problem of the project."""
    jobs, problems = _javascript.resolve_adaptors(reader.file, jobs, toolchain)
    problems += workflow_problems
    if workflows:  # Lightning workflows in a v1 project
        from openfn.readers._lightning_project import resolve_steps, stopped

        workflows, step_problems = resolve_steps(reader, workflows, toolchain)
        problems += step_problems
    held = value_problems(reader, credentials)
    if held:  # the file still holds credential values: no job of this project runs until they are moved
        jobs = {key: job if job.problem else dataclasses.replace(job, problem=str(held[0])) for key, job in jobs.items()}
        workflows = {key: stopped(workflow, str(held[0])) for key, workflow in workflows.items()}
    return jobs, workflows, held + problems


def _what_a_task_start_needs(reader: Reader, top: dict, job: str) -> dict:
    """At a task start only ``job``'s DAG is built: its entry, its trigger and the flow/fail jobs it starts
    (its DAG's trigger tasks) are read, not the rest of a large project (every full parse checks that)."""
    jobs, triggers = top.get("jobs"), top.get("triggers")
    if not isinstance(jobs, dict) or not isinstance(triggers, dict) or not isinstance(jobs.get(job), dict):
        return top  # not a job of this v1 project (a workflow, or a broken file): read it all

    def trigger_of(entry) -> dict:
        name = entry.get("trigger") if isinstance(entry, dict) else None
        found = triggers.get(name) if isinstance(name, str) else None
        return found if isinstance(found, dict) else {}

    kept = {key: entry for key, entry in jobs.items() if key == job or job in (trigger_of(entry).get("success"), trigger_of(entry).get("failure"))}
    names = {entry.get("trigger") for entry in kept.values()}
    reader.partial = True  # the jobs a kept trigger follows may be left out: not an unknown job
    return {**top, "jobs": kept, "triggers": {key: value for key, value in triggers.items() if key in names}}


def is_lightning(top: dict) -> bool:
    """A Lightning project (workflows), or one Lightning workflow on its own (its jobs have `body`, or it has
    `edges` / `steps`)."""
    if "workflows" in top and "jobs" not in top:
        return True
    jobs = top.get("jobs")
    return "edges" in top or "steps" in top or "workflow" in top or (isinstance(jobs, dict) and any(isinstance(j, dict) and "body" in j for j in jobs.values()))


def _default_timeout() -> float:
    from openfn.settings import get_settings

    return get_settings().job_timeout_seconds


def _check_cycles(reader: Reader, jobs: dict[str, Step]) -> None:
    """Flow/fail triggers form a graph upstream -> job; a cycle would chain runs forever."""
    children: dict[str, list[str]] = {}
    for job in jobs.values():
        upstream = getattr(job.trigger, "upstream", None)
        if upstream is not None:
            children.setdefault(upstream, []).append(job.key)
    cycle = find_cycle(children, jobs)
    if cycle:
        job = jobs[cycle[-1]]
        raise reader.error(f"jobs.{job.key}.trigger", f"makes a cycle of flow/fail triggers ({' -> '.join(cycle)})", value=job.trigger.key,
                           fix="break the cycle: a job cannot (indirectly) start itself.")  # fmt: skip


def _inbox(reader: Reader, raw, project: str) -> InboxConfig:
    body = reader.mapping(raw, "inbox", fix="write `inbox: {auth: [api_key]}` or leave it out.")
    reader.check_keys(body, "inbox", ("auth", "api_key_variable", "basic_conn_id", "retention_days"))
    auth = body.get("auth") or []
    auth = [auth] if isinstance(auth, str) else auth
    if not isinstance(auth, list) or any(kind not in AUTH_KINDS for kind in auth):
        raise reader.error("inbox.auth", "must be a list of api_key and/or basic", value=body.get("auth"), fix="write `auth: [api_key]`, `auth: [basic]` or both.")
    slug = project.replace("-", "_")
    retention = body.get("retention_days")
    if retention is not None:
        retention = reader.number(retention, "inbox.retention_days", 0, minimum=0, integer=True)
    return InboxConfig(
        auth=tuple(dict.fromkeys(auth)),
        retention_days=retention,
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
