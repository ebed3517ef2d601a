"""Inbox test fixtures: the plugin's app in-process (mounted at /openfn next to Airflow's /auth, as the
api-server mounts it), over the session's SQLite metadata database or a database on the test PostgreSQL
server, with the DAGs of tests/fixtures/inbox serialized so the dispatcher can create their runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[2]
JOBS_DIR = REPO / "tests" / "fixtures" / "inbox"


@pytest.fixture(scope="session")
def inbox_dags(sync_dags):
    """The fixture projects' DAGs, serialized into the session database as the DAG processor would."""
    from openfn.builder import build_dag
    from openfn.readers import load_projects

    report = load_projects(JOBS_DIR)
    assert not report.errors, report.errors
    return sorted(sync_dags(build_dag(project, job) for project in report.projects for job in project.jobs.values()))


@pytest.fixture(scope="session")
def pg_airflow_url(postgres_server, tmp_path_factory):
    """A migrated Airflow metadata database on the test PostgreSQL server, with the fixture DAGs."""
    from tests.support.templates import migrated_database

    url = migrated_database(postgres_server, "openfn_inbox_airflow")
    env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url, "AIRFLOW__OPENFN__JOBS_DIR": str(JOBS_DIR)}
    _reserialize(env)
    return url


def _reserialize(env: dict[str, str]) -> None:
    import os
    import subprocess

    from tests.support.airflow_env import VENV_BIN

    subprocess.run([str(VENV_BIN / "airflow"), "dags", "reserialize"], env={**os.environ, **env}, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def pg_database(pg_airflow_url):
    from openfn.inbox.store.database import Database
    from openfn.inbox.store.schema import ensure_schema

    database = Database(pg_airflow_url)
    ensure_schema(database)
    yield database
    database.dispose()


def clear_inbox(database) -> None:
    """Empty the inbox's tables and delete the DAG runs of the fixture projects."""
    from airflow.models.dagrun import DagRun

    from openfn.inbox.store.schema import message_jobs, messages, runs, watch_claims, watchers

    projects = [folder.name for folder in JOBS_DIR.iterdir() if (folder / "project.yaml").exists()]
    with database.write() as connection:
        for table in (runs, message_jobs, messages, watchers, watch_claims):
            connection.execute(sa.delete(table))
        connection.execute(sa.delete(DagRun.__table__).where(sa.or_(*(DagRun.__table__.c.dag_id.startswith(f"{p}.") for p in projects))))


def make_runtime(database, protection: dict | None = None, **settings):
    from openfn.inbox.services import InboxServices
    from openfn.settings import InboxSettings, get_protection_settings, get_settings

    return InboxServices(
        settings=replace(get_settings(), **{"jobs_dir": JOBS_DIR, **settings}),
        inbox_settings=InboxSettings(dispatcher=False, dispatch_sweep_seconds=60, dispatch_batch_size=0),
        database=database,
        protection=replace(get_protection_settings(), **(protection or {})),
    )


class InboxClient:
    """The app as senders and operators see it: paths under /openfn, Airflow login for /openfn/api."""

    def __init__(self, client, runtime) -> None:
        self.http = client
        self.runtime = runtime
        self._jwt: str | None = None

    def token(self, project: str) -> str:
        from openfn.inbox.store.tokens import ensure_token

        return ensure_token(project)

    def post(self, project: str, body=None, *, content: bytes | None = None, headers=None):
        headers = {"content-type": "application/json", **(headers or {})}
        if content is None:
            content = json.dumps(body).encode()
        return self.http.post(f"/openfn/inbox/{self.token(project)}", content=content, headers=headers)

    def login(self) -> str:
        if self._jwt is None:
            from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

            passwords = json.loads(Path(SimpleAuthManager.get_generated_password_file()).read_text())
            reply = self.http.post("/auth/token", json={"username": "admin", "password": passwords["admin"]})
            assert reply.status_code == 201, reply.text
            self._jwt = reply.json()["access_token"]
        return self._jwt

    def api(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.login()}", **kwargs.pop("headers", {})}
        return self.http.request(method, f"/openfn/api{path}", headers=headers, **kwargs)

    def dispatch(self) -> int:
        return self.runtime.dispatcher.drain()


def build_client(database, protection: dict | None = None, **settings):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from airflow.api_fastapi.app import init_auth_manager

    from openfn.inbox.app import create_app

    runtime = make_runtime(database, protection, **settings)
    root = FastAPI()
    root.mount("/openfn", create_app(lambda: runtime))
    init_auth_manager(root)
    return InboxClient(TestClient(root, raise_server_exceptions=False), runtime)


@pytest.fixture
def inbox(sqlite_database, inbox_dags):
    """The inbox on the session's SQLite database, emptied for each test."""
    clear_inbox(sqlite_database)
    client = build_client(sqlite_database)
    yield client
    client.runtime.stop()


@pytest.fixture
def pg_inbox(pg_database):
    clear_inbox(pg_database)
    client = build_client(pg_database)
    yield client
    client.runtime.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_inbox(request):
    """The inbox on SQLite and on PostgreSQL: the same behaviour is required of both."""
    return request.getfixturevalue("inbox" if request.param == "sqlite" else "pg_inbox")


def dag_runs(database, dag_id: str | None = None) -> list:
    """(dag_id, run_id, conf) of the DAG runs in the database, oldest first."""
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    query = sa.select(table.c.dag_id, table.c.run_id, table.c.conf).order_by(table.c.id)
    if dag_id is not None:
        query = query.where(table.c.dag_id == dag_id)
    with database.read() as connection:
        return connection.execute(query).all()
