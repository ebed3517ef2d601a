"""/openfn/ui/api: the inbox page (filters, dates, previews, keyset pages), the cron jobs' next run and
saved state size, and running a cron job now."""

from __future__ import annotations

import datetime
import json

import pytest
import sqlalchemy as sa

from openfn.ui.pages_api import next_cron_run
from openfn.inbox.store.message_pages import PREVIEW_CHARS, first_seq_from

REGISTRATION = {"formID": "patient_registration_v7", "name": "jack wilshere", "dob": "1986-05-16"}
UTC = datetime.timezone.utc


def _page(ui, **params) -> dict:
    reply = ui.http.get("/openfn/ui/api/messages", params=params, headers=ui.bearer())
    assert reply.status_code == 200, reply.text
    return reply.json()


def _set_received(ui, message_id: str, when: str) -> None:
    from openfn.inbox.store.schema import messages

    with ui.runtime.database.write() as connection:
        connection.execute(sa.update(messages).where(messages.c.id == message_id).values(received_at=when))


def _finish(ui, run_id: str, state: str) -> None:
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    now = datetime.datetime.now(UTC)
    with ui.runtime.database.write() as connection:
        connection.execute(sa.update(table).where(table.c.run_id == run_id).values(state=state, start_date=now, end_date=now))


def test_page_lists_messages_newest_first_with_previews_and_job_states(ui):
    first = ui.send(REGISTRATION)
    second = ui.send({"name": "john doe", "note": "<script>alert(1)</script>" + "x" * 500})
    page = _page(ui)
    assert [m["id"] for m in page["messages"]] == [second["meta"]["message_id"], first["meta"]["message_id"]]
    newest = page["messages"][0]
    assert newest["preview"] == json.dumps({"name": "john doe", "note": "<script>alert(1)</script>" + "x" * 500}, separators=(",", ":"))[:PREVIEW_CHARS]
    assert newest["job_states"] == [{"job": "share-record", "state": "in progress", "run_id": second["data"][0]["run_id"]}]
    assert (page["next_before"], page["scanned"]) == (None, 2)


def test_page_needs_airflow_login(ui):
    assert ui.http.get("/openfn/ui/api/messages").status_code == 401


def test_filters_by_job_and_job_state(ui):
    ok = ui.send(REGISTRATION)
    failed = ui.send({**REGISTRATION, "name": "larry"})
    ui.send({"name": "john doe"})
    ui.dispatch()
    _finish(ui, ok["data"][0]["run_id"], "success")
    _finish(ui, failed["data"][0]["run_id"], "failed")
    ids = lambda page: [m["id"] for m in page["messages"]]  # noqa: E731
    assert ids(_page(ui, state="failure")) == [failed["meta"]["message_id"]]
    assert ids(_page(ui, job="register-patient", state="success")) == [ok["meta"]["message_id"]]
    assert ids(_page(ui, job="register-patient")) == [failed["meta"]["message_id"], ok["meta"]["message_id"]]
    assert ids(_page(ui, q="larry")) == [failed["meta"]["message_id"]]


def test_bad_job_state_is_refused_with_the_fix(ui):
    reply = ui.http.get("/openfn/ui/api/messages", params={"state": "done"}, headers=ui.bearer())
    assert (reply.status_code, reply.json()) == (400, {"error": "invalid_request", "message": "state='done' is not a job-state; use one of: success, failure, in progress."})


def test_dates_select_messages_received_on_those_utc_days(ui):
    ids = [ui.send({**REGISTRATION, "n": n})["meta"]["message_id"] for n in range(4)]
    for message_id, day in zip(ids, ["2026-01-01T23:59:59.999999+00:00", "2026-01-02T00:00:00.000000+00:00",
                                     "2026-01-02T12:00:00.000000+00:00", "2026-01-03T00:00:00.000000+00:00"]):  # fmt: skip
        _set_received(ui, message_id, day)
    assert [m["id"] for m in _page(ui, since="2026-01-02", until="2026-01-02")["messages"]] == [ids[2], ids[1]]
    assert [m["id"] for m in _page(ui, since="2026-01-03")["messages"]] == [ids[3]]
    assert [m["id"] for m in _page(ui, until="2026-01-01")["messages"]] == [ids[0]]
    assert _page(ui, since="2026-02-01") == {"messages": [], "next_before": None, "scanned": 0}


