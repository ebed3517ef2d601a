"""The typed model -> a neutral description of each DAG: tasks with ids, kinds, arguments and upstream ids.

Pure and Airflow-free (testable without Airflow's database, and cheap): render.py is the one place that
turns a ``DagGraph`` into Airflow objects. Every DAG takes this one path; the two shapes it knows:

* a v1 job (a workflow of one step whose triggers link DAGs): ``run``, then ``flow_<job>`` /
  ``fail_<job>`` tasks that start the jobs its success or failure triggers, then ``job_failed`` if it has
  fail jobs (SPEC §3);
* a Lightning workflow: one task per step (task id = step key), edges as dependencies, then
  ``openfn_result``, which decides the run's outcome (SPEC §11).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from openfn.runs import JOB_TASK, RESULT_TASK
from openfn.runtime.runner import JobCode, airflow_timeout

STEP, RESULT, TRIGGER = "step", "result", "trigger"  # OpenFnStepOperator, OpenFnResultOperator, OpenFnTriggerOperator


@dataclass(frozen=True)
class Retries:
    """Tries lost with their worker are retried ``lost`` more times, ``delay`` seconds apart; ``job`` and
    ``job_delay``: the step's own failures (None: a task with no retry policy)."""

    lost: int = 0
    delay: float | None = None  # None: Airflow's default
    job: int | None = None
    job_delay: float = 0.0


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: Literal["step", "result", "trigger"]
    args: Mapping[str, Any] = field(default_factory=dict)  # the operator's own keyword arguments
    upstream: tuple[str, ...] = ()
    trigger_rule: str = "all_success"
    retries: Retries = Retries()
    timeout: float | None = None  # seconds (Airflow's execution_timeout)
    notifies_failure: bool = False  # the project's notifier is its on_failure_callback


@dataclass(frozen=True)
class DagGraph:
    dag_id: str
    tags: tuple[str, ...]
    doc_md: str
    tasks: tuple[Task, ...]
    cron: tuple[str, str] | None = None  # (expression, timezone)
    max_active_runs: int = 16
    paused: bool | None = None  # is_paused_upon_creation (None: Airflow's default)
    notify: tuple[str, str, tuple[str, ...]] | None = None  # (project, job or workflow, recipients)
    sender_waits: bool = False  # a sender waits for this DAG's runs (webhook_reply: after_completion)


def code_of(project: str, step, workflow: str | None = None) -> JobCode:
    """What a task needs to run ``step`` (a v1 job when ``workflow`` is None)."""
    return JobCode(
        project=project, key=step.key, language=step.language, adaptor=step.adaptor, workflow=workflow,
        expression_file=str(step.expression_file) if step.expression_file else None, expression=step.expression,
        adaptor_package=step.adaptor_package, adaptor_version=step.adaptor_installed, timeout=step.timeout,
        memory_limit_mb=step.memory_limit_mb, job_logs=step.job_logs, globals=step.globals,
    )  # fmt: skip


def _notify(project, key: str) -> tuple[str, str, tuple[str, ...]] | None:
    return (project.name, key, tuple(project.notify_email)) if project.notify_email else None


def sender_waits(project, job) -> bool:
    """Whether a sender waits for runs of ``job``: its message trigger replies after completion, or it is a
    flow or fail job of one whose reply waits for its flow and fail runs too (``reply_after_flow``)."""
    trigger = job.trigger
    if trigger.kind == "message":
        return trigger.reply == "after_completion"
    if trigger.kind in ("flow", "fail") and trigger.upstream in project.jobs:
        upstream = project.jobs[trigger.upstream]
        if upstream.trigger.kind == "message":
            return upstream.trigger.reply == "after_completion" and upstream.trigger.reply_after_flow
        return upstream.key != job.key and sender_waits(project, upstream)  # further down a waited-for chain
    return False


def job_graph(project, job, *, lost: Retries = Retries(), only_task: str | None = None) -> DagGraph:
    """A v1 job's DAG; ``only_task=JOB_TASK``: just its ``run`` task (a task start of that task)."""
    from openfn.builder.docs import job_doc

    cron = job.trigger.kind == "cron"
    run = Task(
        task_id=JOB_TASK, kind=STEP, trigger_rule="all_success", notifies_failure=True,
        timeout=airflow_timeout(job.language, job.timeout),
        # On the task, not as DAG default_args: only the job is retried. A try lost with its worker is retried
        # on top of the job's own retries (operators/retries.py).
        retries=Retries(lost=job.retries + lost.lost, delay=lost.delay, job=job.retries, job_delay=job.retry_delay_seconds),
        args={"code": code_of(project.name, job), "conn_id": job.credential.conn_id if job.credential else None,
              "carries_state": cron, "enabled": job.enabled, "problem": job.problem},
    )  # fmt: skip
    tasks = [run] if only_task == JOB_TASK else [run, *_links(project, job, lost)]
    return DagGraph(
        dag_id=job.dag_id, tags=("openfn", f"project:{project.name}", f"trigger:{job.trigger.kind}") + (() if job.enabled else ("disabled",)),
        doc_md=job_doc(project, job), tasks=tuple(tasks), max_active_runs=1 if cron else 16, paused=not job.enabled,
        cron=(job.trigger.cron, job.trigger.timezone) if cron and job.enabled else None, notify=_notify(project, job.key),
        sender_waits=sender_waits(project, job),
    )  # fmt: skip


