"""GET /openfn/ready: 200 once the inbox has warmed up (what a load balancer waits for), 503 until then."""

from __future__ import annotations

from tests.inbox.conftest import JOBS_DIR, build_client

PROJECTS = sorted(folder.name for folder in JOBS_DIR.iterdir() if (folder / "project.yaml").exists())


def test_ready_warms_the_inbox_up_and_then_answers_200(sqlite_database, inbox_dags):
    client = build_client(sqlite_database)
    try:
        assert client.runtime.started is False  # no lifespan here: the probe starts it
        reply = client.http.get("/openfn/ready")
        assert (reply.status_code, reply.json()) == (200, {"status": "ready", "projects": len(PROJECTS), "waiting_replies": 0})
        runtime = client.runtime
        assert runtime.started and runtime.catalog.fresh()
        assert sorted(runtime.tokens.tokens(PROJECTS)) == PROJECTS  # loaded by the warm-up
        assert runtime.writer.running
    finally:
        client.runtime.stop()


def test_ready_answers_503_while_the_metadata_database_cannot_be_reached():
    from openfn.inbox.store.database import Database

    client = build_client(Database("postgresql+psycopg2://nobody@127.0.0.1:9/none?connect_timeout=1"))
    try:
        reply = client.http.get("/openfn/ready")
        assert reply.status_code == 503
        assert reply.headers["retry-after"] == "1"
        assert reply.json() == {
            "error": "unavailable",
            "message": "This api-server's inbox is starting (or cannot reach the metadata database yet); retry in a moment.",
        }
    finally:
        client.runtime.stop()


def test_ready_needs_no_login(sqlite_database, inbox_dags):
    client = build_client(sqlite_database)
    try:
        assert client.http.get("/openfn/ready", headers={"Authorization": "Bearer not-a-token"}).status_code == 200
    finally:
        client.runtime.stop()
