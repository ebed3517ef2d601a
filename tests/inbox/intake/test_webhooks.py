"""A Lightning workflow's webhook is an inbox of its own: its URL, the same checks as a project inbox, one
message = one run of the workflow starting at that trigger; receipts, re-runs and reprocessing follow."""

from __future__ import annotations

import json
import shutil

import sqlalchemy as sa

import pytest

from tests.dags.conftest import FIXTURES
from tests.inbox.conftest import build_client, clear_inbox, dag_runs

WORKFLOW = "referrals.Referral-Intake"


@pytest.fixture(scope="module")
def lightning_jobs(sync_dags, tmp_path_factory):
    from openfn.builder import build_dag
    from openfn.readers import load_projects

    jobs = tmp_path_factory.mktemp("webhook-jobs")
    shutil.copytree(FIXTURES / "lightning" / "referrals", jobs / "referrals")
    text = (FIXTURES / "lightning" / "referrals" / "project.yaml").read_text()
    (jobs / "paused").mkdir()
    (jobs / "paused" / "project.yaml").write_text(text.replace("        type: webhook\n        enabled: true", "        type: webhook\n        enabled: false"))
    report = load_projects(jobs)
    assert not report.errors
    sync_dags(build_dag(p, w) for p in report.projects for w in p.workflows.values())
    return jobs


@pytest.fixture
def hooks(sqlite_database, lightning_jobs):
    clear_inbox(sqlite_database)
    client = build_client(sqlite_database, jobs_dir=lightning_jobs)
    yield client
    client.runtime.stop()


def age(hooks, message_id: str) -> None:
    from openfn.inbox.store.schema import message_jobs

    with hooks.runtime.database.write() as connection:
        connection.execute(sa.update(message_jobs).where(message_jobs.c.message_id == message_id).values(last_run_at=message_jobs.c.last_run_at - 11))


def webhook_url(hooks, project: str) -> str:
    (listed,) = [p for p in hooks.api("GET", "/projects").json()["projects"] if p["name"] == project]
    (workflow,) = [w for w in listed["workflows"] if w["key"] == "Referral-Intake"]
    (trigger,) = workflow["triggers"]
    assert trigger["kind"] == "webhook" and trigger["inbox_url"] != listed["inbox_url"]
    return trigger["inbox_url"].split("testserver")[1]


def test_each_webhook_has_its_own_url_and_answers_a_test_ping(hooks):
    path = webhook_url(hooks, "referrals")
    assert path.startswith("/openfn/inbox/")
    reply = hooks.http.get(path)
    assert reply.json() == {"message": "This is the webhook of workflow 'Referral Intake' of OpenFn project 'referrals': "
                                       "POST a JSON message here to start a run of the workflow."}  # fmt: skip


def test_a_message_is_one_run_of_the_workflow_from_its_trigger(hooks):
    reply = hooks.http.post(webhook_url(hooks, "referrals"), json={"patient": "ana", "urgent": True})
    assert reply.status_code == 202, reply.text
    message_id = reply.json()["meta"]["message_id"]
    (run,) = reply.json()["data"]
    assert (run["job"], run["dag_id"]) == ("Referral-Intake", WORKFLOW)
    assert hooks.dispatch() == 1
    (created,) = [r for r in dag_runs(hooks.runtime.database, WORKFLOW) if r.run_id == run["run_id"]]  # other tests run it too
    conf = created.conf if isinstance(created.conf, dict) else json.loads(created.conf)
    assert conf["openfn"] == {"message_id": message_id, "project": "referrals", "workflow": "Referral-Intake", "trigger": "webhook"}
    assert conf["state"]["data"] == {"patient": "ana", "urgent": True}
    assert conf["state"]["request"]["method"] == "POST"
    receipt = hooks.api("GET", f"/messages/{message_id}").json()
    assert receipt["trigger"] == "Referral-Intake/webhook"
    assert receipt["job_states"] == [{"job": "Referral-Intake", "state": "in progress", "run_id": run["run_id"]}]
    steps = receipt["runs"][0]["steps"]  # the scheduler has not run it yet
    assert sorted(s["step"] for s in steps) == ["alert-clinician", "archive", "check-patient", "openfn_result", "register-patient", "report-problem"]
    assert {s["state"] for s in steps} == {None}


def test_a_disabled_webhook_refuses_messages_with_403(hooks):
    reply = hooks.http.post(webhook_url(hooks, "paused"), json={"patient": "ana"})
    assert (reply.status_code, reply.json()["error"]) == (403, "trigger_disabled")
    assert reply.json()["message"].startswith("The webhook trigger Referral-Intake/webhook is disabled")


def test_the_same_idempotency_key_gets_the_first_reply_again(hooks):
    url = webhook_url(hooks, "referrals")
    first = hooks.http.post(url, json={"patient": "bo"}, headers={"Idempotency-Key": "k-77"})
    again = hooks.http.post(url, json={"patient": "bo"}, headers={"Idempotency-Key": "k-77"})
    assert first.json() == again.json()
    assert hooks.dispatch() == 1


def test_a_key_used_at_the_webhook_is_refused_with_another_body_or_at_the_project_inbox(hooks):
    url = webhook_url(hooks, "referrals")
    hooks.http.post(url, json={"patient": "bo"}, headers={"Idempotency-Key": "k-78"})
    other_body = hooks.http.post(url, json={"patient": "di"}, headers={"Idempotency-Key": "k-78"})
    other_inbox = hooks.post("referrals", {"patient": "bo"}, headers={"Idempotency-Key": "k-78"})
    assert (other_body.status_code, other_body.json()["error"]) == (422, "idempotency_key_reused")
    assert (other_inbox.status_code, other_inbox.json()["error"]) == (422, "idempotency_key_reused")
    assert hooks.dispatch() == 1


def test_a_webhook_message_reruns_and_is_reprocessed_through_its_workflow(hooks):
    reply = hooks.http.post(webhook_url(hooks, "referrals"), json={"patient": "cy"})
    message_id = reply.json()["meta"]["message_id"]
    wrong = hooks.api("POST", f"/messages/{message_id}/runs", json={"job": "check-patient"})
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_request")
    assert "came through the webhook Referral-Intake/webhook" in wrong.json()["message"]
    age(hooks, message_id)  # the 10-second rule holds for message x workflow too: as if 11 s had passed
    again = hooks.api("POST", f"/messages/{message_id}/runs", json={"job": "Referral-Intake"})
    assert (again.status_code, again.json()["dag_id"]) == (201, WORKFLOW)
    refused = hooks.api("POST", "/projects/referrals/reprocess", json={"ids": [message_id]}).json()
    assert refused["data"] == [] and refused["errors"][0]["error"] == "too_many_runs"


def test_retry_from_a_step_of_an_unfinished_run_is_refused(hooks):
    reply = hooks.http.post(webhook_url(hooks, "referrals"), json={"patient": "di"})
    message_id = reply.json()["meta"]["message_id"]
    (run,) = reply.json()["data"]
    hooks.dispatch()
    retry = hooks.api("POST", f"/messages/{message_id}/runs/{run['run_id']}/retry", json={"step": "register-patient"})
    assert (retry.status_code, retry.json()["error"]) == (409, "conflict")
    unknown = hooks.api("POST", f"/messages/{message_id}/runs/{run['run_id']}/retry", json={"step": "nope"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "step_not_found")
