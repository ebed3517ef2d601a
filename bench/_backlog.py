"""``bench/latency.py --backlog``: how long a waiting sender waits while a backlog of bulk runs drains.

``--backlog`` bulk messages (each starting one run of a no-op job) are accepted while their DAG is paused;
then it is unpaused, and while the backlog drains a sender posts to a trigger that answers after completion
(``webhook_reply: after_completion``) every ``--sender-gap`` seconds, each waiting for its reply. Measured:
the senders' reply time p50 / p99, and the backlog's drain rate (its runs / first start to last end).

Two deployments per database, the same executor (``[core] parallelism`` of scripts/env.sh for this machine):
``before`` runs the plugin as it is on the ``main`` branch (a copy of its ``plugins/`` and ``dags/``),
``after`` this tree's (the dispatcher admits waiting senders' runs first and bulk runs as Airflow's queue
has room; waiting senders' tasks outweigh bulk tasks).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.inbox import Reader, load, metadata_database, percentile, progress
from bench.load import machine_parallelism
from tests.support.airflow_server import AirflowDeployment
from tests.support.pgserver import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
PROJECT = """name: backlog
jobs:
  ping: {expression: noop.py, trigger: ping}
  bulk: {expression: noop.py, trigger: bulk}
triggers:
  ping: {criteria: '{"kind": "ping"}', webhook_reply: after_completion}
  bulk: {criteria: '{"kind": "bulk"}'}
"""
NOOP = "from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: {**state, 'data': {'ok': True}})]\n"


def main_tree() -> Path:
    """``main``'s plugins/ and dags/, exported once per commit."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "main"], capture_output=True, text=True, check=True).stdout.strip()
    target = Path(tempfile.gettempdir()) / f"openfn-bench-main-{commit[:12]}"
    if not (target / "plugins").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "plugins", "dags"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _deploy(kind: str, config: str, pg: PostgresServer | None) -> tuple[AirflowDeployment, Reader]:
    root = Path(tempfile.mkdtemp(prefix=f"openfn-bench-backlog-{kind}-{config}-"))
    jobs = root / "jobs" / "backlog"
    jobs.mkdir(parents=True)
    (jobs / "project.yaml").write_text(PROJECT)
    (jobs / "noop.py").write_text(NOOP)
    home = root / "home"
    home.mkdir()
    db_uri, reader = metadata_database(kind, home, pg, f"bench_backlog_{config}_{int(time.time())}")
    env = {"AIRFLOW__CORE__PARALLELISM": machine_parallelism(), "AIRFLOW__OPENFN__REPLY_TIMEOUT_SECONDS": "600"}
    if config == "before":
        tree = main_tree()
        env.update(AIRFLOW__CORE__PLUGINS_FOLDER=str(tree / "plugins"), AIRFLOW__CORE__DAGS_FOLDER=str(tree / "dags"))
    return AirflowDeployment(home, jobs_dir=root / "jobs", db_uri=db_uri, extra_env=env), reader


def _ping(url: str, n: int, replies: list[float], errors: list[str]) -> None:
    import httpx

    started = time.perf_counter()
    try:
        reply = httpx.post(url, json={"kind": "ping", "n": n}, timeout=700)
        if reply.status_code != 201:
            errors.append(f"{reply.status_code}: {reply.text[:200]}")
            return
    except httpx.HTTPError as error:
        errors.append(repr(error))
        return
    replies.append(time.perf_counter() - started)


def _bulk_window(reader: Reader, count: int) -> tuple[int, float] | None:
    """(finished bulk runs, seconds from the first one's start to the last one's end) once all have finished."""
    rows = reader.rows("SELECT count(*), min(start_date), max(end_date) FROM dag_run WHERE dag_id = 'backlog.bulk' AND end_date IS NOT NULL")
    done, first, last = rows[0]
    if done < count:
        return None
    from bench.inbox import as_time

    return done, (as_time(last) - as_time(first)).total_seconds()


def measure(kind: str, config: str, pg: PostgresServer | None, bulk: int, gap: float) -> dict:
    deployment, reader = _deploy(kind, config, pg)
    try:
        progress(f"backlog, {kind}, {config}: starting Airflow")
        deployment.start()
        deployment.wait_for_dags(["backlog.ping", "backlog.bulk"], timeout=300)
        assert deployment.api("PATCH", "/api/v2/dags/backlog.bulk", json={"is_paused": True}).status_code == 200
        projects = deployment.api("GET", "/openfn/api/projects").json()["projects"]
        url = next(p["inbox_url"] for p in projects if p["name"] == "backlog")
        _ping(url, -1, [], [])  # warm-up
        path = url.split(deployment.url, 1)[1]
        requests = [(path, json.dumps({"kind": "bulk", "n": n}).encode()) for n in range(bulk)]
        _, _, statuses = asyncio.run(load(deployment.url, requests, {"Content-Type": "application/json"}, 8))
        assert statuses.count(202) == bulk, f"{bulk - statuses.count(202)} bulk messages refused"
        time.sleep(10)  # the dispatcher creates what it will of the backlog
        progress(f"backlog, {kind}, {config}: {bulk} bulk messages accepted; unpausing their DAG, a waiting sender every {gap:g} s")
        assert deployment.api("PATCH", "/api/v2/dags/backlog.bulk", json={"is_paused": False}).status_code == 200
        replies: list[float] = []
        errors: list[str] = []
        threads = []
        n = 0
        while (window := _bulk_window(reader, bulk)) is None:
            thread = threading.Thread(target=_ping, args=(url, n, replies, errors))
            thread.start()
            threads.append(thread)
            n += 1
            time.sleep(gap)
        for thread in threads:
            thread.join()
        done, seconds = window
        return {"replies": replies, "errors": errors, "senders": n, "drain_rate": done / seconds if seconds else 0.0}
    finally:
        deployment.stop()


def table(results: dict[tuple[str, str], dict], bulk: int, gap: float) -> str:
    lines = [f"A waiting sender (one every {gap:g} s) while {bulk} bulk runs drain: reply seconds, and the backlog's drain rate", "",
             "| deployment | senders | reply p50 / p99 (s) | errors | bulk runs/s while draining |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for (kind, config), r in results.items():
        replies = r["replies"] or [float("nan")]
        lines.append(f"| {kind}, {config} | {r['senders']} | {percentile(replies, 0.5):.2f} / {percentile(replies, 0.99):.2f} "
                     f"| {len(r['errors'])} | {r['drain_rate']:.2f} |")  # fmt: skip
    return "\n".join(lines)


def run(only: str | None, bulk: int, gap: float) -> None:
    results: dict[tuple[str, str], dict] = {}
    with PostgresServer() as pg:
        for kind in ("sqlite", "postgresql"):
            if only not in (None, kind):
                continue
            for config in ("before", "after"):
                results[(kind, config)] = measure(kind, config, pg if kind == "postgresql" else None, bulk, gap)
                print(table({(kind, config): results[(kind, config)]}, bulk, gap), "\n", flush=True)
    print(table(results, bulk, gap))