def _links(project, job, lost: Retries) -> list[Task]:
    """The tasks that start the job's flow and fail jobs, and ``job_failed`` when it has fail jobs."""
    # A trigger task may be retried safely (its run id does not change), so a lost worker or an execution API
    # that was briefly away does not drop the flow or fail job.
    retry = Retries(lost=lost.lost, delay=lost.delay)
    tasks = [
        Task(task_id=f"{kind}_{downstream.key}", kind=TRIGGER, upstream=(JOB_TASK,), retries=retry,
             trigger_rule="all_success" if kind == "flow" else "all_failed",
             args={"kind": kind, "project": project.name, "trigger_dag_id": downstream.dag_id})
        for kind in ("flow", "fail") for downstream in project.downstream(job.key, kind)
    ]  # fmt: skip
    if any(task.args["kind"] == "fail" for task in tasks):
        # A fail trigger that fired would otherwise make the DAG run look successful.
        tasks.append(Task(task_id="job_failed", kind=RESULT, upstream=(JOB_TASK,), trigger_rule="one_failed", args={"job": job.key}))
    return tasks


def workflow_graph(project, workflow, *, lost: Retries = Retries()) -> DagGraph:
    """A workflow's DAG: one task per step, edges as dependencies, then ``openfn_result``."""
    from openfn.builder.docs import workflow_doc

    cron = workflow.cron
    triggers = workflow.triggers.values()
    default_trigger = cron.key if cron else next((t.key for t in triggers if t.enabled), next(iter(workflow.triggers), None))
    steps = tuple(_step_task(project, workflow, step, default_trigger, lost) for step in workflow.steps.values())
    result = Task(
        task_id=RESULT_TASK, kind=RESULT, upstream=tuple(workflow.steps), trigger_rule="all_done", notifies_failure=True,
        args={"steps": tuple(workflow.steps), "saves_final_state": cron is not None and cron.cursor_step is None},
    )  # fmt: skip
    return DagGraph(
        dag_id=workflow.dag_id, doc_md=workflow_doc(project, workflow), tasks=steps + (result,),
        tags=("openfn", f"project:{project.name}", "lightning") + tuple(f"trigger:{kind}" for kind in sorted({t.kind for t in triggers})),
        cron=(cron.cron, cron.timezone) if cron else None, max_active_runs=_max_active_runs(workflow), notify=_notify(project, workflow.key),
        sender_waits=any(getattr(t, "reply", None) == "after_completion" for t in triggers),
    )  # fmt: skip


def _max_active_runs(workflow) -> int:
    """Lightning's ``concurrency``: at most that many runs at once; Airflow queues the others (none is dropped,
    each starts when one ends). A cron workflow runs one at a time whatever it says: each run starts from the
    state the previous one saved."""
    if workflow.cron is not None:
        return 1
    return workflow.concurrency or 16


def _step_task(project, workflow, step, default_trigger: str | None, lost: Retries) -> Task:
    incoming = [edge for edge in workflow.incoming(step.key) if edge.enabled]
    sources = tuple(dict.fromkeys(edge.source for edge in incoming if not edge.from_trigger))
    cron = workflow.cron
    return Task(
        task_id=step.key, kind=STEP, upstream=sources, trigger_rule="all_done" if sources else "all_success",
        timeout=airflow_timeout(step.language, step.timeout),
        # A step's own failure is never retried (as on Lightning); a try lost with its worker is.
        retries=Retries(lost=lost.lost, delay=lost.delay, job=0, job_delay=0.0),
        args={
            "code": code_of(project.name, step, workflow.key), "workflow_step": True, "sources": sources,
            "trigger_edges": {edge.source: edge.runtime_condition for edge in incoming if edge.from_trigger},
            "next_edges": {edge.target: edge.runtime_condition for edge in workflow.outgoing(step.key)},
            "default_trigger": default_trigger, "cron_trigger": cron.key if cron else None,
            "conn_id": step.credential.conn_id if step.credential else None, "problem": step.problem,
            "carries_state": cron is not None and cron.cursor_step == step.key,
        },
    )  # fmt: skip
