"""Replies after completion in the inbox: which messages wait and for which run, what the answer is made
of (data, error, webhookResponse, statuses, chains), the answer past the limit, the result URL, and
Idempotency-Key retries -- on SQLite and PostgreSQL, with the run's outcome written into Airflow's own
task_instance and xcom tables as a task would leave it (tests/e2e/test_replies.py runs real tasks)."""

from __future__ import annotations

import datetime
import json
import threading
import time
from dataclasses import replace

import pytest
import sqlalchemy as sa

from openfn.inbox.reply_answers import Plan, Run, build_answer, timeout_answer
from tests.inbox.conftest import dag_runs


@pytest.fixture
def sync(any_inbox):
    any_inbox.runtime.inbox_settings = replace(any_inbox.runtime.inbox_settings, reply_timeout_seconds=20, reply_poll_seconds=0.05)
    return any_inbox


def finish(database, dag_id: str, run_id: str, state: str, values: dict, task_id: str = "run") -> None:
    """Leave the run's task as a finished task leaves it: its state, then its XComs."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel

    now = datetime.datetime.now(datetime.timezone.utc)
    tis, xcom = TaskInstance.__table__, XComModel.__table__
    with database.write() as connection:
        run_pk = connection.execute(sa.select(DagRun.__table__.c.id).where(DagRun.__table__.c.dag_id == dag_id, DagRun.__table__.c.run_id == run_id)).scalar_one()
        for key, value in values.items():
            connection.execute(sa.insert(xcom).values(dag_run_id=run_pk, task_id=task_id, map_index=-1, key=key, dag_id=dag_id, run_id=run_id,
                                                      value=XComModel.serialize_value(value), timestamp=now))  # fmt: skip
        updated = connection.execute(
            sa.update(tis).where(tis.c.dag_id == dag_id, tis.c.run_id == run_id, tis.c.task_id == task_id).values(state=state, end_date=now)
        )
        assert updated.rowcount == 1


def post_in_background(client, body: dict, headers: dict | None = None) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def send():
        outcome["reply"] = client.post("sync", body, headers=headers)

    thread = threading.Thread(target=send)
    thread.start()
    return thread, outcome


def the_run(client, dag_id: str, timeout: float = 10.0) -> str:
    """Dispatch until ``dag_id`` has a run; its run id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.dispatch()
        found = dag_runs(client.runtime.database, dag_id)
        if found:
            return found[-1].run_id
        time.sleep(0.05)
    raise AssertionError(f"no run of {dag_id}")


def test_the_sender_waits_for_the_run_and_gets_its_data(sync):
    thread, outcome = post_in_background(sync, {"ask": "lookup", "id": 7})
    run_id = the_run(sync, "sync.lookup")
    time.sleep(0.3)
    assert thread.is_alive() and sync.runtime.replies.waiting == 1  # held, by no thread of its own
    finish(sync.runtime.database, "sync.lookup", run_id, "success", {"return_value": {"data": {"patient_id": "P-7"}, "references": []}})
    thread.join(10)
    reply = outcome["reply"]
    assert reply.status_code == 200, reply.text  # the trigger's success_code
    body = reply.json()
    assert body["data"] == {"patient_id": "P-7"}
    assert body["meta"]["runs"] == [{"job": "lookup", "dag_id": "sync.lookup", "run_id": run_id, "state": "success"}]
    assert (body["meta"]["state"], reply.headers["x-openfn-run-id"]) == ("success", run_id)
    assert sync.runtime.replies.waiting == 0


def test_a_message_no_reply_trigger_matches_is_answered_at_once(sync):
    reply = sync.post("sync", {"ask": "nothing in particular"})
    assert reply.status_code == 202
    assert [r["job"] for r in reply.json()["data"]] == ["audit"]
    assert "result_url" not in reply.json()["meta"]


