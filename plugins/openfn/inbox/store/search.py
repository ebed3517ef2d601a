"""Finding stored messages: newest first, by project, and by ``q``.

``q`` is either a JSON filter (an object or array: messages whose body contains it, as ``@>`` defines; on
PostgreSQL that is SQL ``body @> q`` on the GIN index) or text (a message id, or a case-insensitive
substring of the body).

``Query.projects`` restricts every query to the projects a user may read (see api/access.py). The body
conditions are then guarded (``CASE WHEN project IN (...) THEN <body condition> END``), so the database
never compares a hidden message's body with the search, and how long a search takes says nothing about
what hidden messages hold. (On PostgreSQL that also means a restricted user's JSON search does not use the
GIN index, which answers for all projects at once: it scans that user's projects' messages instead.)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.bodies.filter_shape import Shape
from openfn.inbox.bodies.json_parsing import read_stored
from openfn.inbox.store.database import Database
from openfn.inbox.store.schema import messages
from openfn.matching import contains, parse_filter
from openfn.settings import LARGE_BODY_BYTES

CHUNK = 200


@dataclass(frozen=True)
class Query:
    project: str | None = None
    text: str | None = None
    fragment: Any = None  # a parsed JSON filter, or None
    fragment_text: str | None = None
    projects: frozenset[str] | None = None  # the projects the user may read; None: every project

    @classmethod
    def from_q(cls, project: str | None, q: str | None, projects: frozenset[str] | None = None) -> Query:
        q = (q or "").strip()
        if q[:1] in ("{", "["):
            try:
                return cls(project=project, fragment=parse_filter(q), fragment_text=q, projects=projects)
            except ValueError:
                pass  # not JSON after all: search it as text
        return cls(project=project, text=q or None, projects=projects)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def visible(projects: frozenset[str] | None) -> sa.ColumnElement | None:
    """The condition that keeps the messages of ``projects`` (None: no condition)."""
    if projects is None:
        return None
    return messages.c.project.in_(sorted(projects)) if projects else sa.false()


def _guarded(condition: sa.ColumnElement, allowed: sa.ColumnElement | None) -> sa.ColumnElement:
    if allowed is None:
        return condition
    return sa.and_(allowed, sa.case((allowed, condition), else_=sa.false()))


def _where(database: Database, query: Query) -> list:
    allowed = visible(query.projects)
    conditions = [] if allowed is None else [allowed]
    if query.project:
        conditions.append(messages.c.project == query.project)
    body_text = sa.cast(messages.c.body, sa.Text)
    if query.text:
        if database.dialect == "postgresql":
            match = body_text.ilike(_like(query.text), escape="\\")
        else:
            match = body_text.like(_like(query.text), escape="\\")  # SQLite LIKE ignores ASCII case
        conditions.append(_guarded(sa.or_(messages.c.id == query.text, match), allowed))
    if query.fragment is not None and database.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        fragment = sa.cast(sa.literal(query.fragment_text, sa.Text), JSONB)
        conditions.append(_guarded(messages.c.body.op("@>", return_type=sa.Boolean)(fragment), allowed))
    return conditions


class Scan:
    """Matching message rows, newest first, reading at most ``max_rows`` rows; ``more`` tells whether the
    table may hold further matches after the last row read."""

    def __init__(self, connection: Connection, database: Database, query: Query, *, before_seq: int | None, max_rows: int,
                 large_bytes: int = LARGE_BODY_BYTES) -> None:
        self._connection = connection
        self._conditions = _where(database, query)
        self._fragment = query.fragment if database.dialect != "postgresql" else None
        self._shape = Shape.of([self._fragment]) if self._fragment is not None else None
        self._large_bytes = large_bytes
        self._before = before_seq
        self.max_rows = max_rows
        self.read = 0
        self.more = True
        self.last_id: str | None = None

    def __iter__(self) -> Iterator[sa.Row]:
        python_filter = self._fragment is not None
        while self.read < self.max_rows:
            statement = (
                sa.select(messages.c.seq, messages.c.id, messages.c.project, messages.c.received_at,
                          sa.cast(messages.c.body, sa.Text).label("body") if python_filter else sa.null().label("body"))
                .where(*self._conditions, *([messages.c.seq < self._before] if self._before is not None else []))
                .order_by(messages.c.seq.desc())
                .limit(min(CHUNK, self.max_rows - self.read))
            )  # fmt: skip
            rows = self._connection.execute(statement).all()
            self.read += len(rows)
            if len(rows) < min(CHUNK, self.max_rows - self.read + len(rows)):
                self.more = False
            for row in rows:
                self._before = row.seq
                self.last_id = row.id
                if python_filter and not contains(read_stored(row.body, shape=self._shape, large_bytes=self._large_bytes), self._fragment):
                    continue
                yield row
            if not self.more:
                return


def _only(projects: frozenset[str] | None) -> list:
    allowed = visible(projects)
    return [] if allowed is None else [allowed]


def message_row(connection: Connection, message_id: str, projects: frozenset[str] | None = None) -> sa.Row | None:
    """The message, if it exists and belongs to one of ``projects`` (None: any project)."""
    return connection.execute(
        sa.select(messages.c.seq, messages.c.id, messages.c.project, messages.c.received_at, messages.c.headers,
                  sa.cast(messages.c.body, sa.Text).label("body"), messages.c.erased_at, messages.c.erased_by, messages.c.trigger,
                  messages.c.erase_open, messages.c.erased_logs)
        .where(messages.c.id == message_id, *_only(projects))
    ).first()  # fmt: skip


def seq_of(connection: Connection, message_id: str, projects: frozenset[str] | None = None) -> int | None:
    return connection.execute(sa.select(messages.c.seq).where(messages.c.id == message_id, *_only(projects))).scalar()


def iso(moment: datetime.datetime) -> str:
    """``received_at``'s format (``naming.utc_now_iso``), so that strings compare like times."""
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


def first_seq_from(connection: Connection, moment: datetime.datetime) -> int | None:
    """The smallest ``seq`` of a message received at or after ``moment``; None if there is none."""
    bound = iso(moment)
    # two statements: SQLite answers a lone min() or max() from the index, but scans for both in one
    low = connection.execute(sa.select(sa.func.min(messages.c.seq))).scalar()
    high = connection.execute(sa.select(sa.func.max(messages.c.seq))).scalar()
    if high is None:
        return None
    answer = None
    while low <= high:
        middle = (low + high) // 2
        row = connection.execute(
            sa.select(messages.c.seq, messages.c.received_at).where(messages.c.seq >= middle).order_by(messages.c.seq).limit(1)
        ).first()
        if row is None or row.seq > high:
            high = middle - 1
        elif row.received_at >= bound:
            answer, high = row.seq, middle - 1
        else:
            low = row.seq + 1
    return answer
