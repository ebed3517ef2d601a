"""Drain rate on the scaled-out deployment: message runs vs a plain no-op DAG, with one and two Celery workers.

For each worker count a distributed deployment (tests/support/distributed.py: PostgreSQL, Redis, two
api-servers behind HAProxy, scheduler, dag-processor, triggerer, Celery workers; the settings of
deploy/celery.env) holds a backlog of ``--runs`` queued DAG runs of each kind, made while the DAGs are
paused:

* message runs: messages posted to the inbox, each starting one run of a no-op Python job;
* JavaScript message runs: the same with the same job in JavaScript (``fn(state => state);``, run by
  @openfn/runtime in the worker's warm engine, or with ``--js-engines process`` a Node.js process per run);
* the baseline: a plain DAG with one no-op Python task, triggered through ``POST /api/v2/dags/{id}/dagRuns``.

After a warm-up (a few runs of each), one DAG is unpaused at a time and its completed runs per second are
measured (first start to last end). Also measured: how long a worker slot stays taken after the task
ended (the Celery task's end in the result backend minus the task instance's end: the "~5 s wait", see
docs/deployment.md; a third configuration runs with Airflow's default
``[workers] min_heartbeat_interval`` of 5 s to show it), the wait from the task's end to its DAG run's
end, and the CPU each component used while draining.

    .venv/bin/python bench/drain.py [--runs 100] [--workers 1 2] [--no-default-heartbeat] [--js-engines warm process]

``--js-engines`` adds, for each engine after the first, a one-worker configuration with ``[openfn] js_engine``
set to it (the first is used by every other configuration): the JavaScript ÷ Python message ratio of each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

import httpx  # noqa: E402

from tests.distributed.helpers import rows, token  # noqa: E402
from tests.support.distributed import DistributedDeployment  # noqa: E402

NOOP_JOB = "from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: state)]\n"
NOOP_DAG = '''from airflow.sdk import DAG, task

with DAG(dag_id="bench_noop", schedule=None, catchup=False, max_active_runs=16, tags=["bench"]):
    @task(task_id="run")
    def run():
        return None

    run()
'''
JS_JOB = "fn(state => state);\n"
MESSAGE_DAG = "drain.noop"
JS_DAG = "drain.js-noop"
WARM_UP = 6


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def pause(deployment: DistributedDeployment, *dag_ids: str, paused: bool = True) -> None:
    """Pauses (or unpauses) DAGs through the REST API, asking again while HAProxy has no api-server to
    offer (on a loaded machine its health checks time out now and then)."""
    for dag_id in dag_ids:
        deadline = time.monotonic() + 120
        while (reply := deployment.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not set is_paused={paused} on {dag_id}: {reply.status_code} {reply.text[:200]}")
            time.sleep(1)


def write_files(root: Path) -> tuple[Path, Path]:
    jobs, dags = root / "jobs", root / "dags"
    (jobs / "drain").mkdir(parents=True)
    (jobs / "drain" / "noop.py").write_text(NOOP_JOB)
    (jobs / "drain" / "noop.js").write_text(JS_JOB)
    (jobs / "drain" / "project.yaml").write_text(
        "name: drain\njobs:\n  noop:\n    expression: noop.py\n    trigger: any\n  js-noop:\n    expression: noop.js\n    trigger: js\n"
        "triggers:\n  any:\n    criteria: '{\"kind\": \"drain\"}'\n  js:\n    criteria: '{\"kind\": \"drain-js\"}'\n"
    )
    shutil.copytree(ROOT / "dags", dags)
    (dags / "bench_noop.py").write_text(NOOP_DAG)
    return jobs, dags


def backlog(deployment: DistributedDeployment, runs: int) -> None:
    """``runs`` more queued runs of each DAG, created while both are paused."""
    pause(deployment, MESSAGE_DAG, JS_DAG, "bench_noop")
    count = "SELECT count(*) FROM dag_run WHERE dag_id = %s"
    before = {dag_id: rows(deployment, count, (dag_id,))[0][0] for dag_id in (MESSAGE_DAG, JS_DAG)}
    inbox = token(deployment, "drain")
    with httpx.Client(timeout=60) as client:
        for n in range(runs):
            server = deployment.api_servers[n % 2]
            assert client.post(f"{server}/openfn/inbox/{inbox}", json={"kind": "drain", "n": n}).status_code == 202
            assert client.post(f"{server}/openfn/inbox/{inbox}", json={"kind": "drain-js", "n": n}).status_code == 202
            reply = client.post(f"{server}/api/v2/dags/bench_noop/dagRuns", json={"logical_date": None},
                                headers={"Authorization": f"Bearer {deployment.token()}"})  # fmt: skip
            assert reply.status_code == 200, reply.text

    def created() -> bool:
        return all(rows(deployment, count, (dag_id,))[0][0] == before[dag_id] + runs for dag_id in before)

    deployment.wait_for(created, "the dispatcher to create the message runs", timeout=300, interval=0.5)


def cpu_seconds(deployment: DistributedDeployment) -> dict[str, float]:
    """CPU seconds used so far by each component's processes (and their finished children, e.g. tasks)."""
    import psutil

    used = {}
    for name, process in deployment.processes.items():
        total = 0.0
        try:
            members = [psutil.Process(process.pid)]
            members += members[0].children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for member in members:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:  # a task process that just ended (its parent counts it)
                continue
            total += times.user + times.system + times.children_user + times.children_system
        used[name] = total
    used["postgresql, redis"] = _servers_cpu(deployment)
    return used


