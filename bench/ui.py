"""Server time of the OpenFn pages' data with 100,000 stored messages, on SQLite and PostgreSQL.

Each backend gets a fresh Airflow metadata database holding ``--messages`` messages of one project, the
inbox's run rows and matching Airflow DAG runs (every message ran its message job; a third also ran a flow
job, a tenth failed and ran the fail job; 1% are still running), written straight into the tables so that
the store is big without waiting for Airflow to run 100,000 jobs. The app is the plugin's own FastAPI app
(inbox, management API, OpenFn UI) called in-process, so the time is the server's: routing, login,
queries and JSON, without a network.

Measured, as the median and 95th percentile of ``--rounds`` calls after a warm-up:

* the inbox page (``GET /openfn/ui/api/messages``: newest 50 with job-states and previews), also with a
  job-state filter, a text search, a date range, and a page deep in the past (keyset cursor);
* the receipt (``GET /openfn/api/messages/<id>``) of a message with a flow run, and of the oldest message;
* the baseline, in the same run: the same calls with ``--baseline`` (1,000) messages stored.

    .venv/bin/python bench/ui.py [--messages 100000] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

GOAL_MS = 200.0
PROJECT = "bench"
NOOP = "from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: state)]\n"
PROJECT_YAML = """name: bench
jobs:
  register: {expression: noop.py, adaptor: common, trigger: registration}
  confirm: {expression: noop.py, adaptor: common, trigger: after-register}
  alert: {expression: noop.py, adaptor: common, trigger: register-failed}
  export: {expression: noop.py, adaptor: common, trigger: weekly}
triggers:
  registration: {criteria: '{"formID": "patient_registration_v7"}'}
  after-register: {success: register}
  register-failed: {failure: register}
  weekly: {cron: '0 23 * * 5'}
