"""The dispatcher turns pending runs into Airflow DAG runs: with the stored run id and the SPEC §7 conf,
never twice, nothing lost when a batch dies half-way, and on PostgreSQL never the same row in two
dispatchers. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from openfn.inbox.workers.dispatcher import Dispatcher
from openfn.inbox.store import dispatch_queries
from openfn.inbox.store.schema import runs
from tests.inbox.conftest import dag_runs

CASE = {"form": "case_referral", "case_id": "c-1", "amount": 12.5}


def _statuses(database) -> list[tuple]:
    with database.read() as connection:
        return connection.execute(sa.select(runs.c.job, runs.c.status, runs.c.attempts).order_by(runs.c.id)).all()


def test_pending_runs_become_dag_runs_with_their_run_id_and_conf(any_inbox):
    reply = any_inbox.post("clinic", CASE, headers={"X-Source": "commcare"})
    message_id = reply.json()["meta"]["message_id"]
    assert any_inbox.dispatch() == 2
    database = any_inbox.runtime.database
    created = {dag_id: (run_id, conf) for dag_id, run_id, conf in dag_runs(database) if dag_id.startswith("clinic.")}
    assert sorted(created) == ["clinic.payment", "clinic.referral"]
    for run in reply.json()["data"]:
        run_id, conf = created[run["dag_id"]]
        assert run_id == run["run_id"]
        assert conf["openfn"] == {"message_id": message_id, "project": "clinic", "trigger": "message"}
        assert conf["state"]["data"] == CASE
        assert conf["state"]["references"] == []
        request = conf["state"]["request"]
        assert request["message_id"] == message_id
        assert request["headers"]["x-source"] == "commcare"
        assert request["received_at"].endswith("+00:00")
    assert _statuses(database) == [("referral", "created", 0), ("payment", "created", 0)]


def test_a_run_id_that_already_exists_in_airflow_is_never_created_again(any_inbox):
    any_inbox.post("clinic", CASE)
    assert any_inbox.dispatch() == 2
    database = any_inbox.runtime.database
    with database.write() as connection:  # as if the mark had been lost: the rows are pending again
        connection.execute(sa.update(runs).values(status="pending"))
    assert any_inbox.dispatch() == 2
    assert len([r for r in dag_runs(database) if r.dag_id.startswith("clinic.")]) == 2
    assert [s[1] for s in _statuses(database)] == ["created", "created"]


def test_a_batch_that_dies_half_way_commits_nothing_and_the_next_one_does_it_all(any_inbox, monkeypatch):
    for case in range(3):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{case}"})
    dispatcher = any_inbox.runtime.dispatcher
    original = dispatch_queries.mark_run
    calls = []

    def crash_on_third(session, row_id, status, now, error=None):
        calls.append(row_id)
        if len(calls) == 3:
            raise KeyboardInterrupt("the api-server dies here")
        return original(session, row_id, status, now, error)

    monkeypatch.setattr(dispatch_queries, "mark_run", crash_on_third)
    with pytest.raises(KeyboardInterrupt, match="^the api-server dies here$"):
        dispatcher.dispatch_batch()
    database = any_inbox.runtime.database
    assert [r for r in dag_runs(database) if r.dag_id.startswith("clinic.")] == []
    assert {s[1] for s in _statuses(database)} == {"pending"}
    monkeypatch.setattr(dispatch_queries, "mark_run", original)
    assert any_inbox.dispatch() == 6
    run_ids = [r.run_id for r in dag_runs(database) if r.dag_id.startswith("clinic.")]
    assert len(run_ids) == 6 == len(set(run_ids))


def _insert_pending(database, message_id: str, dag_id: str, run_id: str) -> None:
    with database.write() as connection:
        connection.execute(sa.insert(runs).values(
            message_id=message_id, project="clinic", job=dag_id.split(".", 1)[1], dag_id=dag_id, run_id=run_id,
            source="message", status="pending", created_at=time.time(), next_attempt_at=0.0,
        ))  # fmt: skip


def test_a_dag_airflow_does_not_know_yet_is_retried_later(any_inbox):
    reply = any_inbox.post("clinic", CASE)
    message_id = reply.json()["meta"]["message_id"]
    database = any_inbox.runtime.database
    _insert_pending(database, message_id, "clinic.not-parsed-yet", f"message__{message_id}__0000000000000000")
    assert any_inbox.dispatch() == 2
    with database.read() as connection:
        row = connection.execute(sa.select(runs.c.status, runs.c.attempts, runs.c.error, runs.c.next_attempt_at, runs.c.created_at)
                                 .where(runs.c.dag_id == "clinic.not-parsed-yet")).one()  # fmt: skip
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.error == "DAG clinic.not-parsed-yet is not in Airflow's database (yet): is its project loaded?"
    assert row.next_attempt_at > row.created_at
    assert any_inbox.dispatch() == 0  # not due yet: no busy loop
    detail = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert {s["job"]: s["state"] for s in detail["job_states"]}["not-parsed-yet"] == "in progress"


def test_a_run_airflow_refuses_is_failed_with_the_reason_and_the_others_are_created(any_inbox):
    reply = any_inbox.post("clinic", CASE)
    message_id = reply.json()["meta"]["message_id"]
    database = any_inbox.runtime.database
    _insert_pending(database, message_id, "clinic.referral", "bad..run-id")
    assert any_inbox.dispatch() == 2
    with database.read() as connection:
        failed = connection.execute(sa.select(runs.c.status, runs.c.error).where(runs.c.run_id == "bad..run-id")).one()
    assert failed.status == "failed"
    assert failed.error == "ValueError: The run_id 'bad..run-id' must not contain '..' to prevent path traversal"
    detail = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert detail["dispatch_errors"] == [{"job": "referral", "run_id": "bad..run-id", "error": failed.error}]


def test_two_dispatchers_create_every_run_exactly_once(any_inbox):
    from openfn.inbox.store.database import Database

    for case in range(40):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{case}"})
    database = any_inbox.runtime.database
    others = [Database(database.engine.url) for _ in range(2)]
    dispatchers = [Dispatcher(other, batch_size=7) for other in others]
    created: list[int] = []
    start = threading.Barrier(len(dispatchers))

    def work(dispatcher):
        start.wait()
        created.append(dispatcher.drain())

    threads = [threading.Thread(target=work, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for other in others:
        other.dispose()
    assert sum(created) == 80
    run_ids = [r.run_id for r in dag_runs(database) if r.dag_id.startswith("clinic.")]
    assert len(run_ids) == 80 == len(set(run_ids))
    assert {s[1] for s in _statuses(database)} == {"created"}


def test_the_inbox_wakes_the_dispatcher_at_once(any_inbox):
    runtime = any_inbox.runtime
    dispatcher = Dispatcher(runtime.database, sweep_seconds=3600)  # no sweep: only the wake-up can do it
    runtime._dispatcher = dispatcher
    dispatcher.start()
    try:
        dispatcher.drain()
        reply = any_inbox.post("clinic", CASE)
        wanted = {run["run_id"] for run in reply.json()["data"]}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not wanted <= {r.run_id for r in dag_runs(runtime.database)}:
            time.sleep(0.05)
        assert wanted <= {r.run_id for r in dag_runs(runtime.database)}
    finally:
        dispatcher.stop()


def test_starting_sweeps_runs_left_pending(any_inbox):
    reply = any_inbox.post("clinic", CASE)
    wanted = {run["run_id"] for run in reply.json()["data"]}
    runtime = any_inbox.runtime
    dispatcher = Dispatcher(runtime.database, sweep_seconds=3600)
    dispatcher.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not wanted <= {r.run_id for r in dag_runs(runtime.database)}:
            time.sleep(0.05)
        assert wanted <= {r.run_id for r in dag_runs(runtime.database)}
    finally:
        dispatcher.stop()


def _conf_text(database, run_id: str) -> str:
    """The conf as Airflow's table holds it (text), to check what any reader of it will parse."""
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    with database.read() as connection:
        return connection.execute(sa.select(sa.cast(table.c.conf, sa.Text)).where(table.c.run_id == run_id)).scalar_one()


