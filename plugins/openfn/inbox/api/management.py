"""The management API (SPEC §7), behind Airflow login: messages with their job-states, receipts, re-runs,
bulk reprocessing and the projects with their inbox URLs. Every route sees only the projects the user may
read (access.py): another project's message is "not found", exactly like a message that does not exist."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from openfn.errors import Conflict, Forbidden, InvalidRequest, NotFound, StoreUnavailable
from openfn.inbox.api.access import Access, dag_ids_of, may_edit, may_see_token, project_access, require_trigger
from openfn.inbox.api.json_responses import json_response, raw_placeholder
from openfn.inbox.api.login import require_user
from openfn.inbox.api.results import add_results
from openfn.inbox.api.workflows import steps_for, workflow_listing
from openfn.inbox.catalog import chain_dag_ids
from openfn.inbox.services import InboxServices, Services
from openfn.inbox.store import reruns
from openfn.inbox.store import retention
from openfn.matching import dumps_exact
from openfn.inbox.store import search
from openfn.inbox.store.job_states import STATES, job_states
from openfn.inbox.store.receipts import all_runs
from openfn.inbox.store.tokens import ensure_token, weakness
from openfn.readers.report import grouped

router = APIRouter(prefix="/api", tags=["management"], dependencies=[Depends(require_user)])
Allowed = Annotated[Access, Depends(project_access)]

MAX_SCAN = 20_000  # rows one list request reads at most; the reply's next_before continues from there


class RunRequest(BaseModel):
    job: str = Field(min_length=1, description="The job key, e.g. register-patient")


class ReprocessRequest(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=10_000, description="Message ids")


def _chain_dag_ids(services: InboxServices, project_names) -> list[str]:
    return chain_dag_ids(services.catalog, project_names)


def _job_order(services: InboxServices, project: str) -> list[str]:
    found = services.catalog.get(project)
    return [*found.project.jobs, *found.project.workflows] if found else []


def _state(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    normal = value.strip().lower().replace("_", " ")
    if normal not in STATES:
        raise InvalidRequest(f"state={value!r} is not a job-state", fix=f"Use one of: {', '.join(STATES)}.")
    return normal


@router.get("/messages", summary="Messages, newest first, with their job-states")
def list_messages(
    request: Request,
    access: Allowed,
    services: Services,
    project: str | None = None,
    job: str | None = None,
    state: str | None = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[str | None, Query(description="continue after this message id (next_before)")] = None,
) -> dict:
    wanted_state = _state(state)
    database = services.database
    found: list[dict] = []
    with database.read() as connection:
        before_seq = None
        if before:
            before_seq = search.seq_of(connection, before, access.restriction)
            if before_seq is None:
                raise NotFound("message", before, fix="Pass a message id from a previous reply's next_before.")
        query = search.Query.from_q(project, q, access.restriction)
        scan = search.Scan(connection, database, query, before_seq=before_seq, max_rows=MAX_SCAN,
                           large_bytes=services.protection.large_body_bytes)
        batch: list = []
        cursor = None
        for row in scan:
            batch.append(row)
            if len(batch) == 100:
                cursor = _select(services, connection, batch, job, wanted_state, found, limit)
                batch = []
                if len(found) >= limit:
                    break
        if batch and len(found) < limit:
            cursor = _select(services, connection, batch, job, wanted_state, found, limit)
        if len(found) < limit:
            cursor = scan.last_id if scan.more else None
    return {"messages": found, "next_before": cursor}


def _select(services, connection, batch, job, state, found, limit) -> str | None:
    """Add the rows of ``batch`` that pass the job/state filters to ``found``; returns the last row looked at."""
    views = all_runs(connection, [row.id for row in batch], _chain_dag_ids(services, {row.project for row in batch}))
    last = None
    for row in batch:
        last = row.id
        states = job_states(views[row.id], _job_order(services, row.project))
        if job is not None:
            states_of_job = [s for s in states if s["job"] == job]
            if not states_of_job or (state is not None and states_of_job[0]["state"] != state):
                continue
        elif state is not None and not any(s["state"] == state for s in states):
            continue
        found.append({"id": row.id, "project": row.project, "received_at": row.received_at, "job_states": states})
        if len(found) >= limit:
            break
    return last


@router.get("/messages/{message_id}", summary="A message's receipt: body, headers, job-states and every run")
def message_detail(message_id: str, request: Request, access: Allowed, services: Services) -> Response:
    with services.database.read() as connection:
        row = search.message_row(connection, message_id, access.restriction)
        if row is None:
            raise NotFound("message", message_id, fix="Check the id (GET /openfn/api/messages lists them).")
        views = all_runs(connection, [message_id], _chain_dag_ids(services, [row.project]))[message_id]
        runs = [view.as_dict() for view in views]
        steps_for(connection, services, row.project, runs)
        add_results(connection, services, row.project, message_id, runs)
    placeholder = raw_placeholder()
    payload = {
        "id": row.id,
        "project": row.project,
        "received_at": row.received_at,
        "headers": json.loads(row.headers),
        "body": placeholder,
        "job_states": job_states(views, _job_order(services, row.project)),
        "runs": runs,
    }
    if row.trigger:
        payload["trigger"] = row.trigger
    errors = [{"job": v.job, "run_id": v.run_id, "error": v.error} for v in views if v.error]
    if errors:
        payload["dispatch_errors"] = errors
    if row.erased_at is not None:
        payload["erased"] = _erased(_iso(row.erased_at), row.erased_by, row.erased_logs, row.erase_open)
    return json_response(payload, raw={placeholder: row.body})


def _iso(seconds: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat()


@router.delete("/messages/{message_id}/content", summary="Erase a message's body and headers (data protection)")
def erase_message(message_id: str, request: Request, access: Allowed, services: Services) -> dict:
    """The body becomes null and the headers {}, here and in the conf, XCom and local task logs of the
    message's DAG runs; the message's id, arrival and runs stay. Runs still going are cleared again when
    they finish. Needs permission to edit every DAG of its project."""
    with services.database.read() as connection:
        row = search.message_row(connection, message_id, access.restriction)
    if row is None:
        raise NotFound("message", message_id, fix="Check the id (GET /openfn/api/messages lists them).")
    found = services.catalog.get(row.project)
    dag_ids = dag_ids_of(found.project) if found else []
    if not may_edit(access.user, dag_ids):
        raise Forbidden(f"You may not erase messages of project {row.project}", fix="Ask an Airflow admin for the permission to edit its DAGs.")
    try:
        erased = retention.erase(services.database, message_id, by=access.user_name, chain_dag_ids=_chain_dag_ids(services, [row.project]))
        logs = retention.erase_task_logs(services.database, message_id, erased.runs, by=erased.by, at=erased.at)
        retention.record_erased_logs(services.database, message_id, logs, done=not erased.unfinished)
    except Exception as error:
        _reraise_store(error)
    if erased.unfinished:  # the retention thread clears what the runs still write, once they have finished
        services.ensure_started()
        services.retention.wake()
    return {"id": erased.message_id, "erased": _erased(erased.at, erased.by, logs, erased.unfinished), "dag_runs_cleared": erased.dag_runs}


def _erased(at: str, by: str, logs: int | None, open_: bool | None) -> dict:
    """The receipt's record of an erasure: who, when, how many task log files it cleared, and whether it
    still waits for runs that were going (what they write when they finish is cleared then)."""
    return {"at": at, "by": by, "task_logs_cleared": logs or 0, "waiting_for_runs": bool(open_)}


@router.post("/messages/{message_id}/runs", status_code=201, summary="Run one job again for a message")
def run_again(message_id: str, body: RunRequest, request: Request, access: Allowed, services: Services) -> Response:
    database = services.database
    with database.read() as connection:
        row = search.message_row(connection, message_id, access.restriction)
    if row is None:
        raise NotFound("message", message_id, fix="Check the id (GET /openfn/api/messages lists them).")
    inbox_project = services.catalog.get(row.project)
    if inbox_project is None:
        raise NotFound("project", row.project, fix="Restore the project folder, or fix its project.yaml (see the DAG import errors).")
    job = _rerunnable(inbox_project.project, row, body.job)
    require_trigger(access.user, [job.dag_id])
    try:
        with database.write() as connection:
            planned = reruns.start_run(connection, database, message_id, row.project, job, "rerun", access.user_name)
    except Exception as error:
        _reraise_store(error)
    services.ensure_started()
    services.wake_dispatcher()
    run = {"job": planned.job, "dag_id": planned.dag_id, "run_id": planned.run_id, "state": "pending",
           "queued_at": None, "start_date": None, "end_date": None, "requested_by": access.user_name}  # fmt: skip
    return json_response(run, status=201)


@router.post("/projects/{project}/reprocess", status_code=202, summary="Start the matching jobs again for messages")
def reprocess(project: str, body: ReprocessRequest, request: Request, access: Allowed, services: Services) -> dict:
    inbox_project = services.catalog.get(project)
    if inbox_project is None or not access.can_read(project):
        raise NotFound("project", project, fix="GET /openfn/api/projects lists the projects.")
    webhook_dags = [hook.workflow.dag_id for hook in inbox_project.webhooks.values()]
    require_trigger(access.user, [job.dag_id for job in inbox_project.project.message_jobs()] + list(dict.fromkeys(webhook_dags)))
    database = services.database
    try:
        with database.write() as connection:
            started, errors = reruns.reprocess(connection, database, inbox_project, body.ids, access.user_name,
                                               services.protection.large_body_bytes)
    except Exception as error:
        _reraise_store(error)
    services.ensure_started()
    services.wake_dispatcher()
    return {"data": started, "errors": errors}


def _rerunnable(project, row, key: str):
    """The job (or the workflow, for a message its webhook received) that may run again for this message."""
    if row.trigger:
        workflow = project.workflows.get(row.trigger.partition("/")[0])
        if workflow is None or key != workflow.key:
            raise InvalidRequest(f"Message {row.id} came through the webhook {row.trigger}; only its workflow runs again for it",
                                 fix=f"Ask for `{row.trigger.partition('/')[0]}`, or retry one of its steps (POST .../runs/<run_id>/retry).")  # fmt: skip
        return workflow
    job = project.jobs.get(key)
    if job is None:
        raise NotFound("job", key, fix=f"Use one of: {', '.join(project.jobs)}.")
    if job.trigger.kind != "message":
        raise InvalidRequest(f"Job {job.key!r} has a {job.trigger.kind} trigger; only message-filter jobs run for a message", fix="Pick a job with a message filter.")
    if not job.enabled:
        raise Conflict(f"Job {job.key!r} is disabled (enabled: false in project.yaml)", fix="Enable it in project.yaml first.")
    return job


def _reraise_store(error: Exception):
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(error, SQLAlchemyError):
        raise StoreUnavailable() from error
    raise error


def inbox_url(request: Request, token: str) -> str:
    from openfn.inbox import urls
    return urls.inbox_url(token, request.headers, request.url.scheme)


@router.get("/projects", summary="Projects, their jobs and triggers, and their inbox URLs")
def projects(request: Request, access: Allowed, services: Services) -> dict:
    """The projects the user may read; ``inbox_url`` is null unless the user may see the project's token;
    broken projects (``errors``) only for users who may read every DAG."""
    snapshot = services.catalog.snapshot()
    tokens = services.tokens.tokens(snapshot.inboxes)
    listed = []
    for name, inbox_project in sorted(snapshot.projects.items()):
        if not access.can_read(name):
            continue
        project = inbox_project.project
        dag_ids = dag_ids_of(project)
        shown_url = weak = urls = None
        if may_see_token(access.user, name, dag_ids):
            token = tokens.get(name) or ensure_token(name)
            shown_url, weak = inbox_url(request, token), weakness(token)
            urls = {hook: inbox_url(request, tokens.get(hook) or ensure_token(hook)) for hook in inbox_project.webhooks}
        listed.append({
            "name": name,
            "inbox_url": shown_url,
            "token_warning": None if weak is None else f"This inbox URL's token is easy to guess: {weak}.",
            "auth": list(project.inbox.auth),
            "jobs": [
                {"key": job.key, "dag_id": job.dag_id, "trigger": job.trigger.key, "kind": job.trigger.kind,
                 "autoprocess": job.autoprocess, "enabled": job.enabled, "language": job.language,
                 "adaptor": _adaptor(job), "problem": job.problem}
                for job in project.jobs.values()
            ],
            "triggers": [_trigger(trigger) for trigger in project.triggers.values()],
            "workflows": workflow_listing(project, urls),
            "problems": grouped(project.problems),
            "warnings": [str(warning) for warning in project.warnings],
        })  # fmt: skip
    errors = [str(error) for error in snapshot.errors] if access.everything else []
    return {"projects": listed, "errors": errors}


def _adaptor(job) -> str:
    """What the job runs with: the installed npm package version (JavaScript) or the Python module."""
    if job.language == "javascript":
        return f"{job.adaptor_package}@{job.adaptor_installed}" if job.adaptor_installed else f"@openfn/language-{job.adaptor}"
    return f"openfn.adaptors.{job.adaptor}"


def _trigger(trigger) -> dict:
    shown = {"key": trigger.key, "kind": trigger.kind}
    if trigger.kind == "message":
        # JSON text, as OpenFn exports criteria: exact numbers, and the same text the matcher uses
        shown["criteria"] = dumps_exact(trigger.inclusion)
        shown["exclusion"] = None if trigger.exclusion is None else dumps_exact(trigger.exclusion)
    elif trigger.kind == "cron":
        shown.update(cron=trigger.cron, timezone=trigger.timezone)
    else:
        shown["upstream"] = trigger.upstream
    return shown
