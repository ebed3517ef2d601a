"""The reply watcher's queries (workers/replies.py): the messages that wait, their first runs, the state
of the tasks their answers need and those tasks' XCom values, each for every waiting request at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.store.schema import PENDING, messages, runs

RunKey = tuple[str, str]  # (dag_id, run_id)
TaskKey = tuple[str, str, str]  # (dag_id, run_id, task_id)


def chunks(keys: list, size: int = 500) -> Iterator[list]:
    """``keys`` a query's ``IN`` list at a time (bounded, so no database refuses it for its length)."""
    for start in range(0, len(keys), size):
        yield keys[start:start + size]


def reply_messages(connection: Connection, ids: list[str]) -> dict[str, sa.Row]:
    """message id -> what answering it needs (project, trigger, which job answers, erased or not)."""
    query = sa.select(messages.c.id, messages.c.project, messages.c.trigger, messages.c.received_at, messages.c.reply_job,
                      messages.c.reply_flow, messages.c.erased_at).where(messages.c.id.in_(ids))  # fmt: skip
    return {row.id: row for row in connection.execute(query)}


def first_runs(connection: Connection, ids: list[str]) -> dict[tuple[str, str], sa.Row]:
    """(message id, job) -> the run row the message itself started (not a re-run)."""
    query = sa.select(runs.c.message_id, runs.c.job, runs.c.dag_id, runs.c.run_id, runs.c.status, runs.c.error).where(
        runs.c.message_id.in_(ids), runs.c.source == "message"
    )
    return {(row.message_id, row.job): row for row in connection.execute(query)}


def task_states(connection: Connection, keys: list[TaskKey]) -> dict[TaskKey, tuple[str, Any]]:
    """(dag_id, run_id, task_id) -> (state, end_date) of those tasks that exist (unmapped)."""
    from airflow.models.taskinstance import TaskInstance

    table = TaskInstance.__table__
    wanted = set(keys)
    states: dict[TaskKey, tuple[str, Any]] = {}
    for chunk in chunks(keys):
        query = sa.select(table.c.dag_id, table.c.run_id, table.c.task_id, table.c.state, table.c.end_date).where(
            table.c.dag_id.in_({k[0] for k in chunk}), table.c.run_id.in_({k[1] for k in chunk}),
            table.c.task_id.in_({k[2] for k in chunk}), table.c.map_index == -1,
        )  # (the index on dag_id, run_id finds them; what was not asked for is left out below)
        for row in connection.execute(query):
            key = (row.dag_id, row.run_id, row.task_id)
            if key in wanted:
                states[key] = (row.state, row.end_date)
    return states


def dispatched_runs(connection: Connection, keys: list[RunKey]) -> Iterator[sa.Row]:
    """The run rows among ``keys`` the dispatcher is done with (created, or failed with the reason)."""
    for chunk in chunks(keys):
        query = sa.select(runs.c.dag_id, runs.c.run_id, runs.c.status, runs.c.error).where(
            runs.c.dag_id.in_({k[0] for k in chunk}), runs.c.run_id.in_({k[1] for k in chunk}), runs.c.status != PENDING
        )
        yield from connection.execute(query)


def xcom_values(connection: Connection, keys: list[tuple[str, str, str, str]]) -> dict[TaskKey, dict[str, Any]]:
    """(dag_id, run_id, task_id) -> {XCom key: value} for the (dag_id, run_id, task_id, key) asked for."""
    from airflow.models.xcom import XComModel

    table = XComModel.__table__
    found: dict[TaskKey, dict[str, Any]] = {}
    for chunk in chunks(keys):
        query = sa.select(table.c.dag_id, table.c.run_id, table.c.task_id, table.c.key, table.c.value).where(
            sa.tuple_(table.c.dag_id, table.c.run_id, table.c.task_id, table.c.key).in_(chunk), table.c.map_index == -1
        )
        for row in connection.execute(query):
            found.setdefault((row.dag_id, row.run_id, row.task_id), {})[row.key] = xcom_value(row)
    return found


def xcom_value(row) -> Any:
    from airflow.models.xcom import XComModel

    value = XComModel.deserialize_value(row)
    while isinstance(value, str):  # JSON text (SQLite), perhaps of JSON text
        try:
            value = json.loads(value)
        except ValueError:
            break
    return value