def test_the_body_goes_into_the_conf_as_stored_with_every_number_intact(any_inbox):
    import json
    from decimal import Decimal

    digits = "9" * 4300
    raw = '{"form": "case_referral", "amount": 1.10, "big": ' + digits + ', "tiny": 1e-300, "e": "\\u00e9"}'
    reply = any_inbox.post("clinic", content=raw.encode())
    assert reply.status_code == 202, reply.text
    any_inbox.dispatch()
    run_id = reply.json()["data"][0]["run_id"]
    conf = json.loads(_conf_text(any_inbox.runtime.database, run_id), parse_float=Decimal)  # what Airflow reads
    assert conf["state"]["data"] == {"form": "case_referral", "amount": Decimal("1.10"), "big": int(digits), "tiny": Decimal("1e-300"), "e": "é"}
    receipt = any_inbox.api("GET", f"/messages/{reply.json()['meta']['message_id']}").text
    assert digits in receipt


def test_a_stored_body_with_an_integer_airflow_cannot_read_fails_its_run_with_the_reason(any_inbox):
    from openfn.inbox.store.schema import messages

    reply = any_inbox.post("clinic", {**CASE, "big": 1})
    message_id = reply.json()["meta"]["message_id"]
    with any_inbox.runtime.database.write() as connection:  # as stored before the inbox refused such numbers
        stored = connection.execute(sa.select(sa.cast(messages.c.body, sa.Text)).where(messages.c.id == message_id)).scalar_one()
        from openfn.inbox.store.database import RawJson

        huge = stored.replace('"big": 1', '"big": ' + "7" * 5000).replace('"big":1', '"big":' + "7" * 5000)
        connection.execute(sa.update(messages).where(messages.c.id == message_id).values(body=RawJson(huge)))
    assert any_inbox.dispatch() == 0
    import json
    from decimal import Decimal

    receipt = json.loads(any_inbox.api("GET", f"/messages/{message_id}").text, parse_int=Decimal)  # as stored
    assert {error["error"].split(": ")[0] for error in receipt["dispatch_errors"]} == {"ValueError"}
    assert all("Airflow could not read this run's conf: The number 77777777777777777777...7777777777 is outside the range"
               in error["error"] for error in receipt["dispatch_errors"])  # fmt: skip
    reprocessed = any_inbox.api("POST", "/projects/clinic/reprocess", json={"ids": [message_id]})
    assert reprocessed.status_code == 202  # reading it back for matching does not fail
    assert any_inbox.api("GET", "/messages", params={"q": "case_referral"}).status_code == 200
    assert any_inbox.api("GET", "/messages", params={"q": '{"form": "case_referral"}'}).json()["messages"][0]["id"] == message_id


