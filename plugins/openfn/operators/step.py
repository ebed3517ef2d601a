"""``OpenFnStepOperator``: one step of a Lightning workflow, one task of the workflow's DAG.

It gathers the inputs that reach its step (openfn.runtime.workflow), runs the step once per input with
the JavaScript runner, and records each execution (XCom ``executions``: state, the edges that held,
status) for the steps after it and for the ``openfn_result`` task. A failed step fails its task (red in
the UI), yet the steps its ``on_job_failure`` edges lead to still run (they wait for it with trigger rule
``all_done``); whether the run failed is decided at the end, as Lightning decides it.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from openfn.runtime import saved_state
from openfn.runtime.credentials import configuration
from openfn.runtime.runner import JobCode
from openfn.runtime.state import initial_state, public_state
from openfn.errors import RunLost
from openfn.runs import EXECUTIONS_KEY, STARTED_KEY
from openfn.runtime.workflow import CRASH, FAILURE, execution_id, halted, inputs_for

# Lightning's worker never hands these on from one step to the next.
REMOVED = ("configuration", "response")


class OpenFnStepOperator(BaseOperator):
    template_fields = ()
    ui_color = "#e8f0fe"

    def __init__(self, *, code: JobCode, sources: tuple[str, ...] = (), trigger_edges: dict[str, Any] | None = None,
                 next_edges: dict[str, Any] | None = None, default_trigger: str | None = None, cron_trigger: str | None = None,
                 conn_id: str | None = None, problem: str | None = None, cursor: bool = False, state_notifier: Any = None, **kwargs) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.code = code
        self.sources = tuple(sources)
        self.trigger_edges = dict(trigger_edges or {})
        self.next_edges = dict(next_edges or {})
        self.default_trigger = default_trigger
        self.cron_trigger = cron_trigger
        self.conn_id = conn_id
        self.problem = problem
        self.cursor = cursor
        self.state_notifier = state_notifier
        self._runner = None

    def execute(self, context) -> Any:
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
            executions = self._run_all(inputs) if self.problem is None else [self._crash(self.problem, "JobNotRunnable")]
        except RunLost:
            raise  # not the step's own failure: the task is retried (operators/retries.py)
        except Exception as error:  # a missing Connection, an unreadable file: the step could not run
            executions = [self._crash(f"{type(error).__name__}: {error}", "RuntimeCrash")]
        ti.xcom_push(key=EXECUTIONS_KEY, value=executions)
        if not executions:
            raise AirflowSkipException("The trigger's edge into this step did not hold: it does not run in this run.")
        self._save_cursor(context, executions)
        bad = next((e for e in executions if e["status"] in (CRASH, FAILURE)), None)
        if bad is not None:
            kind = "crashed" if bad["status"] == CRASH else "failed"
            raise AirflowFailException(f"Step {bad['id']!r} {kind}: {bad['reason']}")
        return executions[-1]["state"]

    def on_kill(self) -> None:
        if self._runner is not None:
            self._runner.kill()

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

    def _run_all(self, inputs) -> list[dict]:
        from openfn.runtime.javascript import JavaScriptRunner

        config = configuration(self.conn_id, self.code.adaptor) if self.conn_id else None
        executions: list[dict] = []
        for step_input in inputs:
            self._runner = JavaScriptRunner()
            outcome = self._runner.run_step(self.code, dict(step_input.state), config, trigger_edge=step_input.trigger_edge,
                                            next_edges=self.next_edges or None, remove=REMOVED)  # fmt: skip
            if outcome.status == "skipped":
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

    def _save_cursor(self, context, executions: list[dict]) -> None:
        """The cron trigger's chosen step: its last successful output starts the next cron run."""
        succeeded = [e for e in executions if e["status"] == "success"]
        if not self.cursor or not succeeded:
            return
        outcome = saved_state.save(self.dag_id, succeeded[-1]["state"])
        if outcome.warned and self.state_notifier is not None:
            self.state_notifier.state_size_warning(self.dag_id, context["dag_run"].run_id, outcome.size, outcome.saved)