def test_bad_date_is_refused_with_the_fix(ui):
    reply = ui.http.get("/openfn/ui/api/messages", params={"since": "yesterday"}, headers=ui.bearer())
    assert reply.json() == {"error": "invalid_request", "message": "since='yesterday' is not a date; write it as YYYY-MM-DD (UTC) or an ISO 8601 time."}


def test_keyset_pages_continue_where_the_last_one_ended(ui):
    ids = [ui.send({**REGISTRATION, "n": n})["meta"]["message_id"] for n in range(5)][::-1]
    first = _page(ui, limit=2)
    second = _page(ui, limit=2, before=first["next_before"])
    third = _page(ui, limit=2, before=second["next_before"])
    assert [[m["id"] for m in p["messages"]] for p in (first, second, third)] == [ids[:2], ids[2:4], ids[4:]]
    assert third["next_before"] is None


def test_first_seq_from_finds_the_date_boundary_by_binary_search(ui):
    ids = [ui.send({"n": n})["meta"]["message_id"] for n in range(9)]
    start = datetime.datetime(2026, 3, 1, tzinfo=UTC)
    for n, message_id in enumerate(ids):
        _set_received(ui, message_id, (start + datetime.timedelta(hours=n)).isoformat(timespec="microseconds"))
    from openfn.inbox.store.schema import messages

    with ui.runtime.database.read() as connection:
        seqs = [connection.execute(sa.select(messages.c.seq).where(messages.c.id == i)).scalar_one() for i in ids]
        for n in range(9):
            assert first_seq_from(connection, start + datetime.timedelta(hours=n, minutes=-30)) == seqs[n]
        assert first_seq_from(connection, start + datetime.timedelta(hours=9)) is None


def test_next_cron_run_is_in_the_triggers_timezone():
    tuesday = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    friday_night = next_cron_run("0 23 * * 5", "Africa/Nairobi", tuesday)
    assert friday_night.isoformat() == "2026-11-27T23:00:00+03:00"


def test_projects_extra_has_next_run_and_saved_state_size_of_cron_jobs(ui):
    from airflow.models.variable import Variable

    state = {"data": {}, "references": [], "lastId": 3, "configuration": {"password": "x"}}
    Variable.set("openfn.state.demo.weekly-export", state, serialize_json=True)
    reply = ui.http.get("/openfn/ui/api/projects", headers=ui.bearer()).json()
    weekly = reply["jobs"]["demo.weekly-export"]
    assert (reply["warn_bytes"], reply["max_bytes"]) == (10_000, 50_000)
    assert "demo.register-patient" not in reply["jobs"]  # cron jobs only
    assert weekly["state_bytes"] == len(b'{"data":{},"references":[],"lastId":3}')
    assert weekly["paused"] is False
    assert datetime.datetime.fromisoformat(weekly["next_run"]) > datetime.datetime.now(UTC)


def test_run_now_starts_a_manual_run_of_a_cron_job(ui):
    from airflow.models.dagrun import DagRun

    reply = ui.http.post("/openfn/ui/api/jobs/demo.weekly-export/runs", json={}, headers=ui.bearer())
    assert reply.status_code == 201, reply.text
    run = reply.json()
    assert (run["job"], run["dag_id"], run["state"]) == ("weekly-export", "demo.weekly-export", "queued")
    table = DagRun.__table__
    with ui.runtime.database.read() as connection:
        stored = connection.execute(sa.select(table.c.run_type, table.c.conf).where(table.c.run_id == run["run_id"])).one()
    assert stored.run_type == "manual"


