"""Inbox watchers: the inbox sensors and inbox assets of hand-written DAGs, and which message each is given.

A watcher reads its project's messages in arrival order (``seq``) and is handed the next one whose body
matches its filter, as the message triggers match (``openfn.matching.matches``: ``@>`` semantics). How far
it has read is kept here, in one row per watcher, so that no trigger's memory decides what was delivered:

* A sensor (``Watch.consumer`` = its task instance) claims a message for good, in the same transaction
  that moves the watcher past it. Asking again for the same task instance (a trigger restarted, a
  reschedule poke, a retry) returns the same message: each message goes to one task instance, once.
* An asset's message is handed out ``in flight``. It counts as delivered only once Airflow has recorded the
  asset event carrying its id (``recorded``, read from Airflow's ``asset_event`` table by the caller);
  until then it is handed again, after ``REDELIVER_SECONDS``, to whichever trigger asks (the first one
  died before Airflow stored its event). So a triggerer restart neither loses nor repeats an event, and a
  second triggerer asking meanwhile is told to wait.

Every step runs in one write transaction that locks the watcher's row, so two triggerers never hand out
the same message twice; a request that finds the row locked is told to ask again rather than wait.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from openfn.inbox.bodies.filter_shape import Shape
from openfn.inbox.bodies.json_parsing import read_stored
from openfn.inbox.store.database import Database
from openfn.inbox.store.schema import messages, watch_claims, watchers
from openfn.inbox.store.search import first_seq_from
from openfn.matching import matches
from openfn.settings import LARGE_BODY_BYTES

SCAN_ROWS = 500  # messages read per request at most: a long backlog is read over several requests
REDELIVER_SECONDS = 20.0  # an asset's message not recorded this long after it was handed out is handed again


@dataclass(frozen=True)
class Watch:
    name: str  # 'sensor:<dag_id>.<task_id>' or 'asset:<uri>'
    project: str
    criteria: Any  # parsed filters (exact numbers), as openfn.matching.matches takes them
    exclusion: Any = None
    since: datetime.datetime | None = None  # where a new watcher starts (None: after the newest message)
    consumer: str | None = None  # a sensor's task instance; None for an asset
    owner: str = ""  # the trigger instance asking (assets)


@dataclass(frozen=True)
class Delivery:
    """What a watcher is given: a message (``id``...), or nothing yet (``id`` None; ``wait``: a message is
    in flight and Airflow has not recorded it yet)."""

    id: str | None = None
    received_at: str | None = None
    body: str | None = None  # the stored JSON text, exact numbers
    wait: bool = False


def _locked(connection: Connection, database: Database, watch: Watch) -> sa.Row | None:
    """The watcher's row, locked for this transaction; None while another request holds it (PostgreSQL
    skips a locked row rather than wait: a request never holds an api-server thread waiting for another)."""
    statement = sa.select(watchers).where(watchers.c.name == watch.name)
    if database.dialect == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return connection.execute(statement).first()


def _watcher(connection: Connection, database: Database, watch: Watch) -> sa.Row | None:
    """The watcher's locked row, created at its start on first use; None while another request holds it."""
    found = _locked(connection, database, watch)
    if found is None:
        if connection.execute(sa.select(watchers.c.name).where(watchers.c.name == watch.name)).first() is not None:
            return None  # it exists, and another request holds it
        insert = (postgresql.insert if database.dialect == "postgresql" else sqlite.insert)(watchers)
        connection.execute(insert.values(name=watch.name, project=watch.project, after_seq=_start(connection, watch))
                           .on_conflict_do_nothing(index_elements=["name"]))  # fmt: skip
        found = _locked(connection, database, watch)
    if found is not None and found.project != watch.project:  # the DAG now watches another project: start afresh there
        connection.execute(sa.update(watchers).where(watchers.c.name == watch.name).values(
            project=watch.project, after_seq=_start(connection, watch), inflight_id=None, inflight_seq=None, inflight_at=None))
        found = _locked(connection, database, watch)
    return found


def _start(connection: Connection, watch: Watch) -> int:
    if watch.since is None:
        return connection.execute(sa.select(sa.func.coalesce(sa.func.max(messages.c.seq), 0))).scalar()
    first = first_seq_from(connection, watch.since)
    if first is None:
        return connection.execute(sa.select(sa.func.coalesce(sa.func.max(messages.c.seq), 0))).scalar()
    return first - 1


def _message(connection: Connection, message_id: str) -> Delivery | None:
    row = connection.execute(
        sa.select(messages.c.id, messages.c.received_at, sa.cast(messages.c.body, sa.Text).label("body"))
        .where(messages.c.id == message_id)
    ).first()
    return None if row is None else Delivery(id=row.id, received_at=row.received_at, body=row.body)


