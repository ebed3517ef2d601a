"""One real Airflow deployment (api-server, scheduler, dag-processor, triggerer, LocalExecutor, PostgreSQL) for
every end-to-end test of this folder: the demo project, the runtime fixtures (Python), the JavaScript
fixtures, whose credential points at a local HTTP server, the warm engine's fixtures, the triggers that reply
after completion, and the example DAGs of dags/openfn_inbox_example.py (an inbox sensor and an inbox asset,
in the triggerer)."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from tests.adaptors.servers import ApiServer, Received, json_answer
from tests.support.airflow_env import REPO
from tests.support.airflow_server import AirflowDeployment
from tests.support.templates import migrated_database

SECRET = "e2e-pw-51d0c"
JS_SECRET = "e2e-js-pw-6a2f0"
PATIENTS = {7: "Jack Wilshere", 8: "Larry Bird"}


def patients_api(request: Received):
    if request.path == "/patients":
        after = int(request.args["after"])
        return json_answer({"patients": [{"id": after + i} for i in (1, 2, 3)]})
    patient = int(request.path.rsplit("/", 1)[1])
    return json_answer({"id": patient, "name": PATIENTS[patient]})


@pytest.fixture(scope="session")
def api():
    with ApiServer(patients_api) as server:
        yield server


@pytest.fixture(scope="session")
def airflow(postgres_server, tmp_path_factory, api):
    root = tmp_path_factory.mktemp("e2e-scheduler")
    jobs = root / "jobs"
    shutil.copytree(REPO / "include" / "jobs" / "demo", jobs / "demo")
    shutil.copytree(REPO / "tests" / "fixtures" / "jobs" / "rt", jobs / "rt")
    shutil.copytree(REPO / "tests" / "fixtures" / "jobs" / "js", jobs / "js")
    shutil.copytree(REPO / "tests" / "fixtures" / "jobs" / "engine", jobs / "engine")
    shutil.copytree(REPO / "tests" / "fixtures" / "jobs" / "replies", jobs / "replies")
    shutil.copytree(REPO / "tests" / "fixtures" / "jobs" / "privacy", jobs / "privacy")
    shutil.copytree(REPO / "tests" / "fixtures" / "lightning" / "referrals", jobs / "referrals")
    shutil.copytree(REPO / "tests" / "fixtures" / "lightning" / "mixed", jobs / "mixed")
    shutil.copytree(REPO / "tests" / "fixtures" / "lightning" / "queue", jobs / "queue")
    deployment = AirflowDeployment(
        root / "home",
        jobs_dir=jobs,
        db_uri=migrated_database(postgres_server, "airflow_e2e_scheduler"),
        migrated=True,
        triggerer=True,
        extra_env={
            "AIRFLOW_CONN_OPENFN_TEST_OPENMRS": json.dumps({"conn_type": "http", "host": "openmrs.example.org", "login": "admin", "password": SECRET, "extra": {"apiKey": "e2e-key"}}),
            "AIRFLOW_CONN_JS_API": json.dumps({"conn_type": "http", "host": api.url, "login": "svc", "password": JS_SECRET}),
            "AIRFLOW_CONN_ANA_EXAMPLE.ORG-PATIENTS-API": json.dumps({"conn_type": "http", "host": api.url}),
            "AIRFLOW__OPENFN__DISPATCH_SWEEP_SECONDS": "2",
            "AIRFLOW__OPENFN__LOST_RUN_RETRY_DELAY_SECONDS": "1",  # a run lost with the engine starts again at once
            "AIRFLOW__OPENFN__LOST_RUN_RETRIES": "2",  # a loaded machine may lose a try besides the one a test loses
            # as docs/airflow-native.md advises: a triggerer's first Variable lookup costs it seconds to minutes
            "AIRFLOW_VAR_OPENFN_WATCH_TOKEN": "e2e-watch-token-3f9a1c0d7e2b4a6f8c1d",
        },
    )
    deployment.dsn = postgres_server.dsn("airflow_e2e_scheduler")
    try:
        deployment.start()
        deployment.wait_for_dags([
            "demo.weekly-export", "demo.register-patient", "demo.confirm-registration", "demo.registration-failed",
            "rt.secretive", "js.cursor", "js.fetch", "js.confirm", "js.boom", "js.catch-boom", "js.secretive", "js.missing", "js.visits",
            "demo.referral-workflow", "referrals.Referral-Intake", "referrals.Nightly-Count", "demo.issue-patient-id",
            "replies.answer", "replies.refuse", "replies.chained", "replies.confirm-chained", "replies.sync-referral",
            "mixed.intake", "queue.one-at-a-time", "engine.patient", "engine.hog", "engine.hog-failed",
            "openfn_example_lab_result_wait", "openfn_example_lab_result",
            "privacy.log-body", "privacy.after-log", "privacy.slow", "privacy.after-slow",
        ])  # fmt: skip
        # The api-server builds Airflow's execution API on its first request and answers nothing else
        # meanwhile: on a busy machine, longer than the first task's client retries. Build it now.
        httpx.get(f"{deployment.url}/execution/health", timeout=300)
        yield deployment
    finally:
        deployment.stop()


def trigger(airflow: AirflowDeployment, dag_id: str, conf: dict | None = None) -> str:
    """A manual run, as ``airflow dags trigger`` makes it (no logical date; ``conf`` as given, None included),
    through the REST API: a CLI process costs seconds of Airflow imports for every run."""
    reply = airflow.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
    assert reply.status_code == 200, reply.text
    return reply.json()["dag_run_id"]


def task_log(airflow: AirflowDeployment, dag_id: str, run_id: str) -> str:
    return "".join(p.read_text() for p in (airflow.home / "logs").rglob("*.log") if f"dag_id={dag_id}" in str(p) and run_id in str(p))


def finished_runs(airflow: AirflowDeployment, dag_id: str) -> int:
    """How many runs of a cron DAG have succeeded, once none is queued or running. The deployment keeps the
    real schedule, so a test that crosses the cron time (02:00 for the fixtures) sees the scheduled run
    beside its own: a cursor is checked against every run that carried it, not against the test's count."""

    def check():
        runs = airflow.api("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100}).json()["dag_runs"]
        if any(run["state"] not in ("success", "failed") for run in runs):
            return None
        return sum(run["state"] == "success" for run in runs) or None

    return airflow.wait_for(check, f"every run of {dag_id} finished")
