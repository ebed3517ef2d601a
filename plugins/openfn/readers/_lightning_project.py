"""A Lightning project, from any of the files Lightning and its CLI write: Lightning's project.yaml export,
the CLI's portability 4.0 project file, or the CLI's expanded folder (``openfn.yaml`` + ``workflows/``).

The project's id (the first part of every DAG id) is its folder name: Lightning's project ``name`` is a
display name (``My Project``), kept as the title.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from openfn.errors import ProjectError
from openfn.readers import _javascript, _lightning, _portability
from openfn.readers._collections import parse_collections
from openfn.readers._credentials import parse_credential_list, parse_credentials, project_credentials, value_problems, with_aliases
from openfn.readers._lightning_keys import BOOKKEEPING, TOP_KEYS, top_level_reports
from openfn.readers._reader import CLI_FILE, PROJECT_NAME, Reader
from openfn.readers._workflows import RawWorkflow, build_workflows
from openfn.readers._yaml import YamlProblem, load_yaml
from openfn.model.project import Project

def read_lightning_project(reader: Reader, folder: Path, top: dict, toolchain, *, timeout: float) -> Project:
    if "workflows" not in top:  # a single workflow file: a project of one workflow, named by its folder
        single = dict(top.get("workflow", top))
        single.setdefault("id", single.get("name") or folder.name)
        top = {"workflows": [single] if "steps" in single else {str(single["id"]): single}}
    if _portability.is_portability(top):
        raws = _portability.read_workflows(reader, top, folder)
        credentials = parse_credential_list(reader, top.get("credentials"))
    else:
        with reader.guard():
            reader.check_keys(top, "", TOP_KEYS + BOOKKEEPING)
        top_level_reports(reader, top)
        credentials = {}
        with reader.guard():
            credentials = parse_credentials(reader, top.get("credentials"))
        ids = project_credentials(reader, top.get("project_credentials"), credentials)
        raws = _lightning.read_workflows(reader, top, {key: credential.key for key, credential in ids.items()})
        credentials.update({credential.key: credential for credential in ids.values()})
    return _project(reader, folder, top, raws, credentials, toolchain, timeout)


def read_cli_folder(reader: Reader, folder: Path, config: dict, toolchain, *, timeout: float) -> Project:
    """The CLI's checked-out folder: one file per workflow; trigger settings and credentials from the
    project file under ``.projects/`` when there is one (the workflow files do not carry them)."""
    workspace = config.get("workspace") if isinstance(config.get("workspace"), dict) else config
    dirs = workspace.get("dirs") if isinstance(workspace.get("dirs"), dict) else {}
    saved = _saved_project(reader, folder / str(dirs.get("projects") or ".projects"))
    settings = {
        (str(workflow.get("id") or workflow.get("name")), str(step.get("id"))): step
        for workflow in saved.get("workflows") or [] if isinstance(workflow, dict)
        for step in workflow.get("steps") or [] if isinstance(step, dict) and step.get("type")
    }  # fmt: skip
    raws: list[RawWorkflow] = []
    root = folder / str(dirs.get("workflows") or workspace.get("workflowRoot") or "workflows")
    for file in sorted(root.glob("*/*.yaml")):
        where = f"{file.relative_to(folder)}"
        with reader.guard():
            try:
                body = load_yaml(file.read_text(encoding="utf-8"))
            except (YamlProblem, OSError, UnicodeDecodeError) as problem:
                raise reader.error(where, str(problem), fix=getattr(problem, "fix", "make it a readable YAML file.")) from None
            body = body.get("workflow", body) if isinstance(body, dict) else body  # {workflow, options} wrappers
            raws.append(_portability.read_workflow(reader, body, where, file.parent, settings))
    credentials = parse_credential_list(reader, saved.get("credentials"))
    return _project(reader, folder, saved or config, raws, credentials, toolchain, timeout)


def _saved_project(reader: Reader, projects: Path) -> dict:
    for file in sorted(projects.glob("*.yaml")) if projects.is_dir() else []:
        try:
            body = load_yaml(file.read_text(encoding="utf-8"))
        except (YamlProblem, OSError, UnicodeDecodeError) as problem:
            raise ProjectError(str(file), "", str(problem), fix=getattr(problem, "fix", "make it a readable YAML file.")) from None
        if isinstance(body, dict):
            return body
    return {}


def _project(reader: Reader, folder: Path, top: dict, raws: list[RawWorkflow], credentials: dict, toolchain, timeout: float) -> Project:
    name = folder.name
    from openfn.readers.loader import ProjectErrors

    before = len(reader.errors)
    with reader.guard():
        reader.string(name, "", fix="rename the project folder with lower-case letters, digits, '-' and '_' (it is the project id).", pattern=PROJECT_NAME)
    workflows, problems = build_workflows(reader, name, raws, with_aliases(credentials), timeout=timeout) if len(reader.errors) == before else ({}, [])
    declared: tuple[str, ...] = ()
    with reader.guard():
        declared = parse_collections(reader, top.get("collections"))
    if not workflows and (reader.errors or problems):  # nothing of the file can run (or no DAG id can be made): refused
        errors = reader.errors + problems
        raise errors[0] if len(errors) == 1 else ProjectErrors(errors)
    problems = reader.errors + problems  # errors of the file's other parts: what they name is left out, the rest runs
    reader.errors = []
    resolved, step_problems = resolve_steps(reader, workflows, toolchain)
    problems += step_problems
    held = value_problems(reader, credentials)
    if held:  # the file still holds credential values: no step of this project runs until they are moved
        resolved = {key: stopped(workflow, str(held[0])) for key, workflow in resolved.items()}
    title = top.get("name")
    return Project(
        name=name, folder=folder, file=reader.file, jobs={}, triggers={}, credentials=credentials, workflows=resolved,
        kind="lightning", problems=tuple(held + problems), title=None if title is None else str(title), warnings=tuple(reader.warnings),
        description=None if top.get("description") is None else str(top.get("description")), collections=declared,
    )  # fmt: skip


def resolve_steps(reader: Reader, workflows: dict, toolchain) -> tuple[dict, list[ProjectError]]:
    """Each step with its installed adaptor version, or its problem (as for JavaScript jobs)."""
    resolved, problems = {}, []
    for key, workflow in workflows.items():
        steps, step_problems = _javascript.resolve_adaptors(reader.file, workflow.steps, toolchain)
        resolved[key] = dataclasses.replace(workflow, steps=steps)
        problems += step_problems
    return resolved, problems


def workflows_section(reader: Reader, top: dict, project: str, credentials: dict, jobs: dict, *, timeout: float) -> tuple[dict, list]:
    """An OpenFn v1 project.yaml may carry Lightning workflows beside its jobs (``workflows:`` as in
    Lightning's export): they become workflow DAGs of the same project."""
    raws = _portability.read_workflows(reader, top, reader.file.parent) if _portability.is_portability(top) else _lightning.read_workflows(reader, top)
    workflows, problems = build_workflows(reader, project, raws, with_aliases(credentials), timeout=timeout)
    for key in workflows.keys() & jobs.keys():
        with reader.guard():
            raise reader.error(f"workflows.{key}", "has the id of a job of this project (both would be the DAG "
                               f"{project}.{key})", fix="rename the workflow or the job.")  # fmt: skip
    return workflows, problems


def stopped(workflow, problem: str):
    steps = {key: step if step.problem else dataclasses.replace(step, problem=problem) for key, step in workflow.steps.items()}
    return dataclasses.replace(workflow, steps=steps)
