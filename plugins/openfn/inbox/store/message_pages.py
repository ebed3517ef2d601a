"""The inbox page's query: the management API's message scan, bounded by dates, with body previews.

It composes the inbox's own pieces (``search.Scan`` for the newest-first keyset scan on ``seq``,
``receipts.all_runs`` and ``job_states.job_states`` for the chips) and adds what the page needs on top:

* dates: ``received_at`` is stamped just before the row is inserted, so it grows with ``seq`` (up to the
  milliseconds two concurrent requests overlap). A date therefore becomes a ``seq`` bound by binary search
  on the primary key (about 17 index lookups for 100,000 messages) instead of a scan or a new index;
* previews: the first characters of each listed body, read for the listed rows only;
* chained runs by index: flow/fail run ids start with ``<kind>__<message id>__``, so each message's chained
  runs are one range of the ``dag_run (dag_id, run_id)`` unique index. ``receipts.chained_runs`` matches
  them with ``LIKE``, which neither SQLite (case-insensitive ``LIKE``) nor PostgreSQL (non-C collation)
  can answer from that index: it reads every run of the chained DAGs, about 1 ms per 1,000 runs for each
  batch of messages. The ranges below keep a page at a few milliseconds however many runs exist;
* a time budget: a page whose filters match few messages stops after ``TIME_BUDGET`` seconds and returns
  the cursor to continue from, so the page stays responsive and the user decides whether to search on.
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.store import search
from openfn.inbox.store.job_states import RunView, job_states
from openfn.inbox.store.receipts import inbox_runs
from openfn.inbox.store.schema import messages
from openfn.inbox.store.search import first_seq_from
from openfn.settings import LARGE_BODY_BYTES

PREVIEW_CHARS = 240
BATCH = 100  # rows whose runs are read in one query
MAX_SCAN = 20_000  # rows one request reads at most; next_before continues from there
TIME_BUDGET = 0.15  # seconds of scanning after which a page returns what it found, with a cursor
CHAIN_KINDS = ("flow", "fail")


def previews(connection: Connection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    text = sa.func.substr(sa.cast(messages.c.body, sa.Text), 1, PREVIEW_CHARS)
    return dict(connection.execute(sa.select(messages.c.id, text).where(messages.c.id.in_(ids))).all())


def chained_runs(connection: Connection, message_ids: list[str], dag_ids: list[str]) -> dict[str, list[RunView]]:
    """message id -> its flow/fail runs in the DAGs ``dag_ids`` (the flow and fail jobs), oldest first."""
    found: dict[str, list[RunView]] = defaultdict(list)
    dag_ids = sorted(set(dag_ids))
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(message_ids) if dag_ids else 0, BATCH):
        prefixes = [f"{kind}__{message_id}__" for message_id in message_ids[start:start + BATCH] for kind in CHAIN_KINDS]
        # every run id starting with a prefix sorts from the prefix up to (not including) prefix[:-1] + "`"
        params = [bound for prefix in prefixes for bound in (prefix, prefix[:-1] + "`")] + dag_ids
        # A join with the list of ranges: one index range scan per prefix on both databases (an OR of 200
        # ranges costs PostgreSQL more to plan than to run). The driver's own placeholders: SQLAlchemy's
        # text() takes longer to bind 400 parameters than the database takes to answer.
        rows = connection.exec_driver_sql(
            f"WITH ranges(low, high) AS (VALUES {', '.join([f'({mark}, {mark})'] * len(prefixes))}) "
            "SELECT d.id, d.dag_id, d.run_id, d.state, d.queued_at, d.start_date, d.end_date FROM ranges JOIN dag_run d "
            f"ON d.dag_id IN ({', '.join([mark] * len(dag_ids))}) AND d.run_id >= ranges.low AND d.run_id < ranges.high",
            tuple(params),
        ).all()  # no ORDER BY: SQLite would walk the whole table in id order to avoid a sort
        for row in rows:
            kind, message_id, _ = row.run_id.split("__", 2)
            found[message_id].append(RunView(
                job=row.dag_id.split(".", 1)[1], dag_id=row.dag_id, run_id=row.run_id, state=row.state,
                queued_at=_aware(row.queued_at), start_date=_aware(row.start_date), end_date=_aware(row.end_date),
                dag_run_pk=row.id, source=kind,
            ))  # fmt: skip
    for views in found.values():
        views.sort(key=lambda view: view.dag_run_pk)  # as receipts.chained_runs: oldest DAG run first
    return found


def _aware(value):
    """Text SQL returns SQLite's timestamps as strings and without a zone; Airflow stores them in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def all_runs(connection: Connection, message_ids: list[str], chain_dag_ids: list[str]) -> dict[str, list[RunView]]:
    """``receipts.all_runs``, with the chained runs found through the index."""
    own = inbox_runs(connection, message_ids)
    chained = chained_runs(connection, message_ids, chain_dag_ids)
    return {message_id: own.get(message_id, []) + chained.get(message_id, []) for message_id in message_ids}


