"""Lightning's load test against a deployment like ``make run``'s (SQLite) and one on PostgreSQL: does the
inbox keep answering fast while the same machine runs the jobs the messages start?

A steady ``--rate`` requests/s for ``--duration`` seconds (Lightning's test: 50/s for 60 s), each a 2 KB
JSON body; every other body matches a filter that starts two jobs, ``record`` (succeeds) and ``forward``
(fails, which starts its fail job ``forward-failed``): three runs per matching message. Requests are sent
open-loop (each at its planned time, whatever the ones before are doing), so a slow server shows as
latency, not as a lower rate; the latency counts from the planned time.

Printed per deployment: acknowledged latency p50 / p95 / p99 / max, errors (anything but 202, or no answer
within 30 s), the runs' backlog when the load ends (runs not yet finished: pending in the inbox, queued or
running in Airflow), how long it takes to drain, and whether every run ran with the expected result.

Two configurations each, measured in the same run: ``before`` = what ``make run`` set before this work
(Airflow's default ``[core] parallelism`` 32, tasks at the api-server's priority, no admission limit);
``after`` = the defaults now (``scripts/env.sh``'s parallelism for this machine, ``[openfn] task_nice``,
``[openfn] max_queued_runs``).

    .venv/bin/python bench/load.py [--rate 50] [--duration 60] [--only sqlite|postgresql] [--config before|after]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from bench.inbox import Connection, Reader, metadata_database, percentile, progress  # noqa: E402
from tests.support.airflow_server import AirflowDeployment  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402

PROJECT = """name: load
jobs:
  record: {expression: noop.py, trigger: visit}
  forward: {expression: fail.py, trigger: visit}
  forward-failed: {expression: noop.py, trigger: forward-failed}
triggers:
  visit: {criteria: '{"form": "visit"}'}
  forward-failed: {failure: forward}
"""
NOOP = "from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: {**state, 'data': {'ok': True}})]\n"
FAIL = ("from openfn.adaptors.common import fn\n\n\ndef refuse(state):\n"
        "    raise ValueError('the receiving system refused the record')\n\n\noperations = [fn(refuse)]\n")  # fmt: skip
EXPECTED = {"load.record": "success", "load.forward": "failed", "load.forward-failed": "success"}
BODY_BYTES = 2048
REQUEST_TIMEOUT = 30.0


def machine_parallelism() -> str:
    """What scripts/env.sh gives ``[core] parallelism`` on this machine."""
    return os.popen(f"bash -c 'source {ROOT}/scripts/env.sh >/dev/null; echo $AIRFLOW__CORE__PARALLELISM'").read().strip()


CONFIGS = {
    "before": {"AIRFLOW__CORE__PARALLELISM": "32", "AIRFLOW__OPENFN__TASK_NICE": "0", "AIRFLOW__OPENFN__MAX_QUEUED_RUNS": "0"},
    "after": {},  # filled in main(): the defaults now
}


def body(n: int) -> bytes:
    """A 2 KB JSON body, like a form submission; even numbers match the jobs' filter."""
    record = {"form": "visit" if n % 2 == 0 else "survey", "n": n, "patient": {"name": f"Patient {n}", "village": "Kisumu"}}
    text = json.dumps({**record, "notes": ""})
    record["notes"] = "x" * (BODY_BYTES - len(text))
    return json.dumps(record).encode()


async def send_load(url: str, path: str, rate: float, duration: float) -> tuple[list[float], list[int], list[int]]:
    """Open loop: request n is sent at start + n / rate on a free connection (a new one if none is free)."""
    host, port = url.split("//", 1)[1].split(":")
    free: list[Connection] = []
    latencies: list[float] = []
    statuses: list[int] = []
    acknowledged: list[int] = []  # the numbers of the messages answered 202
    headers = {"Content-Type": "application/json"}

    async def one(n: int, planned: float) -> None:
        connection = free.pop() if free else Connection(host, int(port))
        try:
            status, _ = await asyncio.wait_for(connection.request("POST", path, body(n), headers), REQUEST_TIMEOUT)
            free.append(connection)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            status = 0
        latencies.append(time.perf_counter() - planned)
        statuses.append(status)
        if status == 202:
            acknowledged.append(n)

    total = int(rate * duration)
    start = time.perf_counter() + 0.5
    tasks = []
    for n in range(total):
        planned = start + n / rate
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n, planned)))
    await asyncio.gather(*tasks)
    return latencies, statuses, acknowledged


def run_counts(reader: Reader) -> dict[str, int]:
    """Runs of the load project by where they are: pending in the inbox, unfinished or finished in Airflow."""
    ids = ", ".join(f"'{dag_id}'" for dag_id in EXPECTED)
    pending = reader.rows("SELECT count(*) FROM openfn_run WHERE status = 'pending'")[0][0]
    rows = reader.rows(f"SELECT state, count(*) FROM dag_run WHERE dag_id IN ({ids}) GROUP BY state")
    states = {state: count for state, count in rows}
    return {"pending": pending, "queued": states.get("queued", 0), "running": states.get("running", 0),
            "finished": states.get("success", 0) + states.get("failed", 0)}  # fmt: skip


