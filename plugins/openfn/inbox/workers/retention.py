"""Retention and erasure of stored messages (data protection).

* **Retention**: a message older than its project's ``inbox.retention_days`` (default ``[openfn]
  retention_days``; 0 keeps messages) is deleted with its run rows (pending ones included: an expired
  message starts nothing more) and its 10-second-rule rows, a batch per transaction. Each api-server runs
  the sweep in a thread (tasks cannot reach the metadata database), every ``retention_sweep_seconds``;
  several api-servers sweeping at once delete each message once. Airflow's own records of the runs (DAG
  runs and their conf, XCom, task logs) are Airflow's to clean: ``airflow db clean`` (see README).
* **Erasure** of one message (a data-protection request): its body becomes ``null`` and its headers ``{}``;
  the fact that it arrived, its id, its runs and who erased it when are kept. The copies Airflow holds in
  the metadata database go too: the conf of its DAG runs (the run's initial state) and their XCom (final
  states). Runs not created yet are marked failed. Task logs are files the api-server cannot reach.
"""

from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.store.database import Database, RawJson
from openfn.inbox.store.schema import FAILED, PENDING, message_jobs, messages, runs
from openfn.inbox.store.search import first_seq_from

log = logging.getLogger("openfn.inbox.retention")
DAY = 86400.0
SQLITE_PAUSE = 0.15  # between batches, so Airflow's own writers get SQLite's lock (see dispatcher.py)


def retention_days(project, default: int) -> int:
    """The project's retention in days (0: keep); ``project`` None: a project the inbox does not know."""
    days = getattr(getattr(project, "inbox", None), "retention_days", None) if project is not None else None
    return default if days is None else days


def _projects_in_store(connection: Connection) -> list[str]:
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


def sweep(database: Database, projects: dict, *, default_days: int, batch_size: int, now: datetime.datetime | None = None,
          stop: threading.Event | None = None) -> dict[str, int]:
    """Delete every expired message; ``projects`` maps name -> Project (spec) for the projects known now.
    Returns project -> messages deleted."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    deleted: dict[str, int] = {}
    with database.read() as connection:
        names = sorted(set(_projects_in_store(connection)))
    for name in names:
        days = retention_days(projects.get(name), default_days)
        if days <= 0:
            continue
        with database.read() as connection:
            bound = first_seq_from(connection, now - datetime.timedelta(days=days))
        if bound is None:  # nothing received since the cut-off: everything older goes
            bound = 2**62
        while stop is None or not stop.is_set():
            with database.write() as connection:
                count = delete_batch(connection, name, bound, batch_size)
            deleted[name] = deleted.get(name, 0) + count
            if count < batch_size:
                break
            if database.is_sqlite and stop is not None:
                stop.wait(SQLITE_PAUSE)
        if deleted.get(name):
            log.info("Deleted %d messages of project %s older than %d days", deleted[name], name, days)
    return deleted


class RetentionSweeper:
    """The api-server's thread that runs ``sweep`` every ``interval`` seconds (the first time at start-up)."""

    def __init__(self, database: Database, catalog, *, default_days: int, batch_size: int, interval: float) -> None:
        self.database, self.catalog = database, catalog
        self.default_days, self.batch_size, self.interval = default_days, batch_size, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="openfn-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                projects = {name: found.project for name, found in self.catalog.snapshot().projects.items()}
                sweep(self.database, projects, default_days=self.default_days, batch_size=self.batch_size, stop=self._stop)
            except Exception:
                log.exception("Deleting expired inbox messages failed; retrying in %s s", self.interval)
            self._stop.wait(self.interval)


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