@dataclass
class Filters:
    project: str | None = None
    job: str | None = None
    state: str | None = None  # a job-state
    q: str | None = None
    since: datetime.datetime | None = None  # inclusive
    until: datetime.datetime | None = None  # exclusive
    projects: frozenset[str] | None = None  # the projects the user may read; None: all (api/access.py)


@dataclass
class Page:
    messages: list[dict] = field(default_factory=list)
    next_before: str | None = None
    scanned: int = 0


def _keep(states: list[dict], job: str | None, state: str | None) -> bool:
    if job is not None:
        mine = [s for s in states if s["job"] == job]
        return bool(mine) and (state is None or mine[0]["state"] == state)
    return state is None or any(s["state"] == state for s in states)


def list_page(connection: Connection, database, catalog, filters: Filters, *, before_seq: int | None, limit: int,
              large_bytes: int = LARGE_BODY_BYTES) -> Page:
    """One page of messages, newest first. ``catalog`` is the inbox's project catalog (job order, chains)."""
    started = time.monotonic()
    upper = before_seq
    if filters.until is not None:
        until_seq = first_seq_from(connection, filters.until)
        if until_seq is not None:
            upper = until_seq if upper is None else min(upper, until_seq)
    lower = None
    if filters.since is not None:
        lower = first_seq_from(connection, filters.since)
        if lower is None:
            return Page()
    projects = catalog.snapshot().projects
    scan = search.Scan(connection, database, search.Query.from_q(filters.project, filters.q, filters.projects), before_seq=upper, max_rows=MAX_SCAN,
                       large_bytes=large_bytes)
    page = Page()
    batch: list = []
    cursor = None  # the last row whose job-states were looked at

    def flush() -> None:
        nonlocal cursor
        chains = [job.dag_id for name in {row.project for row in batch} if name in projects
                  for job in projects[name].project.jobs.values() if job.trigger.kind in CHAIN_KINDS]  # fmt: skip
        views = all_runs(connection, [row.id for row in batch], chains)
        for row in batch:
            cursor = row.id
            order = list(projects[row.project].project.jobs) if row.project in projects else []
            states = job_states(views[row.id], order)
            if _keep(states, filters.job, filters.state):
                page.messages.append({"id": row.id, "project": row.project, "received_at": row.received_at, "job_states": states})
                if len(page.messages) >= limit:
                    break
        batch.clear()

    stopped = False  # by the limit or the time budget, before the scan ended
    at_lower_bound = False
    for row in scan:
        if lower is not None and row.seq < lower:
            at_lower_bound = True
            break
        batch.append(row)
        over_budget = time.monotonic() - started > TIME_BUDGET
        if len(batch) == BATCH or over_budget:
            flush()
            if len(page.messages) >= limit or over_budget:
                stopped = True
                break
    if batch:
        flush()
    more = len(page.messages) >= limit or stopped or (not at_lower_bound and scan.more)
    page.scanned = scan.read
    page.next_before = cursor if more else None
    shown = previews(connection, [m["id"] for m in page.messages])
    for message in page.messages:
        message["preview"] = shown.get(message["id"], "")
    return page
