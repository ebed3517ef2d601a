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


def _dag_run() -> sa.Table:
    from airflow.models.dagrun import DagRun

    return DagRun.__table__


def _xcom() -> sa.Table:
    from airflow.models.xcom import XComModel

    return XComModel.__table__


def _message_dag_runs(connection: Connection, message_id: str, chain_dag_ids: list[str]) -> list[tuple[int, dict | None]]:
    """(dag_run.id, conf) of every DAG run of the message: the inbox's and the flow/fail runs carrying it."""
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
    return [(row.id, row.conf) for row in connection.execute(sa.select(dag_run.c.id, dag_run.c.conf).where(sa.or_(*conditions)))]


def erase(database: Database, message_id: str, *, by: str, chain_dag_ids: list[str]) -> Erased:
    """Erase one stored message's body and headers, and Airflow's copies of them (see the module doc)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    with database.write() as connection:
        connection.execute(
            sa.update(messages).where(messages.c.id == message_id)
            .values(body=RawJson("null"), headers="{}", erased_at=now.timestamp(), erased_by=by)
        )  # fmt: skip
        connection.execute(
            sa.update(runs).where(runs.c.message_id == message_id, runs.c.status == PENDING)
            .values(status=FAILED, dispatched_at=now.timestamp(), error=f"the message was erased by {by} before this run was created")
        )  # fmt: skip
        found = _message_dag_runs(connection, message_id, chain_dag_ids)
        dag_run = _dag_run()
        for pk, conf in found:
            kept = {"openfn": conf["openfn"]} if isinstance(conf, dict) and "openfn" in conf else {}
            connection.execute(sa.update(dag_run).where(dag_run.c.id == pk).values(conf={**kept, "erased": {"at": now.isoformat(), "by": by}}))
        if found:
            connection.execute(sa.delete(_xcom()).where(_xcom().c.dag_run_id.in_([pk for pk, _ in found])))
    log.info("Message %s erased by %s (%d DAG runs cleared)", message_id, by, len(found))
    return Erased(message_id=message_id, at=now.isoformat(), by=by, dag_runs=len(found))

