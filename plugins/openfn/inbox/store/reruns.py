"""Starting runs for stored messages, under the 10-second rule (SPEC §7).

One message x job pair starts at most one run per 10 seconds. The check and the record are one atomic
conditional upsert on ``openfn_message_job`` (``... ON CONFLICT DO UPDATE ... WHERE last_run_at <= now -
10``), timed by the database's clock: two api-servers racing for the same pair cannot both win, because
PostgreSQL re-checks the condition on the row it locked, and SQLite runs writers one at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.errors import TooSoon
from openfn.inbox.bodies.json_parsing import read_stored
from openfn.inbox.catalog import InboxProject
from openfn.inbox.store.database import Database
from openfn.inbox.store.messages import PlannedRun, dialect_insert, insert_runs
from openfn.inbox.store.schema import message_jobs, messages
from openfn.model import Step
from openfn.runs import message_run_id
from openfn.settings import LARGE_BODY_BYTES

RUN_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True)
class Claim:
    nth: int | None  # the run's number for this pair, or None when the 10-second rule refused it
    retry_after: int = 0


def claim_run(connection: Connection, database: Database, message_id: str, job: str) -> Claim:
    insert = dialect_insert(database, message_jobs).values(
        message_id=message_id, job=job, last_run_at=database.now(), runs=1
    )
    statement = insert.on_conflict_do_update(
        index_elements=["message_id", "job"],
        set_={"last_run_at": insert.excluded.last_run_at, "runs": message_jobs.c.runs + 1},
        where=message_jobs.c.last_run_at <= insert.excluded.last_run_at - RUN_INTERVAL_SECONDS,
    ).returning(message_jobs.c.runs)
    row = connection.execute(statement).first()
    if row is not None:
        return Claim(nth=int(row.runs))
    last, now = connection.execute(
        sa.select(message_jobs.c.last_run_at, database.now()).where(
            message_jobs.c.message_id == message_id, message_jobs.c.job == job
        )
    ).one()
    return Claim(nth=None, retry_after=max(1, math.ceil(last + RUN_INTERVAL_SECONDS - now)))


def start_run(connection: Connection, database: Database, message_id: str, project: str, job: Step, source: str,
              requested_by: str | None = None) -> PlannedRun:
    """Record a new pending run of ``job`` for a stored message, or raise TooSoon (429). ``requested_by``
    (the Airflow user who asked) is kept with the run and becomes its DAG run's triggering user."""
    claim = claim_run(connection, database, message_id, job.key)
    if claim.nth is None:
        raise TooSoon(message_id, job.key, claim.retry_after)
    planned = PlannedRun(job=job.key, dag_id=job.dag_id, run_id=message_run_id(message_id, job.key, claim.nth))
    insert_runs(connection, database, message_id, project, (planned,), source, requested_by)
    return planned


def reprocess(connection: Connection, database: Database, inbox_project: InboxProject, ids: list[str],
              requested_by: str | None = None, large_bytes: int = LARGE_BODY_BYTES) -> tuple[list[dict], list[dict]]:
    """Runs for every matching autoprocess job of each message, messages in arrival order; a message a
    workflow's webhook received starts that workflow again, from the same input.
    Returns (started runs, errors): unknown ids and pairs refused by the 10-second rule are errors."""
    found = connection.execute(
        sa.select(messages.c.id, messages.c.trigger, sa.cast(messages.c.body, sa.Text).label("body"))
        .where(messages.c.id.in_(ids), messages.c.project == inbox_project.name)
        .order_by(messages.c.seq)
    ).all()  # fmt: skip
    started: list[dict] = []
    errors: list[dict] = []
    known = {row.id for row in found}
    for message_id in dict.fromkeys(ids):
        if message_id not in known:
            errors.append({"message_id": message_id, "error": "message_not_found",
                           "message": f"There is no message {message_id!r} in project {inbox_project.name!r}; check the id."})  # fmt: skip
    for row in found:
        for job in _targets(inbox_project, row, large_bytes, errors):
            try:
                planned = start_run(connection, database, row.id, inbox_project.name, job, "reprocess", requested_by)
            except TooSoon as refused:
                errors.append({"message_id": row.id, "job": job.key, **refused.reply()})
                continue
            started.append({"message_id": row.id, "job": planned.job, "dag_id": planned.dag_id, "run_id": planned.run_id})
    return started, errors


def _targets(inbox_project: InboxProject, row, large_bytes: int, errors: list[dict]) -> list:
    """What a stored message starts again: the jobs whose filters it matches, or its webhook's workflow."""
    if row.trigger is None:
        return inbox_project.matching_jobs(read_stored(row.body, shape=inbox_project.shape, large_bytes=large_bytes))
    workflow = inbox_project.project.workflows.get(row.trigger.partition("/")[0])
    if workflow is None:
        errors.append({"message_id": row.id, "error": "workflow_not_found",
                       "message": f"The workflow of trigger {row.trigger} is no longer in project {inbox_project.name!r}; restore it first."})  # fmt: skip
        return []
    return [workflow]
