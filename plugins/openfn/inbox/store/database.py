"""The plugin's own connection pool to Airflow's metadata database, and how it writes there.

The inbox writes through its own engine (same URL, same ``airflow_local_settings`` hooks as Airflow's)
so that it controls transactions without changing Airflow's engine:

* SQLite: every plugin write takes a process lock and an ``flock`` on a file next to the database, then
  ``BEGIN IMMEDIATE``, so plugin writers queue up instead of polling SQLite's busy handler, and each
  transaction is short; Airflow's own components then wait milliseconds, never seconds, for the lock.
* PostgreSQL: plain READ COMMITTED transactions; the dispatcher's row locks do the coordination.

Bodies are inserted as raw JSON text (``RawJson``) so that numbers stay exactly as the sender wrote them;
inside a larger JSON value (a DAG run's conf) a body is a ``RawValue``, spliced in as it is, never parsed.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

WRITE = "openfn_write"
# The database's clock, as Unix seconds: one clock for every api-server (the 10-second rule needs one).
_NOW = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)",
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
}


class RawJson(str):
    """JSON text that is stored as-is (a jsonb column on PostgreSQL parses it, keeping exact numbers)."""


class RawValue:
    """JSON text to be written, as it is, where this object sits inside a value being serialized."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _json_serializer(value: Any) -> str:
    if isinstance(value, RawJson):
        return value
    spliced: dict[str, str] = {}

    def raw(item: Any) -> str:
        if not isinstance(item, RawValue):
            raise TypeError(f"Object of type {type(item).__name__} is not JSON serializable")
        placeholder = f"@@openfn-raw-{secrets.token_hex(12)}@@"
        spliced[json.dumps(placeholder)] = item.text
        return placeholder

    text = json.dumps(value, default=raw)
    for placeholder, inner in spliced.items():
        text = text.replace(placeholder, inner, 1)
    return text


def _sqlite_events(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would begin lazily and DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")  # as on Airflow's engine: its deletes cascade
        cursor.execute("PRAGMA journal_mode=WAL")  # as on Airflow's engine: readers never block writers
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """One metadata database as the plugin uses it: ``write()`` / ``read()`` connections, ORM sessions."""

    def __init__(self, url: str | sa.URL, *, pool_size: int = 10) -> None:
        url = sa.make_url(url)
        self.dialect = url.get_backend_name()
        if self.dialect not in _NOW:
            raise ValueError(f"the inbox supports SQLite and PostgreSQL metadata databases, not {self.dialect}")
        self.engine = _create_engine(url, self.dialect, pool_size)
        self._writer = self.engine.execution_options(**{WRITE: True})
        self._thread_lock = threading.Lock()
        self._lock_file = f"{url.database}.openfn.lock" if self.dialect == "sqlite" else None
        self._lock_fd: int | None = None
        self.pid = os.getpid()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def now(self) -> sa.ColumnElement[float]:
        """The database clock in Unix seconds, as an SQL expression."""
        return sa.literal_column(_NOW[self.dialect], sa.Float)

    @contextmanager
    def _serialised(self) -> Iterator[None]:
        if not self.is_sqlite:
            yield
            return
        with self._thread_lock:
            if self._lock_fd is None:
                self._lock_fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed on exit (serialised with every other plugin writer on SQLite)."""
        with self._serialised(), self._writer.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM write session (Airflow's models), committed on exit."""
        with self._serialised(), Session(bind=self._writer, expire_on_commit=False) as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _create_engine(url: sa.URL, dialect: str, pool_size: int) -> Engine:
    from airflow.settings import create_metadata_engine

    engine_args: dict[str, Any] = {"json_serializer": _json_serializer, "pool_pre_ping": True}
    connect_args: dict[str, Any] = {}
    if dialect == "sqlite":
        connect_args = {"check_same_thread": False, "timeout": 30}
    else:
        engine_args.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
        from airflow.configuration import conf

        if conf.has_option("database", "sql_alchemy_connect_args"):
            connect_args = dict(conf.getimport("database", "sql_alchemy_connect_args"))
    engine = create_metadata_engine(url.render_as_string(hide_password=False), engine_args=engine_args, connect_args=connect_args)
    if dialect == "sqlite":
        _sqlite_events(engine)
    return engine


_lock = threading.Lock()
_instances: dict[int, Database] = {}


def get_database() -> Database:
    """This process's Database for Airflow's metadata database (created on first use, never at import)."""
    pid = os.getpid()
    database = _instances.get(pid)
    if database is None:
        with _lock:
            database = _instances.get(pid)
            if database is None:
                from airflow import settings

                database = _instances[pid] = Database(settings.SQL_ALCHEMY_CONN)
    return database


def set_database(database: Database | None) -> None:
    """Point this process at another database (tests and benchmarks)."""
    with _lock:
        _instances.clear()
        if database is not None:
            _instances[os.getpid()] = database

