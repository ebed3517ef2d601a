"""``OpenFnJobOperator``: the task ``run`` of every job DAG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from openfn.errors import JobFailed
from openfn.runtime import saved_state
from openfn.runtime.credentials import configuration
from openfn.runtime.job import load_operations, run_operations
from openfn.runtime.state import initial_state, public_state

FAILED_STATE_KEY = "failed_state"
JS_MESSAGE = (
    "this is a JavaScript job and this deployment has no JavaScript runtime yet; "
    "port the expression to a Python job (a .py file defining `operations`)"
)


class OpenFnJobOperator(BaseOperator):
    """Runs one OpenFn job: initial state -> credential -> operations -> final state (the XCom return value).

    On failure it pushes XCom ``failed_state`` (the state at failure, with ``errors``) for fail triggers.
    """

    template_fields = ()
    ui_color = "#e8f0fe"

    def __init__(self, *, project: str, job: str, language: str, expression_file: str | None, conn_id: str | None = None, adaptor: str = "common", carries_state: bool = False, enabled: bool = True, state_notifier: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if language not in ("python", "javascript"):
            raise ValueError(f"language must be 'python' or 'javascript', got {language!r}")
        if language == "python" and not expression_file:
            raise ValueError("a Python job needs expression_file")
        self.project = project
        self.job = job
        self.language = language
        self.expression_file = expression_file
        self.conn_id = conn_id
        self.adaptor = adaptor
        self.carries_state = carries_state
        self.enabled = enabled
        self.state_notifier = state_notifier

    def execute(self, context) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        if not self.enabled:
            raise AirflowSkipException(f"Job {self.job!r} is disabled in project.yaml (enabled: false); nothing ran.")
        dag_run = context["dag_run"]
        conf = dag_run.conf or {}
        saved = saved_state.load(self.dag_id) if self.carries_state and not conf else None
        state = initial_state(conf, saved)
        try:
            final = self._run(state)
        except JobFailed as error:
            failed = public_state(error.state if error.state is not None else state)
            failed["errors"] = {**(failed.get("errors") or {}), self.job: {"type": error.error_type, "message": str(error)}}
            context["ti"].xcom_push(key=FAILED_STATE_KEY, value=failed)
            raise
        final = public_state(final)
        if self.carries_state:
            outcome = saved_state.save(self.dag_id, final)
            if outcome.warned and self.state_notifier is not None:
                self.state_notifier.state_size_warning(self.dag_id, dag_run.run_id, outcome.size, outcome.saved)
        return final

    def _run(self, state: dict) -> dict:
        if self.language == "javascript":
            raise JobFailed(self.job, None, "start", JS_MESSAGE)
        operations = load_operations(self.job, Path(self.expression_file))
        if self.conn_id:
            state["configuration"] = configuration(self.conn_id, self.adaptor)
        return run_operations(self.job, operations, state)
