"""Inbox intake against Airflow's own run creation, on SQLite and on PostgreSQL, in the same run.

For each metadata database a real deployment (api-server, scheduler, dag-processor; LocalExecutor) serves
a project with 100 message triggers. Measured with the same client and concurrency:

* the inbox: ``POST /openfn/inbox/<token>`` -- acknowledged messages/s, p50/p99 latency (each 202 means the
  message and its run are committed);
* Airflow: ``POST /api/v2/dags/{dag_id}/dagRuns`` for the same number of runs -- runs/s, p50/p99, errors;
* the dispatcher: how fast the backlog of pending runs becomes DAG runs;
* with an idle deployment: message -> DAG run created, and message -> task start.

The job DAGs are paused while throughput is measured, so runs are created but not executed.

    .venv/bin/python bench/inbox.py [--messages 1000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

from tests.support.airflow_server import AirflowDeployment  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402

TRIGGERS = 100
REQUEST_TIMEOUT = 60.0  # seconds; a request that takes longer counts as an error
LATENCY_MESSAGES = 20
NOOP = "from openfn.adaptors.common import fn\n\noperations = [fn(lambda state: state)]\n"


def write_projects(jobs_dir: Path) -> None:
    bench = jobs_dir / "bench"
    bench.mkdir(parents=True)
    (bench / "noop.py").write_text(NOOP)
    jobs = "".join(f"  job-{i:03d}:\n    expression: noop.py\n    trigger: form-{i:03d}\n" for i in range(TRIGGERS))
    triggers = "".join(f"  form-{i:03d}:\n    criteria: '{{\"formID\": \"form_{i:03d}\"}}'\n" for i in range(TRIGGERS))
    (bench / "project.yaml").write_text(f"name: bench\njobs:\n{jobs}triggers:\n{triggers}")
    latency = jobs_dir / "latency"
    latency.mkdir()
    (latency / "noop.py").write_text(NOOP)
    (latency / "project.yaml").write_text(
        "name: latency\njobs:\n  ping:\n    expression: noop.py\n    trigger: ping\n"
        "triggers:\n  ping:\n    criteria: '{\"kind\": \"ping\"}'\n"
    )


# --- a small keep-alive HTTP/1.1 client: cheap enough not to be the bottleneck on a small machine ---------
class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.writer = None
        return status, payload


async def load(url: str, requests: list[tuple[str, bytes]], headers: dict[str, str], concurrency: int) -> tuple[float, list[float], list[int]]:
    """Send every (path, body) POST; returns (seconds, latencies in s, statuses)."""
    host, port = url.split("//", 1)[1].split(":")
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: list[int] = []

    async def worker() -> None:
        connection = Connection(host, int(port))
        while queue:
            path, body = queue.pop()
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(connection.request("POST", path, body, headers), REQUEST_TIMEOUT)
            except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                connection = Connection(host, int(port))
                status = 0
            latencies.append(time.perf_counter() - started)
            statuses.append(status)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


# --- reading the deployment's database -------------------------------------------------------------------
class Reader:
    def __init__(self, kind: str, target: str) -> None:
        self.kind, self.target = kind, target

    def rows(self, sql: str) -> list[tuple]:
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.target, timeout=30) as connection:
                return connection.execute(sql).fetchall()
        import psycopg2

        connection = psycopg2.connect(self.target)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()


def as_time(value) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    parsed = datetime.datetime.fromisoformat(str(value).replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def metadata_database(kind: str, home: Path, pg: PostgresServer | None, name: str) -> tuple[str, Reader]:
    """A deployment's metadata database (SQLite in ``home``, or database ``name`` on ``pg``): its SQLAlchemy
    URI and a Reader of it."""
    if kind == "sqlite":
        return f"sqlite:///{home / 'airflow.db'}", Reader("sqlite", str(home / "airflow.db"))
    return pg.create_database(name).replace("postgresql://", "postgresql+psycopg2://"), Reader("postgresql", pg.dsn(name))


# --- one backend -----------------------------------------------------------------------------------------
def measure(kind: str, root: Path, messages: int, concurrency: int, pg: PostgresServer | None) -> dict:
    jobs_dir = root / "jobs"
    write_projects(jobs_dir)
    home = root / "home"
    home.mkdir()
    db_uri, reader = metadata_database(kind, home, pg, "bench_inbox")
    deployment = AirflowDeployment(home, jobs_dir=jobs_dir, db_uri=db_uri, extra_env={"AIRFLOW__OPENFN__DISPATCH_SWEEP_SECONDS": "1", "AIRFLOW__API__MAXIMUM_PAGE_LIMIT": "1000"})
    try:
        progress(f"{kind}: starting Airflow")
        deployment.start()
        dag_ids = [f"bench.job-{i:03d}" for i in range(TRIGGERS)]
        deployment.wait_for_dags(dag_ids + ["latency.ping"], timeout=300)
        reply = deployment.api("PATCH", "/api/v2/dags", params={"dag_id_pattern": "bench.%"}, json={"is_paused": True})
        assert reply.status_code == 200, reply.text
        projects = deployment.api("GET", "/openfn/api/projects").json()["projects"]
        inbox = {p["name"]: p["inbox_url"].split(deployment.url, 1)[1] for p in projects}
        return run_phases(deployment, reader, inbox, messages, concurrency)
    finally:
        deployment.stop()


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def lock_errors(home: Path) -> int:
    """How often Airflow's components (and the api-server) have logged SQLite's "database is locked"."""
    found = {log.name: log.read_text(errors="replace").count("database is locked") for log in home.glob("*.log")}
    if any(found.values()):
        progress(f"'database is locked' so far: {found}")
    return sum(found.values())


def run_phases(deployment: AirflowDeployment, reader: Reader, inbox: dict, messages: int, concurrency: int) -> dict:
    # Concurrent writes through Airflow's REST API make SQLite raise "database is locked": there,
    # Airflow's baseline is measured one request at a time.
    airflow_concurrency = 1 if reader.kind == "sqlite" else concurrency
    json_headers = {"Content-Type": "application/json"}
    auth = {**json_headers, "Authorization": f"Bearer {deployment.token()}"}

    def inbox_requests(count: int, offset: int) -> list[tuple[str, bytes]]:
        return [(inbox["bench"], json.dumps({"formID": f"form_{(n + offset) % TRIGGERS:03d}", "n": n + offset, "name": "Jane"}).encode()) for n in range(count)]

    def airflow_requests(count: int, offset: int) -> list[tuple[str, bytes]]:
        return [(f"/api/v2/dags/bench.job-{(n + offset) % TRIGGERS:03d}/dagRuns",
                 json.dumps({"logical_date": None, "conf": {"formID": f"form_{(n + offset) % TRIGGERS:03d}", "n": n}}).encode())
                for n in range(count)]  # fmt: skip

    asyncio.run(load(deployment.url, inbox_requests(100, 10**6), json_headers, concurrency))  # warm-up
    asyncio.run(load(deployment.url, airflow_requests(20, 10**6), auth, airflow_concurrency))
    result: dict = {"airflow_concurrency": airflow_concurrency}
    locks = lock_errors(deployment.home)

    progress("inbox")
    seconds, latencies, statuses = asyncio.run(load(deployment.url, inbox_requests(messages, 0), json_headers, concurrency))
    accepted = statuses.count(202)
    result["inbox"] = (accepted / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99), len(statuses) - accepted)

    def drained() -> bool:
        return reader.rows("SELECT count(*) FROM openfn_run WHERE status = 'pending'")[0][0] == 0

    progress("dispatcher")
    deployment.wait_for(drained, "the dispatcher to drain", timeout=600, interval=0.2)
    spans = reader.rows(
        "SELECT m.received_at, d.queued_at FROM openfn_message m JOIN openfn_run r ON r.message_id = m.id "
        "JOIN dag_run d ON d.dag_id = r.dag_id AND d.run_id = r.run_id WHERE m.project = 'bench'"
    )
    first = min(as_time(received) for received, _ in spans)
    last = max(as_time(queued) for _, queued in spans)
    result["dispatch"] = len(spans) / (last - first).total_seconds()
    result["locks_inbox"] = lock_errors(deployment.home) - locks
    locks = lock_errors(deployment.home)

    progress("Airflow's POST dagRuns")
    seconds, latencies, statuses = asyncio.run(load(deployment.url, airflow_requests(messages, 0), auth, airflow_concurrency))
    ok = statuses.count(200)
    result["airflow"] = (ok / seconds, percentile(latencies, 0.5), percentile(latencies, 0.99), len(statuses) - ok)
    result["locks_airflow"] = lock_errors(deployment.home) - locks

    progress("latency")
    assert deployment.api("PATCH", "/api/v2/dags/latency.ping", json={"is_paused": False}).status_code == 200
    for n in range(LATENCY_MESSAGES):
        asyncio.run(load(deployment.url, [(inbox["latency"], json.dumps({"kind": "ping", "n": n}).encode())], json_headers, 1))
        time.sleep(0.25)

    def started() -> list[tuple]:
        rows = reader.rows(
            "SELECT m.received_at, d.queued_at, t.start_date FROM openfn_message m JOIN openfn_run r ON r.message_id = m.id "
            "JOIN dag_run d ON d.dag_id = r.dag_id AND d.run_id = r.run_id "
            "LEFT JOIN task_instance t ON t.dag_id = d.dag_id AND t.run_id = d.run_id AND t.task_id = 'run' "
            "WHERE m.project = 'latency'"
        )
        return rows if len(rows) == LATENCY_MESSAGES and all(row[2] is not None for row in rows) else []

    rows = deployment.wait_for(started, "the latency runs to start", timeout=300, interval=0.5)
    created = [(as_time(q) - as_time(m)).total_seconds() for m, q, _ in rows]
    task = [(as_time(t) - as_time(m)).total_seconds() for m, _, t in rows]
    result["created"] = (percentile(created, 0.5), percentile(created, 0.99))
    result["task"] = (percentile(task, 0.5), percentile(task, 0.99))
    return result


def table(results: dict[str, dict], messages: int, concurrency: int) -> str:
    kinds = list(results)
    lines = [
        f"Inbox vs Airflow run creation: {messages} messages / {messages} runs, {concurrency} concurrent clients "
        "(Airflow on SQLite: 1), "
        f"{TRIGGERS} message triggers; one api-server worker.",
        "",
        "| | " + " | ".join({"sqlite": "SQLite", "postgresql": "PostgreSQL"}[k] for k in kinds) + " |",
        "|---|" + "---:|" * len(kinds),
    ]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[k]) for k in kinds) + " |")

    row("Inbox: acknowledged messages/s", lambda r: f"{r['inbox'][0]:,.0f}")
    row("Inbox: latency p50 / p99", lambda r: f"{r['inbox'][1] * 1000:.1f} / {r['inbox'][2] * 1000:.1f} ms")
    row("Inbox: errors", lambda r: str(r["inbox"][3]))
    row("Inbox + dispatcher: \"database is locked\" in Airflow's logs", lambda r: str(r["locks_inbox"]) if "locks_inbox" in r else "n/a")
    row("Airflow `POST /api/v2/dags/{id}/dagRuns`: runs/s", lambda r: f"{r['airflow'][0]:,.1f} ({r['airflow_concurrency']} concurrent)")
    row("Airflow: latency p50 / p99", lambda r: f"{r['airflow'][1] * 1000:.0f} / {r['airflow'][2] * 1000:.0f} ms")
    row("Airflow: errors", lambda r: str(r["airflow"][3]))
    row("Airflow: \"database is locked\" in Airflow's logs", lambda r: str(r["locks_airflow"]))
    row("**Inbox ÷ Airflow (acknowledged/s)**", lambda r: f"**{r['inbox'][0] / r['airflow'][0]:.0f}×**" if r["airflow"][0] else "n/a")
    row("Dispatcher: DAG runs created/s (from the backlog)", lambda r: f"{r['dispatch']:,.0f}")
    row("Message → DAG run created p50 / p99 (idle)", lambda r: f"{r['created'][0] * 1000:.0f} / {r['created'][1] * 1000:.0f} ms")
    row("Message → task start p50 / p99 (idle)", lambda r: f"{r['task'][0]:.1f} / {r['task'][1]:.1f} s")
    if "postgresql" in results:
        r = results["postgresql"]
        ratio = r["inbox"][0] / r["airflow"][0] if r["airflow"][0] else float("inf")
        met = ratio >= 40 and r["inbox"][2] < 0.050
        lines += ["", f"Goal on PostgreSQL (≥ 40× Airflow at p99 < 50 ms): {'met' if met else 'NOT met'} ({ratio:.0f}×, p99 {r['inbox'][2] * 1000:.1f} ms)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    results: dict[str, dict] = {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # run the clean-ups: stop Airflow
    with tempfile.TemporaryDirectory(prefix="openfn-bench-inbox-", ignore_cleanup_errors=True) as tmp:
        with PostgresServer() as pg:
            for kind in ("sqlite", "postgresql"):
                if args.only in (None, kind):
                    root = Path(tmp) / kind
                    root.mkdir()
                    results[kind] = measure(kind, root, args.messages, args.concurrency, pg)
    print(table(results, args.messages, args.concurrency))


if __name__ == "__main__":
    main()