def outcomes(reader: Reader) -> dict[tuple[str, str], int]:
    ids = ", ".join(f"'{dag_id}'" for dag_id in EXPECTED)
    return {(d, s): c for d, s, c in reader.rows(f"SELECT dag_id, state, count(*) FROM dag_run WHERE dag_id IN ({ids}) GROUP BY dag_id, state")}


def measure(kind: str, config: str, env: dict[str, str], pg: PostgresServer | None, rate: float, duration: float,
            drain_timeout: float) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"openfn-bench-load-{kind}-"))
    jobs = root / "jobs" / "load"
    jobs.mkdir(parents=True)
    (jobs / "project.yaml").write_text(PROJECT)
    (jobs / "noop.py").write_text(NOOP)
    (jobs / "fail.py").write_text(FAIL)
    home = root / "home"
    home.mkdir()
    db_uri, reader = metadata_database(kind, home, pg, f"bench_load_{config}_{int(time.time())}")
    # make run's own settings (scripts/env.sh): the DAG folder is parsed every 30 s, not the tests' 60 s
    deployment = AirflowDeployment(home, jobs_dir=root / "jobs", db_uri=db_uri, extra_env={"AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30", **env})
    try:
        progress(f"{kind}, {config}: starting Airflow ({env})")
        deployment.start()
        deployment.wait_for_dags(list(EXPECTED), timeout=300)
        projects = deployment.api("GET", "/openfn/api/projects").json()["projects"]
        path = next(p["inbox_url"] for p in projects if p["name"] == "load").split(deployment.url, 1)[1]
        progress(f"{kind}, {config}: {rate:g} requests/s for {duration:g} s")
        latencies, statuses, acknowledged = asyncio.run(send_load(deployment.url, path, rate, duration))
        ended = time.monotonic()
        backlog = run_counts(reader)
        matched = sum(1 for n in acknowledged if n % 2 == 0)  # every acknowledged message must run; the others were not stored
        expected_runs = matched * len(EXPECTED)
        ms = [1000 * v for v in latencies]
        progress(f"{kind}, {config}: load sent; acknowledged p50 {percentile(ms, 0.5):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
                 f"p99 {percentile(ms, 0.99):.0f} ms, {sum(1 for s in statuses if s != 202)} errors; backlog {backlog}; draining {expected_runs} runs")
        while True:
            counts = run_counts(reader)
            if counts["finished"] >= expected_runs or time.monotonic() - ended > drain_timeout:
                break
            time.sleep(1)
        drained = time.monotonic() - ended
        found = outcomes(reader)
        executed = all(found.get((dag_id, state), 0) == matched for dag_id, state in EXPECTED.items())
        return {"latencies": latencies, "statuses": statuses, "backlog": backlog, "drain": drained, "expected": expected_runs,
                "finished": counts["finished"], "executed": executed, "outcomes": found}  # fmt: skip
    finally:
        deployment.stop()


def table(results: dict[tuple[str, str], dict], rate: float, duration: float) -> str:
    lines = [f"Load: {rate:g} requests/s for {duration:g} s, {BODY_BYTES} B JSON bodies, half of them starting two jobs (one fails and starts a fail job)", "",
             "| deployment | acknowledged p50 / p95 / p99 / max (ms) | errors | backlog when the load ended (pending / queued / running) | drain time (s), runs/s | every run executed |",
             "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for (kind, config), r in results.items():
        ms = [1000 * v for v in r["latencies"]]
        errors = sum(1 for s in r["statuses"] if s != 202)
        b = r["backlog"]
        waiting = b["pending"] + b["queued"] + b["running"]
        rate_out = r["finished"] / r["drain"] if r["drain"] else 0
        lines.append(
            f"| {kind}, {config} | {percentile(ms, 0.5):.0f} / {percentile(ms, 0.95):.0f} / {percentile(ms, 0.99):.0f} / {max(ms):.0f} | {errors} "
            f"| {waiting} ({b['pending']} / {b['queued']} / {b['running']}) | {r['drain']:.0f}, {rate_out:.1f} "
            f"| {'yes' if r['executed'] else 'NO: ' + str(r['outcomes'])} ({r['finished']} of {r['expected']}) |"
        )  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--config", choices=tuple(CONFIGS), help="only this configuration")
    parser.add_argument("--drain-timeout", type=float, default=3600.0, help="stop waiting for the backlog after this many seconds")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an extra setting for the 'after' deployment")
    args = parser.parse_args()
    CONFIGS["after"] = {"AIRFLOW__CORE__PARALLELISM": machine_parallelism(), **dict(item.split("=", 1) for item in args.set)}
    results: dict[tuple[str, str], dict] = {}
    with PostgresServer() as pg:
        for kind in ("sqlite", "postgresql"):
            for config, env in CONFIGS.items():
                if args.only in (None, kind) and args.config in (None, config):
                    results[(kind, config)] = measure(kind, config, env, pg if kind == "postgresql" else None, args.rate, args.duration,
                                                        args.drain_timeout)
                    print(table({(kind, config): results[(kind, config)]}, args.rate, args.duration), "\n", flush=True)
    print(table(results, args.rate, args.duration))


if __name__ == "__main__":
    main()
