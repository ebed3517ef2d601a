"""The statements of retention and erasure (data protection): deleting expired messages a batch at a
time, and erasing one message with Airflow's copies of it (DAG run conf, XCom). What they mean and when they
run: workers/retention.py.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.store.database import Database, RawJson
from openfn.inbox.store.run_results import task_tries
from openfn.inbox.store.task_logs import erase_logs, erasure_line
from openfn.inbox.store.schema import FAILED, PENDING, message_jobs, messages, runs

log = logging.getLogger("openfn.inbox.retention")


def projects_in_store(connection: Connection) -> list[str]:
    return list(connection.execute(sa.select(messages.c.project).distinct()).scalars())


def delete_batch(connection: Connection, project: str, below_seq: int, limit: int) -> int:
    """Delete up to ``limit`` of ``project``'s oldest messages with ``seq < below_seq``; returns how many."""
    ids = list(connection.execute(
        sa.select(messages.c.id).where(messages.c.project == project, messages.c.seq < below_seq)
        .order_by(messages.c.seq).limit(limit)
    ).scalars())  # fmt: skip
    if ids:
        connection.execute(sa.delete(runs).where(runs.c.message_id.in_(ids)))
        connection.execute(sa.delete(message_jobs).where(message_jobs.c.message_id.in_(ids)))
        connection.execute(sa.delete(messages).where(messages.c.id.in_(ids)))
    return len(ids)


@dataclass(frozen=True)
class Erased:
    message_id: str
    at: str
    by: str
    dag_runs: int  # DAG runs whose conf and XCom were cleared
    runs: tuple[tuple[str, str], ...] = ()  # (dag_id, run_id) of those DAG runs: their task logs go too
    unfinished: bool = False  # some were still going: what they write when they finish is cleared then


def _dag_run() -> sa.Table:
    from airflow.models.dagrun import DagRun

    return DagRun.__table__


def _xcom() -> sa.Table:
    from airflow.models.xcom import XComModel

    return XComModel.__table__


FINISHED = ("success", "failed")
# A run's last log lines may reach its file a moment after Airflow records it finished: an erasure follows
# runs until the last one ended this long ago.
GRACE = datetime.timedelta(seconds=5)


def _message_dag_runs(connection: Connection, message_id: str, chain_dag_ids: list[str]) -> list[sa.Row]:
    """(id, dag_id, run_id, conf, state, end_date) of every DAG run of the message: the inbox's and the
    flow/fail runs carrying it."""
    dag_run = _dag_run()
    own = sa.select(runs.c.dag_id, runs.c.run_id).where(runs.c.message_id == message_id)
    pairs = {(row.dag_id, row.run_id) for row in connection.execute(own)}
    conditions = [sa.tuple_(dag_run.c.dag_id, dag_run.c.run_id).in_(pairs)] if pairs else []
    if chain_dag_ids:
        for kind in ("flow", "fail"):
            prefix = f"{kind}__{message_id}__"
            conditions.append(sa.and_(dag_run.c.dag_id.in_(chain_dag_ids), dag_run.c.run_id >= prefix,
                                      dag_run.c.run_id < prefix[:-1] + "`"))  # fmt: skip
    if not conditions:
        return []
    query = sa.select(dag_run.c.id, dag_run.c.dag_id, dag_run.c.run_id, dag_run.c.conf, dag_run.c.state, dag_run.c.end_date)
    return list(connection.execute(query.where(sa.or_(*conditions))))


def _clear_copies(connection: Connection, found: list[sa.Row], marker: dict) -> None:
    """The conf of each DAG run keeps only its ``openfn`` ids and the erasure ``marker``; its XComs go."""
    dag_run = _dag_run()
    for row in found:
        conf = row.conf
        kept = {"openfn": conf["openfn"]} if isinstance(conf, dict) and "openfn" in conf else {}
        if conf != {**kept, "erased": marker}:
            connection.execute(sa.update(dag_run).where(dag_run.c.id == row.id).values(conf={**kept, "erased": marker}))
    if found:
        connection.execute(sa.delete(_xcom()).where(_xcom().c.dag_run_id.in_([row.id for row in found])))


