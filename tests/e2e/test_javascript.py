"""OpenFn JavaScript jobs end to end in a real deployment: a message through the inbox runs a JavaScript job
and its flow job, a failing one its fail job; job-states and receipts as for Python jobs; a cron job's
cursor carried across runs; a real task log that masks the job's credential; a job that cannot run
listed under DAG import errors and failing at once."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import JS_SECRET, finished_runs, task_log, trigger

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def inbox_url(airflow, project: str) -> str:
    reply = airflow.api("GET", "/openfn/api/projects")
    (url,) = [p["inbox_url"] for p in reply.json()["projects"] if p["name"] == project]
    return url


def settled(airflow, message_id: str, jobs: dict[str, str]) -> dict:
    def check():
        receipt = airflow.api("GET", f"/openfn/api/messages/{message_id}").json()
        states = {s["job"]: s["state"] for s in receipt["job_states"]}
        done = all(states.get(job) == state for job, state in jobs.items())
        return receipt if done and all(r["state"] in ("success", "failed") for r in receipt["runs"]) else None

    return airflow.wait_for(check, f"job-states {jobs} of message {message_id}", timeout=240)


def test_a_message_runs_a_javascript_job_and_its_flow_job(airflow):
    reply = httpx.post(inbox_url(airflow, "js"), json={"form": "patient", "id": 7}, timeout=30)
    assert reply.status_code == 202, reply.text
    message_id = reply.json()["meta"]["message_id"]
    assert [run["job"] for run in reply.json()["data"]] == ["fetch"]  # `missing` has autoprocess: false
    receipt = settled(airflow, message_id, {"fetch": "success", "confirm": "success"})
    (flow,) = [r for r in receipt["runs"] if r["job"] == "confirm"]
    run = airflow.api("GET", f"/api/v2/dags/js.confirm/dagRuns/{flow['run_id']}").json()
    assert run["conf"]["state"]["data"] == {"patient": "Jack Wilshere", "id": 7}
    assert run["conf"]["state"]["request"]["message_id"] == message_id
    assert "configuration" not in run["conf"]["state"] and JS_SECRET not in str(run["conf"])


def test_a_failing_javascript_job_starts_its_fail_job_with_errors(airflow):
    reply = httpx.post(inbox_url(airflow, "js"), json={"form": "boom", "id": 9}, timeout=30)
    message_id = reply.json()["meta"]["message_id"]
    receipt = settled(airflow, message_id, {"boom": "failure", "catch-boom": "success"})
    (fail,) = [r for r in receipt["runs"] if r["job"] == "catch-boom"]
    assert fail["run_id"].startswith(f"fail__{message_id}__")
    conf = airflow.api("GET", f"/api/v2/dags/js.catch-boom/dagRuns/{fail['run_id']}").json()["conf"]
    assert conf["state"]["errors"]["boom"]["message"] == "Job 'boom' failed: JobError: no patient 9"
    assert conf["state"]["data"]["step"] == 1


def test_the_cursor_of_a_javascript_cron_job_is_carried_across_runs(airflow, api):
    for _ in range(2):
        run_id = trigger(airflow, "js.cursor")
        assert airflow.wait_for_run_state("js.cursor", run_id)["state"] == "success"
        runs = finished_runs(airflow, "js.cursor")
        assert airflow.variable("openfn.state.js.cursor")["lastId"] == 3 * runs  # each run moves it on by 3 patients
    # Each run asked for the patients after the cursor the run before it left.
    assert [r.args["after"] for r in api.received if r.path == "/patients"][-2:] == [str(3 * (runs - 2)), str(3 * (runs - 1))]


def test_the_real_task_log_has_the_jobs_lines_with_its_secret_masked(airflow):
    run_id = trigger(airflow, "js.secretive")
    assert airflow.wait_for_run_state("js.secretive", run_id)["state"] == "success"
    log = task_log(airflow, "js.secretive", run_id)
    assert "[JOB] ℹ connecting with ***" in log
    assert JS_SECRET not in log


def test_a_job_that_cannot_run_is_an_import_error_and_fails_at_once(airflow):
    errors = airflow.api("GET", "/api/v2/importErrors").json()["import_errors"]
    (report,) = [e for e in errors if e["filename"].endswith("openfn_project_errors.py")]
    # One line per missing adaptor version, naming the steps that need it and the one command.
    assert "@openfn/language-http@0.0.1 is not installed; 1 step needs it (missing)" in report["stack_trace"]
    assert "run `make adaptors`" in report["stack_trace"]
    run_id = trigger(airflow, "js.missing", {"form": "patient", "id": 8})
    run = airflow.wait_for_run_state("js.missing", run_id)
    assert run["state"] == "failed"
    tries = airflow.api("GET", f"/api/v2/dags/js.missing/dagRuns/{run_id}/taskInstances/run").json()["try_number"]
    assert tries == 1
    assert "Job 'missing' cannot run: " in task_log(airflow, "js.missing", run_id)


def test_a_javascript_job_keeps_a_value_in_its_projects_collection_across_runs(airflow):
    for _ in range(2):
        run_id = trigger(airflow, "js.visits")
        assert airflow.wait_for_run_state("js.visits", run_id)["state"] == "success", task_log(airflow, "js.visits", run_id)
        assert airflow.variable("openfn.state.js.visits")["count"] == finished_runs(airflow, "js.visits")
    log = task_log(airflow, "js.visits", run_id)
    assert r'[ADA] ℹ Collections: set 1 values in \"js-visits\"' in log  # the adaptor's own line (JSON-escaped)
    assert "ofr1." not in log  # the run's token never shows in its log
