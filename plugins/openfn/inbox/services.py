"""The inbox's service container: the per-process state every route and worker shares (projects, tokens,
sender secrets, the database, the dispatcher, the writer, retention and the requests waiting for their
run's result).

It is the composition root of the inbox's packages (intake, store, workers), so it lives beside ``app.py``
rather than in one of them. Routes receive it with ``services_of(request)`` (plain Starlette routes) or as
the FastAPI dependency ``Services``.

Created by the FastAPI app on first use (plugins are imported by every Airflow process, so nothing here
may touch the database or start a thread at import). The dispatcher starts with the api-server (the app's
lifespan) or, failing that, with the first request. Starting also warms up what the first message would
otherwise wait for (projects and their filter index, tokens, the writer thread), so that once
``GET /openfn/ready`` answers 200 a load balancer may send this api-server messages at full speed.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from openfn.inbox.catalog import Catalog
from openfn.inbox.intake.guard import BodySlots, FailureLimiter
from openfn.inbox.intake.senders import HeaderPolicy, SecretCache
from openfn.inbox.store.database import Database, get_database
from openfn.inbox.store.run_secret import ensure_secret
from openfn.inbox.store.schema import ensure_schema
from openfn.inbox.store.tokens import TokenTable, ensure_watch_token
from openfn.inbox.workers.dispatcher import Dispatcher
from openfn.inbox.workers.replies import ReplyWatcher
from openfn.inbox.workers.retention import RetentionSweeper
from openfn.inbox.workers.writer import GroupWriter
from openfn.settings import (
    InboxSettings,
    ProtectionSettings,
    Settings,
    get_inbox_settings,
    get_protection_settings,
    get_settings,
)

log = logging.getLogger("openfn.inbox")


class InFlight:
    """A count that several threads (each an event loop: tests, several server threads) change safely."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def add(self, change: int) -> None:
        with self._lock:
            self._count += change

    def __bool__(self) -> bool:
        return self._count > 0

    def __int__(self) -> int:
        return self._count


class InboxServices:
    def __init__(
        self,
        *,
        settings: Settings | None = None,
        inbox_settings: InboxSettings | None = None,
        database: Database | None = None,
        protection: ProtectionSettings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.inbox_settings = inbox_settings or get_inbox_settings()
        self.protection = protection or get_protection_settings()
        self.header_policy = HeaderPolicy(self.protection.drop_headers, self.protection.keep_headers)
        self.limiter = FailureLimiter(self.protection.auth_failures_per_minute)
        self.body_slots = BodySlots(self.protection.max_large_bodies)
        self.catalog = Catalog(self.settings.jobs_dir)
        self.tokens = TokenTable()
        self.secrets = SecretCache()
        self._database = database
        self._dispatcher: Dispatcher | None = None
        self._writer: GroupWriter | None = None
        self._retention: RetentionSweeper | None = None
        self._replies: ReplyWatcher | None = None
        self._lock = threading.Lock()
        self.started = False
        self.intake_in_flight = InFlight()  # inbox requests between arrival and their message stored

    @property
    def database(self) -> Database:
        database = self._database or get_database()
        ensure_schema(database)
        return database

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            with self._lock:
                if self._dispatcher is None:
                    self._dispatcher = Dispatcher(
                        self.database,
                        batch_size=self.inbox_settings.dispatch_batch_size or None,
                        sweep_seconds=self.inbox_settings.dispatch_sweep_seconds,
                        intake_busy=self.intake_busy,
                        run_after_lead=self.inbox_settings.run_after_lead_seconds,
                        max_queued_runs=self.inbox_settings.max_queued_runs,
                    )
        return self._dispatcher

    def intake_busy(self) -> bool:
        """Whether senders are being answered: requests in flight, or messages stored a moment ago. The
        dispatcher then creates one run at a time and pauses: its DAG runs cost CPU under the interpreter
        lock that the inbox's event loop needs for every step of every request."""
        return bool(self.intake_in_flight) or (self._writer is not None and self._writer.busy())

    @property
    def writer(self) -> GroupWriter:
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = GroupWriter(self.database, on_commit=self.wake_dispatcher)
        return self._writer

    def start(self) -> None:
        """Create the tables and start the dispatcher (if this api-server runs one). Errors are logged,
        not raised: the next request tries again, and the api-server keeps serving Airflow meanwhile."""
        try:
            self.database  # noqa: B018 - creates the tables on first use
            if self.inbox_settings.dispatcher:
                self.dispatcher.start()
            self.retention.start()
            ensure_watch_token()  # before any trigger asks: a trigger reading a missing Variable waits long for it
            self._warm_up()
            self.started = True
        except Exception:
            log.exception("The OpenFn inbox could not start; the next inbox request retries")

    def _warm_up(self) -> None:
        snapshot = self.catalog.snapshot()  # parses the projects, builds their filter indexes
        self.tokens.tokens(snapshot.projects)  # reads (or generates) every inbox token
        self.declare_collections(snapshot)
        ensure_secret()  # tasks sign their collections tokens with it: it must exist before the first run
        self.writer.start()

    def declare_collections(self, snapshot=None) -> None:
        """Create the collections the project files declare (``collections:``) that do not exist yet."""
        from openfn.inbox.store.collections import ensure

        for name, found in (snapshot or self.catalog.snapshot()).projects.items():
            if found.project.collections:
                ensure(self.database, name, found.project.collections, declared=True)

    def ensure_started(self) -> None:
        if not self.started or (self.inbox_settings.dispatcher and not self.dispatcher.running):
            self.start()

    @property
    def retention(self) -> RetentionSweeper:
        if self._retention is None:
            with self._lock:
                if self._retention is None:
                    self._retention = RetentionSweeper(
                        self.database, self.catalog, default_days=self.protection.retention_days,
                        batch_size=self.protection.retention_batch_size, interval=self.protection.retention_sweep_seconds,
                    )  # fmt: skip
        return self._retention

    @property
    def replies(self) -> ReplyWatcher:
        """Requests waiting for their run's result (one thread, started by the first of them)."""
        if self._replies is None:
            with self._lock:
                if self._replies is None:
                    self._replies = ReplyWatcher(self.database, self.catalog, poll_seconds=self.inbox_settings.reply_poll_seconds)
        return self._replies

    @property
    def waiting_replies(self) -> int:
        """Requests this process holds until their run's result is there."""
        return self._replies.waiting if self._replies is not None else 0

    def wake_dispatcher(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def stop(self) -> None:
        if self._writer is not None:
            self._writer.stop()
        if self._dispatcher is not None:
            self._dispatcher.stop()
        if self._retention is not None:
            self._retention.stop()
        if self._replies is not None:
            self._replies.stop()
        self.started = False


def services_of(request: Request) -> InboxServices:
    """The app's container (created on first use: see app.py)."""
    return request.app.state.openfn_services()


# A route parameter ``services: Services`` receives the container (FastAPI dependency).
Services = Annotated[InboxServices, Depends(services_of)]
