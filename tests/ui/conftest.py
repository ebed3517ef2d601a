"""UI test fixtures: the plugin's app with the OpenFn pages installed, in-process (mounted at /openfn next
to Airflow's /auth, as the api-server mounts it), over the session's SQLite metadata database, with the
demo project's DAGs serialized so that runs can be created."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
JOBS_DIR = REPO / "include" / "jobs"
PROJECT = "demo"


@pytest.fixture(scope="session")
def demo_dags(sync_dags):
    """The demo project's DAGs, serialized into the session database as the DAG processor would."""
    from openfn.builder import build_dag
    from openfn.readers import load_project

    project = load_project(JOBS_DIR / PROJECT)
    return sorted(sync_dags(build_dag(project, job) for job in project.jobs.values()))


def clear(database) -> None:
    """Empty the inbox's tables, the demo project's DAG runs and its saved states."""
    from airflow.models.dagrun import DagRun
    from airflow.models.variable import Variable

    from openfn.inbox.store.schema import message_jobs, messages, runs

    with database.write() as connection:
        for table in (runs, message_jobs, messages):
            connection.execute(sa.delete(table))
        connection.execute(sa.delete(DagRun.__table__).where(DagRun.__table__.c.dag_id.startswith(f"{PROJECT}.")))
        connection.execute(sa.delete(Variable.__table__).where(Variable.__table__.c.key.startswith("openfn.state.")))


class UiClient:
    """The app as a browser (session cookie) and as a script (Bearer token) see it."""

    def __init__(self, client, runtime) -> None:
        self.http = client
        self.runtime = runtime
        self._jwt: str | None = None

    def jwt(self) -> str:
        if self._jwt is None:
            from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

            passwords = json.loads(Path(SimpleAuthManager.get_generated_password_file()).read_text())
            reply = self.http.post("/auth/token", json={"username": "admin", "password": passwords["admin"]})
            assert reply.status_code == 201, reply.text
            self._jwt = reply.json()["access_token"]
        return self._jwt

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jwt()}"}

    def log_in_browser(self) -> None:
        """What Airflow's login page leaves behind: the session cookie."""
        self.http.cookies.set("_token", self.jwt())

    def send(self, body: dict) -> dict:
        from openfn.inbox.store.tokens import ensure_token

        reply = self.http.post(f"/openfn/inbox/{ensure_token(PROJECT)}", json=body)
        assert reply.status_code == 202, reply.text
        return reply.json()

    def dispatch(self) -> int:
        return self.runtime.dispatcher.drain()


def build_client(database) -> UiClient:
    from airflow.api_fastapi.app import init_auth_manager
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from openfn.inbox.app import create_app
    from openfn.inbox.services import InboxServices
    from openfn.settings import InboxSettings, get_settings
    from openfn.ui import install
    runtime = InboxServices(
        settings=replace(get_settings(), jobs_dir=JOBS_DIR),
        inbox_settings=InboxSettings(dispatcher=False, dispatch_sweep_seconds=60, dispatch_batch_size=0),
        database=database,
    )
    root = FastAPI()
    root.mount("/openfn", install(create_app(lambda: runtime)))
    init_auth_manager(root)
    return UiClient(TestClient(root, base_url="http://airflow.test", raise_server_exceptions=False, follow_redirects=False), runtime)


@pytest.fixture
def ui(sqlite_database, demo_dags):
    """The OpenFn pages and their API on the session's SQLite database, emptied for each test."""
    clear(sqlite_database)
    client = build_client(sqlite_database)
    yield client
    client.runtime.stop()
