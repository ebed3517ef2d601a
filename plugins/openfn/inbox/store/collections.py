"""Every SQL statement on collections (schema.py: ``openfn_collection``, ``openfn_collection_item``).

A collection belongs to one project; its name is unique in that project. Items are paged in ``id`` order
(the order they were first written), a page continuing after the last ``id`` it returned. A key pattern
is Lightning's: ``*`` matches any run of characters, everything else matches itself (PostgreSQL: ``LIKE``
on the ``C``-collated key with ``%``, ``_`` and ``\\`` escaped; SQLite: ``GLOB``, case-sensitive as keys
are, with its own special characters bracketed). Both use the key index for a fixed prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from openfn.inbox.store.database import Database
from openfn.inbox.store.schema import collection_items as items
from openfn.inbox.store.schema import collections

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def timestamp(moment: datetime | None = None) -> str:
    """A moment as stored: ISO 8601 UTC with microseconds, always 27 characters."""
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


@dataclass(frozen=True)
class Collection:
    id: int
    project: str
    name: str
    created_at: str
    declared: bool = False


@dataclass(frozen=True)
class Filters:
    """What a read or delete is limited to: a key pattern and the item's creation and update times."""

    pattern: str | None = None
    created_after: str | None = None
    created_before: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None


def _row(row) -> Collection:
    return Collection(int(row.id), row.project, row.name, row.created_at, bool(row.declared))


def find(database: Database, project: str, name: str) -> Collection | None:
    query = sa.select(collections).where(collections.c.project == project, collections.c.name == name)
    with database.read() as connection:
        row = connection.execute(query).first()
    return _row(row) if row else None


def ensure(database: Database, project: str, names: Iterable[str], *, declared: bool = False) -> list[Collection]:
    """Create the collections that do not exist yet (concurrent callers: one insert wins), return them all."""
    names = list(dict.fromkeys(names))
    if not names:
        return []
    insert = postgresql.insert if database.dialect == "postgresql" else sqlite.insert
    now = timestamp()
    with database.write() as connection:
        for name in names:
            values = {"project": project, "name": name, "created_at": now, "declared": declared}
            connection.execute(insert(collections).values(**values).on_conflict_do_nothing(index_elements=["project", "name"]))
            if declared:
                connection.execute(sa.update(collections).where(collections.c.project == project, collections.c.name == name).values(declared=True))
        rows = connection.execute(sa.select(collections).where(collections.c.project == project, collections.c.name.in_(names))).all()
    return sorted((_row(row) for row in rows), key=lambda c: names.index(c.name))


def listing(database: Database, projects: frozenset[str] | None) -> list[dict]:
    """Every collection of ``projects`` (None: of every project) with its item count and size in bytes."""
    if database.is_sqlite:
        octets = [sa.func.length(sa.cast(column, sa.LargeBinary)) for column in (items.c.key, items.c.value)]
    else:
        octets = [sa.func.octet_length(column) for column in (items.c.key, items.c.value)]
    size = sa.func.coalesce(sa.func.sum(octets[0] + octets[1]), 0)
    query = (
        sa.select(collections, sa.func.count(items.c.id).label("items"), size.label("bytes"))
        .select_from(collections.outerjoin(items, items.c.collection_id == collections.c.id))
        .group_by(*collections.c)
        .order_by(collections.c.project, collections.c.name)
    )
    if projects is not None:
        query = query.where(collections.c.project.in_(sorted(projects)))
    with database.read() as connection:
        rows = connection.execute(query).all()
    return [{**_row(row).__dict__, "items": int(row.items), "bytes": int(row.bytes)} for row in rows]


def drop(database: Database, collection: Collection) -> int:
    """Delete the collection and every item in it; the number of items deleted."""
    with database.write() as connection:
        count = connection.execute(sa.delete(items).where(items.c.collection_id == collection.id)).rowcount
        connection.execute(sa.delete(collections).where(collections.c.id == collection.id))
    return int(count or 0)


def get_item(database: Database, collection: Collection, key: str):
    """The row (key, value, created_at, updated_at) of ``key``, or None."""
    query = sa.select(items.c.key, items.c.value, items.c.created_at, items.c.updated_at).where(
        items.c.collection_id == collection.id, items.c.key == key
    )
    with database.read() as connection:
        return connection.execute(query).first()


