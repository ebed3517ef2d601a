"""``OpenFnStepOperator``: every task that runs code, the ``run`` task of a v1 job's DAG and each step task of
a workflow's DAG. It assembles the step's input (run conf, saved cron state, credential), hands it to the
runner of the step's language (openfn.runtime.runner) and records what happened:

* a v1 job (``workflow_step=False``): XCom ``return_value`` is the final state; on failure ``failed_state``
  (the state at failure, with ``errors``) for its fail triggers; a cron job saves its final state.
* a workflow step: it runs once per input that reaches it (openfn.runtime.workflow) and records each
  execution (XCom ``executions``: state, the edges that held, status) for the steps after it and for the
  ``openfn_result`` task. A failed step fails its task, yet the steps its ``on_job_failure`` edges lead to
  still run (trigger rule ``all_done``); whether the run failed is decided at the end, as Lightning does.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from openfn.errors import JobFailed, RunLost
from openfn.runs import EXECUTIONS_KEY, FAILED_STATE_KEY, STARTED_KEY
from openfn.runtime import saved_state
from openfn.runtime.collections_access import lazy_access
from openfn.runtime.credentials import configuration
from openfn.runtime.priority import lower_priority
from openfn.runtime.runner import CRASH, FAILURE, SKIPPED, Edges, JobCode, StepInput, run_job, runner_for
from openfn.runtime.state import initial_state, public_state
from openfn.runtime.workflow import execution_id, halted, inputs_for
from openfn.settings import get_settings

# Lightning's worker never hands these on from one step to the next.
REMOVED = ("configuration", "response")


class OpenFnStepOperator(BaseOperator):
    template_fields = ()
    ui_color = "#e8f0fe"
    # A workflow step's settings, left at these class defaults for a v1 job's task: every attribute an
    # operator sets costs at each parse of a large project.
    workflow_step = False
    sources: tuple[str, ...] = ()
    trigger_edges: dict[str, Any] = {}
    next_edges: dict[str, Any] = {}
    default_trigger: str | None = None
    cron_trigger: str | None = None
    conn_id: str | None = None
    problem: str | None = None
    carries_state = False  # a cron job's final state, or a workflow's cursor step's output
    enabled = True
    state_notifier: Any = None
    _runner = None

    def __init__(self, *, code: JobCode, conn_id: str | None = None, problem: str | None = None, carries_state: bool = False,
                 enabled: bool = True, workflow_step: bool = False, sources: tuple[str, ...] = (), trigger_edges: dict[str, Any] | None = None,
                 next_edges: dict[str, Any] | None = None, default_trigger: str | None = None, cron_trigger: str | None = None,
                 state_notifier: Any = None, **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        if code.language not in ("python", "javascript"):
            raise ValueError(f"language must be 'python' or 'javascript', got {code.language!r}")
        if code.language == "python" and not code.expression_file and problem is None:
            raise ValueError(f"the Python step {code.key!r} needs expression_file")
        self.code = code
        given = {
            "conn_id": conn_id, "problem": problem, "carries_state": carries_state, "enabled": enabled, "workflow_step": workflow_step,
            "sources": tuple(sources), "trigger_edges": dict(trigger_edges or {}), "next_edges": dict(next_edges or {}),
            "default_trigger": default_trigger, "cron_trigger": cron_trigger, "state_notifier": state_notifier,
        }  # fmt: skip
        for key, value in given.items():
            if value != getattr(OpenFnStepOperator, key):
                setattr(self, key, value)

    @property
    def project(self) -> str:
        return self.code.project

    @property
    def job(self) -> str:
        return self.code.key

    def execute(self, context) -> Any:
        lower_priority(get_settings().task_nice)
        return self._run_step(context) if self.workflow_step else self._run_job(context)

    def on_kill(self) -> None:
        if self._runner is not None:
            self._runner.kill()

    # --- a v1 job: one run, its final state ---------------------------------------------------------------

    def _run_job(self, context) -> dict:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        if not self.enabled:
            raise AirflowSkipException(f"Job {self.job!r} is disabled in project.yaml (enabled: false); nothing ran.")
        dag_run = context["dag_run"]
        conf = dag_run.conf or {}
        state = initial_state(conf, saved_state.load(self.dag_id) if self.carries_state and not conf else None)
        if self.problem is not None:  # nothing to retry: the project must change first
            self._push_failed(context, state, "JobNotRunnable", self.problem)
            raise AirflowFailException(f"Job {self.job!r} cannot run: {self.problem}")
        try:
            config = self._configuration() if self.conn_id else None
            self._runner = runner_for(self.code.language)
            final = public_state(run_job(self._runner, self.code, state, config, self._collections(context)))
        except JobFailed as error:
            self._push_failed(context, error.state if error.state is not None else state, error.error_type, str(error))
            raise
        if self.carries_state:
            saved_state.carry(self.dag_id, final, run_id=dag_run.run_id, notifier=self.state_notifier)
        return final

    def _collections(self, context):
        """How this run reaches its project's collections (a token is signed only if the step uses them)."""
        return lazy_access(self.project, self.dag_id, context["dag_run"].run_id, self.code.timeout)

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

    def _push_failed(self, context, state: dict, error_type: str, message: str) -> None:
        failed = public_state(state)
        errors = failed.get("errors") if isinstance(failed.get("errors"), dict) else {}
        reported = errors.get(self.job) if isinstance(errors.get(self.job), dict) else {}
        failed["errors"] = {**errors, self.job: {**reported, "type": error_type, "message": message}}
        context["ti"].xcom_push(key=FAILED_STATE_KEY, value=failed)

    # --- a workflow step: one execution per input that reaches it ---------------------------------------

    def _run_step(self, context) -> Any:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        ti = context["ti"]
        ti.xcom_push(key=STARTED_KEY, value=True)  # a try that never records its executions then counts as a crash
        upstream = {source: ti.xcom_pull(task_ids=source, key=EXECUTIONS_KEY) for source in self.sources}
        if halted(upstream):
            ti.xcom_push(key=EXECUTIONS_KEY, value=[{"halted": True}])
            raise AirflowSkipException("A step before this one crashed, which ends the run (as on OpenFn).")
        trigger, initial = self._start(context)
        inputs = inputs_for(self.code.key, trigger=trigger, trigger_edges=self.trigger_edges, initial=initial, sources=self.sources, upstream=upstream)
        if not inputs:
            ti.xcom_push(key=EXECUTIONS_KEY, value=[])
            raise AirflowSkipException("No edge into this step held: it does not run in this run.")
        try:
            executions = self._run_all(inputs, self._collections(context)) if self.problem is None else [self._crash(self.problem, "JobNotRunnable")]
        except RunLost:
            raise  # not the step's own failure: the task is retried (operators/retries.py)
        except Exception as error:  # a missing Connection, an unreadable file: the step could not run
            executions = [self._crash(f"{type(error).__name__}: {error}", "RuntimeCrash")]
        ti.xcom_push(key=EXECUTIONS_KEY, value=executions)
        if not executions:
            raise AirflowSkipException("The trigger's edge into this step did not hold: it does not run in this run.")
        succeeded = [e for e in executions if e["status"] == "success"]
        if self.carries_state and succeeded:  # the cron trigger's cursor step: its last output starts the next cron run
            saved_state.carry(self.dag_id, succeeded[-1]["state"], run_id=context["dag_run"].run_id, notifier=self.state_notifier)
        bad = next((e for e in executions if e["status"] in (CRASH, FAILURE)), None)
        if bad is not None:
            kind = "crashed" if bad["status"] == CRASH else "failed"
            raise AirflowFailException(f"Step {bad['id']!r} {kind}: {bad['reason']}")
        return executions[-1]["state"]

    def _start(self, context) -> tuple[str | None, dict | None]:
        """The trigger that started this run, and the run's input (only steps after a trigger need it)."""
        dag_run = context["dag_run"]
        conf = dict(dag_run.conf or {})
        trigger = (conf.get("openfn") or {}).get("trigger")
        if trigger is None:
            scheduled = str(getattr(dag_run, "run_type", "")).endswith("scheduled")
            trigger = self.cron_trigger if scheduled else self.default_trigger
        if trigger not in self.trigger_edges:
            return trigger, None
        saved = saved_state.load(self.dag_id) if trigger == self.cron_trigger and not conf else None
        return trigger, initial_state(conf, saved)

    def _run_all(self, inputs, collections=None) -> list[dict]:
        config = configuration(self.conn_id, self.code.adaptor) if self.conn_id else None
        executions: list[dict] = []
        for step_input in inputs:
            self._runner = runner_for(self.code.language)
            outcome = self._runner.run_step(self.code, StepInput(state=dict(step_input.state), configuration=config, remove=REMOVED, collections=collections),
                                            Edges(trigger=step_input.trigger_edge, next=self.next_edges))  # fmt: skip
            if outcome.status == SKIPPED:
                continue
            executions.append({
                "id": execution_id(self.code.key, len(executions)), "step": self.code.key, "status": outcome.status,
                "state": None if outcome.state is None else public_state(outcome.state), "next": list(outcome.next),
                "reason": outcome.reason, "error_type": outcome.error_type if outcome.status != "success" else None,
            })  # fmt: skip
            if outcome.status == CRASH:
                break  # a crash ends the run
        return executions

    def _crash(self, reason: str, error_type: str) -> dict:
        return {"id": self.code.key, "step": self.code.key, "status": CRASH, "state": None, "next": [],
                "reason": reason, "error_type": error_type}  # fmt: skip
