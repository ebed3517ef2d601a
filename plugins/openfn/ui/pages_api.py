"""What the pages need beyond the management API, under ``/openfn/ui/api`` (Airflow login required):

* ``GET  /ui/api/messages``: the inbox page (the management API's filters, plus ``since``/``until`` dates
  and a body preview per message);
* ``GET  /ui/api/projects``: per cron job, its next run time (croniter, in the trigger's timezone), whether
  its DAG is paused, and the size of its saved state (Variable ``openfn.state.<dag_id>``);
* ``POST /ui/api/jobs/<dag_id>/runs``: run a cron job now, as ``airflow dags trigger`` does (it starts from
  its saved state). Message jobs are re-run per message instead (``POST /openfn/api/messages/<id>/runs``).

Like the management API, each route sees only the projects the user may read (openfn.inbox.api.access).
"""

from __future__ import annotations

import datetime
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from openfn.errors import Conflict, InvalidRequest, NotFound
from openfn.inbox.api.access import Access, project_access, require_trigger
from openfn.inbox.api.login import require_user
from openfn.inbox.services import Services
from openfn.inbox.store import airflow_state, search
from openfn.inbox.store.job_states import STATES
from openfn.inbox.store.message_pages import Filters, list_page

router = APIRouter(prefix="/ui/api", tags=["ui"], dependencies=[Depends(require_user)])
Allowed = Annotated[Access, Depends(project_access)]


def _job_state(value: str | None) -> str | None:
    if not value:
        return None
    normal = value.strip().lower().replace("_", " ")
    if normal not in STATES:
        raise InvalidRequest(f"state={value!r} is not a job-state", fix=f"Use one of: {', '.join(STATES)}.")
    return normal


def _day(value: str | None, name: str, days: int = 0) -> datetime.datetime | None:
    """``YYYY-MM-DD`` (a UTC day) or a full ISO 8601 time; ``days`` moves a plain date forward."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = datetime.date.fromisoformat(value) + datetime.timedelta(days=days)
            return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise InvalidRequest(f"{name}={value!r} is not a date", fix="Write it as YYYY-MM-DD (UTC) or an ISO 8601 time.") from None


@router.get("/messages", summary="The inbox page: messages newest first, with job-states and body previews")
def messages_page(
    request: Request,
    access: Allowed,
    services: Services,
    project: str | None = None,
    job: str | None = None,
    state: str | None = None,
    q: str | None = None,
    since: Annotated[str | None, Query(description="first day (UTC, inclusive) or ISO time")] = None,
    until: Annotated[str | None, Query(description="last day (UTC, inclusive) or ISO time (exclusive)")] = None,
    before: Annotated[str | None, Query(description="continue after this message id (next_before)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    filters = Filters(
        project=project or None, job=job or None, state=_job_state(state), q=q,
        since=_day(since, "since"), until=_day(until, "until", days=1), projects=access.restriction,
    )  # fmt: skip
    database = services.database
    with database.read() as connection:
        before_seq = None
        if before:
            before_seq = search.seq_of(connection, before, access.restriction)
            if before_seq is None:
                raise NotFound("message", before, fix="Pass a message id from a previous reply's next_before.")
        page = list_page(connection, database, services.catalog, filters, before_seq=before_seq, limit=limit,
                         large_bytes=services.protection.large_body_bytes)
    return {"messages": page.messages, "next_before": page.next_before, "scanned": page.scanned}


def _saved_state_sizes(dag_ids: list[str]) -> dict[str, int]:
    """dag_id -> bytes of its saved state (compact UTF-8 JSON, as the runtime measures it)."""
    from openfn.runtime.saved_state import variable_key
    from openfn.runtime.state import state_size

    keys = {variable_key(dag_id): dag_id for dag_id in dag_ids}
    sizes: dict[str, int] = {}
    for key, value in airflow_state.variable_values(list(keys)).items():
        try:
            sizes[keys[key]] = state_size(json.loads(value))
        except (TypeError, ValueError):
            sizes[keys[key]] = len((value or "").encode())  # edited by hand into non-JSON
    return sizes


def next_cron_run(cron: str, timezone: str, now: datetime.datetime | None = None) -> datetime.datetime:
    """The next time ``cron`` fires after ``now``, in ``timezone`` (as the DAG's CronTriggerTimetable does)."""
    from zoneinfo import ZoneInfo

    from croniter import croniter

    local_now = (now or datetime.datetime.now(datetime.timezone.utc)).astimezone(ZoneInfo(timezone))
    return croniter(cron, local_now).get_next(datetime.datetime)


@router.get("/projects", summary="Cron jobs: next run, paused, saved state size")
def projects_extra(request: Request, access: Allowed, services: Services) -> dict:
    from openfn.runtime.state import MAX_BYTES, WARN_BYTES

    readable = [p for name, p in services.catalog.snapshot().projects.items() if access.can_read(name)]
    cron_jobs = [job for p in readable for job in p.project.jobs.values() if job.trigger.kind == "cron"]
    dag_ids = [job.dag_id for job in cron_jobs]
    sizes = _saved_state_sizes(dag_ids)
    paused = airflow_state.paused_dags(dag_ids)
    jobs = {}
    for job in cron_jobs:
        jobs[job.dag_id] = {
            "next_run": next_cron_run(job.trigger.cron, job.trigger.timezone).isoformat(),
            "paused": paused.get(job.dag_id),  # None: the DAG is not parsed yet
            "state_bytes": sizes.get(job.dag_id),  # None: nothing saved yet
        }
    return {"warn_bytes": WARN_BYTES, "max_bytes": MAX_BYTES, "jobs": jobs}


@router.post("/jobs/{dag_id}/runs", status_code=201, summary="Run a cron job now, from its saved state")
def run_now(dag_id: str, request: Request, access: Allowed, services: Services) -> dict:
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound
    from airflow.utils.types import DagRunTriggeredByType

    project, _, key = dag_id.partition(".")
    found = services.catalog.get(project) if access.can_read(project) else None
    job = found.project.jobs.get(key) if found else None
    if job is None:
        raise NotFound("job", dag_id, fix="Look the job up in GET /openfn/api/projects (a DAG id is <project>.<job>).")
    if job.trigger.kind != "cron":
        raise InvalidRequest(
            f"Job {job.key!r} has a {job.trigger.kind} trigger; only cron jobs run on demand here",
            fix="Re-run a message job for a message from its receipt (POST /openfn/api/messages/<id>/runs).",
        )
    if not job.enabled:
        raise Conflict(f"Job {job.key!r} is disabled (enabled: false in project.yaml)", fix="Enable it in project.yaml first.")
    require_trigger(access.user, [dag_id])
    try:
        run = trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.UI, triggering_user_name=access.user_name)
    except DagNotFound:
        raise NotFound("dag", dag_id, fix="Wait until Airflow has parsed the project (seconds), then retry.") from None
    return {"job": job.key, "dag_id": dag_id, "run_id": run.run_id, "state": str(run.state), "requested_by": access.user_name}
