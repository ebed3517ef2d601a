"""``OpenFnTriggerOperator``: hands a job's final state (or its state at failure) to a flow/fail job."""

from __future__ import annotations

import hashlib

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

from openfn.operators.job import FAILED_STATE_KEY


class OpenFnTriggerOperator(TriggerDagRunOperator):
    """Starts ``trigger_dag_id`` with ``{"openfn": {...}, "state": <upstream state>}`` as real JSON conf.

    ``kind="flow"`` reads the ``run`` task's return value; ``kind="fail"`` its ``failed_state``. The run id
    is derived from the upstream run and try, so a retried trigger task never starts a second run.
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
        digest = hashlib.sha1(f"{dag_run.dag_id}\0{dag_run.run_id}\0{ti.try_number}".encode()).hexdigest()[:16]
        self.trigger_run_id = f"{self.kind}__{message_id}__{digest}" if message_id else f"{self.kind}__{digest}"
        return super().execute(context)
