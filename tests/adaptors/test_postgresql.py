"""The postgresql adaptor against the real PostgreSQL server of the test session, through PostgresHook."""

from __future__ import annotations

import json

import pytest

from openfn.adaptors import postgresql as pg
from openfn.adaptors.common import data_value
from openfn.errors import OperationArgumentError
from openfn.runtime.credentials import configuration
from openfn.runtime.operations import run_operations
from tests.adaptors.helpers import exact
from tests.support.fixtures import PG_TEST_DATABASE

pytestmark = pytest.mark.postgres


@pytest.fixture
def state(postgres_server, pg_conn, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_OPENFN_TEST_WAREHOUSE", json.dumps({
        "conn_type": "postgres", "host": "127.0.0.1", "port": postgres_server.port, "login": "postgres", "schema": PG_TEST_DATABASE,
    }))
    with pg_conn.cursor() as cursor:
        cursor.execute('DROP TABLE IF EXISTS patients, "clinic visits"')
        cursor.execute("CREATE TABLE patients (id serial PRIMARY KEY, case_id text UNIQUE, name text, age int, extra jsonb)")
        cursor.execute('CREATE TABLE "clinic visits" (id serial PRIMARY KEY, "patient name" text)')
    return {"data": {"case_id": "c-1", "name": "Ann", "age": 31}, "references": [], "configuration": configuration("openfn_test_warehouse", "postgresql")}


def rows(pg_conn, query="SELECT case_id, name, age, extra FROM patients ORDER BY id"):
    with pg_conn.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def test_configuration_names_the_connection_and_openfns_fields(state, postgres_server):
    assert state["configuration"] == {
        "host": "127.0.0.1", "login": "postgres", "username": "postgres", "schema": PG_TEST_DATABASE, "port": postgres_server.port,
        "user": "postgres", "database": PG_TEST_DATABASE, "conn_id": "openfn_test_warehouse",
    }


def test_insert_returns_the_row_and_composes_state(state, pg_conn):
    result = pg.insert("patients", {"case_id": data_value("case_id"), "name": data_value("name"), "extra": {"tags": ["a"]}})(state)
    assert result["data"] == [{"id": 1, "case_id": "c-1", "name": "Ann", "age": None, "extra": {"tags": ["a"]}}]
    assert result["result"] == {"command": "INSERT", "rowCount": 1}
    assert result["references"] == [state["data"]]
    assert rows(pg_conn) == [("c-1", "Ann", None, {"tags": ["a"]})]


def test_values_are_parameters_never_sql_text(state, pg_conn):
    hostile = "x'); DROP TABLE patients; --"
    pg.insert("patients", {"case_id": "c-9", "name": hostile})(state)
    found = pg.sql("SELECT name FROM patients WHERE name = %s", {"values": [hostile]})(state)
    assert found["data"] == [{"name": hostile}]
    assert rows(pg_conn) == [("c-9", hostile, None, None)]


def test_names_are_quoted_identifiers(state, pg_conn):
    pg.insert("clinic visits", {"patient name": 'O"Brien'})(state)
    assert rows(pg_conn, 'SELECT "patient name" FROM "clinic visits"') == [('O"Brien',)]


def test_insert_many_and_upsert_many(state, pg_conn):
    records = [{"case_id": "c-1", "name": "Ann", "age": 31}, {"case_id": "c-2", "name": "Bo"}]
    inserted = pg.insert_many("patients", records)(state)
    assert [r["case_id"] for r in inserted["data"]] == ["c-1", "c-2"]
    pg.upsert_many("patients", "case_id", [{"case_id": "c-2", "name": "Bob", "age": 40}, {"case_id": "c-3", "name": "Cy", "age": 5}])(state)
    assert rows(pg_conn) == [("c-1", "Ann", 31, None), ("c-2", "Bob", 40, None), ("c-3", "Cy", 5, None)]
    assert pg.insert_many("patients", [])(state) is state


