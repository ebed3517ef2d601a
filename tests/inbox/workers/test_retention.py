"""Retention and erasure on SQLite and PostgreSQL: expired messages go with their run rows, a batch per
transaction, per project or by the global default; an erased message keeps its id, arrival and runs but
loses its body and headers, here and in the conf and XCom of its DAG runs."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
import sqlalchemy as sa

from openfn.inbox.workers.retention import retention_days, sweep
from openfn.inbox.store.schema import FAILED, message_jobs, messages, runs
from tests.inbox.conftest import dag_runs

CASE = {"form": "case_referral", "case_id": "r-1", "patient": "Amina"}
NOW = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)


def _post(inbox, project: str, body: dict, days_ago: float) -> str:
    message_id = inbox.post(project, body).json()["meta"]["message_id"]
    received = (NOW - datetime.timedelta(days=days_ago)).isoformat(timespec="microseconds")
    with inbox.runtime.database.write() as connection:
        connection.execute(sa.update(messages).where(messages.c.id == message_id).values(received_at=received))
    return message_id


def _projects(inbox, **days) -> dict:
    found = {name: p.project for name, p in inbox.runtime.catalog.snapshot().projects.items()}
    return {name: dataclasses.replace(p, inbox=dataclasses.replace(p.inbox, retention_days=days.get(name))) for name, p in found.items()}


def _left(database) -> tuple[list[str], int, int]:
    with database.read() as connection:
        ids = list(connection.execute(sa.select(messages.c.id).order_by(messages.c.seq)).scalars())
        return (ids, connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar(),
                connection.execute(sa.select(sa.func.count()).select_from(message_jobs)).scalar())  # fmt: skip


def test_expired_messages_go_with_their_pending_runs_in_batches(any_inbox):
    old = [_post(any_inbox, "clinic", CASE, days_ago=40 - n) for n in range(5)]
    recent = _post(any_inbox, "clinic", CASE, days_ago=2)
    deleted = sweep(any_inbox.runtime.database, _projects(any_inbox), default_days=30, batch_size=2, now=NOW)
    assert deleted == {"clinic": 5}
    assert _left(any_inbox.runtime.database) == ([recent], 2, 2)  # referral and payment of the recent one
    assert any_inbox.dispatch() == 2
    clinic = [row for row in dag_runs(any_inbox.runtime.database) if row.dag_id.startswith("clinic.")]
    assert {row.run_id.split("__")[1] for row in clinic} == {recent}
    assert all(message_id != recent for message_id in old)


def test_project_setting_overrides_the_global_default(any_inbox):
    clinic = _post(any_inbox, "clinic", CASE, days_ago=10)
    form = _post(any_inbox, "forms", {"formID": "f"}, days_ago=10)
    deleted = sweep(any_inbox.runtime.database, _projects(any_inbox, clinic=7), default_days=0, batch_size=100, now=NOW)
    assert (deleted, _left(any_inbox.runtime.database)[0]) == ({"clinic": 1}, [form])
    deleted = sweep(any_inbox.runtime.database, _projects(any_inbox, forms=0), default_days=5, batch_size=100, now=NOW)
    assert (deleted, _left(any_inbox.runtime.database)[0]) == ({}, [form])
    assert clinic != form


def test_messages_of_a_project_the_inbox_no_longer_knows_follow_the_global_default(any_inbox):
    _post(any_inbox, "forms", {"formID": "f"}, days_ago=10)
    deleted = sweep(any_inbox.runtime.database, {}, default_days=5, batch_size=100, now=NOW)
    assert (deleted, _left(any_inbox.runtime.database)) == ({"forms": 1}, ([], 0, 0))


def test_retention_days_reads_the_project_then_the_default(inbox):
    projects = _projects(inbox, clinic=3)
    assert [retention_days(projects["clinic"], 9), retention_days(projects["forms"], 9), retention_days(None, 9)] == [3, 9, 9]


def _add_xcom(database, dag_id: str, run_id: str) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel

    with database.write() as connection:
        pk = connection.execute(sa.select(DagRun.__table__.c.id).where(DagRun.__table__.c.run_id == run_id)).scalar_one()
        connection.execute(sa.insert(XComModel.__table__).values(
            dag_run_id=pk, task_id="run", map_index=-1, key="return_value", dag_id=dag_id, run_id=run_id,
            value={"data": CASE}, timestamp=NOW))  # fmt: skip


def _xcoms(database, run_ids) -> int:
    from airflow.models.xcom import XComModel

    table = XComModel.__table__
    with database.read() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table).where(table.c.run_id.in_(run_ids))).scalar()


def test_erasure_keeps_the_arrival_and_the_runs_but_not_the_content(any_inbox):
    database = any_inbox.runtime.database
    reply = any_inbox.post("clinic", CASE, headers={"X-Source": "commcare"}).json()
    message_id = reply["meta"]["message_id"]
    first = {run["job"]: run["run_id"] for run in reply["data"]}
    any_inbox.dispatch()
    _add_xcom(database, "clinic.referral", first["referral"])
    assert _xcoms(database, list(first.values())) == 1
    with database.write() as connection:  # a re-run ten seconds later, not dispatched yet
        connection.execute(sa.text("UPDATE openfn_message_job SET last_run_at = last_run_at - 10"))
    pending = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"}).json()["run_id"]

    erased = any_inbox.api("DELETE", f"/messages/{message_id}/content")
    assert erased.status_code == 200, erased.text
    record = erased.json()["erased"]
    assert (record["by"], record["task_logs_cleared"], record["waiting_for_runs"], erased.json()["dag_runs_cleared"]) == ("admin", 0, True, 2)
    receipt = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert (receipt["body"], receipt["headers"], receipt["erased"]) == (None, {}, record)
    assert [(r["job"], r["state"]) for r in receipt["runs"]] == [("referral", "queued"), ("payment", "queued"), ("payment", "failed")]
    assert receipt["dispatch_errors"] == [{"job": "payment", "run_id": pending,
                                           "error": "the message was erased by admin before this run was created"}]  # fmt: skip
    confs = {row.run_id: row.conf for row in dag_runs(database)}
    assert confs[first["referral"]] == {"openfn": {"message_id": message_id, "project": "clinic", "trigger": "message"},
                                        "erased": {"at": record["at"], "by": "admin"}}  # fmt: skip
    assert (_xcoms(database, list(first.values())), any_inbox.dispatch()) == (0, 0)
    with database.read() as connection:
        assert connection.execute(sa.select(runs.c.status).where(runs.c.run_id == pending)).scalar() == FAILED


def _finish(database, run_ids, ago: float) -> None:
    """The DAG runs finished ``ago`` seconds ago, as the scheduler records it."""
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    ended = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=ago)
    with database.write() as connection:
        connection.execute(sa.update(table).where(table.c.run_id.in_(run_ids)).values(state="success", end_date=ended))


def _write_log(folder, dag_id: str, run_id: str, task_id: str, text: str):
    path = folder / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}" / "attempt=1.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_what_runs_going_at_the_erasure_write_later_is_cleared_once_they_finish(any_inbox, tmp_path, monkeypatch):
    from openfn.inbox.store import task_logs
    from openfn.inbox.workers.retention import follow_erasures

    monkeypatch.setattr(task_logs, "log_folder", lambda: tmp_path)
    database = any_inbox.runtime.database
    reply = any_inbox.post("clinic", CASE).json()
    message_id, first = reply["meta"]["message_id"], {run["job"]: run["run_id"] for run in reply["data"]}
    any_inbox.dispatch()
    early = _write_log(tmp_path, "clinic.referral", first["referral"], "run", '{"event": "got Amina"}\n')
    erased = any_inbox.api("DELETE", f"/messages/{message_id}/content").json()
    assert (erased["erased"]["task_logs_cleared"], erased["erased"]["waiting_for_runs"]) == (1, True)
    assert "Amina" not in early.read_text() and "erased by admin" in early.read_text()

    # the runs go on: one writes its final state back and logs the body, then both finish
    _add_xcom(database, "clinic.referral", first["referral"])
    late = _write_log(tmp_path, "clinic.payment", first["payment"], "run", '{"event": "paid for Amina"}\n')
    assert follow_erasures(database, any_inbox.runtime.catalog) == 1  # still going: cleared, and followed on
    assert (_xcoms(database, list(first.values())), "Amina" in late.read_text()) == (0, False)
    _add_xcom(database, "clinic.referral", first["referral"])
    _finish(database, list(first.values()), ago=1)  # finished a moment ago: its last lines may still come
    assert follow_erasures(database, any_inbox.runtime.catalog) == 1
    _add_xcom(database, "clinic.referral", first["referral"])
    _finish(database, list(first.values()), ago=60)
    assert follow_erasures(database, any_inbox.runtime.catalog) == 0
    assert _xcoms(database, list(first.values())) == 0
    receipt = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert (receipt["erased"]["task_logs_cleared"], receipt["erased"]["waiting_for_runs"]) == (2, False)
    assert follow_erasures(database, any_inbox.runtime.catalog) == 0  # nothing left to follow


def test_erasing_an_unknown_message_is_404(inbox):
    reply = inbox.api("DELETE", "/messages/nope/content")
    assert (reply.status_code, reply.json()["error"]) == (404, "message_not_found")


def test_tables_created_before_these_columns_get_them(tmp_path):
    from openfn.inbox.store.database import Database
    from openfn.inbox.store.schema import ensure_schema

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.create_engine(url)
    with old.begin() as connection:
        connection.execute(sa.text("CREATE TABLE openfn_run (id INTEGER PRIMARY KEY, message_id VARCHAR(36))"))
        connection.execute(sa.text("CREATE TABLE openfn_message (seq INTEGER PRIMARY KEY, id VARCHAR(36))"))
    database = Database(url)
    ensure_schema(database)
    columns = {t: {c["name"] for c in sa.inspect(old).get_columns(t)} for t in ("openfn_run", "openfn_message")}
    assert ({"requested_by"} <= columns["openfn_run"], {"erased_at", "erased_by", "erase_open", "erased_logs"} <= columns["openfn_message"]) == (True, True)
    database.dispose()


def test_the_api_servers_sweeper_deletes_expired_messages_by_itself(inbox):
    import time

    from openfn.inbox.workers.retention import RetentionSweeper

    _post(inbox, "forms", {"formID": "f"}, days_ago=(datetime.datetime.now(datetime.timezone.utc) - NOW).days + 3)
    kept = inbox.post("forms", {"formID": "g"}).json()["meta"]["message_id"]
    sweeper = RetentionSweeper(inbox.runtime.database, inbox.runtime.catalog, default_days=2, batch_size=10, interval=0.1)
    sweeper.start()
    try:
        deadline = time.monotonic() + 30
        while _left(inbox.runtime.database)[0] != [kept] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sweeper.stop()
    assert _left(inbox.runtime.database)[0] == [kept]
