"""The one base of the inbox's background threads (writer, dispatcher, reply watcher, retention).

Each api-server process runs them as daemon threads: plugins are imported by every Airflow process, so a
worker never starts at import, only when the services container starts it (the app's lifespan, or the
first request when the host app does not run the lifespan). A worker says what one round of its work is
(``tick``); this base owns the thread around it: start (idempotent, safe from many request threads at
once), stop (join with a timeout), wake (cut the current pause short), and the error policy (a failed
round is logged with the traceback and retried after a pause; the thread never dies of it).
"""

from __future__ import annotations

import logging
import threading


class BackgroundLoop:
    """A daemon thread that calls ``tick()`` until stopped.

    ``tick`` returns how many seconds to pause before the next round (None: go on at once); ``wake()`` ends
    the pause early. When a round raises, ``failure_message`` is logged (with ``retry_seconds`` as its
    argument when it has a ``%``) and the next round comes after ``retry_seconds``; ``retry_on_wake`` says
    whether ``wake()`` also ends that pause.
    """

    thread_name = "openfn-worker"
    failure_message = "A background round failed; retrying in %s s"
    retry_on_wake = True
    log = logging.getLogger("openfn.inbox")

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def retry_seconds(self) -> float:
        return 1.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start the thread unless it runs; returns whether this call started it."""
        if self.running:
            return False
        with self._start_lock:
            if self.running:
                return False
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
            return True

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop after its current round and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def tick(self) -> float | None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self.tick()
            except Exception:
                if "%" in self.failure_message:
                    self.log.exception(self.failure_message, self.retry_seconds)
                else:
                    self.log.exception(self.failure_message)
                (self._wake if self.retry_on_wake else self._stop).wait(self.retry_seconds)
                continue
            if pause:
                self._wake.wait(pause)
                self._wake.clear()  # one wake, one early round (not a spin until the next clear)
