"""What a JavaScript job costs per run, against the same job in Python and a plain Airflow no-op task.

One real deployment (api-server, scheduler, dag-processor; LocalExecutor; PostgreSQL) holds three DAGs:

* ``airflow.noop``: a hand-written DAG whose one task does nothing (the floor: Airflow's own cost);
* ``bench.py-noop``: an OpenFn Python job, ``operations = [fn(lambda state: state)]``;
* ``bench.js-noop``: the same job in JavaScript, ``fn(state => state)``, run by @openfn/runtime in Node.

They are triggered in turn through Airflow's REST API, one run at a time, ``--runs`` times each. For every
run: the task's wall time (its start to its end, as Airflow records them), and the peak memory growth of
the scheduler's process tree while it ran (the LocalExecutor's task processes and, for JavaScript, Node)
plus the warm JavaScript engine's process (found once, as the run starts), sampled every 20 ms against
their level just before the run.
Then ``--concurrent`` runs of each DAG are started at once, and the peak growth is divided by their number:
the memory each concurrent run costs.

The deployment is measured twice, with ``[openfn] js_engine = process`` (one Node.js process per run, as
before the warm engine) and ``warm`` (the default), so the table compares both against the same Python job.

    .venv/bin/python bench/jobs.py [--runs 10] [--concurrent 4]
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


def engines() -> list[psutil.Process]:
    """The warm JavaScript engines on this machine (started by a task, they leave the scheduler's tree)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(part.endswith("engine.mjs") for part in process.info["cmdline"] or ()):
            found.append(process)
    return found


def tree_rss(root: psutil.Process, engines: list[psutil.Process]) -> int:
    total = 0
    for process in [root, *root.children(recursive=True), *engines]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total


class PeakSampler:
    """Peak RSS of a process tree (and of the warm engine) above its level when sampling started. The engine
    is looked for once, when sampling starts (a scan of every process on the machine each 20 ms would cost
    the machine the run is measured on; in the warm-up run that starts the engine it is not counted)."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.engines = engines()
        self.base = tree_rss(self.root, self.engines)
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.root, self.engines))
            self._stop.wait(0.02)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak - self.base


def seconds(start: str, end: str) -> float:
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def concurrent_runs(deployment: AirflowDeployment, dag_id: str, count: int) -> int:
    """Peak memory growth while ``count`` runs of ``dag_id`` go on at once."""
    time.sleep(1.0)
    sampler = PeakSampler(deployment.processes["scheduler"].pid)
    run_ids = []
    for _ in range(count):
        reply = deployment.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None})
        reply.raise_for_status()
        run_ids.append(reply.json()["dag_run_id"])
    for run_id in run_ids:
        deployment.wait_for_run_state(dag_id, run_id)
    return sampler.stop()


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


def measure(runs: int, concurrent: int, engine: str) -> dict[str, dict[str, list]]:
    root = Path(tempfile.mkdtemp(prefix="openfn-bench-jobs-"))
    dags = root / "dags"
    shutil.copytree(ROOT / "dags", dags)
    (dags / "airflow_noop.py").write_text(NOOP_DAG)
    (root / "jobs" / "bench").mkdir(parents=True)
    (root / "jobs" / "bench" / "project.yaml").write_text(PROJECT)
    (root / "jobs" / "bench" / "noop.py").write_text("from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: state)]\n")
    results = {dag_id: {"seconds": [], "bytes": [], "concurrent": 0} for dag_id in KINDS}
    with PostgresServer() as pg:
        deployment = AirflowDeployment(
            root / "home",
            jobs_dir=root / "jobs",
            db_uri=pg.create_database("bench_jobs").replace("postgresql://", "postgresql+psycopg2://"),
            extra_env={"AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__OPENFN__JS_ENGINE": engine},
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
                print(f"  {engine}: round {round_number + 1}/{runs} done", file=sys.stderr, flush=True)
            for dag_id in KINDS:
                results[dag_id]["concurrent"] = concurrent_runs(deployment, dag_id, concurrent) / concurrent
        finally:
            deployment.stop()
    shutil.rmtree(root, ignore_errors=True)
    return results


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def table(by_engine: dict[str, dict[str, dict[str, list]]], runs: int, concurrent: int) -> str:
    lines = [
        f"Per-run cost of a trivial job ({runs} runs each, interleaved; real deployment, LocalExecutor, PostgreSQL;",
        f"memory per run with {concurrent} runs at once)",
        "",
        "| js_engine | task | wall time p50 | wall time p90 | vs Python job (p50) | peak memory growth p50 | per concurrent run | vs Python |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for engine, results in by_engine.items():
        py = statistics.median(results["bench.py-noop"]["seconds"])
        py_memory = results["bench.py-noop"]["concurrent"]
        for dag_id, label in KINDS.items():
            wall, grown, each = results[dag_id]["seconds"], results[dag_id]["bytes"], results[dag_id]["concurrent"]
            lines.append(
                f"| {engine} | {label} | {statistics.median(wall):.2f} s | {p90(wall):.2f} s | {statistics.median(wall) - py:+.2f} s "
                f"| {statistics.median(grown) / 2**20:.0f} MB | {each / 2**20:.0f} MB | {(each - py_memory) / 2**20:+.0f} MB |"
            )
        js = statistics.median(results["bench.js-noop"]["seconds"])
        extra = (results["bench.js-noop"]["concurrent"] - py_memory) / 2**20
        verdicts.append(f"- {engine}: a JavaScript task takes {js - py:+.2f} s over the same Python task (p50) and "
                        f"{extra:+.0f} MB per concurrent run")  # fmt: skip
    warm = by_engine.get("warm")
    if warm is not None:
        py = statistics.median(warm["bench.py-noop"]["seconds"])
        gap = statistics.median(warm["bench.js-noop"]["seconds"]) - py
        extra = (warm["bench.js-noop"]["concurrent"] - warm["bench.py-noop"]["concurrent"]) / 2**20
        verdicts.append(f"Goals (warm engine): <= 0.1 s over Python p50: {gap:+.2f} s, {'met' if gap <= 0.1 else 'NOT met'}; "
                        f"<= 30 MB per concurrent run over Python: {extra:+.0f} MB, {'met' if extra <= 30 else 'NOT met'}.")  # fmt: skip
    return "\n".join([*lines, "", *verdicts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--engines", default="process,warm", help="which [openfn] js_engine values to measure, in order")
    args = parser.parse_args()
    by_engine = {engine: measure(args.runs, args.concurrent, engine) for engine in args.engines.split(",")}
    print(table(by_engine, args.runs, args.concurrent))


if __name__ == "__main__":
    main()
