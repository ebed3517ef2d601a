"""Lightning workflows end to end in a real deployment: a message to a workflow's webhook runs exactly the
steps OpenFn would run (success, failure and JavaScript-condition edges), the receipt shows each step, a
cron workflow carries its cursor, and retry from the middle step re-runs only that step and what follows."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import finished_runs, task_log, trigger

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
DEMO = "demo.referral-workflow"


def webhook_url(airflow, project: str, workflow: str) -> str:
    (listed,) = [p for p in airflow.api("GET", "/openfn/api/projects").json()["projects"] if p["name"] == project]
    (found,) = [w for w in listed["workflows"] if w["key"] == workflow]
    (hook,) = [t for t in found["triggers"] if t["kind"] == "webhook"]
    return hook["inbox_url"]


def finished(airflow, message_id: str) -> dict:
    def check():
        receipt = airflow.api("GET", f"/openfn/api/messages/{message_id}").json()
        runs = receipt.get("runs") or []
        done = runs and all(r["state"] in ("success", "failed") for r in runs)
        return receipt if done else None

    return airflow.wait_for(check, f"the runs of message {message_id}", timeout=240)


def step_states(run: dict) -> dict[str, str]:
    return {step["step"]: step["state"] for step in run["steps"]}


def post(airflow, body: dict) -> str:
    reply = httpx.post(webhook_url(airflow, "demo", "referral-workflow"), json=body, timeout=30)
    assert reply.status_code == 202, reply.text
    return reply.json()["meta"]["message_id"]


def test_success_and_condition_edges_run_exactly_the_steps_openfn_would(airflow):
    receipt = finished(airflow, post(airflow, {"patient": "ana", "urgent": True}))
    (run,) = receipt["runs"]
    assert (run["dag_id"], run["state"]) == (DEMO, "success")
    assert step_states(run) == {"check-referral": "success", "register-referral": "success", "alert-clinician": "success",
                                "report-problem": "skipped", "openfn_result": "success"}  # fmt: skip
    assert receipt["job_states"] == [{"job": "referral-workflow", "state": "success", "run_id": run["run_id"]}]
    final = airflow.api("GET", f"/api/v2/dags/{DEMO}/dagRuns/{run['run_id']}/taskInstances/openfn_result/xcomEntries/return_value").json()
    assert final["value"]["registered"] == "ana" and final["value"]["data"]["urgent"] is True


def test_a_failure_edge_handles_the_failure_and_the_run_succeeds_as_on_lightning(airflow):
    (run,) = finished(airflow, post(airflow, {"urgent": True}))["runs"]
    assert run["state"] == "success"
    assert step_states(run) == {"check-referral": "failed", "report-problem": "success", "register-referral": "skipped",
                                "alert-clinician": "skipped", "openfn_result": "success"}  # fmt: skip


def test_retry_from_the_middle_step_reruns_only_it_and_what_follows(airflow):
    message_id = post(airflow, {"patient": "bo"})  # not urgent: alert-clinician is skipped
    (run,) = finished(airflow, message_id)["runs"]
    before = {s["step"]: s for s in run["steps"]}
    reply = airflow.api("POST", f"/openfn/api/messages/{message_id}/runs/{run['run_id']}/retry", json={"step": "register-referral"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["cleared"] == ["register-referral", "alert-clinician", "openfn_result"]

    def rerun():
        (again,) = airflow.api("GET", f"/openfn/api/messages/{message_id}").json()["runs"]
        steps = {s["step"]: s for s in again["steps"]}
        return again if again["state"] == "success" and steps["register-referral"]["try_number"] == 2 else None

    again = airflow.wait_for(rerun, "the run retried from register-referral", timeout=240)
    after = {s["step"]: s for s in again["steps"]}
    assert after["check-referral"]["try_number"] == before["check-referral"]["try_number"] == 1  # not run again
    assert after["check-referral"]["end_date"] == before["check-referral"]["end_date"]
    assert (after["register-referral"]["state"], after["openfn_result"]["try_number"]) == ("success", 2)


def test_a_cron_workflow_carries_its_cursor(airflow):
    for _ in range(2):
        run_id = trigger(airflow, "referrals.Nightly-Count")
        assert airflow.wait_for_run_state("referrals.Nightly-Count", run_id)["state"] == "success"
        runs = finished_runs(airflow, "referrals.Nightly-Count")
        assert airflow.variable("openfn.state.referrals.Nightly-Count") == {"data": {"counted": runs}}


def test_a_workflow_with_a_python_step_and_a_javascript_step_runs_end_to_end(airflow):
    reply = httpx.post(webhook_url(airflow, "mixed", "intake"), json={"name": "  ana lima "}, timeout=30)
    assert reply.status_code == 202, reply.text
    (run,) = finished(airflow, reply.json()["meta"]["message_id"])["runs"]
    assert (run["dag_id"], run["state"]) == ("mixed.intake", "success")
    assert step_states(run) == {"tidy-name": "success", "greet": "success", "report-problem": "skipped", "openfn_result": "success"}
    final = airflow.api("GET", f"/api/v2/dags/mixed.intake/dagRuns/{run['run_id']}/taskInstances/openfn_result/xcomEntries/return_value").json()
    assert final["value"]["data"] == {"name": "Ana Lima", "greeting": "Hello, Ana Lima"}
    assert "configuration" not in final["value"]


def test_concurrency_queues_the_runs_it_does_not_allow_yet_and_job_logs_stay_out_of_the_task_log(airflow):
    url = webhook_url(airflow, "queue", "one-at-a-time")
    ids = []
    for name in ("Amina Y.", "Bo K."):
        reply = httpx.post(url, json={"name": name}, timeout=30)
        assert reply.status_code == 202, reply.text
        ids.append(reply.json()["meta"]["message_id"])

    def one_waiting():  # `concurrency: 1`: while one run runs, the other's receipt shows it queued
        states = sorted(airflow.api("GET", f"/openfn/api/messages/{i}").json()["runs"][0]["state"] for i in ids)
        return states if states == ["queued", "running"] else None

    airflow.wait_for(one_waiting, "one run running and the other queued", timeout=120)
    runs = [finished(airflow, message_id)["runs"][0] for message_id in ids]
    assert [run["state"] for run in runs] == ["success", "success"]  # none dropped
    log = task_log(airflow, "queue.one-at-a-time", runs[0]["run_id"])
    assert "[R/T]" in log and "patient" not in log and "Amina" not in log
