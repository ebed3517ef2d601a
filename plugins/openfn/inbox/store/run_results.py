"""What runs produced, read from Airflow's tables for the receipt: each run's task tries (where its logs
are) and the XComs that hold its result (openfn.runs says which: a job's ``run`` task ``return_value`` or
``failed_state``; a workflow's ``openfn_result`` ``final_state`` and ``outcome``, and each step's
``executions``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openfn.inbox.store.reply_queries import xcom_value, chunks
from openfn.inbox.store.task_logs import TaskTry
from openfn.runs import EXECUTIONS_KEY, FAILED_STATE_KEY, FINAL_STATE_KEY, OUTCOME_KEY

RunKey = tuple[str, str]  # (dag_id, run_id)
RESULT_KEYS = ("return_value", FAILED_STATE_KEY, FINAL_STATE_KEY, OUTCOME_KEY, EXECUTIONS_KEY)


def task_tries(connection: Connection, runs: list[RunKey]) -> dict[RunKey, dict[str, TaskTry]]:
    """(dag_id, run_id) -> task id -> its latest try (unmapped tasks), for the runs that exist."""
    from airflow.models.taskinstance import TaskInstance

    table = TaskInstance.__table__
    found: dict[RunKey, dict[str, TaskTry]] = defaultdict(dict)
    for chunk in chunks(runs):
        query = sa.select(table.c.dag_id, table.c.run_id, table.c.task_id, table.c.try_number, table.c.map_index).where(
            sa.tuple_(table.c.dag_id, table.c.run_id).in_(chunk)
        )
        for row in connection.execute(query):
            found[(row.dag_id, row.run_id)][row.task_id] = TaskTry(row.dag_id, row.run_id, row.task_id, row.try_number or 0, row.map_index)
    return found


def result_xcoms(connection: Connection, runs: list[RunKey]) -> dict[RunKey, dict[tuple[str, str], Any]]:
    """(dag_id, run_id) -> (task id, key) -> value, for the keys a run's result is read from."""
    from airflow.models.xcom import XComModel

    table = XComModel.__table__
    found: dict[RunKey, dict[tuple[str, str], Any]] = defaultdict(dict)
    for chunk in chunks(runs):
        query = sa.select(table.c.dag_id, table.c.run_id, table.c.task_id, table.c.key, table.c.value).where(
            sa.tuple_(table.c.dag_id, table.c.run_id).in_(chunk), table.c.key.in_(RESULT_KEYS), table.c.map_index == -1
        )
        for row in connection.execute(query):
            found[(row.dag_id, row.run_id)][(row.task_id, row.key)] = xcom_value(row)
    return found
