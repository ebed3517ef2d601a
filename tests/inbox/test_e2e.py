"""End to end with a real api-server, scheduler and dag-processor on PostgreSQL: the seed's job-states
example (referral succeeds, payment fails, is re-run and succeeds), and durability: the api-server is
killed with SIGKILL during a stream of POSTs and restarted; every acknowledged message is stored and each
of its runs becomes exactly one DAG run."""

from __future__ import annotations

import shutil
import threading
import time

import httpx
import psycopg2
import pytest

from tests.inbox.conftest import JOBS_DIR
from tests.support.airflow_server import AirflowDeployment
from tests.support.templates import migrated_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CASE = {"form": "case_referral", "case_id": "case-7", "amount": 25}


@pytest.fixture(scope="module")
def airflow(postgres_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e-inbox")
    shutil.copytree(JOBS_DIR, root / "jobs")
    database = "airflow_e2e_inbox"
    deployment = AirflowDeployment(
        root / "home",
        jobs_dir=root / "jobs",
        db_uri=migrated_database(postgres_server, database),
        migrated=True,
        extra_env={"AIRFLOW__OPENFN__DISPATCH_SWEEP_SECONDS": "2"},
    )
    deployment.dsn = postgres_server.dsn(database)
    try:
        deployment.start()
        deployment.wait_for_dags(["clinic.referral", "clinic.payment", "clinic.payment-receipt", "clinic.payment-failed", "forms.register-patient"])
        yield deployment
    finally:
        deployment.stop()


def _inbox_url(airflow: AirflowDeployment, project: str) -> str:
    reply = airflow.api("GET", "/openfn/api/projects")
    assert reply.status_code == 200, reply.text
    (url,) = [p["inbox_url"] for p in reply.json()["projects"] if p["name"] == project]
    assert url.startswith(f"{airflow.url}/openfn/inbox/")
    return url


def _receipt(airflow: AirflowDeployment, message_id: str) -> dict:
    reply = airflow.api("GET", f"/openfn/api/messages/{message_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()


def _states(receipt: dict) -> dict[str, str]:
    return {s["job"]: s["state"] for s in receipt["job_states"]}


def _settled(airflow, message_id: str, jobs: dict[str, str]) -> dict:
    """Wait until the job-states of ``jobs`` are as given and no run of the message is unfinished."""

    def check():
        receipt = _receipt(airflow, message_id)
        states = _states(receipt)
        done = all(states.get(job) == state for job, state in jobs.items())
        return receipt if done and all(r["state"] in ("success", "failed") for r in receipt["runs"]) else None

    return airflow.wait_for(check, f"job-states {jobs} of message {message_id}", timeout=240)


def test_seed_job_states_example_with_real_runs(airflow):
    url = _inbox_url(airflow, "clinic")
    reply = httpx.post(url, json=CASE, timeout=30)
    assert reply.status_code == 202, reply.text
    message_id = reply.json()["meta"]["message_id"]
    first = {run["job"]: run["run_id"] for run in reply.json()["data"]}
    assert sorted(first) == ["payment", "referral"]

    receipt = _settled(airflow, message_id, {"referral": "success", "payment": "failure", "payment-failed": "success"})
    assert [s for s in receipt["job_states"] if s["job"] in ("referral", "payment")] == [
        {"job": "referral", "state": "success", "run_id": first["referral"]},
        {"job": "payment", "state": "failure", "run_id": first["payment"]},
    ]
    fail_runs = [r for r in receipt["runs"] if r["job"] == "payment-failed"]
    assert len(fail_runs) == 1 and fail_runs[0]["run_id"].startswith(f"fail__{message_id}__")

    # An operator fixes the gateway and re-runs the payment for this message.
    assert airflow.api("POST", "/api/v2/variables", json={"key": "clinic_gateway_open", "value": "yes"}).status_code == 201
    while True:
        rerun = airflow.api("POST", f"/openfn/api/messages/{message_id}/runs", json={"job": "payment"})
        if rerun.status_code != 429:
            break
        time.sleep(int(rerun.headers["retry-after"]))
    assert rerun.status_code == 201, rerun.text
    third = rerun.json()["run_id"]

    receipt = _settled(airflow, message_id, {"referral": "success", "payment": "success", "payment-receipt": "success"})
    assert [s for s in receipt["job_states"] if s["job"] in ("referral", "payment")] == [
        {"job": "referral", "state": "success", "run_id": first["referral"]},
        {"job": "payment", "state": "success", "run_id": third},
    ]
    runs = [(r["job"], r["run_id"], r["state"]) for r in receipt["runs"]]
    assert runs[:3] == [("referral", first["referral"], "success"), ("payment", first["payment"], "failed"), ("payment", third, "success")]
    assert sorted(job for job, _, _ in runs[3:]) == ["payment-failed", "payment-receipt"]
    listed = airflow.api("GET", "/openfn/api/messages", params={"project": "clinic", "job": "payment", "state": "success"}).json()
    assert [m["id"] for m in listed["messages"]] == [message_id]


def test_killing_the_api_server_loses_and_duplicates_nothing(airflow):
    assert airflow.api("PATCH", "/api/v2/dags/forms.register-patient", json={"is_paused": True}).status_code == 200
    url = _inbox_url(airflow, "forms")
    acknowledged: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def sender(worker: int) -> None:
        with httpx.Client(timeout=10) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    reply = client.post(url, json={"formID": "patient_registration_v7", "worker": worker, "n": n})
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if reply.status_code == 202:
                    with lock:
                        acknowledged.append(reply.json()["meta"]["message_id"])

    senders = [threading.Thread(target=sender, args=(w,)) for w in range(4)]
    for thread in senders:
        thread.start()
    airflow.wait_for(lambda: len(acknowledged) >= 150, "150 acknowledged messages", timeout=120, interval=0.05)
    airflow.kill_component("api-server")  # SIGKILL, mid-stream
    killed_at = len(acknowledged)
    airflow.start_component("api-server")
    airflow.wait_healthy()
    airflow.wait_for(lambda: len(acknowledged) >= killed_at + 50, "messages after the restart", timeout=120, interval=0.05)
    stop.set()
    for thread in senders:
        thread.join(30)

    connection = psycopg2.connect(airflow.dsn)
    connection.autocommit = True
    cursor = connection.cursor()

    def pending() -> int:
        cursor.execute("SELECT count(*) FROM openfn_run WHERE status = 'pending'")
        return cursor.fetchone()[0]

    airflow.wait_for(lambda: pending() == 0, "the dispatcher to create every pending run", timeout=180)
    cursor.execute("SELECT id FROM openfn_message WHERE project = 'forms'")
    stored = {row[0] for row in cursor.fetchall()}
    assert set(acknowledged) <= stored
    cursor.execute("SELECT run_id, status FROM openfn_run WHERE dag_id = 'forms.register-patient'")
    run_rows = cursor.fetchall()
    assert {status for _, status in run_rows} == {"created"}
    cursor.execute("SELECT run_id, count(*) FROM dag_run WHERE dag_id = 'forms.register-patient' AND run_id LIKE 'message%' GROUP BY run_id")
    dag_run_counts = dict(cursor.fetchall())
    assert set(dag_run_counts) == {run_id for run_id, _ in run_rows}
    assert set(dag_run_counts.values()) == {1}
    cursor.execute("SELECT count(*) FROM openfn_run r JOIN openfn_message m ON m.id = r.message_id WHERE m.project = 'forms'")
    assert cursor.fetchone()[0] == len(stored)  # one run per stored message, none lost
    connection.close()


def test_the_api_servers_access_log_never_holds_an_inbox_token(airflow):
    url = _inbox_url(airflow, "forms")
    token = url.rsplit("/", 1)[1]
    assert httpx.post(url, json={"formID": "log-check"}, timeout=30).status_code == 202
    assert httpx.get(url, timeout=30).status_code == 200
    assert httpx.put(url, json={}, timeout=30).status_code == 405
    log = airflow.home / "api-server.log"
    airflow.wait_for(lambda: log.read_text().count("/openfn/inbox/***") >= 3, "the access log lines")
    assert token not in log.read_text()
