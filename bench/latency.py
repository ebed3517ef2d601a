"""Where the time goes between a message and its task, how long a sender waits for the result, and what
waiting senders cost the others.

For SQLite and PostgreSQL, two real deployments each (api-server, scheduler, dag-processor; LocalExecutor):

* before: Airflow's defaults for what deploy/airflow.env tunes (scheduler idle sleep 1 s, supervisor
  heartbeat interval 5 s), and message runs created with Airflow's own ``run_after`` (``[openfn]
  run_after_lead_seconds = 0``): how it was before the fast-start work;
* after: deploy/airflow.env, as ``make run`` and the documented deployment run.

A project with a trivial job whose trigger answers after completion (``webhook_reply: after_completion``)
is sent messages, one at a time at idle (``--idle-gap`` seconds apart), then at a steady 10 messages/s, and
for each message the timestamps the inbox, Airflow and the job record are read back:

    received  ->  DAG run created (dispatcher)  ->  DAG run started (scheduler)  ->  task queued (executor)
    ->  task start (its process registered)  ->  job code runs  ->  reply sent  ->  DAG run finished

In the "after" deployment, the intake rate of senders that do not wait is then measured in seven turns:
alone, with 500 senders waiting for results (their job's DAG is paused, so they wait throughout; they are
held by a process of their own, as they would be on other machines), alone again once they have hung up
and the api-server has let them go, and so on.

The scheduler's CPU use at idle (its process and the executor's workers, over 20 s with nothing to do) is
the cost of the faster loop. The deployments run with ``[core] parallelism`` 16.

With ``--backlog N``: how long a sender waiting for its result waits while N bulk runs drain, before (the
plugin as on ``main``) and after waiting senders went first, and the backlog's drain rate (bench/_backlog.py).

    .venv/bin/python bench/latency.py [--messages 20] [--idle-gap 2] [--only sqlite|postgresql] [--language python|js] [--after-only]
    .venv/bin/python bench/latency.py --backlog 1000 [--sender-gap 1] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from bench.inbox import Connection, Reader, as_time, load, metadata_database, percentile  # noqa: E402
from tests.support.airflow_server import AirflowDeployment  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402

PROJECT = """name: latency
jobs:
  ping: {expression: %s, trigger: ping}
  held: {expression: noop.py, trigger: held}
  intake: {expression: noop.py, trigger: intake}
triggers:
  ping: {criteria: '{"kind": "ping"}', webhook_reply: after_completion}
  held: {criteria: '{"kind": "held"}', webhook_reply: after_completion}
  intake: {criteria: '{"kind": "intake"}'}
