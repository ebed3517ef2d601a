"""Collections on PostgreSQL through the real HTTP API (uvicorn, the plugin's app), with 1,000,000 items stored:

* set 10,000 items in one call (the body the adaptors send, 10 requests of 1,000 as they batch it, and one
  request of 10,000) - goal < 2 s; baseline: the same rows written by one plain ``executemany`` INSERT;
* get by key, p50 / p99 over 2,000 requests - goal p99 < 5 ms; baseline: a primary-key SELECT on the same
  database (the floor of any HTTP API over it);
* a key-pattern page of 1,000 (``key=k-00*``, ``limit=1000``) - goal < 100 ms;
* streaming all 1,000,000 items in one request (``limit=1000000``) and through the Python adaptor's
  ``each`` (pages of 1,000): time, and how much the process's resident memory grew (api-server and job
  side share this process here, so the growth bounds both) - goal: bounded, i.e. not proportional to
  the data (1,000,000 items are ~60 MB of JSON).

The 1,000,000 items are made by one ``INSERT ... SELECT generate_series`` (seconds). The run token is signed
with a fixed secret; whether its DAG run is active is answered "yes" without Airflow's ``dag_run`` table
(the api-server asks that once per 5 seconds per run, so it does not weigh on these figures).

    .venv/bin/python bench/collection_store.py [--items 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]
os.environ.setdefault("AIRFLOW__OPENFN__COLLECTIONS_SECRET", "bench-secret-not-for-production")

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.inbox.api.collections_support import LiveServer  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402
from tests.support.templates import sqlalchemy_url  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fill(database, collection_id: int, count: int) -> float:
    started = time.perf_counter()
    with database.write() as connection:
        connection.execute(sa.text(
            "INSERT INTO openfn_collection_item (collection_id, key, value, created_at, updated_at) "
            "SELECT :cid, 'k-' || lpad(n::text, 7, '0'), '{\"n\":' || n || ',\"name\":\"patient ' || n || '\"}', "
            "'2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z' FROM generate_series(0, :last) AS n"
        ), {"cid": collection_id, "last": count - 1})  # fmt: skip
        connection.execute(sa.text("ANALYZE openfn_collection_item"))
    return time.perf_counter() - started


def measure(pg: PostgresServer, items: int) -> list[tuple[str, str, str, str]]:
    from openfn.inbox.api import collection_auth
    from openfn.inbox.app import create_app
    from openfn.inbox.services import InboxServices
    from openfn.inbox.store import collections as store
    from openfn.inbox.store.database import Database
    from openfn.run_tokens import RunClaims, sign
    from openfn.settings import get_settings

    collection_auth.store.run_is_active = lambda *_: True  # see the module doc
    database = Database(sqlalchemy_url(pg.create_database("openfn_bench_collections")))
    import dataclasses

    with tempfile.TemporaryDirectory() as jobs:
        services = InboxServices(settings=dataclasses.replace(get_settings(), jobs_dir=Path(jobs)), database=database)
        (big,) = store.ensure(services.database, "bench", ["big"])
        (small,) = store.ensure(services.database, "bench", ["small"])
        made = fill(database, big.id, items)
        token = sign(os.environ["AIRFLOW__OPENFN__COLLECTIONS_SECRET"], RunClaims("bench", "bench.job", "run", time.time() + 3600))
        from fastapi import FastAPI

        root = FastAPI()
        root.mount("/openfn", create_app(lambda: services))
        rows: list[tuple[str, str, str, str]] = [("Fill (SQL, not a goal)", f"{items:,} items", f"{made:.1f} s", "")]
        with LiveServer(root) as live, httpx.Client(base_url=f"{live.url}/openfn/collections", headers={"Authorization": f"Bearer {token}"},
                                                    timeout=600) as client:  # fmt: skip
            rows += set_items(client, database, small)
            rows += get_by_key(client, database, big, items)
            rows += pattern_page(client, items)
            rows += stream_all(client, live.url, token, items)
    database.dispose()
    return rows


def set_items(client, database, small) -> list:
    batch = [{"key": f"s-{i:05}", "value": f'{{"i":{i},"name":"patient {i}"}}'} for i in range(10_000)]
    started = time.perf_counter()
    for start in range(0, 10_000, 1000):
        assert client.post("small", json={"items": batch[start : start + 1000]}).status_code == 200
    batched = time.perf_counter() - started
    started = time.perf_counter()
    reply = client.post("small", json={"items": [{**item, "key": item["key"] + "-b"} for item in batch]})
    one = time.perf_counter() - started
    assert reply.json()["upserted"] == 10_000, reply.text
    with database.write() as connection:
        connection.execute(sa.text("CREATE TEMP TABLE IF NOT EXISTS bench_plain (k text primary key, v text)"))
        started = time.perf_counter()
        connection.execute(sa.text("INSERT INTO bench_plain VALUES (:k, :v)"), [{"k": i["key"], "v": i["value"]} for i in batch])
        plain = time.perf_counter() - started
    return [("Set 10,000 items (10 requests of 1,000, as the adaptors send)", "< 2 s", f"{batched:.2f} s", f"plain INSERT: {plain:.2f} s"),
            ("Set 10,000 items (one request)", "< 2 s", f"{one:.2f} s", "")]  # fmt: skip


def get_by_key(client, database, big, items) -> list:
    import random

    keys = [f"k-{random.randrange(items):07}" for _ in range(2000)]
    for key in keys[:100]:  # warm-up
        client.get(f"big/{key}")
    times = []
    for key in keys:
        started = time.perf_counter()
        reply = client.get(f"big/{key}")
        times.append(time.perf_counter() - started)
        assert reply.status_code == 200
    plain = []
    with database.read() as connection:
        for key in keys[:500]:
            started = time.perf_counter()
            connection.execute(sa.text("SELECT value FROM openfn_collection_item WHERE collection_id = :c AND key = :k"), {"c": big.id, "k": key}).first()
            plain.append(time.perf_counter() - started)
    shown = f"p50 {statistics.median(times) * 1000:.2f} / p99 {percentile(times, 99) * 1000:.2f} ms"
    return [(f"Get by key ({items:,} stored)", "p99 < 5 ms", shown, f"SQL alone: p99 {percentile(plain, 99) * 1000:.2f} ms")]


def pattern_page(client, items: int) -> list:
    times = []
    for _ in range(20):
        started = time.perf_counter()
        body = client.get("big", params={"key": "k-00*", "limit": 1000}).json()
        times.append(time.perf_counter() - started)
        assert len(body["items"]) == 1000 and body["cursor"]
    sparse, sparse_pattern = [], f"k-{items // 2:07}"[:-1] + "*"
    for _ in range(5):  # a pattern that matches few keys, found through the key index
        started = time.perf_counter()
        body = client.get("big", params={"key": sparse_pattern, "limit": 1000}).json()
        assert len(body["items"]) == 10, body
        sparse.append(time.perf_counter() - started)
    return [("Key-pattern page of 1,000 (k-00*)", "< 100 ms", f"p50 {statistics.median(times) * 1000:.0f} / max {max(times) * 1000:.0f} ms", ""),
            (f"Key-pattern page, 10 matches ({sparse_pattern})", "", f"p50 {statistics.median(sparse) * 1000:.0f} ms", "")]  # fmt: skip


def stream_all(client, url, token, items) -> list:
    import gc

    gc.collect()
    before = rss_mb()
    peak = before
    started = time.perf_counter()
    received = 0
    with client.stream("GET", "big", params={"limit": items}) as reply:
        for chunk in reply.iter_bytes():
            received += len(chunk)
            peak = max(peak, rss_mb()) if received % 50 == 0 else peak
    streamed = time.perf_counter() - started
    from openfn.adaptors import collections as adaptor

    count = [0]
    state = {"configuration": {"collections_endpoint": f"{url}/openfn/collections", "collections_token": token}}
    gc.collect()
    job_before = rss_mb()
    started = time.perf_counter()
    job_peak = [job_before]

    def seen(_state, _value, _key):
        count[0] += 1
        if count[0] % 10_000 == 0:
            job_peak[0] = max(job_peak[0], rss_mb())

    adaptor.each("big", "*", seen)(state)
    each_time = time.perf_counter() - started
    assert count[0] == items
    return [(f"Stream all {items:,} items, one request", "bounded memory", f"{streamed:.1f} s, {received / 1e6:.0f} MB",
             f"RSS +{peak - before:.0f} MB"),
            (f"Python adaptor each() over {items:,}", "bounded memory", f"{each_time:.1f} s", f"RSS +{job_peak[0] - job_before:.0f} MB")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    with PostgresServer() as pg:
        rows = measure(pg, args.items)
    width = max(len(r[0]) for r in rows)
    print(f"{'Collections (PostgreSQL, HTTP API)':<{width}}  {'goal':<15} {'measured':<30} baseline / note")
    for name, goal, measured, note in rows:
        print(f"{name:<{width}}  {goal:<15} {measured:<30} {note}")


if __name__ == "__main__":
    main()
