"""Projects -> DAGs. The only module that instantiates operators (one DAG per job, SPEC §3)."""

from __future__ import annotations

import datetime
import logging

from openfn.errors import OpenFnError, ProjectError
from openfn.settings import get_settings
from openfn.spec import Job, Project, load_projects

log = logging.getLogger("openfn.dags")


class ProjectLoadErrors(OpenFnError):
    """Raised by the error-report DAG file so Airflow lists broken projects under DAG import errors."""

    def __init__(self, errors: list[ProjectError]) -> None:
        self.errors = errors
        lines = "\n".join(f"- {error}" for error in errors)
        super().__init__(f"{len(errors)} OpenFn project(s) could not be loaded (every other project loaded):\n{lines}")


def build_dags(only_dag_id: str | None = None, only_task_id: str | None = None) -> dict:
    """Every job's DAG, keyed by dag_id. ``only_dag_id``: build just that DAG (a task start); and when
    the starting task is ``run``, just that task (the task runner only looks the task up, and the
    trigger tasks' operator module is slow to import)."""
    settings = get_settings()
    only_project, _, only_job = only_dag_id.partition(".") if only_dag_id else (None, "", None)
    report = load_projects(settings.jobs_dir, only=only_project or None, only_job=only_job or None)
    for error in report.errors:
        log.error("%s", error)
    if settings.strict_mode and report.errors:
        raise report.errors[0]
    dags = {}
    for project in report.projects:
        for job in project.jobs.values():
            if only_dag_id is None or job.dag_id == only_dag_id:
                dags[job.dag_id] = build_dag(project, job, run_task_only=only_task_id == "run")
    return dags


def dags_for_this_parse() -> dict:
    """What the DAG file exposes: all DAGs, or only the one a starting task needs."""
    from airflow.sdk import get_parsing_context

    context = get_parsing_context()
    return build_dags(context.dag_id, context.task_id if context.dag_id else None)


def raise_project_errors() -> None:
    """Make broken projects visible in Airflow's UI ("DAG import errors") without hiding the others."""
    report = load_projects(get_settings().jobs_dir)
    if report.errors:
        raise ProjectLoadErrors(report.errors)


def _schedule(job: Job):
    """Cron jobs: the next cron time after the DAG appears (no start_date, so a deploy never fires a
    missed run at once, as in OpenFn); every other job is started by the inbox or its upstream."""
    if job.trigger.kind != "cron" or not job.enabled:
        return None
    from airflow.sdk import CronTriggerTimetable

    return CronTriggerTimetable(job.trigger.cron, timezone=job.trigger.timezone)


def _doc(project: Project, job: Job) -> str:
    trigger = job.trigger
    detail = {
        "message": lambda: f"message filter `{trigger.key}`: inclusion `{trigger.inclusion}`, exclusion `{trigger.exclusion}`",
        "cron": lambda: f"cron `{trigger.cron}` ({trigger.timezone}); state carried in Variable `openfn.state.{job.dag_id}`",
        "flow": lambda: f"flow: runs after `{trigger.upstream}` succeeds",
        "fail": lambda: f"fail: runs after `{trigger.upstream}` fails",
    }[trigger.kind]()
    source = job.expression_file.name if job.expression_file else "inline JavaScript"
    return (
        f"**OpenFn job** `{job.key}` of project `{project.name}` ({project.file})\n\n"
        f"- Trigger: {detail}\n- Expression: `{source}` ({job.language}), adaptor `{job.adaptor}`\n"
        f"- Credential: `{job.credential.conn_id if job.credential else 'none'}`; autoprocess: {job.autoprocess}; enabled: {job.enabled}\n"
    )


def build_dag(project: Project, job: Job, *, run_task_only: bool = False):
    """One job's DAG: ``run``, then a trigger task per flow/fail job, then ``job_failed`` if needed."""
    from airflow.sdk import DAG

    from openfn.notify import OpenFnNotifier
    from openfn.operators.job import OpenFnJobOperator
    from openfn.operators.retries import JobRetryPolicy

    settings = get_settings()
    cron = job.trigger.kind == "cron"
    notifier = OpenFnNotifier(project=project.name, job=job.key, recipients=project.notify_email) if project.notify_email else None
    tags = ["openfn", f"project:{project.name}", f"trigger:{job.trigger.kind}"] + ([] if job.enabled else ["disabled"])
    with DAG(
        dag_id=job.dag_id,
        schedule=_schedule(job),
        catchup=False,
        max_active_runs=1 if cron else 16,
        tags=tags,
        doc_md=_doc(project, job),
        is_paused_upon_creation=not job.enabled,
    ) as dag:
        run = OpenFnJobOperator(
            task_id="run",
            project=project.name,
            job=job.key,
            language=job.language,
            expression_file=str(job.expression_file) if job.expression_file else None,
            conn_id=job.credential.conn_id if job.credential else None,
            adaptor=job.adaptor,
            carries_state=cron,
            enabled=job.enabled,
            state_notifier=notifier,
            on_failure_callback=notifier,
            # On the task, not as DAG default_args: only the job is retried, and default_args cost a
            # merge per operator at every parse. A try lost with its worker is retried on top of the job's
            # own retries (operators/retries.py).
            retries=job.retries + settings.lost_run_retries,
            retry_delay=datetime.timedelta(seconds=settings.lost_run_retry_delay_seconds),
            retry_policy=JobRetryPolicy(job_retries=job.retries, job_retry_delay=datetime.timedelta(seconds=job.retry_delay_seconds)),
        )
        if not run_task_only:
            _chain(project, job, run, settings)
    return dag


def _chain(project: Project, job: Job, run, settings) -> None:
    """Trigger tasks for the job's flow and fail jobs, and ``job_failed`` when it has fail jobs."""
    from airflow.sdk import TriggerRule

    from openfn.operators.chain import OpenFnTriggerOperator
    from openfn.operators.result import JobFailedOperator

    # A trigger task may be retried safely (its run id does not change), so a lost worker or an execution
    # API that was briefly away does not drop the flow or fail job.
    retry = {"retries": settings.lost_run_retries, "retry_delay": datetime.timedelta(seconds=settings.lost_run_retry_delay_seconds)}
    for downstream in project.downstream(job.key, "flow"):
        run >> OpenFnTriggerOperator(task_id=f"flow_{downstream.key}", kind="flow", project=project.name, trigger_dag_id=downstream.dag_id, trigger_rule=TriggerRule.ALL_SUCCESS, **retry)
    fail_jobs = project.downstream(job.key, "fail")
    for downstream in fail_jobs:
        run >> OpenFnTriggerOperator(task_id=f"fail_{downstream.key}", kind="fail", project=project.name, trigger_dag_id=downstream.dag_id, trigger_rule=TriggerRule.ALL_FAILED, **retry)
    if fail_jobs:
        # A fail trigger that fired would otherwise make the DAG run look successful.
        run >> JobFailedOperator(task_id="job_failed", job=job.key, trigger_rule=TriggerRule.ONE_FAILED, retries=0)
