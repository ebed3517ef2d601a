"""Exactly-once across two api-servers: 1,200 concurrent messages give one DAG run per matched job, and 20
concurrent re-runs of one message x job give one run (the 10-second rule), whichever server is asked."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.distributed.helpers import api, pause, rows, token

pytestmark = [pytest.mark.distributed, pytest.mark.e2e]
MESSAGES = 1200
CONCURRENCY = 16


def _body(n: int) -> dict:
    body = {"n": n, "form": "visit" if n % 3 else "other"}
    if n % 4 == 0:
        body["urgent"] = True
    return body  # matches none, one or both of burst's jobs


async def _send_all(servers: list[str], inbox: str) -> list[httpx.Response]:
    clients = [httpx.AsyncClient(base_url=server, timeout=60) for server in servers]
    queue = list(range(MESSAGES))
    replies: list[httpx.Response] = []

    async def sender(client: httpx.AsyncClient) -> None:
        while queue:
            replies.append(await client.post(f"/openfn/inbox/{inbox}", json=_body(queue.pop())))

    try:
        await asyncio.gather(*(sender(clients[i % len(clients)]) for i in range(CONCURRENCY)))
    finally:
        for client in clients:
            await client.aclose()
    return replies


def test_concurrent_messages_to_both_servers_give_exactly_one_dag_run_per_matched_job(cluster):
    pause(cluster, "burst.intake", "burst.alert")  # runs are created, not executed
    replies = asyncio.run(_send_all(cluster.api_servers, token(cluster, "burst")))
    assert [r.status_code for r in replies] == [202] * MESSAGES
    planned = {(run["dag_id"], run["run_id"]) for r in replies for run in r.json()["data"]}
    expected = sum((n % 3 != 0) + (n % 4 == 0) for n in range(MESSAGES))
    assert len(planned) == expected

    def dispatched():
        pending = rows(cluster, "SELECT count(*) FROM openfn_run r JOIN openfn_message m ON m.id = r.message_id "
                                "WHERE m.project = 'burst' AND r.status = 'pending'")[0][0]  # fmt: skip
        return pending == 0

    cluster.wait_for(dispatched, "the dispatchers to create every run", timeout=300)
    created = rows(cluster, "SELECT dag_id, run_id FROM dag_run WHERE dag_id LIKE 'burst.%%'")
    assert len(created) == len(set(created)) == expected  # none twice
    assert set(created) == planned  # none missing, none extra
    assert rows(cluster, "SELECT count(*) FROM openfn_message WHERE project = 'burst'") == [(MESSAGES,)]


def test_twenty_concurrent_reruns_split_over_both_servers_give_one_201(cluster):
    pause(cluster, "burst.alert")
    reply = httpx.post(f"{cluster.url}/openfn/inbox/{token(cluster, 'burst')}", json={"form": "none"}, timeout=30)
    assert (reply.status_code, reply.json()["data"]) == (202, [])  # no job matched: alert never ran for it
    message_id = reply.json()["meta"]["message_id"]

    async def rerun_all() -> list[httpx.Response]:
        async def one(n: int) -> httpx.Response:
            return await asyncio.to_thread(api, cluster, cluster.api_servers[n % 2], "POST",
                                           f"/openfn/api/messages/{message_id}/runs", json={"job": "alert"})  # fmt: skip

        return await asyncio.gather(*(one(n) for n in range(20)))

    replies = asyncio.run(rerun_all())
    assert sorted(r.status_code for r in replies) == [201] + [429] * 19
    assert all(int(r.headers["retry-after"]) in range(1, 11) for r in replies if r.status_code == 429)
    (created,) = [r.json() for r in replies if r.status_code == 201]
    cluster.wait_for(lambda: rows(cluster, "SELECT run_id FROM dag_run WHERE dag_id = 'burst.alert' AND run_id = %s", (created["run_id"],)),
                     "the re-run's DAG run")  # fmt: skip
    assert rows(cluster, "SELECT count(*) FROM openfn_run WHERE message_id = %s", (message_id,)) == [(1,)]
