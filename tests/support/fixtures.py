"""Pytest fixtures shared by every test tier (registered by tests/conftest.py)."""

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