"""


# --- the parent: one child process per backend and size (Airflow reads its settings once per process) -----
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=3, metavar=("BACKEND", "DB_URI", "MESSAGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        backend, db_uri, messages = args.child
        print(json.dumps(measure(backend, db_uri, int(messages), args.rounds)))
        return
    results = {}
    postgres = None
    try:
        for backend in args.backends.split(","):
            if backend == "postgresql" and postgres is None:
                from tests.support.pgserver import PostgresServer

                postgres = PostgresServer().__enter__()
            for size in (args.baseline, args.messages):
                results[(backend, size)] = run_child(backend, size, args.rounds, postgres)
    finally:
        if postgres is not None:
            postgres.__exit__(None, None, None)
    print_table(results, args)


def run_child(backend: str, size: int, rounds: int, postgres) -> dict:
    if backend == "sqlite":
        db_uri = f"sqlite:///{tempfile.mkdtemp(prefix='bench-ui-')}/airflow.db"
    else:
        name = f"bench_ui_{size}"
        db_uri = postgres.create_database(name).replace("postgresql://", "postgresql+psycopg2://")
    home = Path(tempfile.mkdtemp(prefix="bench-ui-home-"))
    jobs = home / "jobs" / PROJECT
    jobs.mkdir(parents=True)
    (jobs / "noop.py").write_text(NOOP)
    (jobs / "project.yaml").write_text(PROJECT_YAML)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_uri,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__OPENFN__JOBS_DIR": str(home / "jobs"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": "bench-ui-secret-not-for-production-use-0123456789abcdef0123456789",
    }
    (home / "passwords.json").write_text(json.dumps({"admin": "admin"}))
    python = str(Path(sys.executable))
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    done = subprocess.run([python, __file__, "--rounds", str(rounds), "--child", backend, db_uri, str(size)],
                          env=env, capture_output=True, text=True, timeout=3600)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"bench child {backend} {size} failed:\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_table(results: dict, args) -> None:
    print(f"OpenFn UI server time, {args.rounds} calls each: median / p95 in ms "
          f"(goal: under {GOAL_MS:.0f} ms at {args.messages:,} messages)\n")  # fmt: skip
    backends = args.backends.split(",")
    header = ["call"] + [f"{b} {s:,} msgs" for b in backends for s in (args.baseline, args.messages)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    names = list(next(iter(results.values()))["calls"])
    for name in names:
        cells = []
        for backend in backends:
            for size in (args.baseline, args.messages):
                median, p95 = results[(backend, size)]["calls"][name]
                mark = "" if size != args.messages or p95 < GOAL_MS else " ⚠"
                cells.append(f"{median:.1f} / {p95:.1f}{mark}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    for backend in backends:
        info = results[(backend, args.messages)]
        print(f"\n{backend}: {info['messages']:,} messages, {info['dag_runs']:,} DAG runs; loading took {info['load_seconds']:.0f} s")


# --- the child: load the store, then time the calls -----------------------------------------------------------
def measure(backend: str, db_uri: str, messages: int, rounds: int) -> dict:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from airflow.api_fastapi.app import init_auth_manager

    from openfn.inbox.app import create_app
    from openfn.inbox.store.database import Database
    from openfn.inbox.services import InboxServices
    from openfn.inbox.store.schema import ensure_schema
    from openfn.settings import InboxSettings
    from openfn.ui import install
    database = Database(db_uri)
    ensure_schema(database)
    started = time.perf_counter()
    stats = load_store(database, messages)
    load_seconds = time.perf_counter() - started
    runtime = InboxServices(inbox_settings=InboxSettings(dispatcher=False, dispatch_sweep_seconds=60, dispatch_batch_size=0), database=database)
    root = FastAPI()
    root.mount("/openfn", install(create_app(lambda: runtime)))
    init_auth_manager(root)
    client = TestClient(root)
    token = client.post("/auth/token", json={"username": "admin", "password": "admin"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def timed(path: str, params: dict | None = None) -> tuple[float, float]:
        for _ in range(2):  # warm-up: caches, first plans
            reply = client.get(path, params=params, headers=headers)
            assert reply.status_code == 200, reply.text
        samples = []
        for _ in range(rounds):
            begin = time.perf_counter()
            reply = client.get(path, params=params, headers=headers)
            samples.append((time.perf_counter() - begin) * 1000)
            assert reply.status_code == 200, reply.text
        samples.sort()
        return statistics.median(samples), samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]

    deep = client.get("/openfn/ui/api/messages", params={"limit": 1, "before": stats["cursor_90"]}, headers=headers).json()
    assert deep["messages"], deep
    calls = {
        "inbox page, newest 50": timed("/openfn/ui/api/messages", {"limit": 50}),
        "inbox page, job-state = failure": timed("/openfn/ui/api/messages", {"limit": 50, "state": "failure"}),
        "inbox page, job = confirm, success": timed("/openfn/ui/api/messages", {"limit": 50, "job": "confirm", "state": "success"}),
        "inbox page, text search (1 in 100)": timed("/openfn/ui/api/messages", {"limit": 50, "q": "Kisumu"}),
        "inbox page, one day": timed("/openfn/ui/api/messages", {"limit": 50, "since": stats["day"], "until": stats["day"]}),
        "inbox page, 90% deep (keyset)": timed("/openfn/ui/api/messages", {"limit": 50, "before": stats["cursor_90"]}),
        "management API list, newest 50": timed("/openfn/api/messages", {"limit": 50}),
        "receipt, newest with flow run": timed(f"/openfn/api/messages/{stats['with_flow']}"),
        "receipt, oldest message": timed(f"/openfn/api/messages/{stats['oldest']}"),
    }
    database.dispose()
    return {"calls": calls, "messages": messages, "dag_runs": stats["dag_runs"], "load_seconds": load_seconds}


def load_store(database, count: int) -> dict:
    """Write ``count`` messages with their runs, as the inbox and Airflow would have, in chunks."""
    import datetime
    import hashlib
    import random
    import uuid

    import sqlalchemy as sa
    from airflow.models.dagrun import DagRun

    from openfn.inbox.store.schema import CREATED, message_jobs, messages, runs

    rng = random.Random(7)
    dag_run = DagRun.__table__
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    step = datetime.timedelta(days=60) / count  # two months of messages
    ids, flow_ids, dag_runs = [], [], 0
    chunk: dict[str, list] = {"messages": [], "runs": [], "jobs": [], "dag_runs": []}

    def flush() -> None:
        with database.write() as connection:
            if chunk["messages"]:
                connection.execute(sa.insert(messages), chunk["messages"])
                connection.execute(sa.insert(runs), chunk["runs"])
                connection.execute(sa.insert(message_jobs), chunk["jobs"])
                connection.execute(sa.insert(dag_run), chunk["dag_runs"])
        for rows in chunk.values():
            rows.clear()

    for n in range(count):
        received = start + step * n
        message_id = str(uuid.UUID(int=(int(received.timestamp() * 1000) << 80) | (7 << 76) | n))  # time-ordered, as UUIDv7
        ids.append(message_id)
        district = "Kisumu" if n % 100 == 0 else rng.choice(["Nairobi", "Mombasa", "Nakuru", "Eldoret"])
        body = {"formID": "patient_registration_v7", "name": f"patient {n}", "dob": "1986-05-16", "district": district,
                "meta": {"instanceID": f"uuid:{rng.getrandbits(64):016x}", "deviceID": "phone-12"},
                "medications": ["anaphlene", "zaradood"][: 1 + n % 2], "visits": n % 7}  # fmt: skip
        when = received.isoformat(timespec="microseconds")
        chunk["messages"].append({"id": message_id, "project": PROJECT, "received_at": when, "headers": '{"content-type": "application/json"}',
                                  "body": json.dumps(body), "idempotency_key": None, "reply": "{}"})  # fmt: skip
        state = "running" if n >= count - max(1, count // 100) else ("failed" if n % 10 == 3 else "success")
        run_id = f"message__{message_id}__{hashlib.sha1(message_id.encode()).hexdigest()[:16]}"
        chunk["runs"].append({"message_id": message_id, "project": PROJECT, "job": "register", "dag_id": f"{PROJECT}.register", "run_id": run_id,
                              "source": "message", "status": CREATED, "created_at": received.timestamp(), "dispatched_at": received.timestamp()})  # fmt: skip
        chunk["jobs"].append({"message_id": message_id, "job": "register", "last_run_at": received.timestamp(), "runs": 1})
        finished = received + datetime.timedelta(seconds=5)
        chunk["dag_runs"].append(_dag_run(f"{PROJECT}.register", run_id, state, received, finished))
        dag_runs += 1
        follow = "alert" if state == "failed" else ("confirm" if state == "success" and n % 3 == 0 else None)
        if follow:
            kind = "fail" if follow == "alert" else "flow"
            chunk["dag_runs"].append(_dag_run(f"{PROJECT}.{follow}", f"{kind}__{message_id}__{n:016x}", "success", finished, finished + datetime.timedelta(seconds=2)))
            dag_runs += 1
            if kind == "flow":
                flow_ids.append(message_id)
        if len(chunk["messages"]) >= 5000:
            flush()
    flush()
    with database.write() as connection:
        connection.execute(sa.text("ANALYZE"))  # fresh statistics, as autovacuum / a real deployment would have
    middle = start + step * (count // 2)
    return {"oldest": ids[0], "with_flow": flow_ids[-1], "cursor_90": ids[count // 10], "day": middle.date().isoformat(), "dag_runs": dag_runs}


def _dag_run(dag_id: str, run_id: str, state: str, queued, ended) -> dict:
    running = state == "running"
    return {"dag_id": dag_id, "run_id": run_id, "run_type": "manual", "state": state, "queued_at": queued, "start_date": queued,
            "end_date": None if running else ended, "run_after": queued, "triggered_by": "rest_api", "clear_number": 0, "span_status": "not_started"}  # fmt: skip


if __name__ == "__main__":
    main()