"""
# The job notes when its code ran: the end of the path from the message to the job's first line.
NOOP = "import time\n\nfrom openfn.adaptors.common import fn\n\noperations = [fn(lambda state: {**state, 'data': {'ran_at': time.time()}})]\n"
# The same in JavaScript (--language js), run by @openfn/runtime in the host's warm engine (or, with
# --set AIRFLOW__OPENFN__JS_ENGINE=process, a Node.js process of its own).
NOOP_JS = "fn(state => ({ ...state, data: { ran_at: Date.now() / 1000 } }));\n"
COMMON = {"AIRFLOW__CORE__PARALLELISM": "16", "AIRFLOW__OPENFN__REPLY_TIMEOUT_SECONDS": "600"}
BASELINE = {
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1",
    "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "5",
    "AIRFLOW__OPENFN__RUN_AFTER_LEAD_SECONDS": "0",
}
IDLE_CPU_SECONDS = 20.0
WAITERS = 500
INTAKE_MESSAGES = 2000
INTAKE_CONCURRENCY = 8
INTAKE_CYCLES = 3  # turns alone and with senders waiting, alternately (and one more alone)
PHASES = ("created", "started", "queued", "task", "code", "reply", "finished")
LOADS = ("idle", "10/s")
LABELS = {
    "created": "message -> DAG run created",
    "started": "message -> DAG run started",
    "queued": "message -> task queued",
    "task": "message -> task start (process registered)",
    "code": "message -> job code runs",
    "reply": "message -> reply sent (after completion)",
    "finished": "message -> DAG run finished",
}


def write_others(jobs_dir: Path, count: int) -> None:
    """Another project with ``count`` jobs: the scheduler and a task's DAG parse see a deployment's worth of DAGs."""
    if not count:
        return
    others = jobs_dir / "others"
    others.mkdir(parents=True)
    (others / "noop.py").write_text(NOOP)
    jobs = "".join(f"  job-{i:03d}: {{expression: noop.py, trigger: form-{i:03d}}}\n" for i in range(count))
    triggers = "".join(f"  form-{i:03d}: {{criteria: '{{\"formID\": \"form_{i:03d}\"}}'}}\n" for i in range(count))
    (others / "project.yaml").write_text(f"name: others\njobs:\n{jobs}triggers:\n{triggers}")


def deploy(kind: str, root: Path, pg: PostgresServer | None, env: dict[str, str], others: int, language: str = "python") -> tuple[AirflowDeployment, Reader]:
    write_others(root / "jobs", others)
    jobs = root / "jobs" / "latency"
    jobs.mkdir(parents=True)
    (jobs / "noop.py").write_text(NOOP)
    (jobs / "noop.js").write_text(NOOP_JS)
    (jobs / "project.yaml").write_text(PROJECT % ("noop.js" if language == "js" else "noop.py"))
    home = root / "home"
    home.mkdir()
    db_uri, reader = metadata_database(kind, home, pg, f"bench_latency_{int(time.time() * 1000)}")
    deployment = AirflowDeployment(home, jobs_dir=root / "jobs", db_uri=db_uri, extra_env={**COMMON, **env})
    return deployment, reader


def send(url: str, n: int, timings: dict) -> None:
    started = time.time()
    reply = httpx.post(url, json={"kind": "ping", "n": n}, timeout=120)
    if reply.status_code != 201:
        raise RuntimeError(f"expected the job's result (201), got {reply.status_code}: {reply.text[:300]}")
    timings[reply.json()["meta"]["message_id"]] = time.time() - started


def spans(reader: Reader, replies: dict[str, float]) -> dict[str, list[float]]:
    """The phases of the messages in ``replies`` (message id -> seconds until the sender had its reply)."""
    rows = reader.rows(
        "SELECT m.id, m.received_at, d.queued_at, d.start_date, t.queued_dttm, t.start_date, x.value, d.end_date "
        "FROM openfn_message m JOIN openfn_run r ON r.message_id = m.id JOIN dag_run d ON d.dag_id = r.dag_id AND d.run_id = r.run_id "
        "JOIN task_instance t ON t.dag_id = d.dag_id AND t.run_id = d.run_id AND t.task_id = 'run' "
        "LEFT JOIN xcom x ON x.dag_run_id = d.id AND x.task_id = 'run' AND x.key = 'return_value' "
        "WHERE m.project = 'latency' AND d.end_date IS NOT NULL"
    )
    found: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for message_id, received, *stamps in rows:
        if message_id not in replies:
            continue
        base = as_time(received)
        created, started, queued, task, value, finished = stamps
        while isinstance(value, (str, bytes)):  # JSON text (SQLite), perhaps of JSON text (the XCom serializer)
            value = json.loads(value)
        ran_at = datetime.datetime.fromtimestamp(value["data"]["ran_at"], datetime.timezone.utc)
        for phase, stamp in zip(("created", "started", "queued", "task", "code", "finished"), (created, started, queued, task, ran_at, finished)):
            found[phase].append((as_time(stamp) - base).total_seconds())
        found["reply"].append(replies[message_id])
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process and its children."""
    processes = [psutil.Process(pid)]
    processes += processes[0].children(recursive=True)
    used = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            used += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return used