@pytest.mark.parametrize(("dag_id", "status", "message"), [
    ("demo.register-patient", 400, "Job 'register-patient' has a message trigger; only cron jobs run on demand here; "
     "re-run a message job for a message from its receipt (POST /openfn/api/messages/<id>/runs)."),
    ("demo.nothing", 404, "There is no job 'demo.nothing'; look the job up in GET /openfn/api/projects (a DAG id is <project>.<job>)."),
])  # fmt: skip
def test_run_now_refuses_other_jobs(ui, dag_id, status, message):
    reply = ui.http.post(f"/openfn/ui/api/jobs/{dag_id}/runs", json={}, headers=ui.bearer())
    assert (reply.status_code, reply.json()["message"]) == (status, message)


def test_a_page_over_its_time_budget_returns_what_it_found_and_where_to_go_on(ui, monkeypatch):
    from openfn.inbox.store import message_pages as listing
    ids = [ui.send({**REGISTRATION, "n": n})["meta"]["message_id"] for n in range(3)][::-1]
    monkeypatch.setattr(listing, "TIME_BUDGET", -1.0)  # spent before the first row
    first = _page(ui)
    assert ([m["id"] for m in first["messages"]], first["next_before"]) == ([ids[0]], ids[0])
    monkeypatch.setattr(listing, "TIME_BUDGET", 60.0)
    assert [m["id"] for m in _page(ui, before=first["next_before"])["messages"]] == ids[1:]


def test_chained_runs_by_index_are_the_inboxs_chained_runs(ui):
    """The flow and fail runs found by index ranges are those receipts.chained_runs finds with LIKE."""
    from airflow.models.dagrun import DagRun

    from openfn.inbox.store.receipts import chained_runs as by_like
    from openfn.inbox.store.message_pages import chained_runs as by_range

    ids = [ui.send({**REGISTRATION, "n": n})["meta"]["message_id"] for n in range(3)]
    other = "01a20000-0000-7000-8000-000000000000"
    made = [("demo.confirm-registration", f"flow__{ids[0]}__a1"), ("demo.confirm-registration", f"flow__{ids[0]}__b2"),
            ("demo.registration-failed", f"fail__{ids[1]}__c3"), ("demo.confirm-registration", f"flow__{other}__d4"),
            ("demo.confirm-registration", f"flow__{ids[2]}X__e5"), ("demo.registration-failed", f"flow__{ids[2]}__f6")]  # fmt: skip
    now = datetime.datetime.now(UTC)
    with ui.runtime.database.write() as connection:
        connection.execute(sa.insert(DagRun.__table__), [
            {"dag_id": dag_id, "run_id": run_id, "run_type": "manual", "state": "success", "run_after": now,
             "start_date": now, "end_date": now, "clear_number": 0, "span_status": "not_started"}
            for dag_id, run_id in made
        ])  # fmt: skip
    chains = ["demo.confirm-registration", "demo.registration-failed"]
    with ui.runtime.database.read() as connection:
        expected = by_like(connection, ids, chains)
        found = by_range(connection, ids, chains)
    assert {k: [(v.dag_id, v.run_id, v.state, v.source) for v in views] for k, views in found.items()} == {
        ids[0]: [("demo.confirm-registration", f"flow__{ids[0]}__a1", "success", "flow"),
                 ("demo.confirm-registration", f"flow__{ids[0]}__b2", "success", "flow")],
        ids[1]: [("demo.registration-failed", f"fail__{ids[1]}__c3", "success", "fail")],
        ids[2]: [("demo.registration-failed", f"flow__{ids[2]}__f6", "success", "flow")],
    }  # fmt: skip
    assert {k: [v.run_id for v in views] for k, views in found.items()} == {k: [v.run_id for v in views] for k, views in expected.items() if views}
    assert [(v.end_date, v.dag_run_pk is not None) for v in found[ids[0]]] == [(v.end_date, True) for v in expected[ids[0]]]
