"""OpenFn in hand-written DAGs, with a real triggerer (dags/openfn_inbox_example.py on the demo project):
the inbox sensor waits deferred and fires on a matching message only; the inbox asset starts one DAG run
per matching message, none for non-matching or excluded ones, and a triggerer killed and started again
neither loses nor repeats a message."""

from __future__ import annotations

import json
import signal

import httpx
import pytest
import sqlalchemy as sa

from tests.e2e.test_replies import inbox_url

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WAIT_DAG, ASSET_DAG = "openfn_example_lab_result_wait", "openfn_example_lab_result"


def post(airflow, body: dict) -> str:
    reply = httpx.post(inbox_url(airflow, "demo"), json=body, timeout=60)
    assert reply.status_code == 202, reply.text
    return reply.json()["meta"]["message_id"]


def task_state(airflow, dag_id: str, run_id: str, task_id: str) -> str | None:
    reply = airflow.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
    return reply.json().get("state") if reply.status_code == 200 else None


def xcom(airflow, dag_id: str, run_id: str, task_id: str, key: str = "return_value"):
    reply = airflow.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}")
    assert reply.status_code == 200, reply.text
    value = reply.json()["value"]
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value  # a plain string (the sensor's message_id)


def asset_runs(airflow) -> list[dict]:
    return [r for r in airflow.dag_runs(ASSET_DAG) if r["run_type"] == "asset_triggered"]


def patiently(read):
    """``read`` as a wait_for predicate that a slow reply only postpones: the api-server builds Airflow's
    execution API when the deployment's first task starts, and answers nothing else meanwhile (tens of
    seconds on a busy machine), whatever the first task is."""

    def predicate():
        try:
            return read()
        except httpx.TimeoutException:
            return None

    return predicate


def finished(airflow, dag_id: str, run_id: str) -> bool:
    reply = airflow.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
    return reply.status_code == 200 and reply.json()["state"] in ("success", "failed")


def recorded_message_ids(airflow) -> list[str]:
    """The message each asset-triggered run of the example handled (its ``record`` task's final state)."""
    ids = []
    for run in asset_runs(airflow):
        airflow.wait_for(patiently(lambda: finished(airflow, ASSET_DAG, run["dag_run_id"])), "the asset-triggered runs to finish", timeout=240)
        ids.append(xcom(airflow, ASSET_DAG, run["dag_run_id"], "record")["recorded"]["message_id"])
    return ids


def asset_events_of(airflow, message_ids: list[str]) -> dict[str, int]:
    engine = sa.create_engine(airflow.db_uri)
    try:
        with engine.connect() as connection:
            extras = connection.execute(sa.text("SELECT extra FROM asset_event")).scalars().all()
    finally:
        engine.dispose()
    payloads = [(json.loads(e) if isinstance(e, str) else e).get("payload") or {} for e in extras]
    return {m: sum(p.get("message_id") == m for p in payloads) for m in message_ids}


def wait_for_watcher(airflow, prefix: str) -> None:
    """Until the triggerer runs the watcher (a new one starts after the newest message)."""
    engine = sa.create_engine(airflow.db_uri)
    try:
        def running():
            with engine.connect() as connection:
                return connection.execute(sa.text("SELECT count(*) FROM openfn_watcher WHERE name LIKE :p"), {"p": f"{prefix}%"}).scalar()

        airflow.wait_for(running, f"the watcher {prefix} to start", timeout=240)
    finally:
        engine.dispose()


def test_the_inbox_asset_runs_its_dag_once_per_matching_message_across_a_triggerer_restart(airflow):
    wait_for_watcher(airflow, "asset:openfn-inbox://demo/")
    before = len(asset_runs(airflow))
    post(airflow, {"formID": "lab_result", "patient": "p-0", "result": "neg", "test": True})  # excluded
    post(airflow, {"formID": "lab_request", "patient": "p-0"})  # does not match
    first = post(airflow, {"formID": "lab_result", "patient": "p-1", "result": "pos"})
    airflow.wait_for(patiently(lambda: len(asset_runs(airflow)) > before), "the asset-triggered run", timeout=240)
    first_run = asset_runs(airflow)[before]["dag_run_id"]
    airflow.wait_for(patiently(lambda: finished(airflow, ASSET_DAG, first_run)), "the first asset-triggered run to finish", timeout=240)

    airflow.kill_component("triggerer", signal.SIGKILL)
    second = post(airflow, {"formID": "lab_result", "patient": "p-2", "result": "neg", "test": False})
    airflow.start_component("triggerer")
    airflow.wait_for(patiently(lambda: len(asset_runs(airflow)) >= before + 2), "the run of the message sent while no triggerer ran", timeout=240)
    handled = recorded_message_ids(airflow)[before:]
    assert sorted(handled) == sorted([first, second])
    # one asset event per message, and the watcher past both: nothing is left to hand out again
    assert asset_events_of(airflow, [first, second]) == {first: 1, second: 1}
    (run,) = [r for r in asset_runs(airflow)[before:] if xcom(airflow, ASSET_DAG, r["dag_run_id"], "record")["recorded"]["message_id"] == first]
    assert xcom(airflow, ASSET_DAG, run["dag_run_id"], "record")["recorded"] == {"message_id": first, "patient": "p-1", "result": "pos"}


def test_the_inbox_sensor_waits_deferred_and_fires_on_the_matching_message_only(airflow):
    run_id = airflow.api("POST", f"/api/v2/dags/{WAIT_DAG}/dagRuns", json={"logical_date": None}).json()["dag_run_id"]
    airflow.wait_for(patiently(lambda: task_state(airflow, WAIT_DAG, run_id, "wait_for_lab_result") == "deferred"), "the sensor to defer", timeout=240)
    post(airflow, {"formID": "lab_request", "patient": "p-9"})  # does not match
    message = post(airflow, {"formID": "lab_result", "patient": "p-9", "result": "pos", "value": 1.50})
    airflow.wait_for(patiently(lambda: finished(airflow, WAIT_DAG, run_id)), "the sensor's run to finish", timeout=240)
    assert airflow.api("GET", f"/api/v2/dags/{WAIT_DAG}/dagRuns/{run_id}").json()["state"] == "success"
    pushed = xcom(airflow, WAIT_DAG, run_id, "wait_for_lab_result")
    assert (pushed["message_id"], pushed["project"], pushed["body"]["patient"]) == (message, "demo", "p-9")
    assert xcom(airflow, WAIT_DAG, run_id, "wait_for_lab_result", key="message_id") == message
    assert xcom(airflow, WAIT_DAG, run_id, "tidy")["data"] == {"patient": "p-9", "result": "POS"}
