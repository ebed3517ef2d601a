"""Lightning's project files: its ``project.yaml`` export (``workflows`` keyed by name; ``jobs``, ``triggers``,
``edges`` keyed too; edges name their ends by key: ``source_job``, ``target_job``) and its project state, as
its provisioning API returns and accepts it (every list a list of records with an ``id``; edges name their
ends by id: ``source_job_id``, ``source_trigger_id``, ``target_job_id``; jobs their credential by
``project_credential_id``). Both forms, and any mix of them, read into the raw shapes of _workflows.py,
which checks and types them. Keys are documented in the README's Lightning section."""

from __future__ import annotations

from typing import Any

from openfn.readers._lightning_keys import BOOKKEEPING, EDGE_KEYS, JOB_KEYS, TRIGGER_KEYS, WORKFLOW_KEYS, deleted, globals_source
from openfn.readers._reader import Reader
from openfn.readers._workflows import RawEdge, RawStep, RawTrigger, RawWorkflow

__all__ = ["read_workflows", "EDGE_KEYS", "JOB_KEYS", "TRIGGER_KEYS", "WORKFLOW_KEYS"]


def read_workflows(reader: Reader, top: dict, credential_ids: dict[str, str] | None = None) -> list[RawWorkflow]:
    """``credential_ids``: project credential id -> credential key (the state format names credentials by id)."""
    section = _records(reader, top.get("workflows"), "workflows", "name")
    project_globals = globals_source(reader, top.get("globals"), "globals")
    workflows = []
    for key, body, where in section:
        if deleted(body):
            continue  # Lightning keeps deleted workflows in its state with `deleted_at` set: they do not run
        workflows.append(attributed(reader, RawWorkflow(where=where, key=key, name=key),
                                    lambda: _workflow(reader, key, body, where, credential_ids or {}, project_globals)))  # fmt: skip
    return workflows


def attributed(reader: Reader, placeholder: RawWorkflow, read) -> RawWorkflow:
    """The workflow ``read`` returns, carrying the errors found while reading it (they leave out that
    workflow only); ``placeholder`` carries them when it could not be read at all."""
    before = len(reader.errors)
    raw = placeholder
    with reader.guard():
        raw = read()
    raw.errors = reader.errors[before:]
    del reader.errors[before:]
    return raw


def _records(reader: Reader, raw: Any, where: str, name_key: str) -> list[tuple[str, Any, str]]:
    """(key, body, key path) of each entry of a section written as a mapping (export) or a list (state)."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [(str(key), body, f"{where}.{key}") for key, body in raw.items()]
    if not isinstance(raw, list):
        raise reader.error(where, "must be a mapping of keys to entries (or a list of entries with an `id`)", fix=f"write `{where.rsplit('.', 1)[-1]}:` as Lightning exports it.")
    found = []
    for index, body in enumerate(raw):
        named = body.get(name_key) or body.get("id") if isinstance(body, dict) else None
        key = _hyphenated(str(named)) if named not in (None, "") else str(index)
        found.append((key, body, f"{where}.{key}"))
    return found


def _hyphenated(name: str) -> str:
    """Lightning's export keys a record by its name with spaces as '-' (its state by id): the same key here."""
    return "-".join(name.split(" "))


def _workflow(reader: Reader, key: str, raw: Any, where: str, credential_ids: dict, project_globals: str | None) -> RawWorkflow:
    body = reader.mapping(raw, where, fix="give the workflow `jobs`, `triggers` and `edges`.")
    reader.check_keys(body, where, WORKFLOW_KEYS + BOOKKEEPING)
    workflow = RawWorkflow(where=where, key=key, name=str(body.get("name") or key))
    with reader.guard():
        workflow.concurrency = _concurrency(reader, body.get("concurrency"), f"{where}.concurrency")
    with reader.guard():
        workflow.job_logs = reader.boolean(body.get("enable_job_logs"), f"{where}.enable_job_logs", True)
    sources = [project_globals, globals_source(reader, body.get("globals"), f"{where}.globals")]
    ids: dict[str, str] = {}  # a job's or trigger's id -> its key (edges of the state format name ends by id)
    for job_key, job, job_where in _entries(reader, body, "jobs", where):
        if deleted(job):
            continue
        step = _step(reader, job_key, job, job_where, credential_ids, sources)
        if step is not None:
            workflow.steps.append(step)
            if isinstance(job, dict) and job.get("id") not in (None, ""):
                ids[str(job["id"])] = job_key
    taken: set[str] = set()
    for trigger_key, trigger, trigger_where in _entries(reader, body, "triggers", where, name_key="type"):
        if deleted(trigger):
            continue
        with reader.guard():
            trigger = reader.mapping(trigger, trigger_where, fix="give the trigger a `type` (webhook or cron).")
            reader.check_keys(trigger, trigger_where, TRIGGER_KEYS + BOOKKEEPING)
            trigger_key = _unique(trigger_key, taken)
            workflow.triggers.append(RawTrigger(
                where=trigger_where, key=trigger_key, type=trigger.get("type", trigger_key), enabled=trigger.get("enabled"),
                cron=trigger.get("cron_expression"), cursor=trigger.get("cron_cursor_job", ids.get(str(trigger.get("cron_cursor_job_id")))),
                reply=trigger.get("webhook_reply"), response=trigger.get("webhook_response_config"),
            ))  # fmt: skip
            if trigger.get("id") not in (None, ""):
                ids[str(trigger["id"])] = trigger_key
            _trigger_reports(reader, trigger, trigger_where)
    for _edge_key, edge, edge_where in _entries(reader, body, "edges", where, name_key="id"):
        if deleted(edge):
            continue
        with reader.guard():
            workflow.edges.append(_edge(reader, edge, edge_where, ids))
    return workflow


