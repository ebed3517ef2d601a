"""``OpenFnResultOperator``: the task after a DAG's steps that makes the DAG run's own state the run's result.

* In a workflow's DAG (task ``openfn_result``, after every step) it decides the outcome as Lightning does
  (openfn.runtime.workflow.outcome), keeps the final output (XCom ``return_value`` on success,
  ``final_state`` and ``outcome`` always), saves it as the next cron run's input when the workflow's cron
  trigger has no cursor step, and fails when the run failed or crashed.
* In a v1 job's DAG (task ``job_failed``, only when the job has fail jobs) it runs only when ``run`` failed
  (trigger rule ONE_FAILED) and fails, so the run stays failed although its fail trigger fired.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from openfn.runs import EXECUTIONS_KEY, FINAL_STATE_KEY, JOB_TASK, OUTCOME_KEY, STARTED_KEY
from openfn.runtime import saved_state
from openfn.runtime.workflow import outcome, recorded


class OpenFnResultOperator(BaseOperator):
    ui_color = "#f3f0fe"

    def __init__(self, *, steps: tuple[str, ...] = (), job: str | None = None, saves_final_state: bool = False,
                 state_notifier: Any = None, **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        if bool(steps) == (job is not None):
            raise ValueError("give either `steps` (a workflow's step task ids) or `job` (a v1 job's key), not both")
        self.steps = tuple(steps)
        self.job = job
        self.saves_final_state = saves_final_state
        self.state_notifier = state_notifier

    def execute(self, context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

        if self.job is not None:
            raise AirflowFailException(
                f"Job {self.job!r} failed (see task '{JOB_TASK}'); its fail trigger ran, and this DAG run is marked "
                "failed because the job failed."
            )
        ti = context["ti"]
        result = outcome({
            step: recorded(step, ti.xcom_pull(task_ids=step, key=EXECUTIONS_KEY), bool(ti.xcom_pull(task_ids=step, key=STARTED_KEY)))
            for step in self.steps
        })
        ti.xcom_push(key=FINAL_STATE_KEY, value=result.final)
        ti.xcom_push(key=OUTCOME_KEY, value=result.summary())
        if result.status != "success":
            raise AirflowFailException(f"The workflow run {result.status}: {result.detail}.")
        if self.saves_final_state and isinstance(result.final, dict):
            saved_state.carry(self.dag_id, result.final, run_id=context["dag_run"].run_id, notifier=self.state_notifier)
        return result.final
