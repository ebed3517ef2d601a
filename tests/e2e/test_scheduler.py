"""End to end with real Airflow components on PostgreSQL: cron state carry, on-demand runs, chaining."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SECRET, trigger

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_cron_job_triggered_on_demand_saves_its_state_and_carries_it(airflow):
    first = trigger(airflow, "demo.weekly-export")
    assert airflow.wait_for_run_state("demo.weekly-export", first)["state"] == "success"
    assert airflow.variable("openfn.state.demo.weekly-export") == {"data": {}, "references": [], "lastId": 3, "exported": 3}
    second = trigger(airflow, "demo.weekly-export")
    assert airflow.wait_for_run_state("demo.weekly-export", second)["state"] == "success"
    assert airflow.variable("openfn.state.demo.weekly-export")["lastId"] == 6


def test_flow_job_is_started_by_its_upstream_success(airflow):
    form = {"formID": "patient_registration_v7", "name": "jack wilshere", "dob": "1986-05-16"}
    run_id = trigger(airflow, "demo.register-patient", form)  # a plain conf object is the data
    assert airflow.wait_for_run_state("demo.register-patient", run_id)["state"] == "success"
    flow = airflow.wait_for(
        lambda: [r for r in airflow.dag_runs("demo.confirm-registration") if r["conf"]["openfn"]["upstream"]["run_id"] == run_id],
        "the flow run",
    )
    (flow_run,) = flow
    assert airflow.wait_for_run_state("demo.confirm-registration", flow_run["dag_run_id"])["state"] == "success"
    assert flow_run["conf"]["state"]["patient"]["name"] == "Jack Wilshere"


def test_fail_job_is_started_by_its_upstream_failure_and_the_upstream_run_stays_failed(airflow):
    run_id = trigger(airflow, "demo.register-patient", {"state": {"data": {"formID": "patient_registration_v7", "name": "no dob"}}})
    assert airflow.wait_for_run_state("demo.register-patient", run_id)["state"] == "failed"
    (fail_run,) = airflow.wait_for(
        lambda: [r for r in airflow.dag_runs("demo.registration-failed") if r["conf"]["openfn"]["upstream"]["run_id"] == run_id],
        "the fail run",
    )
    assert airflow.wait_for_run_state("demo.registration-failed", fail_run["dag_run_id"])["state"] == "success"
    error = fail_run["conf"]["state"]["errors"]["register-patient"]
    assert error["type"] == "AssertionError"
    assert "The registration form has no date of birth (dob)." in error["message"]


def test_secrets_are_masked_in_the_real_task_log(airflow):
    run_id = trigger(airflow, "rt.secretive")
    assert airflow.wait_for_run_state("rt.secretive", run_id)["state"] == "success"
    logs = "".join(p.read_text() for p in (airflow.home / "logs").rglob("*.log") if "rt.secretive" in str(p))
    assert "connecting as admin with password ***" in logs
    assert SECRET not in logs and "e2e-key" not in logs