def test_upsert_on_a_column_or_a_constraint(state, pg_conn):
    pg.upsert("patients", "case_id", {"case_id": "c-1", "name": "Ann", "age": 31})(state)
    result = pg.upsert("patients", "ON CONSTRAINT patients_case_id_key", {"case_id": "c-1", "name": "Ann B", "age": 32})(state)
    assert rows(pg_conn) == [("c-1", "Ann B", 32, None)]
    assert result["result"] == {"command": "INSERT", "rowCount": 1}


def test_set_null_stores_placeholder_values_as_null(state, pg_conn):
    pg.insert("patients", {"case_id": "c-5", "name": "undefined"}, {"set_null": ["''", "'undefined'"]})(state)
    assert rows(pg_conn) == [("c-5", None, None, None)]


def test_find_value_and_describe_table(state, pg_conn):
    pg.insert_many("patients", [{"case_id": "c-1", "name": "Mamadou"}, {"case_id": "c-2", "name": "Marie"}])(state)
    found = pg.find_value({"uuid": "case_id", "relation": "patients", "where": {"name": "Mari%"}, "operator": {"name": "like"}})(state)
    assert (found["data"], found["result"]) == ("c-2", "c-2")
    assert pg.find_value({"uuid": "case_id", "relation": "patients", "where": {"name": "Nobody"}})(state)["data"] is None
    columns = pg.describe_table("patients")(state)["data"]
    assert columns[:2] == [{"column_name": "id", "udt_name": "int4", "is_nullable": "NO"}, {"column_name": "case_id", "udt_name": "text", "is_nullable": "YES"}]


def test_execute_false_only_records_the_statement(state, pg_conn):
    result = pg.sql("DELETE FROM patients", {"execute": False})(state)
    assert result["queries"] == ["DELETE FROM patients"]
    assert "result" not in result


def test_one_connection_per_run_closed_at_its_end(state, monkeypatch):
    opened = []
    connect = pg._connect
    monkeypatch.setattr(pg, "_connect", lambda config: opened.append(connect(config)) or opened[-1])
    final = run_operations("job", [pg.sql("SELECT pg_backend_pid() AS pid"), pg.sql("SELECT pg_backend_pid() AS pid")], state)
    assert final["data"] == final["references"][-1]  # the same backend answered both
    assert len(opened) == 1 and opened[0].closed


def test_a_configuration_without_an_airflow_connection_uses_openfns_fields(state, pg_conn, postgres_server):
    config = {"host": "127.0.0.1", "port": postgres_server.port, "user": "postgres", "database": PG_TEST_DATABASE}
    result = pg.sql("SELECT current_database() AS db")({"data": {}, "references": [], "configuration": config})
    assert result["data"] == [{"db": PG_TEST_DATABASE}]


def test_sql_errors_fail_the_operation(state):
    from psycopg2 import errors as pg2_errors

    try:
        from psycopg import errors as pg3_errors
    except ImportError:  # pragma: no cover - psycopg 3 is installed with the postgres provider here
        pg3_errors = pg2_errors
    with pytest.raises((pg2_errors.UndefinedTable, pg3_errors.UndefinedTable), match='relation "nowhere" does not exist'):
        pg.sql("SELECT * FROM nowhere")(state)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: pg.insert("", {}), "insert() needs text for `table`, got str ''. Fix: Pass for example 'patients' or 'public.patients'."),
        (lambda: pg.sql(None), "sql() needs text for `query`, got None. Fix: Pass for example 'SELECT * FROM patients WHERE id = %s'."),
        (lambda: pg.upsert("patients", 7, {}), "upsert() needs text for `uuid`, got int 7. Fix: Pass for example 'case_id' or 'ON CONSTRAINT patients_pkey'."),
    ],
)
def test_argument_errors_when_built(build, message):
    with pytest.raises(OperationArgumentError, match=exact(message)):
        build()
