"""The inbox's per-process state: projects, tokens, sender secrets, the database and the dispatcher.

Created by the FastAPI app on first use (plugins are imported by every Airflow process, so nothing here
may touch the database or start a thread at import). The dispatcher starts with the api-server (the app's
lifespan) or, failing that, with the first request.
"""

from __future__ import annotations

import logging
import threading

from openfn.inbox.catalog import Catalog
from openfn.inbox.db import Database, get_database
from openfn.inbox.dispatcher import Dispatcher
from openfn.inbox.schema import ensure_schema
from openfn.inbox.senders import SecretCache
from openfn.inbox.tokens import TokenTable
from openfn.settings import InboxSettings, Settings, get_inbox_settings, get_settings

log = logging.getLogger("openfn.inbox")


class InboxRuntime:
    def __init__(
        self,
        *,
        settings: Settings | None = None,
        inbox_settings: InboxSettings | None = None,
        database: Database | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.inbox_settings = inbox_settings or get_inbox_settings()
        self.catalog = Catalog(self.settings.jobs_dir)
        self.tokens = TokenTable()
        self.secrets = SecretCache()
        self._database = database
        self._dispatcher: Dispatcher | None = None
        self._lock = threading.Lock()

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
                    )
        return self._dispatcher

    def start(self) -> None:
        """Start the dispatcher (if this api-server runs one); errors are logged, not raised: the next
        request tries again, and the api-server keeps serving Airflow meanwhile."""
        if not self.inbox_settings.dispatcher:
            return
        try:
            self.dispatcher.start()
        except Exception:
            log.exception("The OpenFn inbox dispatcher could not start; the next inbox request retries")

    def ensure_started(self) -> None:
        if self.inbox_settings.dispatcher and (self._dispatcher is None or not self._dispatcher.running):
            self.start()

    def wake_dispatcher(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def stop(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop()
