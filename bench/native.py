"""How fast a matching inbox message reaches a hand-written DAG: the inbox sensor firing, and the inbox
asset's DAG run starting, at idle, against the inbox's own path (a project job's DAG run starting), the
baseline measured in the same run.

One real deployment on PostgreSQL (api-server, scheduler, dag-processor, triggerer; LocalExecutor;
deploy/airflow.env; the watch token in the environment) with the demo project and the example DAGs of dags/openfn_inbox_example.py. Messages
are sent one at a time (``--idle-gap`` seconds apart):

* a run of ``openfn_example_lab_result_wait`` is started and waits deferred; then ``{"formID":
  "lab_result"}`` -> the asset event recorded (``asset_event.timestamp``) -> the
  ``openfn_example_lab_result`` run it started (``dag_run.start_date``); and the same message -> the
  sensor task done with it (``task_instance.end_date``: fired in the triggerer, resumed on a worker);
* baseline: ``{"formID": "patient_registration_v7"}`` -> the ``demo.register-patient`` run started by the
  inbox's dispatcher (``dag_run.start_date``).

    .venv/bin/python bench/native.py [--messages 20] [--idle-gap 2]
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from bench.inbox import Reader, as_time, metadata_database, percentile  # noqa: E402
from tests.support.airflow_server import AirflowDeployment  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402

WAIT_DAG, ASSET_DAG = "openfn_example_lab_result_wait", "openfn_example_lab_result"
LABELS = {
    "baseline": "message -> project job's DAG run started (inbox dispatcher)",
    "asset_event": "message -> inbox asset event recorded",
    "asset_run": "message -> asset-scheduled DAG run started",
    "sensor": "message -> inbox sensor done with it",
}


def post(url: str, body: dict) -> str:
    reply = httpx.post(url, json=body, timeout=60)
    reply.raise_for_status()
    return reply.json()["meta"]["message_id"]


def received(reader: Reader, message_id: str):
    return as_time(reader.rows(f"SELECT received_at FROM openfn_message WHERE id = '{message_id}'")[0][0])


def wait_rows(deployment: AirflowDeployment, reader: Reader, sql: str, what: str) -> list[tuple]:
    return deployment.wait_for(lambda: [r for r in reader.rows(sql) if all(v is not None for v in r)], what, timeout=300, interval=0.1)


def one_message(deployment, reader, url: str) -> tuple[float, float, float]:
    """One matching message while a sensor run waits deferred: (asset event, asset run start, sensor done),
    each in seconds after the message arrived. Each message goes to one sensor run and one asset event."""
    run_id = deployment.api("POST", f"/api/v2/dags/{WAIT_DAG}/dagRuns", json={"logical_date": None}).json()["dag_run_id"]
    deployment.wait_for(lambda: reader.rows(f"SELECT state FROM task_instance WHERE dag_id = '{WAIT_DAG}' AND run_id = '{run_id}' "
                                            "AND task_id = 'wait_for_lab_result'") == [("deferred",)], "the sensor to defer", timeout=300)  # fmt: skip
    message_id = post(url, {"formID": "lab_result", "patient": "bench", "result": "neg"})
    base = received(reader, message_id)
    ((event_id, stamp),) = wait_rows(deployment, reader, f"SELECT id, timestamp FROM asset_event WHERE extra::text LIKE '%{message_id}%'", "the asset event")
    ((started,),) = wait_rows(deployment, reader, "SELECT d.start_date FROM dag_run d JOIN dagrun_asset_event a ON a.dag_run_id = d.id "
                              f"WHERE a.event_id = {event_id}", "the asset-scheduled run to start")  # fmt: skip
    ((ended,),) = wait_rows(deployment, reader, f"SELECT end_date FROM task_instance WHERE dag_id = '{WAIT_DAG}' AND run_id = '{run_id}' "
                            "AND task_id = 'wait_for_lab_result' AND state = 'success'", "the sensor to fire")  # fmt: skip
    return tuple((as_time(moment) - base).total_seconds() for moment in (stamp, started, ended))


def baseline_span(deployment, reader, url: str) -> float:
    message_id = post(url, {"formID": "patient_registration_v7", "name": "bench"})
    base = received(reader, message_id)
    ((started,),) = wait_rows(deployment, reader, "SELECT d.start_date FROM openfn_run r JOIN dag_run d ON d.dag_id = r.dag_id AND d.run_id = r.run_id "
                              f"WHERE r.message_id = '{message_id}'", "the project job's run to start")  # fmt: skip
    return (as_time(started) - base).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--idle-gap", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openfn-bench-native-") as tmp, PostgresServer() as pg:
        root = Path(tmp)
        shutil.copytree(ROOT / "include" / "jobs" / "demo", root / "jobs" / "demo")
        db_uri, reader = metadata_database("postgresql", root / "home", pg, "bench_native")
        token = {"AIRFLOW_VAR_OPENFN_WATCH_TOKEN": secrets.token_urlsafe(24)}  # as docs/airflow-native.md advises
        deployment = AirflowDeployment(root / "home", jobs_dir=root / "jobs", db_uri=db_uri, triggerer=True, extra_env=token)
        try:
            deployment.start()
            deployment.wait_for_dags([WAIT_DAG, ASSET_DAG, "demo.register-patient"], timeout=300)
            httpx.get(f"{deployment.url}/execution/health", timeout=600)  # built on first use: not part of any measurement
            (listed,) = [p for p in deployment.api("GET", "/openfn/api/projects").json()["projects"] if p["name"] == "demo"]
            url = listed["inbox_url"]
            deployment.wait_for(lambda: reader.rows("SELECT count(*) FROM openfn_watcher WHERE name LIKE 'asset:%'")[0][0], "the asset watcher", timeout=300)
            found: dict[str, list[float]] = {key: [] for key in LABELS}
            for _ in range(args.messages):
                found["baseline"].append(baseline_span(deployment, reader, url))
                time.sleep(args.idle_gap)
                event, run, sensor = one_message(deployment, reader, url)
                found["asset_event"].append(event)
                found["asset_run"].append(run)
                found["sensor"].append(sensor)
                time.sleep(args.idle_gap)
        finally:
            deployment.stop()
    print(f"\nInbox message -> hand-written DAGs, PostgreSQL, one message at a time at idle ({args.messages} each)\n")
    print(f"| {'path':<60} | {'p50 (s)':>8} | {'p99 (s)':>8} | {'max (s)':>8} |")
    print(f"|{'-' * 62}|{'-' * 10}|{'-' * 10}|{'-' * 10}|")
    for key, label in LABELS.items():
        values = found[key]
        print(f"| {label:<60} | {percentile(values, 0.5):>8.2f} | {percentile(values, 0.99):>8.2f} | {max(values):>8.2f} |")
    print(json.dumps({key: [round(v, 3) for v in values] for key, values in found.items()}))


if __name__ == "__main__":
    main()
