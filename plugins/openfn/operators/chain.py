"""``OpenFnTriggerOperator``: hands a job's final state (or its state at failure) to a flow/fail job."""

from __future__ import annotations

import datetime

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

from openfn.runs import FAILED_STATE_KEY, downstream_run_id
from openfn.settings import get_inbox_settings

__all__ = ["OpenFnTriggerOperator", "downstream_run_id"]


class OpenFnTriggerOperator(TriggerDagRunOperator):
    """Starts ``trigger_dag_id`` with ``{"openfn": {...}, "state": <upstream state>}`` as real JSON conf.

    ``kind="flow"`` reads the ``run`` task's return value; ``kind="fail"`` its ``failed_state``. The run id
    is derived from what must be unique (see ``downstream_run_id``), so a retried trigger task never starts a
    second run.
    """

    def __init__(self, *, kind: str, project: str, upstream_task_id: str = "run", **kwargs) -> None:
        if kind not in ("flow", "fail"):
            raise ValueError(f"kind must be 'flow' or 'fail', got {kind!r}")
        kwargs.setdefault("logical_date", None)
        super().__init__(skip_when_already_exists=True, openlineage_inject_parent_info=False, **kwargs)
        self.kind = kind
        self.project = project
        self.upstream_task_id = upstream_task_id

    def execute(self, context):
        ti = context["ti"]
        dag_run = context["dag_run"]
        if self.kind == "flow":
            state = ti.xcom_pull(task_ids=self.upstream_task_id)
        else:
            state = ti.xcom_pull(task_ids=self.upstream_task_id, key=FAILED_STATE_KEY)
        upstream_conf = (dag_run.conf or {}).get("openfn") or {}
        message_id = upstream_conf.get("message_id")
        self.conf = {
            "openfn": {
                "project": self.project,
                "trigger": self.kind,
                "message_id": message_id,
                "upstream": {"dag_id": dag_run.dag_id, "run_id": dag_run.run_id},
            },
            "state": state if isinstance(state, dict) else {"data": {}, "references": []},
        }
        # The first try of this clear cycle: the same for every retry of this task, one more after a clear
        # (Airflow's own rule, see RuntimeTaskInstance.get_first_reschedule_date).
        cycle = ti.max_tries - self.retries + 1
        self.trigger_run_id = downstream_run_id(self.kind, message_id, dag_run.dag_id, dag_run.run_id, self.trigger_dag_id, cycle)
        lead = get_inbox_settings().run_after_lead_seconds  # started at the scheduler's next loop, as inbox runs
        if lead:
            self.run_after = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=lead)
        return super().execute(context)
