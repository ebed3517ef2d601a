"""Reading runs for messages: the inbox's run rows joined with Airflow's ``dag_run`` (the only source of a
run's status), plus the flow/fail runs that carry a message on (run ids ``flow__<id>__...``)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.store.job_states import RunView
from openfn.inbox.store.schema import FAILED, PENDING, runs

CHAIN_KINDS = ("flow", "fail")


def _dag_run() -> sa.Table:
    from airflow.models.dagrun import DagRun

    return DagRun.__table__


def _epoch(value: float | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromtimestamp(value, datetime.timezone.utc)


def _job_of(dag_id: str) -> str:
    return dag_id.split(".", 1)[1] if "." in dag_id else dag_id


def inbox_runs(connection: Connection, message_ids: list[str]) -> dict[str, list[RunView]]:
    """message id -> the runs the inbox started for it (message, rerun, reprocess), oldest first."""
    dag_run = _dag_run()
    joined = runs.outerjoin(dag_run, sa.and_(dag_run.c.dag_id == runs.c.dag_id, dag_run.c.run_id == runs.c.run_id))
    query = (
        sa.select(
            runs.c.message_id, runs.c.job, runs.c.dag_id, runs.c.run_id, runs.c.status, runs.c.source,
            runs.c.error, runs.c.dispatched_at, runs.c.requested_by, dag_run.c.id.label("pk"), dag_run.c.state, dag_run.c.queued_at,
            dag_run.c.start_date, dag_run.c.end_date,
        )
        .select_from(joined)
        .where(runs.c.message_id.in_(message_ids))
        .order_by(runs.c.id)
    )  # fmt: skip
    found: dict[str, list[RunView]] = defaultdict(list)
    for row in connection.execute(query):
        if row.pk is not None:
            state = row.state
        elif row.status == FAILED:
            state = "failed"
        else:
            # pending; or created and since deleted from Airflow (e.g. `airflow db clean`): shown as pending
            state = PENDING
        end = row.end_date if row.pk is not None else (_epoch(row.dispatched_at) if row.status == FAILED else None)
        found[row.message_id].append(
            RunView(
                job=row.job, dag_id=row.dag_id, run_id=row.run_id, state=state, queued_at=row.queued_at,
                start_date=row.start_date, end_date=end, dag_run_pk=row.pk, source=row.source,
                error=row.error if row.status == FAILED else None, requested_by=row.requested_by,
            )
        )  # fmt: skip
    return found


def chained_runs(connection: Connection, message_ids: list[str], dag_ids: Iterable[str]) -> dict[str, list[RunView]]:
    """message id -> the flow/fail runs that carry it (their run ids start with ``<kind>__<message id>__``)."""
    dag_ids = sorted(set(dag_ids))
    if not dag_ids or not message_ids:
        return {}
    dag_run = _dag_run()
    patterns = [
        dag_run.c.run_id.like(f"{kind}\\_\\_{message_id}\\_\\_%", escape="\\")
        for message_id in message_ids
        for kind in CHAIN_KINDS
    ]
    query = (
        sa.select(dag_run.c.id, dag_run.c.dag_id, dag_run.c.run_id, dag_run.c.state, dag_run.c.queued_at,
                  dag_run.c.start_date, dag_run.c.end_date)
        .where(dag_run.c.dag_id.in_(dag_ids), sa.or_(*patterns))
        .order_by(dag_run.c.id)
    )  # fmt: skip
    found: dict[str, list[RunView]] = defaultdict(list)
    for row in connection.execute(query):
        kind, message_id, _ = row.run_id.split("__", 2)
        found[message_id].append(
            RunView(
                job=_job_of(row.dag_id), dag_id=row.dag_id, run_id=row.run_id, state=row.state,
                queued_at=row.queued_at, start_date=row.start_date, end_date=row.end_date, dag_run_pk=row.id,
                source=kind,
            )
        )  # fmt: skip
    return found


def all_runs(connection: Connection, message_ids: list[str], chain_dag_ids: Iterable[str]) -> dict[str, list[RunView]]:
    """Every run of each message: the inbox's runs first (in the order they were started), then chained ones."""
    own = inbox_runs(connection, message_ids)
    chained = chained_runs(connection, message_ids, chain_dag_ids)
    return {message_id: own.get(message_id, []) + chained.get(message_id, []) for message_id in message_ids}