def test_a_failed_run_answers_with_its_error_and_the_error_code(sync):
    thread, outcome = post_in_background(sync, {"ask": "lookup"})
    run_id = the_run(sync, "sync.lookup")
    failed = {"data": {}, "errors": {"lookup": {"type": "HTTPError", "message": "the registry answered 500"}}}
    finish(sync.runtime.database, "sync.lookup", run_id, "failed", {"failed_state": failed})
    thread.join(10)
    reply = outcome["reply"]
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["error"] == "run_failed" and body["message"] == "The run of job 'lookup' failed: the registry answered 500"
    assert (body["data"], body["meta"]["state"], body["meta"]["error_type"]) == (None, "failed", "HTTPError")


def test_past_the_limit_the_sender_gets_the_202_with_a_result_url_that_answers_later(sync):
    reply = sync.post("sync", {"ask": "lookup"}, headers={"Prefer": "wait=0.3"})
    assert reply.status_code == 202, reply.text
    body = reply.json()
    meta = body["meta"]
    assert meta["message"] == "Data accepted and processing has begun." and "within 0.3 s" in meta["reply"]
    assert [r["job"] for r in body["data"]] == ["lookup", "audit"]  # the 202 as it was stored
    path = meta["result_url"].split("testserver")[1]
    assert path == f"/openfn/inbox/{sync.token('sync')}/messages/{meta['message_id']}"
    assert sync.http.get(path, params={"wait": 0}).status_code == 202
    run_id = the_run(sync, "sync.lookup")
    finish(sync.runtime.database, "sync.lookup", run_id, "success", {"return_value": {"data": {"ok": True}}})
    result = sync.http.get(path)
    assert (result.status_code, result.json()["data"]) == (200, {"ok": True})
    assert sync.http.get(path, params={"wait": "soon"}).status_code == 400


def test_the_result_url_is_for_the_sender_of_that_inbox_only(sync):
    reply = sync.post("sync", {"ask": "lookup"}, headers={"Prefer": "wait=0"})
    message_id = reply.json()["meta"]["message_id"]
    other = sync.post("forms", {"formID": "patient_registration_v7"}).json()["meta"]["message_id"]
    inbox = f"/openfn/inbox/{sync.token('sync')}"
    assert sync.http.get(f"{inbox}/messages/{other}").status_code == 404  # another project's message
    assert sync.http.get(f"/openfn/inbox/{sync.token('forms')}/messages/{message_id}").status_code == 404
    assert sync.http.get(f"/openfn/inbox/not-a-token/messages/{message_id}").status_code == 404
    plain = sync.post("sync", {"ask": "nothing"}).json()["meta"]["message_id"]
    assert sync.http.get(f"{inbox}/messages/{plain}").status_code == 404  # answered at once: no result kept for it
    erased = sync.api("DELETE", f"/messages/{message_id}/content")
    assert erased.status_code == 200, erased.text
    gone = sync.http.get(f"{inbox}/messages/{message_id}")
    assert (gone.status_code, gone.json()["error"]) == (410, "erased")


def test_the_same_key_again_waits_for_the_same_run_and_returns_its_result(sync):
    first = sync.post("sync", {"ask": "lookup", "n": 1}, headers={"Idempotency-Key": "k-1", "Prefer": "wait=0"})
    assert first.status_code == 202
    run_id = the_run(sync, "sync.lookup")
    thread, outcome = post_in_background(sync, {"ask": "lookup", "n": 1}, headers={"Idempotency-Key": "k-1"})
    time.sleep(0.3)
    assert thread.is_alive()
    finish(sync.runtime.database, "sync.lookup", run_id, "success", {"return_value": {"data": {"n": 1}}})
    thread.join(10)
    assert (outcome["reply"].status_code, outcome["reply"].json()["data"]) == (200, {"n": 1})
    assert outcome["reply"].json()["meta"]["message_id"] == first.json()["meta"]["message_id"]
    again = sync.post("sync", {"ask": "lookup", "n": 1}, headers={"Idempotency-Key": "k-1"})
    assert (again.status_code, again.json()["data"]) == (200, {"n": 1})  # finished: answered at once
    assert len(dag_runs(sync.runtime.database, "sync.lookup")) == 1


