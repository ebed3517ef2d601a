"""``WorkflowResultOperator``: the ``openfn_result`` task of a workflow DAG, after every step.

It decides the run's outcome as Lightning does (openfn.runtime.workflow.outcome), keeps the final output
(XCom ``return_value`` on success, ``final_state`` and ``outcome`` always), saves it as the next cron run's input when the
workflow's cron trigger has no cursor step, and fails when the run failed or crashed, so that the DAG
run's own state is the workflow's result.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from openfn.runtime import saved_state
from openfn.runs import EXECUTIONS_KEY, FINAL_STATE_KEY, OUTCOME_KEY, STARTED_KEY
from openfn.runtime.workflow import outcome, recorded



class WorkflowResultOperator(BaseOperator):
    ui_color = "#f3f0fe"

    def __init__(self, *, steps: tuple[str, ...], saves_final_state: bool = False, state_notifier: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps = tuple(steps)
        self.saves_final_state = saves_final_state
        self.state_notifier = state_notifier

    def execute(self, context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException

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
            saved = saved_state.save(self.dag_id, result.final)
            if saved.warned and self.state_notifier is not None:
                self.state_notifier.state_size_warning(self.dag_id, context["dag_run"].run_id, saved.size, saved.saved)
        return result.final
