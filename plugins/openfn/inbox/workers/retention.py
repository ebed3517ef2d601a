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
  states), and their task logs in the local log folder (store/task_logs.py). Runs not created yet are
  marked failed. Runs still going cannot be stopped from writing the content back (tasks cannot read the
  database, so they cannot know of the erasure): the message stays open, and this thread clears its runs'
  conf, XCom and task logs again every ``ERASURE_CHECK_SECONDS`` until all of them, flow and fail runs
  included, have finished. A reply after completion to an erased message is ``erased`` (workers/replies.py).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time

from openfn.inbox.catalog import chain_dag_ids
from openfn.inbox.store.database import Database
from openfn.inbox.store.retention import GRACE, clear_again, delete_batch, erase_task_logs, open_erasures, projects_in_store, record_erased_logs
from openfn.inbox.store.search import first_seq_from
from openfn.inbox.workers.loop import BackgroundLoop

log = logging.getLogger("openfn.inbox.retention")
DAY = 86400.0
ERASURE_CHECK_SECONDS = 3.0  # how often runs of an erased message that were still going are looked at
SQLITE_PAUSE = 0.15  # between batches, so Airflow's own writers get SQLite's lock (see workers/dispatcher.py)


def retention_days(project, default: int) -> int:
    """The project's retention in days (0: keep); ``project`` None: a project the inbox does not know."""
    days = getattr(getattr(project, "inbox", None), "retention_days", None) if project is not None else None
    return default if days is None else days


def sweep(database: Database, projects: dict, *, default_days: int, batch_size: int, now: datetime.datetime | None = None,
          stop: threading.Event | None = None) -> dict[str, int]:
    """Delete every expired message; ``projects`` maps name -> Project (spec) for the projects known now.
    Returns project -> messages deleted."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    deleted: dict[str, int] = {}
    with database.read() as connection:
        names = sorted(set(projects_in_store(connection)))
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


def follow_erasures(database: Database, catalog, now: datetime.datetime | None = None) -> int:
    """Clear again what the runs of erased messages wrote since; close the erasures whose runs have all
    finished. Returns how many erasures still wait for runs."""
    with database.read() as connection:
        rows = open_erasures(connection)
    waiting = 0
    for row in rows:
        now_ = now or datetime.datetime.now(datetime.timezone.utc)
        state = clear_again(database, row, chain_dag_ids(catalog, [row.project]))
        at = datetime.datetime.fromtimestamp(row.erased_at, datetime.timezone.utc)
        logs = erase_task_logs(database, row.id, state.runs, by=row.erased_by, at=at)
        done = state.finished_before is not None and state.finished_before <= now_ - GRACE
        record_erased_logs(database, row.id, logs, done=done)
        if done:
            log.info("Erasure of message %s complete: its %d runs have finished (%d task log files cleared)", row.id, len(state.runs), logs)
        waiting += not done
    return waiting


class RetentionSweeper(BackgroundLoop):
    """The api-server's thread that runs ``sweep`` every ``interval`` seconds (the first time at start-up),
    and follows erasures whose runs were going every ``ERASURE_CHECK_SECONDS`` while there are any (the
    erasure wakes it)."""

    thread_name = "openfn-retention"
    failure_message = "Deleting expired inbox messages failed; retrying in %s s"
    retry_on_wake = False
    log = log

    def __init__(self, database: Database, catalog, *, default_days: int, batch_size: int, interval: float) -> None:
        super().__init__()
        self.database, self.catalog = database, catalog
        self.default_days, self.batch_size, self.interval = default_days, batch_size, interval
        self._next_sweep = 0.0

    @property
    def retry_seconds(self) -> float:
        return self.interval

    def tick(self) -> float:
        if time.monotonic() >= self._next_sweep:
            projects = {name: found.project for name, found in self.catalog.snapshot().projects.items()}
            sweep(self.database, projects, default_days=self.default_days, batch_size=self.batch_size, stop=self._stop)
            self._next_sweep = time.monotonic() + self.interval
        waiting = follow_erasures(self.database, self.catalog)
        until_sweep = max(0.0, self._next_sweep - time.monotonic())
        return min(until_sweep, ERASURE_CHECK_SECONDS) if waiting else until_sweep