def _next_match(connection: Connection, watch: Watch, after: int) -> tuple[sa.Row | None, int]:
    """The first matching message after ``after``, and how far the scan got (every row up to it is read)."""
    shape = Shape.of([watch.criteria, watch.exclusion])
    rows = connection.execute(
        sa.select(messages.c.seq, messages.c.id, messages.c.received_at, messages.c.erased_at,
                  sa.cast(messages.c.body, sa.Text).label("body"))
        .where(messages.c.project == watch.project, messages.c.seq > after)
        .order_by(messages.c.seq)
        .limit(SCAN_ROWS)
    ).all()  # fmt: skip
    for row in rows:
        if row.erased_at is None and matches(read_stored(row.body, shape=shape, large_bytes=LARGE_BODY_BYTES), watch.criteria, watch.exclusion):
            return row, row.seq
    return None, rows[-1].seq if len(rows) == SCAN_ROWS else after


def _nothing_new(connection: Connection, watch: Watch, after_seq: int) -> bool:
    newer = sa.select(messages.c.seq).where(messages.c.project == watch.project, messages.c.seq > after_seq).limit(1)
    return connection.execute(newer).first() is None


def next_for_sensor(database: Database, watch: Watch) -> Delivery:
    """The message of this sensor task instance: the one it claimed before, or the next matching one."""
    with database.read() as connection:  # the usual answer, "nothing yet", without a write transaction
        after = connection.execute(sa.select(watchers.c.after_seq).where(watchers.c.name == watch.name)).scalar()
        if after is not None and _nothing_new(connection, watch, after) and connection.execute(
            sa.select(watch_claims.c.message_id).where(watch_claims.c.watcher == watch.name, watch_claims.c.consumer == watch.consumer)
        ).first() is None:
            return Delivery()
    with database.write() as connection:
        watcher = _watcher(connection, database, watch)
        if watcher is None:
            return Delivery()  # another task instance of this sensor is being served: ask again at the next poke
        claimed = connection.execute(
            sa.select(watch_claims.c.message_id).where(watch_claims.c.watcher == watch.name, watch_claims.c.consumer == watch.consumer)
        ).scalar()
        if claimed is not None:
            return _message(connection, claimed) or Delivery(id=claimed)
        row, scanned = _next_match(connection, watch, watcher.after_seq)
        if row is not None:
            connection.execute(sa.insert(watch_claims).values(watcher=watch.name, consumer=watch.consumer, message_id=row.id, claimed_at=database.now()))
        if scanned != watcher.after_seq:
            connection.execute(sa.update(watchers).where(watchers.c.name == watch.name).values(after_seq=scanned))
        return Delivery() if row is None else Delivery(id=row.id, received_at=row.received_at, body=row.body)


def next_for_asset(database: Database, watch: Watch, recorded: Callable[[str, float], bool]) -> Delivery:
    """The message this asset's trigger should turn into an event now, if any.

    ``recorded(message_id, handed_out_at)`` tells whether Airflow stored an asset event for that message;
    it is asked before the watcher's row is locked (it reads Airflow's tables through Airflow's own pool),
    and what it said is applied only if the same message is still in flight.
    """
    with database.read() as connection:
        seen = connection.execute(sa.select(watchers.c.after_seq, watchers.c.inflight_id, watchers.c.inflight_at).where(watchers.c.name == watch.name)).first()
        if seen is not None and seen.inflight_id is None and _nothing_new(connection, watch, seen.after_seq):
            return Delivery()  # the usual answer, without a write transaction
    done = seen is not None and seen.inflight_id is not None and recorded(seen.inflight_id, seen.inflight_at)
    with database.write() as connection:
        watcher = _watcher(connection, database, watch)
        if watcher is None:
            return Delivery(wait=True)  # another trigger is being answered for this asset right now
        now = connection.execute(sa.select(database.now())).scalar()
        after = watcher.after_seq
        if watcher.inflight_id is not None:
            if done and watcher.inflight_id == seen.inflight_id:
                after = watcher.inflight_seq
            elif now - watcher.inflight_at < REDELIVER_SECONDS:
                return Delivery(wait=True)  # handed out moments ago: Airflow is storing its event
            else:
                connection.execute(sa.update(watchers).where(watchers.c.name == watch.name).values(inflight_at=now, inflight_owner=watch.owner))
                return _message(connection, watcher.inflight_id) or Delivery(id=watcher.inflight_id)
        row, scanned = _next_match(connection, watch, after)
        values: dict[str, Any] = {"after_seq": scanned, "inflight_id": None, "inflight_seq": None, "inflight_at": None, "inflight_owner": None}
        if row is not None:
            values.update(after_seq=after, inflight_id=row.id, inflight_seq=row.seq, inflight_at=now, inflight_owner=watch.owner)
        connection.execute(sa.update(watchers).where(watchers.c.name == watch.name).values(**values))
        return Delivery() if row is None else Delivery(id=row.id, received_at=row.received_at, body=row.body)
