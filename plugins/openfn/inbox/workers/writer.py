"""Group commit: the messages of concurrent requests are stored in one transaction.

Each request hands its planned message to this process's writer thread and waits for the commit. The
thread takes everything queued (up to ``max_batch``), stores it with multi-row inserts, commits once, and
then answers every waiting request. Under load this turns six database round trips per message into a
handful per batch, without delaying a lone request (it is committed as soon as it arrives). If a batch
fails, each of its messages is retried in a transaction of its own, so one bad message never fails others.
"""

from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import Future

from openfn.inbox.store.database import Database
from openfn.inbox.store.messages import NewMessage, store_messages
from openfn.inbox.workers.loop import BackgroundLoop

log = logging.getLogger("openfn.inbox.writer")


class GroupWriter(BackgroundLoop):
    thread_name = "openfn-inbox-writer"
    failure_message = "Storing a batch of inbox messages failed"
    log = log

    def __init__(self, database: Database, *, max_batch: int = 200, max_batch_bytes: int = 16 * 1024 * 1024, on_commit=None) -> None:
        super().__init__()
        self.database = database
        self.max_batch = max_batch
        self.max_batch_bytes = max_batch_bytes  # large bodies: a few per transaction, not hundreds
        self.on_commit = on_commit  # called after each commit that stored runs (wakes the dispatcher)
        self._queue: queue.SimpleQueue[tuple[NewMessage, str, Future] | None] = queue.SimpleQueue()
        self.last_commit = 0.0  # time.monotonic() of the last batch
        self._storing = False  # a batch is being stored (perhaps waiting for the database's write lock)

    def busy(self, within: float = 0.5) -> bool:
        """Whether messages are arriving (the dispatcher then yields): stored in the last ``within`` seconds,
        being stored, or waiting to be. The last two matter most on SQLite: a writer waiting for the lock the
        dispatcher holds has stored nothing lately, yet its senders wait."""
        return self._storing or not self._queue.empty() or time.monotonic() - self.last_commit < within

    def submit(self, message: NewMessage, reply_text: str) -> Future:
        """Queue a message; the future resolves to None (stored) or, when its Idempotency-Key was used
        before, what the key stands for (``store.messages.Replay``: the first reply, the first request's digest).
        The first call starts the writer thread (``start`` does it ahead of traffic)."""
        self.start()
        future: Future = Future()
        self._queue.put((message, reply_text, future))
        return future

    def stop(self, timeout: float = 10.0) -> None:
        """Store what was submitted before this call, then end the thread (it waits on its queue, not on
        the wake event, so the stop request is queued behind the messages)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def tick(self) -> None:
        """Take what is queued (at least one message: waits for it), store it in one transaction."""
        first = self._queue.get()
        if first is None:
            self._stop.set()  # stop() was called and everything before it is stored
            return None
        self._storing = True
        batch = [first]
        size = len(first[0].body_text)
        while len(batch) < self.max_batch and size < self.max_batch_bytes:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(item)
            size += len(item[0].body_text)
        try:
            self._commit(batch)
        finally:
            self.last_commit = time.monotonic()
            self._storing = False
        return None

    def _commit(self, batch: list) -> None:
        try:
            with self.database.write() as connection:
                results = store_messages(connection, self.database, [(m, r) for m, r, _ in batch])
        except BaseException as error:
            if len(batch) > 1:
                for item in batch:  # isolate the culprit; the others are stored one by one
                    self._commit([item])
                return
            log.exception("Cannot store a message for project %s", batch[0][0].project)
            batch[0][2].set_exception(error)
            return
        for (_message, _reply, future), result in zip(batch, results):
            future.set_result(result)
        if self.on_commit is not None and any(result is None and m.runs for (m, _, _), result in zip(batch, results)):
            self.on_commit()
