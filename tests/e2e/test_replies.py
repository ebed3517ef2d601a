"""Replies after completion end to end in a real deployment: the sender of a message to a trigger with
``webhook_reply: after_completion`` is answered with the run's result (its data, or its error), with
webhookResponse, after the flow job when asked, past the limit with the 202 and a result URL, and after
an api-server restart by the same request sent again with its Idempotency-Key."""

from __future__ import annotations

import json
import signal
import threading
import uuid

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def inbox_url(airflow, project: str) -> str:
    (listed,) = [p for p in airflow.api("GET", "/openfn/api/projects").json()["projects"] if p["name"] == project]
    return listed["inbox_url"]


def webhook_url(airflow, project: str, workflow: str) -> str:
    (listed,) = [p for p in airflow.api("GET", "/openfn/api/projects").json()["projects"] if p["name"] == project]
    (found,) = [w for w in listed["workflows"] if w["key"] == workflow]
    (hook,) = [t for t in found["triggers"] if t["kind"] == "webhook"]
    return hook["inbox_url"]


def pause(airflow, dag_id: str, paused: bool) -> None:
    reply = airflow.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})
    assert reply.status_code == 200, reply.text


def test_the_sender_gets_the_jobs_data_when_the_run_has_finished(airflow):
    form = {"formID": "patient_id_request", "name": " jane doe ", "dob": "1990-04-02"}
    reply = httpx.post(inbox_url(airflow, "demo"), json=form, timeout=60)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["data"]["name"] == "Jane Doe" and body["data"]["patient_id"].startswith("P-")
    meta = body["meta"]
    assert (meta["state"], meta["error_type"]) == ("success", None)
    (run,) = meta["runs"]
    assert (run["job"], run["dag_id"], run["state"]) == ("issue-patient-id", "demo.issue-patient-id", "success")
    assert reply.headers["x-openfn-message-id"] == meta["message_id"]
    assert reply.headers["x-openfn-run-id"] == run["run_id"]
    again = httpx.post(inbox_url(airflow, "demo"), json=form, timeout=60)  # the same form: the same id
    assert again.json()["data"]["patient_id"] == body["data"]["patient_id"]


def test_a_failed_run_answers_with_its_error_and_the_failure_status(airflow):
    reply = httpx.post(inbox_url(airflow, "demo"), json={"formID": "patient_id_request", "name": "Jane"}, timeout=60)
    assert reply.status_code == 502, reply.text
    body = reply.json()
    assert body["error"] == "run_failed" and "date of birth" in body["message"]
    assert (body["data"], body["meta"]["state"]) == (None, "failed")
    assert body["meta"]["error_type"]

    refused = httpx.post(inbox_url(airflow, "replies"), json={"ask": "refuse", "clinic": "K-9"}, timeout=60)
    assert refused.status_code == 422, refused.text  # the trigger's error_code
    assert "clinic K-9 is unknown" in refused.json()["message"]


def test_the_job_sets_status_and_body_with_webhook_response(airflow):
    reply = httpx.post(inbox_url(airflow, "replies"), json={"ask": "answer", "n": 3, "status": 200}, timeout=60)
    assert (reply.status_code, reply.json()) == (200, {"custom": True, "n": 3})
    plain = httpx.post(inbox_url(airflow, "replies"), json={"ask": "answer", "n": 4}, timeout=60)
    assert (plain.status_code, plain.json()["data"]) == (201, {"patient_id": "P-4", "n": 4})


def test_the_reply_can_wait_for_the_flow_job(airflow):
    reply = httpx.post(inbox_url(airflow, "replies"), json={"ask": "chained", "n": 5}, timeout=60)
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert body["data"] == {"step": "confirmed", "n": 5}
    assert [(r["job"], r["state"]) for r in body["meta"]["runs"]] == [("chained", "success"), ("confirm-chained", "success")]


