"""Pytest fixtures shared by every test tier (registered by tests/conftest.py)."""

import json

# --- PostgreSQL server (tests marked @pytest.mark.postgres) -------------------------------------------
import psycopg2
import pytest

from tests.support.pgserver import PostgresServer

PG_TEST_DATABASE = "openfn_test"


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL cluster for the whole test session, removed at the end."""
    with PostgresServer() as server:
        server.create_database(PG_TEST_DATABASE)
        yield server


@pytest.fixture
def pg_conn(postgres_server):
    """An autocommit psycopg2 connection to the session database ``openfn_test``."""
    connection = psycopg2.connect(postgres_server.dsn(PG_TEST_DATABASE))
    connection.autocommit = True
    yield connection
    connection.close()
# --- end PostgreSQL server ----------------------------------------------------------------------------


# --- Airflow metadata database (SQLite, in the session's private Airflow home) -------------------------
@pytest.fixture(scope="session")
def airflow_db():
    """A migrated Airflow metadata database for in-process tests (``dag.test()``, Variables, DAG runs)."""
    from tests.support import airflow_env

    airflow_env.migrate_in_process()
    yield
# --- end Airflow metadata database ----------------------------------------------------------------------


# --- Project folders written by tests --------------------------------------------------------------------
@pytest.fixture
def make_project(tmp_path):
    """Write ``<tmp>/jobs/<folder>/project.yaml`` (and job files) and return the folder."""
    import textwrap

    def make(yaml_text: str, folder: str = "demo", files: dict[str, str] | None = None):
        root = tmp_path / "jobs" / folder
        root.mkdir(parents=True, exist_ok=True)
        (root / "project.yaml").write_text(textwrap.dedent(yaml_text))
        for name, text in (files or {"job.py": "operations = []\n"}).items():
            (root / name).write_text(textwrap.dedent(text))
        return root

    return make
# --- end project folders ---------------------------------------------------------------------------------


# --- A real SMTP server on localhost (aiosmtpd) ------------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_server():
    """An SMTP server on 127.0.0.1 collecting messages in ``.messages``; ``smtp_default`` points at it."""
    import email
    import json
    import os
    import socket

    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    previous = os.environ.get("AIRFLOW_CONN_SMTP_DEFAULT")
    os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "openfn@example.org"},
    })
    yield handler
    controller.stop()
    if previous is None:
        os.environ.pop("AIRFLOW_CONN_SMTP_DEFAULT", None)
    else:
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = previous
# --- end SMTP server ----------------------------------------------------------------------------------------


# --- DAGs serialized into the session's metadata DB -----------------------------------------------------
@pytest.fixture(scope="session")
def sync_dags(airflow_db, tmp_path_factory):
    """Serialize DAGs into the metadata DB, as the DAG processor would, so ``dag.test()`` can run them and
    runs can be created for them. Returns ``sync(dags) -> {dag_id: dag}``."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    empty = tmp_path_factory.mktemp("no-dag-files")

    def sync(dags) -> dict:
        dags = list(dags)
        bag = DagBag(dag_folder=str(empty))
        for dag in dags:
            bag.bag_dag(dag)
        sync_bag_to_db(bag, "dags-folder", None)
        return {dag.dag_id: dag for dag in dags}

    return sync
# --- end serialized DAGs ----------------------------------------------------------------------------------


# --- The inbox's tables in the session's SQLite metadata database -----------------------------------------
@pytest.fixture(scope="session")
def sqlite_database(airflow_db):
    """The inbox's ``Database`` over the session's SQLite metadata DB, with its tables created."""
    from airflow import settings

    from openfn.inbox.store.database import Database
    from openfn.inbox.store.schema import ensure_schema

    database = Database(settings.SQL_ALCHEMY_CONN)
    ensure_schema(database)
    yield database
    database.dispose()
# --- end inbox tables --------------------------------------------------------------------------------------


# --- Read helpers over the session's metadata database ------------------------------------------------------
@pytest.fixture(scope="session")
def db():
    """Read helpers over the metadata DB: DAG runs, XComs, Variables."""
    from airflow.models import DagRun, Variable
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    class Reader:
        @staticmethod
        def xcom(dag_id: str, run_id: str, task_id: str = "run", key: str = "return_value"):
            with create_session() as session:
                row = session.query(XComModel).filter_by(dag_id=dag_id, run_id=run_id, task_id=task_id, key=key).one_or_none()
                if row is None:
                    return None
                value = row.value
                return json.loads(value) if isinstance(value, str) else value

        @staticmethod
        def runs(dag_id: str) -> list:
            with create_session() as session:
                runs = session.query(DagRun).filter_by(dag_id=dag_id).order_by(DagRun.id).all()
                return [(r.run_id, r.state, r.conf) for r in runs]

        @staticmethod
        def variable(key: str):
            return Variable.get(key, default_var=None, deserialize_json=True)

        @staticmethod
        def task_states(dag_id: str, run_id: str) -> dict:
            from airflow.models import TaskInstance

            with create_session() as session:
                tis = session.query(TaskInstance).filter_by(dag_id=dag_id, run_id=run_id).all()
                return {ti.task_id: ti.state for ti in tis}

    return Reader
# --- end read helpers ---------------------------------------------------------------------------------------