def erase(database: Database, message_id: str, *, by: str, chain_dag_ids: list[str]) -> Erased:
    """Erase one stored message's body and headers, and Airflow's copies of them (see the module doc).
    When some of its runs are still going, the message stays open (``erase_open``) for ``follow``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    with database.write() as connection:
        connection.execute(
            sa.update(messages).where(messages.c.id == message_id)
            .values(body=RawJson("null"), headers="{}", erased_at=now.timestamp(), erased_by=by, erase_open=True)
        )  # fmt: skip
        connection.execute(
            sa.update(runs).where(runs.c.message_id == message_id, runs.c.status == PENDING)
            .values(status=FAILED, dispatched_at=now.timestamp(), error=f"the message was erased by {by} before this run was created")
        )  # fmt: skip
        found = _message_dag_runs(connection, message_id, chain_dag_ids)
        _clear_copies(connection, found, {"at": now.isoformat(), "by": by})
    log.info("Message %s erased by %s (%d DAG runs cleared)", message_id, by, len(found))
    unfinished = any(row.state not in FINISHED or row.end_date is None or row.end_date > now - GRACE for row in found)
    return Erased(message_id=message_id, at=now.isoformat(), by=by, dag_runs=len(found),
                  runs=tuple((row.dag_id, row.run_id) for row in found), unfinished=unfinished)  # fmt: skip


def record_erased_logs(database: Database, message_id: str, count: int, *, done: bool) -> None:
    """How many task log files the erasure has cleared; ``done``: every run had finished (nothing more to follow)."""
    values = {"erased_logs": count}
    if done:
        values["erase_open"] = False
    with database.write() as connection:
        connection.execute(sa.update(messages).where(messages.c.id == message_id).values(**values))


@dataclass(frozen=True)
class OpenErasure:
    message_id: str
    project: str
    runs: tuple[tuple[str, str], ...]  # (dag_id, run_id) of its DAG runs
    finished_before: datetime.datetime | None  # all runs finished, the last at this time; None: some still going


def open_erasures(connection: Connection) -> list[sa.Row]:
    """(id, project, erased_at, erased_by) of erased messages whose runs were still going."""
    query = sa.select(messages.c.id, messages.c.project, messages.c.erased_at, messages.c.erased_by)
    return list(connection.execute(query.where(messages.c.erase_open == sa.true()).order_by(messages.c.seq).limit(500)))


def clear_again(database: Database, row: sa.Row, chain_dag_ids: list[str]) -> OpenErasure:
    """Clear the conf and XCom of an erased message's DAG runs again (what its runs wrote after the erasure)."""
    at = datetime.datetime.fromtimestamp(row.erased_at, datetime.timezone.utc)
    with database.write() as connection:
        found = _message_dag_runs(connection, row.id, chain_dag_ids)
        _clear_copies(connection, found, {"at": at.isoformat(), "by": row.erased_by})
    ends = [r.end_date for r in found]
    finished = all(r.state in FINISHED for r in found) and all(end is not None for end in ends)
    last = max(ends, default=at) if finished else None
    return OpenErasure(row.id, row.project, tuple((r.dag_id, r.run_id) for r in found), last)


def erase_task_logs(database: Database, message_id: str, dag_runs, *, by: str, at: str | datetime.datetime) -> int:
    """Replace every local task log file of ``dag_runs`` ((dag_id, run_id)) by a line saying it was erased;
    returns how many files there are."""
    when = datetime.datetime.fromisoformat(at) if isinstance(at, str) else at
    dag_runs = list(dag_runs)
    if not dag_runs:
        return 0
    with database.read() as connection:
        tries = [task for tasks in task_tries(connection, dag_runs).values() for task in tasks.values()]
    return erase_logs(dag_runs, tries, erasure_line(message_id, by, when))