def test_the_same_key_with_another_body_is_refused_not_answered_with_the_first_result(sync):
    first = sync.post("sync", {"ask": "lookup", "n": 1}, headers={"Idempotency-Key": "k-5", "Prefer": "wait=0"})
    finish(sync.runtime.database, "sync.lookup", the_run(sync, "sync.lookup"), "success", {"return_value": {"data": {"n": 1}}})
    other = sync.post("sync", {"ask": "lookup", "n": 2}, headers={"Idempotency-Key": "k-5"})
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert first.status_code == 202 and len(dag_runs(sync.runtime.database, "sync.lookup")) == 1


def test_a_chain_is_answered_after_its_flow_job(sync):
    from openfn.runs import downstream_run_id

    thread, outcome = post_in_background(sync, {"ask": "chained", "n": 2})
    run_id = the_run(sync, "sync.chained")
    message_id = run_id.split("__")[1]
    database = sync.runtime.database
    finish(database, "sync.chained", run_id, "success", {"return_value": {"data": {"step": 1}}})
    time.sleep(0.3)
    assert thread.is_alive()  # the flow job's trigger task has not run yet
    finish(database, "sync.chained", run_id, "success", {}, task_id="flow_after-chained")
    flow_run = downstream_run_id("flow", message_id, "sync.chained", run_id, "sync.after-chained", 1)
    _create_run(sync, "sync.after-chained", flow_run)
    time.sleep(0.3)
    assert thread.is_alive()  # ... and its run has not finished
    finish(database, "sync.after-chained", flow_run, "success", {"return_value": {"data": {"step": 2}}})
    thread.join(10)
    body = outcome["reply"].json()
    assert (outcome["reply"].status_code, body["data"]) == (201, {"step": 2})
    assert [(r["job"], r["run_id"]) for r in body["meta"]["runs"]] == [("chained", run_id), ("after-chained", flow_run)]


def test_a_run_airflow_refused_to_create_is_answered_as_a_failure_at_once(sync):
    from openfn.inbox.store.schema import FAILED, runs

    thread, outcome = post_in_background(sync, {"ask": "lookup"})
    deadline = time.monotonic() + 10
    while sync.runtime.replies.waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    with sync.runtime.database.write() as connection:
        connection.execute(sa.update(runs).where(runs.c.job == "lookup").values(status=FAILED, error="params are invalid"))
    thread.join(10)
    reply = outcome["reply"]
    assert reply.status_code == 422 and "Airflow could not create the run: params are invalid" in reply.json()["message"]


def _create_run(client, dag_id: str, run_id: str) -> None:
    """A flow run, as the trigger task would have created it (through the dispatcher's own path)."""
    from openfn.inbox.store.messages import PlannedRun, insert_runs

    with client.runtime.database.write() as connection:
        insert_runs(connection, client.runtime.database, "flow-source", "sync", [PlannedRun("after-chained", dag_id, run_id)], "rerun")
    from openfn.inbox.store.schema import messages

    with client.runtime.database.write() as connection:
        connection.execute(sa.insert(messages).values(id="flow-source", project="sync", received_at="2026-01-01T00:00:00+00:00",
                                                      headers="{}", body="{}", reply="{}"))  # fmt: skip
    client.dispatch()


# --- the answer, from what the runs left ---------------------------------------------------------------------
def plan(*runs: Run, chain: bool = False, success_code=None, error_code=None) -> Plan:
    first = runs[0]
    first.children = list(runs[1:])
    for run in runs:
        run.followed = True
    return Plan(message_id="m-1", project="p", trigger=None, received_at="2026-11-29T10:00:00+00:00", chain=chain,
                 success_code=success_code, error_code=error_code, first=first)  # fmt: skip


def test_the_answer_is_the_final_states_data_with_the_default_status():
    answer = build_answer(plan(Run("j", "p.j", "r-1", status="success", final={"data": {"id": 3}, "references": [1]})))
    body = json.loads(answer.body)
    assert (answer.status, body["data"], body["meta"]["state"]) == (201, {"id": 3}, "success")
    assert answer.headers == {"x-openfn-message-id": "m-1", "x-openfn-run-id": "r-1"}