def memory(deployment: DistributedDeployment) -> dict[str, float]:
    """MiB of memory each component's processes hold on their own (USS: shared pages counted once)."""
    import psutil

    held = {}
    for name, process in deployment.processes.items():
        try:
            members = [psutil.Process(process.pid)]
            members += members[0].children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        total = 0
        for member in members:
            try:
                total += member.memory_full_info().uss
            except psutil.NoSuchProcess:  # a task process that just ended
                pass
        held[name] = total / 2**20
    return held


def _servers_cpu(deployment: DistributedDeployment) -> float:
    """The deployment's own PostgreSQL and Redis (other sessions' servers on this machine are left out)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name", "cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        ours = str(deployment.postgres.port) in command or str(deployment.redis.port) in command
        if process.info["name"] in ("postgres", "redis-server") and ours:
            try:
                total += sum(process.cpu_times()[:4])
            except psutil.NoSuchProcess:
                pass
    return total


def slot_holds(deployment: DistributedDeployment, dag_id: str) -> list[float]:
    """Seconds each task kept its worker slot after it ended (Celery's date_done minus the task's end)."""
    import datetime

    import redis

    tasks = rows(deployment, "SELECT external_executor_id, end_date FROM task_instance WHERE dag_id = %s AND task_id = 'run'", (dag_id,))
    client = redis.Redis.from_url(deployment.redis.url(1))
    holds = []
    for task_id, ended in tasks:
        meta = json.loads(client.get(f"celery-task-meta-{task_id}") or "{}")
        if meta.get("date_done") and ended:  # a task still reporting STARTED has none yet
            done = datetime.datetime.fromisoformat(meta["date_done"])
            holds.append((done.replace(tzinfo=done.tzinfo or datetime.timezone.utc) - ended).total_seconds())
    return sorted(holds)


def drain(deployment: DistributedDeployment, dag_id: str, runs: int, *, measured: bool = True) -> dict:
    pause(deployment, dag_id, paused=False)
    before_cpu = cpu_seconds(deployment)
    started = rows(deployment, "SELECT count(*) FROM dag_run WHERE dag_id = %s AND state IN ('success', 'failed')", (dag_id,))[0][0]

    def done() -> bool:
        finished = rows(deployment, "SELECT count(*) FROM dag_run WHERE dag_id = %s AND state IN ('success', 'failed')", (dag_id,))
        return finished[0][0] == started + runs

    deployment.wait_for(done, f"{dag_id} to drain", timeout=1800, interval=0.5)
    pause(deployment, dag_id)
    if not measured:
        return {}
    cpu = {name: used - before_cpu.get(name, 0.0) for name, used in cpu_seconds(deployment).items()}
    spans = rows(deployment, "SELECT d.start_date, d.end_date, t.end_date, d.state FROM dag_run d JOIN task_instance t "
                             "ON t.dag_id = d.dag_id AND t.run_id = d.run_id AND t.task_id = 'run' WHERE d.dag_id = %s "
                             "ORDER BY d.start_date DESC LIMIT %s", (dag_id, runs))  # fmt: skip
    first = min(start for start, _, _, _ in spans)
    last = max(end for _, end, _, _ in spans)
    seconds = (last - first).total_seconds()
    waits = sorted((run_end - task_end).total_seconds() for _, run_end, task_end, _ in spans)
    holds = slot_holds(deployment, dag_id)
    phases = rows(deployment, """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.queued_dttm - d.start_date)),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.start_date - t.queued_dttm)),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.end_date - t.start_date)),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.end_date - t.end_date)),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.end_date - d.start_date))
        FROM dag_run d JOIN task_instance t ON t.dag_id = d.dag_id AND t.run_id = d.run_id AND t.task_id = 'run'
        WHERE d.dag_id = %s""", (dag_id,))[0]  # fmt: skip
    return {
        "phases": [float(p) for p in phases],
        "rate": runs / seconds,
        "failed": sum(state != "success" for *_, state in spans),
        "wait_p50": statistics.median(waits),
        "wait_max": waits[-1],
        "hold_p50": statistics.median(holds) if holds else float("nan"),
        "hold_max": holds[-1] if holds else float("nan"),
        "hold_over_1s": sum(h > 1 for h in holds) / len(holds) if holds else float("nan"),
        "cpu": {name: used / seconds for name, used in cpu.items()},  # cores used on average
    }


def measure(label: str, workers: int, runs: int, tmp: Path, env: dict[str, str]) -> dict:
    root = tmp / label.replace(" ", "-")
    jobs, dags = write_files(root)
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(dags), **env}
    deployment = DistributedDeployment(root, jobs_dir=jobs, workers=workers, extra_env=env)
    try:
        progress(f"{label}: starting the deployment")
        deployment.start()
        deployment.wait_for_dags([MESSAGE_DAG, JS_DAG, "bench_noop"], timeout=300)
        progress(f"{label}: warm-up")
        backlog(deployment, WARM_UP)
        for dag_id in ("bench_noop", MESSAGE_DAG, JS_DAG):
            drain(deployment, dag_id, WARM_UP, measured=False)
        progress(f"{label}: {runs} queued runs of each DAG")
        backlog(deployment, runs)
        result = {}
        for kind, dag_id in (("noop", "bench_noop"), ("message", MESSAGE_DAG), ("js", JS_DAG)):
            progress(f"{label}: draining {dag_id}")
            result[kind] = drain(deployment, dag_id, runs)
        result["memory"] = memory(deployment)
        return result
    finally:
        deployment.stop()


def table(results: dict[str, dict], runs: int) -> str:
    from tests.support.deploy import celery_settings

    settings = celery_settings()
    lines = [
        f"Drain rate: {runs} queued runs per DAG after a warm-up, Celery workers of concurrency "
        f"{settings['AIRFLOW__CELERY__WORKER_CONCURRENCY']}, [workers] min_heartbeat_interval "
        f"{settings['AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL']} s (deploy/celery.env) unless said, two api-servers "
        f"behind HAProxy, all on this {os.cpu_count()}-core machine (load average when done: "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}: other work on the machine skews every figure).",
        "",
        "| configuration | no-op DAG (REST API): runs/s | message runs: runs/s | message ÷ no-op (goal ≥ 0.9×) "
        "| slot held after task end p50 / max, share > 1 s (no-op; message) | task end → run end p50 / max (no-op; message) | failed |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for label, r in results.items():
        noop, message = r["noop"], r["message"]
        lines.append(
            f"| {label} | {noop['rate']:.2f} | {message['rate']:.2f} | {message['rate'] / noop['rate']:.2f}× | "
            f"{noop['hold_p50']:.1f} / {noop['hold_max']:.1f} s, {noop['hold_over_1s']:.0%}; "
            f"{message['hold_p50']:.1f} / {message['hold_max']:.1f} s, {message['hold_over_1s']:.0%} | "
            f"{noop['wait_p50']:.1f} / {noop['wait_max']:.1f} s; {message['wait_p50']:.1f} / {message['wait_max']:.1f} s | "
            f"{noop['failed'] + message['failed'] + r['js']['failed']} |"
        )
    lines += ["", "JavaScript message runs (the same no-op job in JavaScript) against Python's, on the same deployment:", "",
              "| configuration | JavaScript message runs: runs/s | Python message runs: runs/s | JavaScript ÷ Python (goal ≥ 0.8×) "
              "| task started → ended p50 (Python; JavaScript) | failed |", "|---|---:|---:|---:|---|---:|"]
    for label, r in results.items():
        js, message = r["js"], r["message"]
        lines.append(f"| {label} | {js['rate']:.2f} | {message['rate']:.2f} | {js['rate'] / message['rate']:.2f}× "
                     f"| {message['phases'][2]:.2f} s; {js['phases'][2]:.2f} s | {js['failed']} |")
    one, two = results.get("1 worker"), results.get("2 workers")
    if one and two:
        lines.append("")
        for kind in ("noop", "message"):
            lines.append(f"Two workers ÷ one ({kind}): {two[kind]['rate'] / one[kind]['rate']:.2f}× (goal ≥ 1.6× where cores are to spare).")
    lines += ["", "Where a run's time goes, medians in seconds (no-op; message). A DAG runs at most `max_active_runs` (16) at once,",
              "so runs/s ≈ 16 ÷ the run's duration while runs are not held back by worker slots:", "",
              "| configuration | run start → task queued | task queued → started (Celery, worker, supervisor) "
              "| task started → ended (DAG parse, job) | task end → run end | run start → end |",
              "|---|---|---|---|---|---|"]
    for label, r in results.items():
        cells = [f"{a:.2f}; {b:.2f}" for a, b in zip(r["noop"]["phases"], r["message"]["phases"])]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Cores used on average while draining message runs (of " + str(os.cpu_count()) + "):", ""]
    names = sorted({name for r in results.values() for name in r["message"]["cpu"]})
    lines += ["| component | " + " | ".join(results) + " |", "|---|" + "---:|" * len(results)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{r['message']['cpu'].get(name, 0.0):.2f}" for r in results.values()) + " |")
    lines.append("| **total** | " + " | ".join(f"{sum(r['message']['cpu'].values()):.2f}" for r in results.values()) + " |")
    lines += ["", "Memory after draining (MiB, USS of each component's processes, tasks' included while running):", ""]
    names = sorted({name for r in results.values() for name in r["memory"]})
    lines += ["| component | " + " | ".join(results) + " |", "|---|" + "---:|" * len(results)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{r['memory'].get(name, 0.0):.0f}" for r in results.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-default-heartbeat", action="store_true", help="skip the run with Airflow's default min_heartbeat_interval")
    parser.add_argument("--js-engines", nargs="+", default=["warm", "process"], choices=("warm", "process"),
                        help="[openfn] js_engine of every configuration (the first), and of one more one-worker configuration each (the others)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # run the clean-ups: stop Airflow
    engine = {"AIRFLOW__OPENFN__JS_ENGINE": args.js_engines[0]}
    configurations = [(f"{n} worker{'s' if n > 1 else ''}", n, engine) for n in args.workers]
    for other in args.js_engines[1:]:
        configurations.append((f"1 worker, js_engine = {other}", 1, {"AIRFLOW__OPENFN__JS_ENGINE": other}))
    if not args.no_default_heartbeat:
        configurations.append(("1 worker, min_heartbeat_interval 5 s (Airflow's default)", 1, {**engine, "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "5"}))
    results = {}
    with tempfile.TemporaryDirectory(prefix="openfn-bench-drain-", ignore_cleanup_errors=True) as tmp:
        for label, workers, env in configurations:
            results[label] = measure(label, workers, args.runs, Path(tmp), env)
    print(table(results, args.runs))


if __name__ == "__main__":
    main()
