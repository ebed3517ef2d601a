"""The dispatcher: turns pending ``openfn_run`` rows into Airflow DAG runs, in batches.

Each batch is one transaction on Airflow's metadata database that takes pending rows (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so api-servers never take the same row), creates their DAG runs with the run ids
already stored, and marks the rows ``created``. The DAG run and the mark commit together, so a crash
anywhere loses nothing (the row is still pending) and duplicates nothing (a committed run was marked in
the same commit; and a run id that already exists in ``dag_run`` is only marked, never created again).

Creating a DAG run costs Airflow milliseconds of CPU, and the dispatcher shares the api-server's
interpreter with the inbox: while requests are in flight, it creates one run at a time and pauses in
between (a tenth of the time), so a burst is acknowledged at full speed and dispatched after.

Waiting senders first, bulk admitted as Airflow takes it: a batch takes the runs a sender waits for
(``webhook_reply: after_completion``) before any other, and creates other (bulk) runs only while Airflow
holds fewer than ``max_queued_runs`` queued DAG runs. A burst of bulk messages thus waits here, in arrival
order, rather than in Airflow's queue, where a waiting sender's run would come after all of it and every
scheduler loop would look through it; a waiting sender's run is created at once, whatever the backlog.
While bulk runs are held back, the dispatcher looks again every ``ADMISSION_RECHECK_SECONDS``.

A DAG that is not in the database yet (a project just added, not parsed) is retried with back-off; a run
Airflow refuses (e.g. params validation) is marked ``failed`` with the reason, shown in the receipt.

Bodies are never parsed here: each goes into its run's conf as the stored JSON text (``RawValue``), and a
batch stops taking runs once its bodies add up to ``MAX_BATCH_BYTES``, so a burst of large messages costs
the dispatcher a bounded amount of memory.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from openfn.errors import InvalidBody
from openfn.inbox.bodies.json_parsing import MAX_PYTHON_DIGITS, walk
from openfn.inbox.store import dispatch_queries as queries
from openfn.inbox.store.database import Database, RawValue
from openfn.inbox.store.schema import CREATED, FAILED, ensure_schema
from openfn.inbox.workers.loop import BackgroundLoop
from openfn.runs import run_conf, workflow_run_conf

log = logging.getLogger("openfn.inbox.dispatcher")

RETRY_CAP_SECONDS = 60.0
GIVE_UP_SECONDS = 24 * 3600.0  # a DAG still missing a day later is not coming back
MAX_BATCH_BYTES = 16 * 1024 * 1024  # bodies in one batch's confs, at most (one larger body goes alone)
# An integer longer than Python reads (stored before the inbox refused them) would break Airflow's reading
# of the conf: such a run fails with the reason instead.
_HUGE_INTEGER = re.compile(rf"[0-9]{{{MAX_PYTHON_DIGITS + 1}}}")


class _Retry(Exception):
    """A transient reason not to create the run yet."""


@dataclass
class BatchResult:
    taken: int = 0
    created: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0  # due rows left for the next batch (the batch's bodies reached MAX_BATCH_BYTES)
    held: bool = False  # bulk runs may be waiting for room in Airflow's queue (max_queued_runs)


class Dispatcher(BackgroundLoop):
    thread_name = "openfn-dispatcher"
    failure_message = "Dispatching inbox runs failed; retrying in %s s"
    log = log

    # SQLite lets one writer in at a time and Airflow's connections wait by polling (at most 100 ms
    # apart): a pause longer than that between batches lets them in, so they never time out.
    SQLITE_PAUSE = 0.15
    # Runs per transaction while the inbox is busy: one, so the dispatcher never holds the interpreter for
    # long (bench/load.py: with 5, and busy measured by commits only, a busy api-server on a loaded machine
    # stopped answering for 30 s while the dispatcher created runs; without the dispatcher, p99 248 ms).
    BUSY_BATCH = 1
    BUSY_SHARE = 0.1  # share of the time the dispatcher takes while the inbox is busy
    ADMISSION_RECHECK_SECONDS = 1.0  # while bulk runs wait for room in Airflow's queue

    def __init__(self, database: Database, *, batch_size: int | None = None, sweep_seconds: float = 5.0, intake_busy=None,
                 run_after_lead: float = 1.0, max_queued_runs: int = 0) -> None:
        from airflow.models.dagbag import DBDagBag

        super().__init__()
        self.database = database
        self.intake_busy = intake_busy or (lambda: False)
        self.batch_size = batch_size or (20 if database.is_sqlite else 100)  # short SQLite write locks
        self.sweep_seconds = sweep_seconds
        # A run's ``run_after`` is set a little in the past ([openfn] run_after_lead_seconds). The scheduler
        # starts a queued run once ``run_after <= now()`` in the database; SQLite's now() has whole seconds
        # (and its text compares below a datetime of the same second) and PostgreSQL's is the start of the
        # scheduler's transaction, so a run made "now" would wait up to a second, or a loop, to be looked at.
        self.run_after_lead = datetime.timedelta(seconds=run_after_lead)
        self.max_queued_runs = max_queued_runs  # 0: bulk runs are created as fast as waiting ones
        self._held = False
        self._dag_bag = DBDagBag(load_op_links=False)

    # -- the background loop (BackgroundLoop) ------------------------------------------------------------
    @property
    def retry_seconds(self) -> float:
        return self.sweep_seconds

    def start(self) -> bool:
        started = super().start()
        if started:
            log.info("OpenFn inbox dispatcher started (batches of %d, sweep every %g s, bulk runs while Airflow has fewer than %s queued)",
                     self.batch_size, self.sweep_seconds, self.max_queued_runs or "unlimited")
        return started

    def tick(self) -> float:
        self._wake.clear()  # a wake during the drain means new rows: the next round comes at once
        self.drain()
        return self.ADMISSION_RECHECK_SECONDS if self._held else self.sweep_seconds

    def drain(self) -> int:
        """Dispatch until no pending row is due; returns the number of DAG runs created."""
        created = 0
        while not self._stop.is_set():
            busy = self.intake_busy()
            limit = self.BUSY_BATCH if busy else self.batch_size
            started = time.monotonic()
            result = self.dispatch_batch(limit)
            created += result.created
            self._held = result.held
            if result.taken < limit and not result.deferred:
                break
            pause = self.SQLITE_PAUSE if self.database.is_sqlite else 0.0
            if busy:
                pause = max(pause, (time.monotonic() - started) * (1 - self.BUSY_SHARE) / self.BUSY_SHARE)
            if pause:
                self._stop.wait(pause)
        return created

    # -- one batch ---------------------------------------------------------------------------------------
    def dispatch_batch(self, limit: int | None = None) -> BatchResult:
        ensure_schema(self.database)
        result = BatchResult()
        with self.database.session() as session:
            now = queries.database_now(session, self.database)
            limit = limit or self.batch_size
            bulk_limit = None
            if self.max_queued_runs:
                bulk_limit = max(0, self.max_queued_runs - queries.queued_dag_runs(session))
            rows = queries.take_due_runs(session, now, limit, bulk_limit)
            # The room in Airflow's queue, not the batch, limited the bulk runs taken: more may be waiting for it.
            waiting = sum(1 for row in rows if row.sender_waits)
            result.held = bulk_limit is not None and bulk_limit < limit - waiting and len(rows) - waiting >= bulk_limit
            result.taken = len(rows)
            if not rows:
                return result
            existing = queries.existing_dag_runs(session, {(row.dag_id, row.run_id) for row in rows})
            message_rows: dict = {}  # message id -> its row (None: gone)
            size = 0
            for row in rows:
                if row.message_id not in message_rows and (row.dag_id, row.run_id) not in existing:
                    if size >= MAX_BATCH_BYTES:  # stays pending (and unlocked) for the next batch
                        result.taken -= 1
                        result.deferred += 1
                        continue
                    message = message_rows[row.message_id] = queries.message_for_run(session, row.message_id)
                    size += len(message.body) if message is not None else 0
                self._dispatch_one(session, row, now, existing, message_rows, result)
        return result

    def _dispatch_one(self, session: Session, row, now: float, existing, message_rows, result: BatchResult) -> None:
        if (row.dag_id, row.run_id) in existing:
            queries.mark_run(session, row.id, CREATED, now)
            result.created += 1
            return
        try:
            with session.begin_nested():
                self._create_dag_run(session, row, message_rows.get(row.message_id))
        except _Retry as reason:
            if now - row.created_at > GIVE_UP_SECONDS:
                queries.mark_run(session, row.id, FAILED, now, error=f"{reason} (gave up after {GIVE_UP_SECONDS / 3600:.0f} h)")
                result.failed += 1
                return
            delay = min(RETRY_CAP_SECONDS, 2.0 ** min(row.attempts, 10))
            queries.postpone_run(session, row.id, now + delay, str(reason))
            result.retried += 1
            log.info("Run %s of %s waits %.0f s: %s", row.run_id, row.dag_id, delay, reason)
            return
        except Exception as error:  # Airflow refused this run: say why in the receipt, keep the others
            log.exception("Cannot create run %s of %s", row.run_id, row.dag_id)
            queries.mark_run(session, row.id, FAILED, now, error=f"{type(error).__name__}: {error}")
            result.failed += 1
            return
        queries.mark_run(session, row.id, CREATED, now)
        result.created += 1

    def _create_dag_run(self, session: Session, row, message) -> None:
        from airflow.models.dag_version import DagVersion
        from airflow.utils.state import DagRunState
        from airflow.utils.types import DagRunTriggeredByType, DagRunType

        if message is None:
            raise RuntimeError(f"message {row.message_id} of this run does not exist")
        if _HUGE_INTEGER.search(message.body):  # a long run of digits: in a string, or a number to refuse
            try:
                walk(message.body, max_depth=10**6, shape=None)
            except InvalidBody as refused:
                raise ValueError(f"Airflow could not read this run's conf: {refused}") from None
        stale = queries.dag_is_stale(session, row.dag_id)
        version = DagVersion.get_latest_version(row.dag_id, session=session) if stale is False else None
        if version is None:
            raise _Retry(f"DAG {row.dag_id} is not in Airflow's database (yet): is its project loaded?")
        dag = self._dag_bag.get_dag(version.id, session=session)
        if dag is None:
            raise _Retry(f"DAG {row.dag_id} has no serialized version yet")
        shape = workflow_run_conf if message.trigger else run_conf  # a workflow's webhook, or the project inbox
        extra = {"trigger": message.trigger} if message.trigger else {}
        conf = shape(
            project=message.project,
            message_id=message.id,
            body=RawValue(message.body),  # spliced into the conf's JSON as stored, never parsed
            headers=json.loads(message.headers),
            received_at=message.received_at,
            **extra,
        )
        dag.create_dagrun(
            run_id=row.run_id,
            logical_date=None,
            run_after=datetime.datetime.now(datetime.timezone.utc) - self.run_after_lead,
            conf=conf,
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.REST_API,
            triggering_user_name=row.requested_by or "openfn inbox",  # the user of a re-run, for Airflow's audit
            state=DagRunState.QUEUED,
            session=session,
        )
