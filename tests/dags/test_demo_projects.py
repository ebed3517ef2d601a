"""The JavaScript demo projects `make run` shows run their main path through Airflow (``dag.test()``) with the
example body its curl line sends: the v1 export's registration job, and the Lightning export's intake
workflow, whose `enable_job_logs: false` keeps the patient's name out of the task log."""

from __future__ import annotations

import json

import pytest

from openfn.builder import build_dag
from openfn.readers import load_project
from tests.dags.conftest import REPO

JOBS = REPO / "include" / "jobs"


def example(path: str) -> dict:
    return json.loads((JOBS / path).read_text())


@pytest.fixture(scope="module")
def demos(sync_dags):
    v1, lightning = load_project(JOBS / "form-sync"), load_project(JOBS / "case-intake")
    assert (v1.problems, lightning.problems, v1.warnings, lightning.warnings) == ((), (), (), ())
    return sync_dags([build_dag(v1, v1.jobs["register-case"]), build_dag(lightning, lightning.workflows["Referral-Intake"])])


def test_the_v1_javascript_export_registers_the_example_case(demos, db):
    conf = {"openfn": {"message_id": "msg-demo-1", "project": "form-sync", "trigger": "message"}, "state": {"data": example("form-sync/example.json")}}
    run = demos["form-sync.register-case"].test(run_conf=conf)
    assert run.state == "success"
    assert db.xcom("form-sync.register-case", run.run_id)["data"]["case"] == {
        "id": "c-1042", "name": "Amina Yusuf", "sex": "female", "registeredAt": "2026-03-02T08:15:00Z"}  # fmt: skip


def test_the_lightning_export_runs_its_intake_and_keeps_the_jobs_output_out_of_the_log(demos, db, capfd, caplog):
    conf = {"openfn": {"project": "case-intake", "workflow": "Referral-Intake", "trigger": "webhook"},
            "state": {"data": example("case-intake/example.Referral-Intake.json"), "request": {"method": "POST"}}}  # fmt: skip
    dag = demos["case-intake.Referral-Intake"]
    assert dag.max_active_runs == 2  # its `concurrency`
    run = dag.test(run_conf=conf)
    assert run.state == "success"
    assert db.task_states("case-intake.Referral-Intake", run.run_id) == {
        "check-referral": "success", "to-fhir-patient": "success", "send-to-registry": "skipped", "report-problem": "skipped",
        "openfn_result": "success"}  # fmt: skip
    final = db.xcom("case-intake.Referral-Intake", run.run_id, task_id="openfn_result")
    assert final["patient"] == {"resourceType": "Patient", "name": [{"text": "Amina Yusuf"}], "gender": "female"}
    logs = "".join(capfd.readouterr()) + caplog.text
    assert "Referral for" not in logs  # the job's console.log: enable_job_logs is false
    assert "[R/T]" in logs  # the runtime's own lines stay
