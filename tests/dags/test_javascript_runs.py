"""JavaScript jobs run through Airflow (``dag.test()``) with everything Python jobs have: cron state and its
cursor, message and flow/fail runs with OpenFn's ``errors``, credentials that never leave the run, a task
log that masks them, and jobs that cannot run failing at once."""

from __future__ import annotations

import json

import pytest

from openfn.builder import build_dag
from openfn.readers import load_project
from tests.adaptors.servers import ApiServer, Received, json_answer
from tests.dags.conftest import FIXTURES

pytestmark = pytest.mark.slow  # DAG runs with dag.test()
SECRET = "js-pw-2c81d"
PATIENTS = {7: "Jack Wilshere", 8: "Larry Bird"}


def route(request: Received):
    if request.path == "/patients":
        after = int(request.args["after"])
        return json_answer({"patients": [{"id": after + i} for i in (1, 2, 3)]})
    patient = int(request.path.rsplit("/", 1)[1])
    return json_answer({"id": patient, "name": PATIENTS[patient]})


@pytest.fixture(scope="module")
def api():
    with ApiServer(route) as server:
        yield server


@pytest.fixture(scope="module")
def js(sync_dags, api, smtp_server):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_JS_API", json.dumps({"conn_type": "http", "host": api.url, "login": "svc", "password": SECRET}))
        project = load_project(FIXTURES / "jobs" / "js")
        yield sync_dags(build_dag(project, job) for job in project.jobs.values())


def message(form: str, message_id: str, **data) -> dict:
    return {"openfn": {"message_id": message_id, "project": "js", "trigger": "message"},
            "state": {"data": {"form": form, **data}, "references": [], "request": {"message_id": message_id}}}  # fmt: skip


def runs_after(db, dag_id: str, upstream_run_id: str) -> list:
    return [r for r in db.runs(dag_id) if r[2]["openfn"]["upstream"]["run_id"] == upstream_run_id]


def test_the_cursor_is_carried_from_one_cron_run_to_the_next(js, api, db):
    api.clear()
    for expected_last in (3, 6, 9):
        run = js["js.cursor"].test()
        assert run.state == "success"
        saved = db.variable("openfn.state.js.cursor")
        assert (saved["lastId"], saved["exported"]) == (expected_last, expected_last)
    assert [r.args["after"] for r in api.received] == ["0", "3", "6"]
    assert "configuration" not in saved and SECRET not in json.dumps(saved)


def test_a_message_run_reads_the_server_and_hands_its_final_state_to_the_flow_job(js, db):
    run = js["js.fetch"].test(run_conf=message("patient", "m-js-1", id=7))
    assert run.state == "success"
    final = db.xcom("js.fetch", run.run_id)
    assert final["data"] == {"patient": "Jack Wilshere", "id": 7}
    assert final["request"] == {"message_id": "m-js-1"} and "configuration" not in final
    (flow,) = runs_after(db, "js.confirm", run.run_id)
    assert flow[0].startswith("flow__m-js-1__")
    assert flow[2]["state"] == final
    confirm = js["js.confirm"].test(run_conf=flow[2])
    assert db.xcom("js.confirm", confirm.run_id)["confirmed"] == "Jack Wilshere"


def test_a_failed_job_hands_its_state_with_errors_to_its_fail_job(js, db):
    run = js["js.boom"].test(run_conf=message("boom", "m-js-2", id=9))
    assert run.state == "failed"
    assert db.task_states("js.boom", run.run_id) == {"run": "failed", "fail_catch-boom": "success", "job_failed": "failed"}
    (fail_run,) = runs_after(db, "js.catch-boom", run.run_id)
    state = fail_run[2]["state"]
    assert state["data"] == {"form": "boom", "id": 9, "step": 1}
    assert state["errors"] == {
        "boom": {"source": "runtime", "name": "JobError", "severity": "fail", "type": "JobError",
                 "message": "Job 'boom' failed: JobError: no patient 9"},
    }  # fmt: skip
    caught = js["js.catch-boom"].test(run_conf=fail_run[2])
    assert db.xcom("js.catch-boom", caught.run_id)["handled"] == ["boom"]


def test_what_the_job_prints_reaches_the_task_log_and_its_secrets_are_masked_there(js, capfd, caplog):
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    run = js["js.secretive"].test()
    assert run.state == "success"
    log = "".join(capfd.readouterr()) + caplog.text
    assert "[JOB] ℹ connecting with " in log  # dag.test() prints unmasked; tests/e2e reads a real task log
    assert redact(f"[JOB] ℹ connecting with {SECRET}") == "[JOB] ℹ connecting with ***"


def test_a_job_whose_adaptor_is_not_installed_fails_at_once_saying_why(js, db, capfd, caplog):
    run = js["js.missing"].test(run_conf=message("patient", "m-js-3", id=8))
    assert run.state == "failed"
    log = "".join(capfd.readouterr()) + caplog.text
    assert "Job 'missing' cannot run: " in log
    assert "jobs.missing.adaptor: @openfn/language-http@0.0.1 is not installed" in log
    assert "make adaptor ADD=@openfn/language-http@0.0.1" in log
    failed = db.xcom("js.missing", run.run_id, key="failed_state")
    assert failed["errors"]["missing"]["type"] == "JobNotRunnable"
