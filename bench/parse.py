"""DAG parse time: 1,000 generated OpenFn jobs vs an equivalent hand-written DAG file, in the same run.

Each measurement is a fresh interpreter that has loaded what Airflow loads before executing a DAG file
(the DAG processor's parsing module, or the task runner for a task start), then executes one DAG file. Reported: the median
of several runs for a full parse, and for a task start (parsing context naming one DAG).
Goals: OpenFn within 1.2x of hand-written, 1,000 jobs under 1.5 s, task-start re-parse under 200 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JOBS = 1_000
REPEAT = 5

MEASURE = textwrap.dedent("""
    import importlib, importlib.util, json, os, sys, time
    # What Airflow has loaded before it executes a DAG file: the DAG processor's parsing process
    # (full parse) or the task runner (task start).
    importlib.import_module(os.environ["BENCH_PRELOAD"])
    from airflow.sdk import DAG
    path = sys.argv[1]
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("dagfile", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    elapsed = time.perf_counter() - started
    dags = list({id(v): v for v in vars(module).values() if isinstance(v, DAG)}.values())
    print(json.dumps({"seconds": elapsed, "dags": len(dags), "tasks": sum(len(d.tasks) for d in dags)}))
""")

HAND_WRITTEN = textwrap.dedent('''
    """1,000 jobs written by hand: the same DAGs, tasks, schedules and chains, without OpenFn."""
    import json
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
    from airflow.sdk import DAG, CronTriggerTimetable, TriggerRule

    JOBS = json.load(open(__file__.replace(".py", ".json")))

    def run_job(**context):
        return {}

    for job in JOBS:
        schedule = CronTriggerTimetable(job["cron"], timezone=job["tz"]) if job["kind"] == "cron" else None
        with DAG(dag_id=job["dag_id"], schedule=schedule, catchup=False, tags=["hand-written"]) as dag:
            run = PythonOperator(task_id="run", python_callable=run_job)
            for child in job["flow"]:
                run >> TriggerDagRunOperator(task_id="flow_" + child, trigger_dag_id=child, trigger_rule=TriggerRule.ALL_SUCCESS)
            for child in job["fail"]:
                run >> TriggerDagRunOperator(task_id="fail_" + child, trigger_dag_id=child, trigger_rule=TriggerRule.ALL_FAILED)
        globals()[job["dag_id"]] = dag
''')


def generate(root: Path, projects: int) -> list[dict]:
    """JOBS jobs split over ``projects`` projects: 60% message, 20% cron, 10% flow, 10% fail, one
    expression file each; the hand-written file describes the same DAGs."""
    size = JOBS // projects
    plan = []
    for p in range(projects):
        plan += generate_project(root, f"bench{p:02d}", range(p * size, (p + 1) * size))
    hand = root / "hand_written.py"
    hand.write_text(HAND_WRITTEN)
    (root / "hand_written.json").write_text(json.dumps(plan))
    return plan


def generate_project(root: Path, name: str, numbers: range) -> list[dict]:
    import yaml

    project = root / "jobs" / name
    project.mkdir(parents=True)
    jobs, triggers, plan = {}, {}, []
    for n in numbers:
        key = f"job-{n:04d}"
        kind = ("message", "message", "message", "message", "message", "message", "cron", "cron", "flow", "fail")[n % 10]
        (project / f"job_{n:04d}.py").write_text(
            "from openfn.adaptors.common import fn\n\n\ndef step(state):\n"
            f"    state['n'] = {n}\n    return state\n\n\noperations = [fn(step)]\n"
        )
        if kind == "message":
            triggers[f"t-{n}"] = {"criteria": json.dumps({"formID": f"form_{n}"})}
        elif kind == "cron":
            triggers[f"t-{n}"] = {"cron": f"{n % 60} {n % 24} * * *", "timezone": "Africa/Nairobi"}
        else:
            upstream = f"job-{n - (n % 10):04d}"  # the message job heading this block of ten
            triggers[f"t-{n}"] = {"success" if kind == "flow" else "failure": upstream}
        jobs[key] = {"expression": f"job_{n:04d}.py", "adaptor": "common", "trigger": f"t-{n}"}
        plan.append({"dag_id": f"{name}.{key}", "kind": kind, "cron": f"{n % 60} {n % 24} * * *", "tz": "Africa/Nairobi", "flow": [], "fail": []})
    for n, entry in enumerate(plan):
        if entry["kind"] in ("flow", "fail"):
            plan[n - (n % 10)][entry["kind"]].append(entry["dag_id"])
    (project / "project.yaml").write_text(yaml.safe_dump({"name": name, "jobs": jobs, "triggers": triggers}, sort_keys=False))
    return plan


def measure_once(path: Path, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(cases: list[tuple[str, Path, dict[str, str]]]) -> list[tuple[str, dict]]:
    """Each case REPEAT times, the cases interleaved (one run of each, then again), so that load from other
    work on the machine falls on every case alike; the median of each."""
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
    for _ in range(REPEAT):
        for name, path, env in cases:
            runs[name].append(measure_once(path, env))
    return [(name, {"seconds": statistics.median(r["seconds"] for r in runs[name]), "dags": runs[name][0]["dags"], "tasks": runs[name][0]["tasks"]})
            for name, _, _ in cases]  # fmt: skip


def bench(projects: int) -> list[tuple[str, dict]]:
    with tempfile.TemporaryDirectory(prefix="openfn-bench-parse-") as tmp:
        root = Path(tmp)
        plan = generate(root, projects)
        env = {
            **os.environ,
            "BENCH_PRELOAD": "airflow.dag_processing.processor",
            "AIRFLOW_HOME": str(root / "home"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__OPENFN__JOBS_DIR": str(root / "jobs"),
            "PYTHONPATH": str(REPO / "plugins"),
        }
        one = {
            "_AIRFLOW_PARSING_CONTEXT_DAG_ID": plan[len(plan) // 2]["dag_id"],
            "_AIRFLOW_PARSING_CONTEXT_TASK_ID": "run",
            "BENCH_PRELOAD": "airflow.sdk.execution_time.task_runner",
        }
        layout = f"{projects} x {JOBS // projects} jobs"
        return measure([
            (f"OpenFn, {layout}: full parse", REPO / "dags" / "openfn_projects.py", env),
            ("hand-written: full parse", root / "hand_written.py", env),
            (f"OpenFn, {layout}: task start (one DAG built)", REPO / "dags" / "openfn_projects.py", {**env, **one}),
            ("hand-written: task start (every DAG built)", root / "hand_written.py", {**env, **one}),
        ])


def main() -> None:
    print(f"\nParse time, {JOBS:,} jobs (median of {REPEAT} fresh processes per row, rows interleaved, each with Airflow's own modules loaded)\n")
    print("| DAG file | DAGs | tasks | seconds | vs hand-written full parse |")
    print("|---|---:|---:|---:|---:|")
    verdicts = []
    for projects in (1, 20):
        rows = bench(projects)
        base = rows[1][1]["seconds"]
        for name, result in rows:
            print(f"| {name} | {result['dags']:,} | {result['tasks']:,} | {result['seconds']:.3f} | {result['seconds'] / base:.2f}x |")
        full, start = rows[0][1]["seconds"], rows[2][1]["seconds"]
        verdicts.append(
            f"{projects} project(s): full parse {full / base:.2f}x hand-written (goal 1.2x: {'met' if full <= 1.2 * base else 'NOT met'}), "
            f"{full:.2f} s (goal 1.5 s: {'met' if full < 1.5 else 'NOT met'}); task start {start * 1000:.0f} ms (goal 200 ms: {'met' if start < 0.2 else 'NOT met'})"
        )
    print("\n" + "\n".join(verdicts))
    print("OpenFn DAGs have one more task where a job has fail jobs (job_failed keeps the run failed).")


if __name__ == "__main__":
    main()