def test_a_batch_takes_runs_until_its_bodies_add_up_to_the_cap(any_inbox, monkeypatch):
    from openfn.inbox.workers import dispatcher as module
    monkeypatch.setattr(module, "MAX_BATCH_BYTES", 1)  # every body is over it: one message per batch
    for n in range(3):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{n}"})
    dispatcher = Dispatcher(any_inbox.runtime.database)
    taken = [dispatcher.dispatch_batch(10).taken for _ in range(4)]
    assert taken == [2, 2, 2, 0]  # two runs (referral, payment) of one message each time


def _created(database) -> list[tuple[str, ...]]:
    """The jobs whose runs exist in Airflow, by the dispatch round that created them (sorted within a round:
    one round's rows share a time)."""
    with database.read() as connection:
        rows = connection.execute(sa.select(runs.c.dispatched_at, runs.c.job).where(runs.c.status == "created").order_by(runs.c.dispatched_at)).all()
    rounds: dict[float, list[str]] = {}
    for at, job in rows:
        rounds.setdefault(at, []).append(job)
    return [tuple(sorted(jobs)) for jobs in rounds.values()]


def _post_waiting(any_inbox, n: int) -> None:
    """A message to a trigger that answers after completion; its sender gives up at once (wait=0) and gets the
    202, but the message stays one a sender waits for."""
    reply = any_inbox.post("sync", {"ask": "lookup", "n": n}, headers={"Prefer": "wait=0"})
    assert reply.status_code == 202, reply.text


def test_runs_a_sender_waits_for_are_dispatched_before_older_bulk_runs(any_inbox):
    for case in range(3):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{case}"})  # 6 bulk runs (referral, payment)
    _post_waiting(any_inbox, 1)  # lookup (waited for) and audit (bulk: matches every message, answers nothing)
    dispatcher = any_inbox.runtime.dispatcher
    result = dispatcher.dispatch_batch(2)
    assert (result.taken, result.created, result.held) == (2, 2, False)
    assert _created(any_inbox.runtime.database) == [("lookup", "referral")]  # the newest message's, and the oldest
    time.sleep(0.01)
    assert any_inbox.dispatch() == 6
    later = sorted(job for jobs in _created(any_inbox.runtime.database)[1:] for job in jobs)
    assert later == ["audit", "payment", "payment", "payment", "referral", "referral"]


def _queued(database) -> int:
    with database.session() as session:
        return dispatch_queries.queued_dag_runs(session)


def _start_queued(database) -> None:
    """What Airflow's scheduler does with queued runs: start them."""
    from airflow.models.dagrun import DagRun

    with database.write() as connection:
        table = DagRun.__table__  # only the fixture projects' runs: other tests' queued runs stay as they are
        mine = sa.or_(table.c.dag_id.startswith("clinic."), table.c.dag_id.startswith("sync."))
        connection.execute(sa.update(table).where(table.c.state == "queued", mine).values(state="running"))
    time.sleep(0.01)  # the next round has a time of its own