MISSING_COLLECTION = object()  # find_item's answer when the project has no collection of that name


def find_item(database: Database, project: str, name: str, key: str):
    """``get_item`` of the project's collection ``name`` in one query (the API's most frequent call): the
    row, None when the collection holds no such key, or ``MISSING_COLLECTION``."""
    query = (
        sa.select(collections.c.id, items.c.key, items.c.value, items.c.created_at, items.c.updated_at)
        .select_from(collections.outerjoin(items, sa.and_(items.c.collection_id == collections.c.id, items.c.key == key)))
        .where(collections.c.project == project, collections.c.name == name)
    )
    with database.read() as connection:
        row = connection.execute(query).first()
    if row is None:
        return MISSING_COLLECTION
    return row if row.key is not None else None


def put_items(database: Database, collection: Collection, pairs: Sequence[tuple[str, str]]) -> int:
    """Insert or replace every (key, value) in one transaction: all are written, or none."""
    if not pairs:
        return 0
    now = timestamp()
    insert = postgresql.insert if database.dialect == "postgresql" else sqlite.insert
    rows = [{"collection_id": collection.id, "key": key, "value": value, "created_at": now, "updated_at": now} for key, value in pairs]
    chunk = 500 if database.is_sqlite else 1000  # one multi-row INSERT each (SQLite: at most 32,766 parameters)
    with database.write() as connection:
        for start in range(0, len(rows), chunk):
            statement = insert(items).values(rows[start : start + chunk])
            statement = statement.on_conflict_do_update(
                index_elements=["collection_id", "key"], set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at}
            )
            connection.execute(statement)
    return len(rows)


def _glob_escape(text: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[]" else ch for ch in text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(database: Database, collection: Collection, filters: Filters) -> list:
    clauses = [items.c.collection_id == collection.id]
    pattern = filters.pattern
    if pattern is not None and pattern != "*":
        if "*" not in pattern:
            clauses.append(items.c.key == pattern)
        elif database.is_sqlite:
            clauses.append(items.c.key.op("GLOB")("*".join(_glob_escape(part) for part in pattern.split("*"))))
        else:
            clauses.append(items.c.key.like("%".join(_like_escape(part) for part in pattern.split("*")), escape="\\"))
    for column, after, before in ((items.c.created_at, filters.created_after, filters.created_before),
                                  (items.c.updated_at, filters.updated_after, filters.updated_before)):  # fmt: skip
        if after is not None:
            clauses.append(column >= after)
        if before is not None:
            clauses.append(column < before)
    return clauses


def page(database: Database, collection: Collection, filters: Filters, *, after_id: int | None, limit: int) -> list:
    """Up to ``limit`` rows (id, key, value, created_at, updated_at) after ``after_id``, in id order."""
    clauses = _where(database, collection, filters)
    if after_id is not None:
        clauses.append(items.c.id > after_id)
    query = (
        sa.select(items.c.id, items.c.key, items.c.value, items.c.created_at, items.c.updated_at)
        .where(*clauses)
        .order_by(items.c.id)
        .limit(limit)
    )
    with database.read() as connection:
        return connection.execute(query).all()


def delete_key(database: Database, collection: Collection, key: str) -> bool:
    with database.write() as connection:
        result = connection.execute(sa.delete(items).where(items.c.collection_id == collection.id, items.c.key == key))
    return bool(result.rowcount)


def delete_matching(database: Database, collection: Collection, filters: Filters) -> int:
    """Delete every item the filters select, in one transaction; how many."""
    with database.write() as connection:
        result = connection.execute(sa.delete(items).where(*_where(database, collection, filters)))
    return int(result.rowcount or 0)


def run_is_active(database: Database, dag_id: str, run_id: str) -> bool:
    """Whether Airflow's DAG run is queued or running (a run's collections token works only then)."""
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    query = sa.select(table.c.state).where(table.c.dag_id == dag_id, table.c.run_id == run_id)
    with database.read() as connection:
        state = connection.execute(query).scalar()
    return str(state) in ("queued", "running", "DagRunState.QUEUED", "DagRunState.RUNNING")
