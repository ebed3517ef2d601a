"""The dispatcher's statements (workers/dispatcher.py): taking due run rows, reading their messages and
the DAG runs that already exist, and marking the rows. All run in the caller's session, so a DAG run and
the mark of its row commit together."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from openfn.inbox.store.database import Database
from openfn.inbox.store.schema import PENDING, messages, runs


def database_now(session: Session, database: Database) -> float:
    """The database's clock (every api-server compares ``next_attempt_at`` with the same one)."""
    return session.execute(sa.select(database.now())).scalar_one()


def take_due_runs(session: Session, now: float, limit: int) -> list[sa.Row]:
    """Pending rows due by ``now``, oldest first, locked (``SKIP LOCKED``: api-servers never take the same row)."""
    due = (
        sa.select(runs.c.id, runs.c.message_id, runs.c.project, runs.c.dag_id, runs.c.run_id,
                  runs.c.created_at, runs.c.attempts, runs.c.requested_by)
        .where(runs.c.status == PENDING, runs.c.next_attempt_at <= now)
        .order_by(runs.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )  # fmt: skip
    return session.execute(due).all()


def existing_dag_runs(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of the (dag_id, run_id) pairs Airflow already has a DAG run for."""
    from airflow.models.dagrun import DagRun

    found = session.execute(sa.select(DagRun.dag_id, DagRun.run_id).where(sa.tuple_(DagRun.dag_id, DagRun.run_id).in_(keys)))
    return {(dag_id, run_id) for dag_id, run_id in found}


def message_for_run(session: Session, message_id: str) -> sa.Row | None:
    """What a run's conf is made of; the body as the stored JSON text."""
    return session.execute(
        sa.select(messages.c.id, messages.c.project, messages.c.received_at, messages.c.headers, messages.c.trigger,
                  sa.cast(messages.c.body, sa.Text).label("body"))
        .where(messages.c.id == message_id)
    ).first()  # fmt: skip


def mark_run(session: Session, row_id: int, status: str, now: float, error: str | None = None) -> None:
    session.execute(sa.update(runs).where(runs.c.id == row_id).values(status=status, dispatched_at=now, error=error))


def postpone_run(session: Session, row_id: int, next_attempt_at: float, reason: str) -> None:
    """One more attempt later (the DAG is not in Airflow's database yet)."""
    session.execute(
        sa.update(runs).where(runs.c.id == row_id)
        .values(attempts=runs.c.attempts + 1, next_attempt_at=next_attempt_at, error=reason)
    )  # fmt: skip


def dag_is_stale(session: Session, dag_id: str) -> bool | None:
    """Airflow's ``is_stale`` of the DAG (None: Airflow does not know it)."""
    from airflow.models.dag import DagModel

    return session.scalar(sa.select(DagModel.is_stale).where(DagModel.dag_id == dag_id))
