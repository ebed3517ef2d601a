"""Runs and their collections tokens for the collections API tests: a message to the clinic project
starts queued DAG runs (the dispatcher creates them), and each gets a token as its task would."""

from __future__ import annotations

import time

import sqlalchemy as sa

from tests.inbox.conftest import dag_runs


def start_run(inbox, project: str = "clinic") -> tuple[str, str]:
    """(dag_id, run_id) of a queued DAG run of ``project``."""
    reply = inbox.post(project, {"form": "case_referral", "case_id": f"col-{time.monotonic_ns()}"})
    assert reply.status_code == 202, reply.text
    inbox.dispatch()
    run = reply.json()["data"][0]
    assert (run["dag_id"], run["run_id"]) in {(r.dag_id, r.run_id) for r in dag_runs(inbox.runtime.database)}
    return run["dag_id"], run["run_id"]


def token_for(project: str, dag_id: str, run_id: str, expires_in: float = 600) -> str:
    from openfn.inbox.store.run_secret import ensure_secret
    from openfn.run_tokens import RunClaims, sign

    return sign(ensure_secret(), RunClaims(project, dag_id, run_id, time.time() + expires_in))


def end_run(database, run_id: str, state: str = "success") -> None:
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    with database.write() as connection:
        connection.execute(sa.update(table).where(table.c.run_id == run_id).values(state=state))


def clear_collections(database) -> None:
    from openfn.inbox.store.schema import collection_items, collections

    with database.write() as connection:
        connection.execute(sa.delete(collection_items))
        connection.execute(sa.delete(collections))


class Collections:
    """The collections API as a run calls it."""

    def __init__(self, inbox, token: str) -> None:
        self.http = inbox.http
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kwargs):
        return self.http.request(method, f"/openfn/collections/{path}", headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def set(self, name: str, items: dict):
        return self.request("POST", name, json={"items": [{"key": k, "value": v} for k, v in items.items()]})


class LiveServer:
    """The inbox's app on a real port (uvicorn in a thread), for clients that speak HTTP themselves: the
    collections adaptors in Node.js and in Python."""

    def __init__(self, app) -> None:
        import socket

        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"))
        self.thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        import threading

        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
