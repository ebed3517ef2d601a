"""Talking to the distributed deployment: each api-server directly, or the balancer; its database."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg2


def token(cluster, project: str) -> str:
    reply = cluster.api("GET", "/openfn/api/projects")
    assert reply.status_code == 200, reply.text
    (url,) = [p["inbox_url"] for p in reply.json()["projects"] if p["name"] == project]
    return url.rsplit("/", 1)[1]


def api(cluster, server: str, method: str, path: str, **kwargs) -> httpx.Response:
    """A management/REST API call to one api-server (or the balancer), with the shared admin token."""
    headers = {"Authorization": f"Bearer {cluster.token()}", **kwargs.pop("headers", {})}
    return httpx.request(method, f"{server}{path}", headers=headers, timeout=30, **kwargs)


def receipt(cluster, server: str, message_id: str) -> dict:
    reply = api(cluster, server, "GET", f"/openfn/api/messages/{message_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()


def rows(cluster, sql: str, params=()) -> list[tuple]:
    connection = psycopg2.connect(cluster.dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    finally:
        connection.close()


def pause(cluster, *dag_ids: str, paused: bool = True) -> None:
    for dag_id in dag_ids:
        reply = cluster.api("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": paused})
        assert reply.status_code == 200, reply.text


def runs_by_worker(cluster) -> dict[str, set[str]]:
    """worker -> run ids whose tasks it ran (each worker writes its task logs into its own home)."""
    found = {}
    for name in cluster.workers:
        logs = Path(cluster.root / name / "logs")
        found[name] = {p.name.removeprefix("run_id=") for p in logs.glob("dag_id=*/run_id=*")}
    return found


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def dumps(value) -> str:
    return json.dumps(value, sort_keys=True)