def idle_cpu(pid: int, seconds: float) -> float:
    """CPU the scheduler (and its executor's worker processes) use while nothing happens, in % of one core."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / seconds


def wait_all(deployment: AirflowDeployment, reader: Reader, replies: dict, messages: int) -> dict[str, list[float]]:
    def done():
        found = spans(reader, replies)
        return found if len(found["finished"]) >= messages else None

    return deployment.wait_for(done, "every run to finish", timeout=600, interval=0.5)


async def intake_with_waiters(url: str, path: str, reader: Reader, components: dict[str, int]) -> dict[str, float]:
    """Acknowledged messages/s of senders that do not wait, alone and with WAITERS senders waiting for results,
    in turns (alone, waiting, alone, ..., alone), each turn once the dispatcher has caught up with the last."""
    headers = {"Content-Type": "application/json"}
    host, port = url.split("//", 1)[1].split(":")
    batch = iter(range(10**9))

    async def drained() -> None:  # the dispatcher's backlog from the last turn would slow the next one
        deadline = time.monotonic() + 300
        while reader.rows("SELECT count(*) FROM openfn_run WHERE status = 'pending'")[0][0]:
            if time.monotonic() > deadline:
                raise RuntimeError("the dispatcher did not drain within 300 s")
            await asyncio.sleep(0.5)

    cpu: dict[str, dict[str, list[float]]] = {"alone": {}, "waiting": {}}

    async def rate(turn: str) -> float:
        await drained()
        requests = [(path, json.dumps({"kind": "intake", "n": next(batch)}).encode()) for _ in range(INTAKE_MESSAGES)]
        before = {name: cpu_seconds(pid) for name, pid in components.items()}
        seconds, _, statuses = await load(url, requests, headers, INTAKE_CONCURRENCY)
        for name, pid in components.items():  # ms of CPU per message, by component
            cpu[turn].setdefault(name, []).append(1000 * (cpu_seconds(pid) - before[name]) / len(requests))
        return statuses.count(202) / seconds

    async def waiting_replies() -> int:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{url}/openfn/ready")).json()["waiting_replies"]

    async def hold():
        """WAITERS senders in a process of their own (as they would be on other machines: holding 500
        connections slows the process that holds them, which must not be the one measuring the others)."""
        first = next(batch)
        for _ in range(WAITERS - 1):
            next(batch)
        holder = await asyncio.create_subprocess_exec(sys.executable, __file__, "--hold", url, path, str(first), stdin=asyncio.subprocess.PIPE)
        deadline = time.monotonic() + 60
        while await waiting_replies() < WAITERS:
            if time.monotonic() > deadline or holder.returncode is not None:
                raise RuntimeError(f"only {await waiting_replies()} of {WAITERS} senders are waiting after 60 s")
            await asyncio.sleep(0.2)
        return holder

    async def release(holder) -> None:
        if await waiting_replies() != WAITERS or holder.returncode is not None:
            raise RuntimeError("the waiting senders did not wait throughout")
        holder.kill()  # its connections close: the senders hang up
        await holder.wait()
        deadline = time.monotonic() + 60
        while await waiting_replies():  # the api-server lets go of senders that left
            if time.monotonic() > deadline:
                raise RuntimeError("the api-server still holds requests of senders that left")
            await asyncio.sleep(0.2)

    await load(url, [(path, json.dumps({"kind": "intake", "n": -n}).encode()) for n in range(1, 501)], headers, INTAKE_CONCURRENCY)  # warm-up
    alone, waiting = [], []
    for _ in range(INTAKE_CYCLES):  # alone, waiting, alone, ..., alone: a drift of the machine's speed cancels out
        alone.append(await rate("alone"))
        holder = await hold()
        waiting.append(await rate("waiting"))
        await release(holder)
    alone.append(await rate("alone"))
    return {"alone": alone, "waiting": waiting, "cpu": cpu}


async def hold_senders(url: str, path: str, first: int) -> None:
    """(--hold) WAITERS senders that wait for their results until this process is killed."""
    host, port = url.split("//", 1)[1].split(":")
    headers = {"Content-Type": "application/json"}
    connections = [Connection(host, int(port)) for _ in range(WAITERS)]
    await asyncio.gather(*(c.request("POST", path, json.dumps({"kind": "held", "n": first + n}).encode(), headers) for n, c in enumerate(connections)))
    raise SystemExit("the waiting senders were answered: their job's DAG is not paused")


def components(deployment: AirflowDeployment) -> dict[str, int]:
    import os

    found = {name: deployment.processes[name].pid for name in ("api-server", "scheduler", "dag-processor")}
    found["client"] = os.getpid()
    return found


def measure(kind: str, pg: PostgresServer | None, messages: int, gap: float, env: dict[str, str], others: int, waiters: bool,
            latency: bool = True, language: str = "python") -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"openfn-bench-latency-{kind}-"))
    deployment, reader = deploy(kind, root, pg, env, others, language)
    results: dict = {}
    try:
        deployment.start()
        deployment.wait_for_dags(["latency.ping", "latency.held", "latency.intake"])
        for dag_id in ("latency.held", "latency.intake"):  # their runs are created, never run
            assert deployment.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": True}).status_code == 200
        projects = deployment.api("GET", "/openfn/api/projects").json()["projects"]
        url = next(project["inbox_url"] for project in projects if project["name"] == "latency")
        if not latency:
            return {"intake": asyncio.run(intake_with_waiters(deployment.url, "/" + url.split("/", 3)[3], reader, components(deployment)))}
        send(url, -1, {})  # warm-up: first imports in the task process, the parse cache
        time.sleep(5)
        results["cpu"] = idle_cpu(deployment.processes["scheduler"].pid, IDLE_CPU_SECONDS)
        replies: dict[str, float] = {}
        for n in range(messages):  # at idle: one message at a time
            send(url, n, replies)
            time.sleep(gap)
        results["idle"] = wait_all(deployment, reader, replies, messages)
        replies = {}
        threads = []
        for n in range(messages):  # a steady 10 messages/s
            thread = threading.Thread(target=send, args=(url, 10_000 + n, replies))
            thread.start()
            threads.append(thread)
            time.sleep(0.1)
        for thread in threads:
            thread.join()
        results["10/s"] = wait_all(deployment, reader, replies, messages)
        if waiters:
            results["intake"] = asyncio.run(intake_with_waiters(deployment.url, "/" + url.split("/", 3)[3], reader, components(deployment)))
    finally:
        deployment.stop()
    return results


def cell(values: list[float]) -> str:
    return f"{percentile(values, 0.5):.2f} / {percentile(values, 0.99):.2f}" if values else "–"


def table(kind: str, results: dict[str, dict]) -> str:
    """One database: a column per configuration and load, a row per phase (p50 / p99 seconds)."""
    columns = [(config, load) for config in results for load in LOADS]
    lines = [f"{kind}: seconds after the message was received, p50 / p99", "",
             "| | " + " | ".join(f"{config}, {load}" for config, load in columns) + " |",
             "|---|" + "---:|" * len(columns)]  # fmt: skip
    for phase in PHASES:
        lines.append(f"| {LABELS[phase]} | " + " | ".join(cell(results[config][load][phase]) for config, load in columns) + " |")
    lines.append("| scheduler CPU at idle, % of a core | " + " | ".join(f"{results[config]['cpu']:.1f} %" for config, _ in columns) + " |")
    intake = results.get("after", {}).get("intake")
    if intake:
        lines += ["", intake_table(kind, intake)]
    return "\n".join(lines)


def intake_table(kind: str, intake: dict[str, list[float]]) -> str:
    alone, waiting = intake["alone"], intake["waiting"]
    ratio = (sum(waiting) / len(waiting)) / (sum(alone) / len(alone))
    return "\n".join([
        f"{kind}: intake of senders that do not wait ({INTAKE_MESSAGES} messages a turn, {INTAKE_CONCURRENCY} concurrent), acknowledged messages/s", "",
        f"| alone (odd turns) | with {WAITERS} senders waiting (even turns) | with waiting / alone (means) |", "|---:|---:|---:|",
        f"| {', '.join(f'{r:.0f}' for r in alone)} | {', '.join(f'{r:.0f}' for r in waiting)} | {ratio:.2f} |", "",
        "CPU per message (ms): " + "; ".join(
            f"{name} {sum(intake['cpu']['alone'][name]) / len(intake['cpu']['alone'][name]):.2f} alone, "
            f"{sum(intake['cpu']['waiting'][name]) / len(intake['cpu']['waiting'][name]):.2f} waiting"
            for name in intake["cpu"]["alone"]),
    ])  # fmt: skip


def main() -> None:
    if sys.argv[1:2] == ["--hold"]:
        asyncio.run(hold_senders(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20, help="messages per load")
    parser.add_argument("--idle-gap", type=float, default=2.0, help="seconds between messages at idle")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--other-jobs", type=int, default=100, help="jobs of another project deployed alongside (DAGs the scheduler also sees)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an extra setting for the 'after' deployment")
    parser.add_argument("--intake-only", action="store_true", help="only the intake with and without waiting senders (after)")
    parser.add_argument("--backlog", type=int, default=0, metavar="N", help="a waiting sender while N bulk runs drain, before and after")
    parser.add_argument("--sender-gap", type=float, default=1.0, help="with --backlog: seconds between waiting senders")
    parser.add_argument("--language", choices=("python", "js"), default="python", help="the language of the job that answers (ping)")
    parser.add_argument("--after-only", action="store_true", help="only deploy/airflow.env's configuration (make run's), without the intake turns")
    args = parser.parse_args()
    if args.backlog:
        from bench._backlog import run

        run(args.only, args.backlog, args.sender_gap)
        return
    after = dict(item.split("=", 1) for item in args.set)
    if args.intake_only:
        with PostgresServer() as pg:
            for kind in ("sqlite", "postgresql"):
                if args.only in (None, kind):
                    result = measure(kind, pg if kind == "postgresql" else None, 0, 0, after, args.other_jobs, True, latency=False)
                    print(intake_table(kind, result["intake"]), "\n", flush=True)
        return
    configurations = {"after": after} if args.after_only else {"before": BASELINE, "after": after}
    print(f"Message -> task latency: {args.messages} messages per load; a project with {args.other_jobs} other jobs alongside; "
          f"the job that answers is in {'JavaScript' if args.language == 'js' else 'Python'}.")
    print("before = Airflow's defaults for what deploy/airflow.env tunes, and Airflow's own run_after; after = deploy/airflow.env"
          + (f" + {after}" if after else "") + ".\n")
    with PostgresServer() as pg:
        for kind in ("sqlite", "postgresql"):
            if args.only not in (None, kind):
                continue
            results = {name: measure(kind, pg if kind == "postgresql" else None, args.messages, args.idle_gap, env, args.other_jobs,
                                     name == "after" and not args.after_only, language=args.language)
                       for name, env in configurations.items()}  # fmt: skip
            print(table(kind, results), "\n", flush=True)


if __name__ == "__main__":
    main()
