"""Runs of Lightning workflows, as the receipt shows them and as an operator retries them.

* Each run's steps: its task instances (state, times, tries), read from Airflow's own table.
* Retry from a step: Airflow's clear of that step's task, the steps after it and ``openfn_result``, in
  the same DAG run. The step then runs again from the same input (its upstream tasks' records stay), and
  everything after it is decided again, as Lightning's "retry from here" does.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from openfn.errors import Conflict, NotFound
from openfn.model.workflow import Workflow
from openfn.runs import RESULT_TASK



def steps_of_runs(connection: Connection, runs: list[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
    """(dag_id, run_id) -> its step task instances, in the order the steps started (not started last)."""
    if not runs:
        return {}
    from airflow.models.taskinstance import TaskInstance

    table = TaskInstance.__table__
    query = sa.select(table.c.dag_id, table.c.run_id, table.c.task_id, table.c.state, table.c.start_date, table.c.end_date,
                      table.c.try_number).where(sa.tuple_(table.c.dag_id, table.c.run_id).in_(runs))  # fmt: skip
    found: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in connection.execute(query):
        found[(row.dag_id, row.run_id)].append({
            "step": row.task_id, "state": row.state, "try_number": row.try_number,
            "start_date": row.start_date.isoformat() if row.start_date else None,
            "end_date": row.end_date.isoformat() if row.end_date else None,
        })  # fmt: skip
    for steps in found.values():
        steps.sort(key=lambda s: (s["step"] == RESULT_TASK, s["start_date"] is None, s["start_date"] or "", s["step"]))
    return found


def downstream(workflow: Workflow, step: str) -> list[str]:
    """``step`` and every step its enabled edges lead to, directly or not, in workflow order."""
    reached = {step}
    changed = True
    while changed:
        changed = False
        for edge in workflow.edges:
            if edge.enabled and not edge.from_trigger and edge.source in reached and edge.target not in reached:
                reached.add(edge.target)
                changed = True
    return [key for key in workflow.steps if key in reached]


def clear_from_step(session: Session, workflow: Workflow, run_id: str, step: str) -> list[str]:
    """Clear ``step``, what follows it and ``openfn_result`` in run ``run_id``; the run is queued again.
    Returns the task ids cleared."""
    from airflow.models.dagrun import DagRun
    from airflow.models.dagbag import DBDagBag
    from airflow.models.taskinstance import clear_task_instances
    from airflow.utils.state import DagRunState

    if step not in workflow.steps:
        raise NotFound("step", step, fix=f"Use one of: {', '.join(workflow.steps)}.")
    dag_run = session.scalar(sa.select(DagRun).where(DagRun.dag_id == workflow.dag_id, DagRun.run_id == run_id))
    if dag_run is None:
        raise NotFound("run", run_id, fix="Take the run id from the message's receipt.")
    if dag_run.state not in ("success", "failed"):
        raise Conflict(f"Run {run_id} of {workflow.dag_id} is still {dag_run.state}", fix="Retry once it has finished.")
    dag = DBDagBag(load_op_links=False).get_dag_for_run(dag_run, session=session)
    task_ids = [*downstream(workflow, step), RESULT_TASK]
    instances = dag.clear(dry_run=True, task_ids=task_ids, run_id=run_id, session=session)
    clear_task_instances(instances, session, DagRunState.QUEUED)
    return task_ids
