"""Group commit: messages of concurrent requests share a transaction, and each is still all-or-nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from openfn.runs import message_run_id, new_message_id
from openfn.inbox.store.schema import messages, runs
from openfn.inbox.store.messages import NewMessage, PlannedRun, Replay
from openfn.inbox.workers.writer import GroupWriter

import pytest


def _message(message_id: str | None = None, key: str | None = None) -> NewMessage:
    message_id = message_id or new_message_id()
    run = PlannedRun("referral", "clinic.referral", message_run_id(message_id, "referral", 1))
    return NewMessage(message_id, "clinic", "2024-05-01T12:00:00+00:00", {}, '{"form": "case_referral"}', key, (run,))


def test_a_failing_message_fails_alone_and_the_others_of_its_batch_are_stored(any_inbox):
    database = any_inbox.runtime.database
    taken = _message()
    writer = GroupWriter(database)
    assert writer.submit(taken, "{}").result(30) is None
    batch = [_message(), _message(taken.id), _message()]  # the middle one reuses a stored message id
    futures = [writer.submit(message, "{}") for message in batch]
    assert futures[0].result(30) is None and futures[2].result(30) is None
    with pytest.raises(IntegrityError):
        futures[1].result(30)
    writer.stop()
    with database.read() as connection:
        stored = set(connection.execute(sa.select(messages.c.id)).scalars())
        run_messages = sorted(connection.execute(sa.select(runs.c.message_id)).scalars())
    assert stored == {taken.id, batch[0].id, batch[2].id}
    assert run_messages == sorted([taken.id, batch[0].id, batch[2].id])


def test_the_same_idempotency_key_twice_in_one_batch_stores_the_first_only(any_inbox):
    database = any_inbox.runtime.database
    writer = GroupWriter(database)
    first, second = _message(key="k"), _message(key="k")
    futures = [writer.submit(first, "FIRST"), writer.submit(second, "SECOND")]
    assert [future.result(30) for future in futures] == [None, Replay("FIRST", None)]
    writer.stop()
    with database.read() as connection:
        assert list(connection.execute(sa.select(messages.c.id)).scalars()) == [first.id]


def test_a_writer_waiting_for_the_write_lock_counts_as_busy_so_the_dispatcher_yields(inbox):
    import time

    database = inbox.runtime.database
    writer = GroupWriter(database)
    writer.start()
    assert not writer.busy(within=0)
    with database.write():  # another writer (the dispatcher's batch) holds the lock
        future = writer.submit(_message(), "{}")
        deadline = time.monotonic() + 10
        while not writer._storing and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert not future.done() and writer.busy(within=0)  # nothing stored lately, yet senders wait
    assert future.result(30) is None
    assert not writer.busy(within=0)
    writer.stop()
