"""The background-loop base every inbox worker runs on: one thread however often it is started, a failed
round logged and retried (the thread survives it), wake ends a pause, stop ends the thread."""

from __future__ import annotations

import logging
import threading
import time

from openfn.inbox.workers.loop import BackgroundLoop


class Counting(BackgroundLoop):
    thread_name = "openfn-test-loop"
    failure_message = "Counting failed; retrying in %s s"

    def __init__(self, *, pause: float = 60.0, fail_first: int = 0) -> None:
        super().__init__()
        self.pause, self.fail_first = pause, fail_first
        self.rounds = 0
        self.ticked = threading.Event()

    @property
    def retry_seconds(self) -> float:
        return 0.01

    def tick(self) -> float:
        self.rounds += 1
        if self.rounds <= self.fail_first:
            raise RuntimeError(f"round {self.rounds} fails")
        self.ticked.set()
        return self.pause


def _threads(name: str) -> int:
    return sum(1 for thread in threading.enumerate() if thread.name == name)


def test_starting_many_times_from_many_threads_runs_one_thread():
    loop = Counting()
    starters = [threading.Thread(target=loop.start) for _ in range(8)]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    try:
        assert loop.ticked.wait(5)
        assert (_threads("openfn-test-loop"), loop.running, loop.start()) == (1, True, False)
    finally:
        loop.stop()
    assert (loop.running, _threads("openfn-test-loop")) == (False, 0)


def test_a_failed_round_is_logged_with_its_retry_and_the_thread_goes_on(caplog):
    loop = Counting(fail_first=2)
    with caplog.at_level(logging.ERROR, logger="openfn.inbox"):
        loop.start()
        try:
            assert loop.ticked.wait(5)
        finally:
            loop.stop()
    failures = [(record.getMessage(), str(record.exc_info[1])) for record in caplog.records]
    assert failures == [("Counting failed; retrying in 0.01 s", "round 1 fails"), ("Counting failed; retrying in 0.01 s", "round 2 fails")]
    assert loop.rounds == 3


def test_wake_ends_the_pause_and_stop_ends_the_thread_at_once():
    loop = Counting(pause=60.0)
    loop.start()
    try:
        assert loop.ticked.wait(5)
        loop.ticked.clear()
        loop.wake()
        assert loop.ticked.wait(5)
        assert loop.rounds == 2
    finally:
        started = time.monotonic()
        loop.stop()
    assert time.monotonic() - started < 5 and not loop.running


def test_a_stopped_loop_starts_again():
    loop = Counting()
    loop.start()
    assert loop.ticked.wait(5)
    loop.stop()
    loop.ticked.clear()
    assert loop.start() is True
    try:
        assert loop.ticked.wait(5)
    finally:
        loop.stop()
