"""What a JavaScript job costs per run, against the same job in Python and a plain Airflow no-op task.

One real deployment (api-server, scheduler, dag-processor; LocalExecutor; PostgreSQL) holds three DAGs:

* ``airflow.noop``: a hand-written DAG whose one task does nothing (the floor: Airflow's own cost);
* ``bench.py-noop``: an OpenFn Python job, ``operations = [fn(lambda state: state)]``;
* ``bench.js-noop``: the same job in JavaScript, ``fn(state => state)``, run by @openfn/runtime in Node.

They are triggered in turn through Airflow's REST API, one run at a time, ``--runs`` times each. For every
run: the task's wall time (its start to its end, as Airflow records them), and the peak memory growth of
the scheduler's process tree while it ran (the LocalExecutor's task processes and, for JavaScript, Node),
sampled every 20 ms against the tree just before the run.

    .venv/bin/python bench/jobs.py [--runs 10]
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from tests.support.airflow_server import AirflowDeployment  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402

NOOP_DAG = '''from airflow.sdk import DAG, task

with DAG(dag_id="airflow.noop", schedule=None, catchup=False):

    @task(task_id="run")
    def noop():
        return None

    noop()
'''
PROJECT = """name: bench
jobs:
  py-noop: {expression: noop.py, trigger: t}
  js-noop: {expression: 'fn(state => state);', trigger: t}
triggers:
  t: {criteria: '{"never": "sent"}'}
"""
KINDS = {"airflow.noop": "Airflow no-op task", "bench.py-noop": "OpenFn Python job", "bench.js-noop": "OpenFn JavaScript job"}


def tree_rss(root: psutil.Process) -> int:
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total


class PeakSampler:
    """Peak RSS of a process tree above its level when sampling started."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.base = tree_rss(self.root)
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.root))
            self._stop.wait(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak - self.base


def seconds(start: str, end: str) -> float:
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def one_run(deployment: AirflowDeployment, dag_id: str) -> tuple[float, int]:
    time.sleep(1.0)  # let the tree settle after the previous run
    sampler = PeakSampler(deployment.processes["scheduler"].pid)
    reply = deployment.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
    reply.raise_for_status()
    run_id = reply.json()["dag_run_id"]
    run = deployment.wait_for_run_state(dag_id, run_id)
    grown = sampler.stop()
    if run["state"] != "success":
        raise RuntimeError(f"{dag_id} {run_id} ended {run['state']}: see {deployment.home}")
    task = deployment.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/run").json()
    return seconds(task["start_date"], task["end_date"]), grown


def measure(runs: int) -> dict[str, dict[str, list]]:
    root = Path(tempfile.mkdtemp(prefix="openfn-bench-jobs-"))
    dags = root / "dags"
    shutil.copytree(ROOT / "dags", dags)
    (dags / "airflow_noop.py").write_text(NOOP_DAG)
    (root / "jobs" / "bench").mkdir(parents=True)
    (root / "jobs" / "bench" / "project.yaml").write_text(PROJECT)
    (root / "jobs" / "bench" / "noop.py").write_text("from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: state)]\n")
    results = {dag_id: {"seconds": [], "bytes": []} for dag_id in KINDS}
    with PostgresServer() as pg:
        deployment = AirflowDeployment(
            root / "home",
            jobs_dir=root / "jobs",
            db_uri=pg.create_database("bench_jobs").replace("postgresql://", "postgresql+psycopg2://"),
            extra_env={"AIRFLOW__CORE__DAGS_FOLDER": str(dags)},
        )
        try:
            deployment.start()
            deployment.wait_for_dags(list(KINDS))
            for dag_id in KINDS:  # one warm-up run each: first imports, the parse cache
                one_run(deployment, dag_id)
            for round_number in range(runs):
                for dag_id in KINDS:  # interleaved, so that drift in the machine touches all three alike
                    wall, grown = one_run(deployment, dag_id)
                    results[dag_id]["seconds"].append(wall)
                    results[dag_id]["bytes"].append(grown)
                print(f"  round {round_number + 1}/{runs} done", file=sys.stderr, flush=True)
        finally:
            deployment.stop()
    shutil.rmtree(root, ignore_errors=True)
    return results


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def table(results: dict[str, dict[str, list]], runs: int) -> str:
    py = statistics.median(results["bench.py-noop"]["seconds"])
    lines = [
        f"Per-run cost of a trivial job ({runs} runs each, interleaved; real deployment, LocalExecutor, PostgreSQL)",
        "",
        "| task | wall time p50 | wall time p90 | vs Python job (p50) | peak memory growth p50 | p90 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for dag_id, label in KINDS.items():
        wall = results[dag_id]["seconds"]
        grown = results[dag_id]["bytes"]
        lines.append(
            f"| {label} | {statistics.median(wall):.2f} s | {p90(wall):.2f} s | {statistics.median(wall) - py:+.2f} s "
            f"| {statistics.median(grown) / 2**20:.0f} MB | {p90(grown) / 2**20:.0f} MB |"
        )
    js = statistics.median(results["bench.js-noop"]["seconds"])
    verdict = "met" if js - py < 1.0 else "NOT met"
    lines += ["", f"Goal: the JavaScript job adds under 1 s to a run (vs the same Python job): {js - py:+.2f} s, {verdict}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(table(measure(args.runs), args.runs))


if __name__ == "__main__":
    main()
