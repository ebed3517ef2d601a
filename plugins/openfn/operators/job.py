"""``OpenFnJobOperator``: the task ``run`` of every job DAG."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from openfn.errors import JobFailed
from openfn.runtime import saved_state
from openfn.runtime.credentials import configuration
from openfn.runtime.runner import JobCode, runner_for
from openfn.runtime.state import initial_state, public_state
from openfn.runs import FAILED_STATE_KEY



class OpenFnJobOperator(BaseOperator):
    """Runs one OpenFn job: initial state -> credential -> runner (Python or JavaScript) -> final state (the
    XCom return value). On failure it pushes XCom ``failed_state`` (the state at failure, with ``errors``)
    for fail triggers. A job that cannot run (``problem``) fails at once, saying why and how to fix it.
    """

    template_fields = ()
    ui_color = "#e8f0fe"

    def __init__(self, *, code: JobCode, conn_id: str | None = None, carries_state: bool = False, enabled: bool = True, problem: str | None = None, state_notifier: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if code.language not in ("python", "javascript"):
            raise ValueError(f"language must be 'python' or 'javascript', got {code.language!r}")
        if code.language == "python" and not code.expression_file and problem is None:
            raise ValueError("a Python job needs expression_file")
        self.code = code
        self.project = code.project
        self.job = code.key
        self.conn_id = conn_id
        self.carries_state = carries_state
        self.enabled = enabled
        self.problem = problem
        self.state_notifier = state_notifier
        self._runner = None

    def execute(self, context) -> dict:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        if not self.enabled:
            raise AirflowSkipException(f"Job {self.job!r} is disabled in project.yaml (enabled: false); nothing ran.")
        dag_run = context["dag_run"]
        conf = dag_run.conf or {}
        saved = saved_state.load(self.dag_id) if self.carries_state and not conf else None
        state = initial_state(conf, saved)
        if self.problem is not None:  # nothing to retry: the project must change first
            self._push_failed(context, state, "JobNotRunnable", self.problem)
            raise AirflowFailException(f"Job {self.job!r} cannot run: {self.problem}")
        try:
            config = self._configuration() if self.conn_id else None
            self._runner = runner_for(self.code.language)
            final = self._runner.run(self.code, state, config)
        except JobFailed as error:
            self._push_failed(context, error.state if error.state is not None else state, error.error_type, str(error))
            raise
        final = public_state(final)
        if self.carries_state:
            outcome = saved_state.save(self.dag_id, final)
            if outcome.warned and self.state_notifier is not None:
                self.state_notifier.state_size_warning(self.dag_id, dag_run.run_id, outcome.size, outcome.saved)
        return final

    def _configuration(self) -> dict:
        try:
            return configuration(self.conn_id, self.code.adaptor)
        except Exception as error:  # a missing or unreadable Connection: the job's failure, said plainly
            raise JobFailed(
                self.job, None, None,
                f"the Airflow Connection {self.conn_id!r} of its credential cannot be read ({type(error).__name__}: {error}); "
                "create it under Admin > Connections",
                error_type="CredentialError",
            ) from error

    def on_kill(self) -> None:
        if self._runner is not None:
            self._runner.kill()

    def _push_failed(self, context, state: dict, error_type: str, message: str) -> None:
        failed = public_state(state)
        errors = failed.get("errors") if isinstance(failed.get("errors"), dict) else {}
        reported = errors.get(self.job) if isinstance(errors.get(self.job), dict) else {}
        failed["errors"] = {**errors, self.job: {**reported, "type": error_type, "message": message}}
        context["ti"].xcom_push(key=FAILED_STATE_KEY, value=failed)