def _trigger_reports(reader: Reader, trigger: dict, where: str) -> None:
    if trigger.get("webhook_auth_methods") not in (None, [], ""):
        reader.warn(f"{where}.webhook_auth_methods", "are Lightning's webhook credentials, which are not copied here: the webhook "
                    "is guarded by its secret URL only", fix="add `inbox: {auth: [api_key]}` or `[basic]` to the project "
                    "(README, Inbox authentication) so that senders must authenticate as they did.")  # fmt: skip
    if trigger.get("custom_path") not in (None, ""):
        reader.warn(f"{where}.custom_path", "is a custom webhook path, which is not used: the webhook's URL is on the projects page",
                    value=trigger["custom_path"], fix="point the sender at that URL.")  # fmt: skip


def _entries(reader: Reader, body: dict, name: str, where: str, *, name_key: str = "name") -> list[tuple[str, Any, str]]:
    return _records(reader, body.get(name), f"{where}.{name}", name_key)


def _unique(key: str, taken: set[str]) -> str:
    """The state format lists triggers by type: a second webhook becomes ``webhook-2``."""
    found, number = key, 1
    while found in taken:
        number += 1
        found = f"{key}-{number}"
    taken.add(found)
    return found


def _concurrency(reader: Reader, value: Any, where: str) -> int | None:
    if value is None:
        return None  # Lightning: no limit of its own (the project's, or the instance's)
    return reader.number(value, where, 1, minimum=1, integer=True)


def _step(reader: Reader, key: str, raw: Any, where: str, credential_ids: dict, sources: list) -> RawStep | None:
    """The job's raw step; a job whose entry is broken is still a step (its runs fail, saying why), so the
    edges that name it hold and the rest of its workflow runs."""
    if not isinstance(raw, dict):
        with reader.guard():
            raise reader.error(where, "must be a mapping", value=raw, fix="give the job `adaptor` and `body`.")
        return None
    step = RawStep(where=where, key=key, name=str(raw.get("name") or key), adaptor=raw.get("adaptor"), body=raw.get("body"),
                   base=reader.file.parent, memory_limit_mb=raw.get("memory_limit_mb"))  # fmt: skip
    before = len(reader.errors)
    with reader.guard():
        reader.check_keys(raw, where, JOB_KEYS + BOOKKEEPING)
    with reader.guard():
        step.credential = _credential(reader, raw, where, credential_ids)
    with reader.guard():
        step.globals = "\n".join(source for source in [*sources, globals_source(reader, raw.get("globals"), f"{where}.globals")] if source) or None
    step.problems = reader.errors[before:]  # the step's own: they stop it, not its workflow
    del reader.errors[before:]
    return step


def _credential(reader: Reader, raw: dict, where: str, credential_ids: dict) -> Any:
    if raw.get("keychain_credential_id") not in (None, ""):
        raise reader.error(f"{where}.keychain_credential_id", "is a keychain credential (Lightning picks the credential from "
                           "each run's input), which this product does not support", value=raw["keychain_credential_id"],
                           fix="give the step a fixed `credential:` (an Airflow Connection), or split the step per credential.")  # fmt: skip
    if raw.get("credential") not in (None, ""):
        return raw["credential"]
    by_id = raw.get("project_credential_id")
    if by_id in (None, ""):
        return None
    if str(by_id) not in credential_ids:
        known = ", ".join(sorted(credential_ids)) or "none is listed"
        raise reader.error(f"{where}.project_credential_id", "names no credential of the project", value=by_id,
                           fix=f"list it under `project_credentials:` (ids: {known}) or name the credential with `credential:`.")  # fmt: skip
    return credential_ids[str(by_id)]


def _edge(reader: Reader, raw: Any, where: str, ids: dict[str, str]) -> RawEdge:
    edge = reader.mapping(raw, where, fix="give the edge a source (`source_job` or `source_trigger`) and a `target_job`.")
    reader.check_keys(edge, where, EDGE_KEYS + BOOKKEEPING)
    ends = {name: _end(edge, name, ids) for name in ("source_trigger", "source_job", "target_job")}
    sources = [name for name in ("source_trigger", "source_job") if ends[name] is not None]
    if len(sources) != 1:
        raise reader.error(where, "must have exactly one of source_trigger and source_job (or their `_id` forms)", fix="name where the edge starts.")
    if "condition_type" in edge and edge.get("condition") not in (None, ""):
        reader.warn(f"{where}.condition", "is not used: the edge's condition_type decides", value=edge["condition"],
                    fix="remove `condition:`, or write the JavaScript as `condition_expression:` with `condition_type: js_expression`.")  # fmt: skip
    return RawEdge(
        where=where, source=str(ends[sources[0]]), from_trigger=sources[0] == "source_trigger", target=ends["target_job"],
        condition=edge.get("condition_type", edge.get("condition")), expression=edge.get("condition_expression"),
        label=edge.get("condition_label"), enabled=edge.get("enabled"), typed="condition_type" in edge,
    )  # fmt: skip


def _end(edge: dict, name: str, ids: dict[str, str]) -> Any:
    """An edge's end by key (``source_job``) or by id (``source_job_id``, the key of the record with that id;
    an id of no record is kept as written, so the error names it)."""
    if edge.get(name) not in (None, ""):
        return edge[name]
    by_id = edge.get(f"{name}_id")
    return None if by_id in (None, "") else ids.get(str(by_id), by_id)
