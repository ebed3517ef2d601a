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


def _sender_waits():
    """A run row whose sender waits for its result: the inbox's own run of the job (or workflow) whose result
    answers its message (the message's other runs, a re-run or reprocessing have nobody waiting)."""
    waiting = sa.select(messages.c.id).where(messages.c.id == runs.c.message_id, messages.c.reply_job == runs.c.job)
    return sa.and_(runs.c.source == "message", waiting.exists())


def take_due_runs(session: Session, now: float, limit: int, bulk_limit: int | None = None) -> list[sa.Row]:
    """Pending rows due by ``now``, locked (``SKIP LOCKED``: api-servers never take the same row): first those
    a sender waits for, oldest first, then the others (bulk), oldest first, at most ``bulk_limit`` of them
    (None: no limit of their own). Each row's ``sender_waits`` says which it is."""
    columns = (runs.c.id, runs.c.message_id, runs.c.project, runs.c.dag_id, runs.c.run_id,
               runs.c.created_at, runs.c.attempts, runs.c.requested_by)  # fmt: skip
    due = sa.and_(runs.c.status == PENDING, runs.c.next_attempt_at <= now)
    waiting = sa.select(*columns, sa.true().label("sender_waits")).where(due, _sender_waits()).order_by(runs.c.id).limit(limit).with_for_update(of=runs, skip_locked=True)
    taken = session.execute(waiting).all()
    room = limit - len(taken) if bulk_limit is None else min(limit - len(taken), bulk_limit)
    if room > 0:
        bulk = sa.select(*columns, sa.false().label("sender_waits")).where(due, sa.not_(_sender_waits())).order_by(runs.c.id).limit(room).with_for_update(of=runs, skip_locked=True)
        taken += session.execute(bulk).all()
    return taken


def queued_dag_runs(session: Session) -> int:
    """DAG runs that Airflow's scheduler has queued and can start as soon as it has room, in the whole
    deployment. Queued runs of a paused DAG, or of a DAG already at its ``max_active_runs`` (a Lightning
    workflow's ``concurrency``), wait for that DAG alone: counted, they would hold every other DAG's runs."""
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import DagRunState

    running = (
        sa.select(DagRun.dag_id, sa.func.count().label("runs")).where(DagRun.state == DagRunState.RUNNING).group_by(DagRun.dag_id).subquery()
    )
    startable = sa.and_(
        DagModel.is_paused.is_(False),
        sa.or_(DagModel.max_active_runs.is_(None), sa.func.coalesce(running.c.runs, 0) < DagModel.max_active_runs),
    )
    query = (
        sa.select(sa.func.count()).select_from(DagRun).join(DagModel, DagModel.dag_id == DagRun.dag_id)
        .outerjoin(running, running.c.dag_id == DagRun.dag_id).where(DagRun.state == DagRunState.QUEUED, startable)
    )  # fmt: skip
    return session.scalar(query)


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
