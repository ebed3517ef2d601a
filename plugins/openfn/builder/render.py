"""``DagGraph`` -> an Airflow DAG: the only place that instantiates operators.

Operator modules are imported when a task of their kind is rendered (the trigger operator's module pulls
in Airflow's slow TriggerDagRunOperator), and the Airflow values a graph leaves neutral (timetable,
trigger rules, timedeltas, retry policy, notifier) are made here.
"""

from __future__ import annotations

import datetime
import functools
import importlib

from openfn.builder.graph import RESULT, STEP, DagGraph, Task

# Airflow's priority_weight of every task of a DAG whose runs a sender waits for: when task slots are scarce,
# the scheduler queues the highest weight first, so such a task takes the next free slot ahead of bulk work
# (whose tasks keep Airflow's default, 1). With Celery they also go to their own queue when
# [openfn] waiting_sender_queue is set, so they do not wait behind bulk tasks in the broker. See docs/inbox.md.
WAITING_SENDER_WEIGHT = 100

OPERATORS = {
    STEP: "openfn.operators.step:OpenFnStepOperator",
    RESULT: "openfn.operators.result:OpenFnResultOperator",
    "trigger": "openfn.operators.chain:OpenFnTriggerOperator",
}


@functools.cache
def _operator(kind: str):
    module, _, name = OPERATORS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def airflow_defaults() -> dict:
    """Airflow's config defaults of every DAG, read once for all the DAGs of a parse: each DAG would read
    them again, and three config lookups per DAG are a sixth of a large project's parse. Same values."""
    from airflow.sdk.configuration import conf

    return {
        "max_active_tasks": conf.getint("core", "max_active_tasks_per_dag"),
        "max_consecutive_failed_dag_runs": conf.getint("core", "max_consecutive_failed_dag_runs_per_dag"),
        "disable_bundle_versioning": conf.getboolean("dag_processor", "disable_bundle_versioning"),
    }


def render(graph: DagGraph, defaults: dict | None = None):
    """The DAG ``graph`` describes; ``defaults``: ``airflow_defaults()``, when rendering many."""
    from airflow.sdk import DAG

    lane = {}
    if graph.sender_waits:
        from openfn.settings import get_settings

        queue = get_settings().waiting_sender_queue
        lane = {"priority_weight": WAITING_SENDER_WEIGHT, **({"queue": queue} if queue else {})}
    notifier = None
    if graph.notify is not None:
        from openfn.notify import OpenFnNotifier

        project, job, recipients = graph.notify
        notifier = OpenFnNotifier(project=project, job=job, recipients=recipients)
    with DAG(
        dag_id=graph.dag_id, schedule=_schedule(graph), catchup=False, max_active_runs=graph.max_active_runs,
        tags=list(graph.tags), doc_md=graph.doc_md, **(defaults if defaults is not None else airflow_defaults()),
        **({} if graph.paused is None else {"is_paused_upon_creation": graph.paused}),
    ) as dag:  # fmt: skip
        operators = {}
        for task in graph.tasks:
            operators[task.task_id] = _instantiate(task, notifier, lane)
            for upstream in task.upstream:
                if upstream in operators:  # a task start may render only the task it runs
                    operators[upstream] >> operators[task.task_id]
    return dag


def _schedule(graph: DagGraph):
    """Cron: the next cron time after the DAG appears (no start_date, so a deploy never fires a missed run at
    once, as in OpenFn); every other DAG is started by the inbox or its upstream."""
    if graph.cron is None:
        return None
    from airflow.sdk import CronTriggerTimetable

    return CronTriggerTimetable(graph.cron[0], timezone=graph.cron[1])


def _instantiate(task: Task, notifier, lane: dict):
    kwargs = dict(task.args)
    kwargs.update(task_id=task.task_id, trigger_rule=task.trigger_rule, retries=task.retries.lost, **lane)
    if task.kind in (STEP, RESULT):
        kwargs["state_notifier"] = notifier
    if task.notifies_failure:
        kwargs["on_failure_callback"] = notifier
    if task.retries.delay is not None:
        kwargs["retry_delay"] = _seconds(task.retries.delay)
    if task.retries.job is not None:
        kwargs["retry_policy"] = _retry_policy(task.retries.job, task.retries.job_delay)
    if task.timeout is not None:
        kwargs["execution_timeout"] = _seconds(task.timeout)
    return _operator(task.kind)(**kwargs)


# Immutable values shared by every task that has the same: a large project has few distinct ones.
@functools.lru_cache(maxsize=256)
def _seconds(seconds: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=seconds)


@functools.lru_cache(maxsize=256)
def _retry_policy(retries: int, delay: float):
    from openfn.operators.retries import JobRetryPolicy

    return JobRetryPolicy(job_retries=retries, job_retry_delay=_seconds(delay))