def test_bulk_runs_wait_for_room_in_airflows_queue_and_waiting_ones_never_do(any_inbox):
    database = any_inbox.runtime.database
    for case in range(4):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{case}"})  # 8 bulk runs
    dispatcher = Dispatcher(database, batch_size=20, max_queued_runs=_queued(database) + 3)
    assert dispatcher.drain() == 3
    assert dispatcher._held is True and dispatcher.tick() == Dispatcher.ADMISSION_RECHECK_SECONDS
    time.sleep(0.01)
    _post_waiting(any_inbox, 1)
    _post_waiting(any_inbox, 2)
    assert dispatcher.drain() == 2  # the two lookups, Airflow's queue full of bulk runs or not
    assert _created(database) == [("payment", "referral", "referral"), ("lookup", "lookup")]
    _start_queued(database)  # room for three more
    assert dispatcher.drain() == 3
    _start_queued(database)
    assert dispatcher.drain() == 3  # the last two bulk runs of clinic, then the first lookup's audit run
    _start_queued(database)
    assert dispatcher.drain() == 1
    assert _created(database)[2:] == [("payment", "payment", "referral"), ("audit", "payment", "referral"), ("audit",)]
    assert dispatcher._held is False and {s[1] for s in _statuses(database)} == {"created"}
    assert dispatcher.tick() == dispatcher.sweep_seconds


def test_without_a_limit_bulk_runs_are_created_as_fast_as_waiting_ones(any_inbox):
    for case in range(4):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{case}"})
    dispatcher = Dispatcher(any_inbox.runtime.database, batch_size=20, max_queued_runs=0)
    assert dispatcher.drain() == 8
    assert dispatcher._held is False


def test_a_request_in_flight_makes_the_inbox_busy_until_its_message_is_stored(any_inbox):
    runtime = any_inbox.runtime
    assert not runtime.intake_busy() or runtime.writer.busy()  # nothing in flight
    runtime.intake_in_flight.add(1)  # a request being read or checked: nothing stored for it yet
    try:
        assert runtime.intake_busy()
    finally:
        runtime.intake_in_flight.add(-1)
    any_inbox.post("clinic", CASE)
    assert int(runtime.intake_in_flight) == 0  # counted out once stored
    any_inbox.post("clinic", "not an object", content=b"{")  # refused: counted out too
    assert int(runtime.intake_in_flight) == 0


def test_queued_runs_of_a_paused_dag_or_one_at_its_limit_do_not_hold_other_dags_runs(any_inbox):
    """A paused DAG's backlog, or a workflow at its ``concurrency``, waits for that DAG alone."""
    from airflow.models.dag import DagModel

    database = any_inbox.runtime.database
    for case in range(2):
        any_inbox.post("clinic", {**CASE, "case_id": f"c-{case}"})  # 2 referral + 2 payment runs
    before = _queued(database)
    assert Dispatcher(database, batch_size=20, max_queued_runs=0).drain() == 4
    assert _queued(database) == before + 4
    table = DagModel.__table__
    with database.write() as connection:
        saved = connection.execute(sa.select(table.c.dag_id, table.c.is_paused, table.c.max_active_runs).where(table.c.dag_id.in_(["clinic.referral", "clinic.payment"]))).all()
    try:
        with database.write() as connection:
            connection.execute(sa.update(table).where(table.c.dag_id == "clinic.referral").values(is_paused=True))
        assert _queued(database) == before + 2  # the paused DAG's two runs wait for it alone
        with database.write() as connection:
            connection.execute(sa.update(table).where(table.c.dag_id == "clinic.referral").values(is_paused=False))
            connection.execute(sa.update(table).where(table.c.dag_id == "clinic.payment").values(max_active_runs=1))
        assert _queued(database) == before + 4  # at most one running: none is, so its runs can start
        from airflow.models.dagrun import DagRun

        runs = DagRun.__table__
        with database.write() as connection:
            first = connection.execute(sa.select(runs.c.id).where(runs.c.dag_id == "clinic.payment", runs.c.state == "queued").order_by(runs.c.id).limit(1)).scalar()
            connection.execute(sa.update(runs).where(runs.c.id == first).values(state="running"))
        assert _queued(database) == before + 2  # payment is at its limit: its other queued run waits for it alone
    finally:
        with database.write() as connection:
            for dag_id, paused, limit in saved:
                connection.execute(sa.update(table).where(table.c.dag_id == dag_id).values(is_paused=paused, max_active_runs=limit))
