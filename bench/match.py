"""Message matching: FilterIndex against a naive loop and PostgreSQL's linear scan, at 1k/10k/100k filters.

The baseline is OpenFn v1's query, ``body @> inclusion AND NOT (body @> exclusion)`` over every trigger: a
GIN index cannot serve it (the filters are the contained side), so PostgreSQL scans them all. Every
measured body is also checked to get the same matches from all three.

    .venv/bin/python bench/match.py
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]

import psycopg2  # noqa: E402
from psycopg2.extras import execute_values  # noqa: E402

from openfn.match_index import FilterIndex  # noqa: E402
from openfn.matching import matches  # noqa: E402
from tests.support.pgserver import PostgresServer  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
BODIES = 300  # bodies timed with the index, each ROUNDS times
ROUNDS = 5
SLOW_BODIES = {1_000: 300, 10_000: 300, 100_000: 100}  # bodies for the naive loop and PostgreSQL
EXCLUSIONS = [{"allowedToShare": False}, {"body": {"survey_type": "practice"}}, {"meta": {"test": True}}]
XMLNS = "http://openrosa.org/formdesigner/{:08X}"


def make_filter(rng: random.Random, number: int) -> tuple[dict, dict | None]:
    kind = rng.random()
    if kind < 0.55:
        inclusion = {"formID": f"form_{number}_v{rng.randint(1, 9)}"}
    elif kind < 0.80:
        inclusion = {"form": {"@xmlns": XMLNS.format(number)}}
    elif kind < 0.95:  # several keys: one rare, others shared by many filters
        inclusion = {"type": "submission", "formID": f"form_{number}_v1", "domain": f"district-{number % 20}"}
    else:  # ODK: fragments inside one element of an array
        inclusion = {"formId": f"odk_{number}", "data": [{"outlet_call": "TRUE", "new_existing": "Existing"}]}
    exclusion = rng.choice(EXCLUSIONS) if rng.random() < 0.2 else None
    return inclusion, exclusion


def make_body(rng: random.Random, entries: list) -> str:
    """A CommCare- or ODK-like submission; most are written for one of the filters, the rest for none."""
    number = rng.randrange(len(entries) * 2)  # numbers past the end: a form no filter knows
    body = {
        "type": "submission",
        "formID": f"form_{number}_v0",
        "formId": f"odk_{number}_unknown",
        "domain": f"district-{number % 20}",
        "received_on": "2016-01-15T10:11:12.123Z",
        "allowedToShare": rng.random() < 0.9,
        "form": {
            "@xmlns": XMLNS.format(number + len(entries)),
            "@name": "Patient registration",
            "meta": {"instanceID": f"uuid:{rng.getrandbits(64):016x}", "timeStart": "2016-01-15T10:00:00Z",
                     "username": f"chw{rng.randint(1, 500)}", "appVersion": "2.53.1", "test": rng.random() < 0.05},
            "patient": {"name": "Jack Wilshere", "dob": "1986-05-16", "weight_kg": round(rng.uniform(3, 90), 1),
                        "medications": rng.sample(["anaphlene", "zaradood", "morphofast", "paracetamol"], 2)},
            "case": {"@case_id": f"{rng.getrandbits(64):016x}", "update": {"visits": rng.randint(1, 9)}},
        },
        "data": [{"outlet_call": rng.choice(["TRUE", "FALSE"]), "new_existing": rng.choice(["Existing", "New"]),
                  "gps": f"{rng.uniform(-1, 1):.5f} {rng.uniform(36, 37):.5f}"} for _ in range(rng.randint(1, 20))],
    }
    if number < len(entries):
        inclusion = entries[number][1]
        for key, value in inclusion.items():
            if key == "form":
                body["form"]["@xmlns"] = value["@xmlns"]
            elif key == "data":
                body["data"].insert(rng.randrange(len(body["data"]) + 1), {**value[0], "gps": "0 36"})
            elif rng.random() < 0.95:  # a few near misses: right form, wrong district
                body[key] = value
    return json.dumps(body)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(function, argument) -> tuple[float, object]:
    start = time.perf_counter_ns()
    result = function(argument)
    return (time.perf_counter_ns() - start) / 1000, result


def run_size(cursor, size: int, rng: random.Random) -> dict:
    entries = [(number, *make_filter(rng, number)) for number in range(size)]
    started = time.perf_counter()
    index = FilterIndex(entries)
    build_s = time.perf_counter() - started
    texts = [make_body(rng, entries) for _ in range(BODIES)]
    bodies = [json.loads(text, parse_float=Decimal) for text in texts]

    index_us, candidates, found = [], [], 0
    index.matching(bodies[-1])
    for _ in range(ROUNDS):
        for body in bodies:
            elapsed, keys = timed(index.matching, body)
            index_us.append(elapsed)
    for body in bodies:
        candidates.append(len(index.candidates(body)))
        found += len(index.matching(body))

    cursor.execute("DROP TABLE IF EXISTS filters")
    cursor.execute("CREATE TABLE filters (id integer PRIMARY KEY, inclusion jsonb NOT NULL, exclusion jsonb)")
    execute_values(cursor, "INSERT INTO filters VALUES %s",
                   [(n, json.dumps(inc), None if exc is None else json.dumps(exc)) for n, inc, exc in entries],
                   page_size=5000)
    cursor.execute("ANALYZE filters")
    cursor.execute("DEALLOCATE ALL")
    cursor.execute("PREPARE scan(jsonb) AS SELECT id FROM filters WHERE $1 @> inclusion "
                   "AND NOT (exclusion IS NOT NULL AND $1 @> exclusion) ORDER BY id")

    def scan(text: str) -> list[int]:
        cursor.execute("EXECUTE scan(%s)", (text,))
        return [row[0] for row in cursor.fetchall()]

    def naive(body) -> list[int]:
        return [key for key, inclusion, exclusion in entries if matches(body, inclusion, exclusion)]

    slow = SLOW_BODIES[size]
    scan(texts[-1])  # warm up: plan, caches
    naive_us, pg_us = [], []
    for text, body in zip(texts[:slow], bodies[:slow]):
        elapsed, naive_keys = timed(naive, body)
        naive_us.append(elapsed)
        elapsed, pg_keys = timed(scan, text)
        pg_us.append(elapsed)
        assert index.matching(body) == naive_keys == pg_keys, (text, index.matching(body), naive_keys, pg_keys)

    return {
        "size": size, "bodies": f"{BODIES}×{ROUNDS} / {slow} / {slow}", "build_s": build_s,
        "candidates": statistics.mean(candidates), "matches": found / BODIES,
        "index_p50": percentile(index_us, 0.50), "index_p99": percentile(index_us, 0.99),
        "naive_mean": statistics.mean(naive_us),
        "pg_p50": percentile(pg_us, 0.50), "pg_p99": percentile(pg_us, 0.99),
    }


def main() -> None:
    rng = random.Random(20160115)
    started = time.perf_counter()
    with PostgresServer() as server:
        connection = psycopg2.connect(server.create_database("openfn_bench"))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
            rows = [run_size(cursor, size, rng) for size in SIZES]
        connection.close()

    print(f"Matching one message against N filters (µs per message; PostgreSQL {version}, no index, "
          f"server defaults; Python {sys.version.split()[0]})\n")
    print("| filters | bodies timed (index / naive / PG) | candidates per body | matches per body "
          "| index p50 | index p99 | naive loop mean | PG scan p50 | PG scan p99 | index vs PG (p50 / p99) "
          "| index build |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']:,} | {r['bodies']} | {r['candidates']:.2f} | {r['matches']:.2f} "
              f"| {r['index_p50']:.1f} | {r['index_p99']:.1f} | {r['naive_mean']:,.0f} "
              f"| {r['pg_p50']:,.0f} | {r['pg_p99']:,.0f} "
              f"| {r['pg_p50'] / r['index_p50']:,.0f}× / {r['pg_p99'] / r['index_p99']:,.0f}× "
              f"| {r['build_s']:.2f} s |")
    print(f"\nEvery body timed with the naive loop and PostgreSQL got the same matches from all three. "
          f"Total time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