def test_a_lightning_webhook_answers_after_completion(airflow):
    url = webhook_url(airflow, "replies", "sync-referral")
    reply = httpx.post(url, json={"patient": "ana"}, timeout=60)
    assert reply.status_code == 200, reply.text  # the status the first step set in webhookResponse
    assert reply.json()["data"] == {"referral_id": "R-ana"}
    failed = httpx.post(url, json={"nobody": True}, timeout=60)
    assert failed.status_code == 502, failed.text
    body = failed.json()
    assert body["meta"]["state"] == "failed" and "names no patient" in body["message"]
    # its receipt: the run's outcome, and each step's own result (the failed step's error, its task log)
    (run,) = airflow.api("GET", f"/openfn/api/messages/{body['meta']['message_id']}").json()["runs"]
    assert run["result"]["error"]["message"].startswith("step check failed and no step handled it: ")
    steps = {step["step"]: step for step in run["steps"]}
    check = steps["check"]["result"]
    assert check["error"]["message"].endswith("The referral names no patient.")
    assert check["log"]["task_id"] == "check" and check["log"]["lines"]
    assert check["full"].endswith(f"/runs/{run['run_id']}/result?step=check")
    assert "result" not in steps["openfn_result"]


def test_past_the_limit_the_sender_gets_the_202_and_then_the_result_from_its_url(airflow):
    pause(airflow, "replies.answer", True)
    try:
        reply = httpx.post(inbox_url(airflow, "replies"), json={"ask": "answer", "n": 6}, headers={"Prefer": "wait=2"}, timeout=60)
        assert reply.status_code == 202, reply.text
        meta = reply.json()["meta"]
        assert meta["message"] == "Data accepted and processing has begun." and "has not finished within 2 s" in meta["reply"]
        assert reply.json()["data"][0]["job"] == "answer"
        pending = httpx.get(meta["result_url"], params={"wait": 0}, timeout=30)
        assert pending.status_code == 202 and pending.json()["meta"]["result_url"] == meta["result_url"]
    finally:
        pause(airflow, "replies.answer", False)
    result = httpx.get(meta["result_url"], timeout=60)
    assert result.status_code == 201, result.text
    assert result.json()["data"] == {"patient_id": "P-6", "n": 6}
    assert httpx.get(meta["result_url"].replace(meta["message_id"], str(uuid.uuid4())), timeout=30).status_code == 404


def test_a_sender_that_gives_up_is_no_longer_waited_for(airflow):
    def waiting() -> int:
        return airflow.api("GET", "/openfn/ready").json()["waiting_replies"]

    outcome: dict = {}

    def give_up_after_3_seconds():
        try:
            outcome["reply"] = httpx.post(inbox_url(airflow, "replies"), json={"ask": "answer", "n": 8}, timeout=3)
        except httpx.ReadTimeout as error:
            outcome["error"] = error

    pause(airflow, "replies.answer", True)
    try:
        sender = threading.Thread(target=give_up_after_3_seconds)
        sender.start()
        airflow.wait_for(lambda: waiting() == 1, "the request to be held", timeout=30, interval=0.2)
        sender.join(30)
        assert "error" in outcome, outcome
        airflow.wait_for(lambda: waiting() == 0, "the held request to be let go", timeout=30, interval=0.2)
    finally:
        pause(airflow, "replies.answer", False)


def test_after_a_restart_the_same_key_returns_the_finished_result(airflow):
    url, key = inbox_url(airflow, "replies"), f"restart-{uuid.uuid4()}"
    message = {"ask": "answer", "n": 7, "attempt": key}
    outcome: dict = {}

    def first_try():
        try:
            outcome["reply"] = httpx.post(url, json=message, headers={"Idempotency-Key": key}, timeout=120)
        except httpx.HTTPError as error:
            outcome["error"] = error

    pause(airflow, "replies.answer", True)  # the run waits, so the request is held when the api-server dies
    try:
        sender = threading.Thread(target=first_try)
        sender.start()

        def stored():
            found = airflow.api("GET", "/openfn/api/messages", params={"project": "replies", "q": json.dumps({"attempt": key})}).json()["messages"]
            return found if found else None

        (held,) = airflow.wait_for(stored, "the held message to be stored", timeout=60, interval=0.3)
        airflow.kill_component("api-server", signal.SIGKILL)
        sender.join(30)
        assert "error" in outcome, outcome  # the sender saw the connection drop
        airflow.start_component("api-server")
        airflow.wait_healthy()
    finally:
        pause(airflow, "replies.answer", False)
    again = httpx.post(url, json=message, headers={"Idempotency-Key": key}, timeout=120)
    assert again.status_code == 201, again.text
    assert again.json()["data"] == {"patient_id": "P-7", "n": 7}
    assert again.json()["meta"]["message_id"] == held["id"]
    receipt = airflow.api("GET", f"/openfn/api/messages/{held['id']}").json()
    assert [run["job"] for run in receipt["runs"]] == ["answer"]  # one message, one run