def test_webhook_response_sets_the_status_and_the_body_and_the_last_one_wins():
    first = Run("a", "p.a", "r-1", status="success", final={"data": {}, "webhookResponse": {"status": 409, "body": "first"}})
    second = Run("b", "p.b", "r-2", status="success", final={"data": {"x": 1}, "webhookResponse": {"status": 200}})
    answer = build_answer(plan(first, second, chain=True))
    assert (answer.status, json.loads(answer.body)["data"]) == (200, {"x": 1})  # the status of the last, no body: the default one
    body_only = Run("a", "p.a", "r-1", status="success", final={"webhookResponse": {"body": {"ok": True}}})
    answer = build_answer(plan(body_only, success_code=200))
    assert (answer.status, json.loads(answer.body)) == (200, {"ok": True})
    bad = Run("a", "p.a", "r-1", status="success", final={"data": 1, "webhookResponse": {"status": 99}})
    assert build_answer(plan(bad)).status == 201  # not an HTTP status: ignored
    interim = Run("a", "p.a", "r-1", status="success", final={"data": 1, "webhookResponse": {"status": 101}})
    assert build_answer(plan(interim)).status == 201  # not a final answer: ignored
    empty = Run("a", "p.a", "r-1", status="success", final={"webhookResponse": {"status": 204, "body": {"ignored": True}}})
    assert (build_answer(plan(empty)).status, build_answer(plan(empty)).body) == (204, "")


def test_a_failure_handled_by_a_fail_job_is_a_success_and_an_unhandled_one_is_not():
    failed = Run("a", "p.a", "r-1", status="failed", error_type="TypeError", error="x is undefined", final={"data": {}})
    rescued = Run("rescue", "p.rescue", "r-2", status="success", final={"data": {"rescued": True}})
    answer = build_answer(plan(failed, rescued, chain=True))
    assert (answer.status, json.loads(answer.body)["data"]) == (201, {"rescued": True})
    alone = Run("a", "p.a", "r-1", status="failed", error_type="TypeError", error="x" * 5000)
    body = json.loads(build_answer(plan(alone)).body)
    assert body["meta"]["error_type"] == "TypeError" and len(body["message"]) < 1100  # the error is cut short


def test_several_final_runs_answer_their_data_by_job_and_a_workflow_its_leaves_by_step():
    first = Run("a", "p.a", "r-1", status="success", final={"data": {}})
    first_children = [Run("b", "p.b", "r-2", status="success", final={"data": 1}), Run("c", "p.c", "r-3", status="success", final={"data": 2})]
    answer = build_answer(plan(first, *first_children, chain=True))
    assert json.loads(answer.body)["data"] == {"b": 1, "c": 2}
    workflow = Run("wf", "p.wf", "r-1", workflow=True, status="success", final={"x": {"data": 1}, "y": {"data": 2}},
                    outcome={"status": "success", "keyed": True, "webhook_response": {"status": 200}})  # fmt: skip
    answer = build_answer(plan(workflow))
    assert (answer.status, json.loads(answer.body)["data"]) == (200, {"x": 1, "y": 2})
    crashed = Run("wf", "p.wf", "r-1", workflow=True, status="crashed", error_type="TimeoutError", error="step x crashed: stopped")
    body = json.loads(build_answer(plan(crashed)).body)
    assert (body["meta"]["state"], body["message"]) == ("crashed", "The run of workflow 'wf' crashed: step x crashed: stopped")


def test_the_timeout_answer_is_the_stored_202_with_how_to_follow():
    stored = json.dumps({"meta": {"message": "Data accepted and processing has begun.", "message_id": "m"}, "data": [], "errors": []})
    answer = json.loads(timeout_answer(stored, 30, "https://x/openfn/inbox/t/messages/m"))
    assert answer["data"] == [] and answer["errors"] == []
    assert answer["meta"]["result_url"] == "https://x/openfn/inbox/t/messages/m" and "30 s" in answer["meta"]["reply"]


def test_prefer_wait_is_read_as_rfc_7240_writes_it():
    from openfn.inbox.intake.receive import preferred_wait

    assert preferred_wait({"prefer": "respond-async, wait=5"}) == 5.0
    assert preferred_wait({"prefer": 'wait="2.5"'}) == 2.5
    assert [preferred_wait(h) for h in ({}, {"prefer": "wait=-1"}, {"prefer": "wait=soon"}, {"prefer": "return=minimal"})] == [None] * 4
