"""OpenFn's language-postgresql in Python: queries and inserts through Airflow's PostgresHook.

Credential: the job's Airflow Connection of type postgres (host, port, login, password, schema = the
database, and libpq options such as ``sslmode`` in extra), used through ``PostgresHook`` as Airflow does.
``state["configuration"]`` also gets OpenFn's names ``host``, ``port``, ``user``, ``database`` and
``password``; a state whose configuration carries only those (no Airflow Connection) connects with them.

One database connection is opened per run (on first use) and closed when the run ends; every statement
is committed at once, as OpenFn's client does. ``data`` is the rows the statement returned (inserts and
upserts return the rows written), the previous ``data`` is appended to ``references``, and ``result``
is ``{"command", "rowCount"}``. Values are always sent as query parameters, never written into the SQL.

Options (``sql``, ``insert``...): ``write_sql`` logs the statement (values hidden unless ``log_values``),
``execute=False`` only records the statement in ``state["queries"]``, ``set_null`` lists values to store
as NULL (``["''", "'undefined'"]``).

Example:
    from openfn.adaptors.postgresql import insert, sql
    from openfn.adaptors.common import data_value

    operations = [
        insert("patients", {"name": data_value("form.name"), "dob": data_value("form.dob")}),
        sql("SELECT count(*) AS total FROM patients WHERE district = %s", {"values": ["Kisumu"]}),
    ]
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from openfn.adaptors import _sql
from openfn.adaptors._args import describe, named
from openfn.adaptors._http_args import check_mapping, check_text
from openfn.adaptors._references import expand_references
from openfn.adaptors._state import compose_next_state
from openfn.adaptors.common import *  # noqa: F403 - OpenFn adaptors re-export language-common
from openfn.adaptors.common import __all__ as _common_names
from openfn.errors import OperationArgumentError
from openfn.runtime.resources import shared

logger = logging.getLogger("openfn.job")
Operation = Callable[[dict], dict]


def sql(query: Any, options: Any = None) -> Operation:
    """Run one SQL statement; ``options["values"]`` fills its ``%s`` (or ``%(name)s``) placeholders.

    Example:
        operations = [sql("SELECT id, name FROM patients WHERE district = %s AND age > %s", {"values": ["Kisumu", 18]})]
    """
    check_text("sql", "query", query, example="'SELECT * FROM patients WHERE id = %s'")
    check_mapping("sql", "options", options)

    @named("sql")
    def run(state: dict) -> dict:
        text, opts = expand_references(state, query, options)
        values = (opts or {}).get("values")
        return _execute(state, text, [_sql.parameter(v) for v in values] if isinstance(values, list | tuple) else values, opts or {})

    return run


def insert(table: Any, record: Any, options: Any = None) -> Operation:
    """Insert one record (a dict of column -> value); ``data`` is the inserted row.

    Example:
        operations = [insert("patients", {"name": data_value("form.name"), "dob": data_value("form.dob")})]
    """
    _check("insert", table, options)

    @named("insert")
    def run(state: dict) -> dict:
        name, row, opts = expand_references(state, table, record, options)
        return _write(state, name, [_record("insert", row)], None, opts or {}, sort=True)

    return run


def insert_many(table: Any, records: Any, options: Any = None) -> Operation:
    """Insert many records in one statement; the first record's keys are the columns.

    Example:
        operations = [insert_many("visits", lambda state: state["data"]["visits"])]
    """
    _check("insert_many", table, options)

    @named("insert_many")
    def run(state: dict) -> dict:
        name, rows, opts = expand_references(state, table, records, options)
        if not rows:
            logger.info("No records provided; skipping insert.")
            return state
        return _write(state, name, [_record("insert_many", row) for row in rows], None, opts or {})

    return run


def upsert(table: Any, uuid: Any, record: Any, options: Any = None) -> Operation:
    """Insert a record, or update it where ``uuid`` (a unique column, columns, or 'ON CONSTRAINT name') conflicts.

    Example:
        operations = [upsert("patients", "case_id", {"case_id": data_value("case_id"), "name": data_value("form.name")})]
    """
    _check("upsert", table, options)
    check_text("upsert", "uuid", uuid, example="'case_id' or 'ON CONSTRAINT patients_pkey'")

    @named("upsert")
    def run(state: dict) -> dict:
        name, target, row, opts = expand_references(state, table, uuid, record, options)
        return _write(state, name, [_record("upsert", row)], target, opts or {}, sort=True)

    return run


def upsert_many(table: Any, uuid: Any, records: Any, options: Any = None) -> Operation:
    """``upsert`` for many records in one statement; the first record's keys are the columns.

    Example:
        operations = [upsert_many("users", "email", [{"name": "one", "email": "one@openfn.org"}, {"name": "two", "email": "two@openfn.org"}])]
    """
    _check("upsert_many", table, options)
    check_text("upsert_many", "uuid", uuid, example="'email'")

    @named("upsert_many")
    def run(state: dict) -> dict:
        name, target, rows, opts = expand_references(state, table, uuid, records, options)
        if not rows:
            logger.info("No records provided; skipping upsert.")
            return state
        return _write(state, name, [_record("upsert_many", row) for row in rows], target, opts or {})

    return run


def find_value(filter: Any) -> Operation:
    """``data`` becomes the ``uuid`` column of the first row of ``relation`` matching ``where`` (or None).

    ``operator`` maps a column to a comparison ('=', '<>', 'like', 'ilike', '<', '>'...), '=' by default.

    Example:
        operations = [find_value({"uuid": "id", "relation": "users", "where": {"first_name": "Mama%"}, "operator": {"first_name": "like"}})]
    """
    check_mapping("find_value", "filter", filter)

    @named("find_value")
    def run(state: dict) -> dict:
        (spec,) = expand_references(state, filter)
        where, operators = spec.get("where") or {}, spec.get("operator") or {}
        clauses = [f"{_sql.identifier(column)} {_operator(operators.get(column, '='))} %s" for column in where]
        text = f"SELECT {_sql.identifier(spec['uuid'])} FROM {_sql.table_name(spec['relation'])}"
        text += (" WHERE " + " AND ".join(clauses) if clauses else "") + " LIMIT 1"
        rows, _ = _run(state, text, [_sql.parameter(v) for v in where.values()], {})
        value = rows[0][spec["uuid"]] if rows else None
        return {**compose_next_state(state, value), "result": value}

    return run


def describe_table(table_name: Any) -> Operation:
    """``data`` becomes the columns of a table: ``column_name``, ``udt_name``, ``is_nullable``.

    Example:
        operations = [describe_table("clinic_visits")]
    """
    check_text("describe_table", "table_name", table_name, example="'clinic_visits'")

    @named("describe_table")
    def run(state: dict) -> dict:
        (name,) = expand_references(state, table_name)
        text = "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position"
        return _execute(state, text, [name], {})

    return run


# --- running statements ----------------------------------------------------------------------------------
OPERATORS = ("=", "<>", "!=", "<", "<=", ">", ">=", "like", "ilike", "not like", "not ilike")


def _operator(value: str) -> str:
    if str(value).lower() not in OPERATORS:
        raise OperationArgumentError(f"find_value() got operator {value!r}.", fix=f"Use one of: {', '.join(OPERATORS)}.")
    return str(value).upper()


def _check(operation: str, table: Any, options: Any) -> None:
    check_text(operation, "table", table, example="'patients' or 'public.patients'")
    if isinstance(table, str):
        _sql.table_name(table)
    check_mapping(operation, "options", options)


def _record(operation: str, value: Any) -> dict:
    if not isinstance(value, dict) or not value:
        raise TypeError(f"{operation}(): a record must be a non-empty dict of column -> value, got {describe(value)}.")
    return value


def _write(state: dict, table: str, records: list[dict], conflict: str | None, options: dict, *, sort: bool = False) -> dict:
    columns = sorted(records[0]) if sort else list(records[0])
    nulls = _sql.null_values(options)
    values = [_sql.parameter(None if row.get(c) in nulls else row.get(c)) for row in records for c in columns]
    return _execute(state, _sql.insert(table, columns, len(records), conflict), values, options)


def _execute(state: dict, text: str, values: Any, options: dict) -> dict:
    if options.get("write_sql", options.get("writeSql")):
        logger.info("SQL: %s%s", text, f" with values {values}" if options.get("log_values", options.get("logValues")) else "")
    if options.get("execute") is False:
        return {**state, "queries": [*(state.get("queries") or []), text]}
    rows, result = _run(state, text, values, options)
    return {**compose_next_state(state, rows), "result": result}


def _run(state: dict, text: str, values: Any, options: dict) -> tuple[list[dict], dict]:
    config = state.get("configuration") or {}
    with shared(f"postgres:{config.get('conn_id') or config.get('host')}", lambda: _connect(config)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(text, values if values else None)
            columns = [column[0] for column in cursor.description or []]
            rows = [dict(zip(columns, row)) for row in cursor.fetchall()] if columns else []
            command = (getattr(cursor, "statusmessage", None) or "").split(" ")[0]
            logger.info("%s succeeded, rowCount: %d", command or "statement", cursor.rowcount)
            return rows, {"command": command, "rowCount": cursor.rowcount}


def _connect(config: dict) -> Any:
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    if config.get("conn_id"):
        hook = PostgresHook(postgres_conn_id=config["conn_id"])
    else:
        from airflow.sdk import Connection

        missing = [key for key in ("host", "database") if not config.get(key)]
        if missing:
            from openfn.adaptors._openfn_http import CredentialError

            raise CredentialError(f"The postgresql credential has no {' or '.join(missing)}", fix="Give the job an Airflow Connection of type postgres (its host and schema = the database).")
        hook = PostgresHook(connection=Connection(
            conn_id="openfn_postgresql", conn_type="postgres", host=config["host"], port=config.get("port"),
            login=config.get("user") or config.get("username"), password=config.get("password"), schema=config["database"],
        ))  # fmt: skip
    connection = hook.get_conn()
    connection.autocommit = True
    return connection


__all__ = ["describe_table", "find_value", "insert", "insert_many", "sql", "upsert", "upsert_many", *_common_names]
