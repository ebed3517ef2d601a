"""Projects -> DAGs. The only module that instantiates operators (one DAG per job, SPEC §3)."""

from __future__ import annotations

import datetime
import logging

from openfn.errors import OpenFnError, ProjectError
from openfn.runs import RESULT_TASK
from openfn.runtime.runner import JobCode, airflow_timeout
from openfn.settings import get_settings
from openfn.model import Job, Project
from openfn.readers import load_projects
from openfn.model.workflow import Step, Workflow

log = logging.getLogger("openfn.dags")


class ProjectLoadErrors(OpenFnError):
    """Raised by the error-report DAG file so Airflow lists broken projects, and jobs that cannot run,
    under DAG import errors."""

    def __init__(self, errors: list[ProjectError], problems: list[ProjectError] = ()) -> None:
        self.errors = list(errors)
        self.problems = list(problems)
        parts = []
        if self.errors:
            files = len({error.file for error in self.errors})
            lines = "\n".join(f"- {error}" for error in self.errors)
            parts.append(f"{files} OpenFn project(s) could not be loaded (every other project loaded):\n{lines}")
        if self.problems:
            lines = "\n".join(f"- {problem}" for problem in self.problems)
            parts.append(f"{len(self.problems)} problem(s) stop OpenFn jobs from running (their DAGs exist; their runs fail at once):\n{lines}")
        super().__init__("\n\n".join(parts))


def build_dags(only_dag_id: str | None = None, only_task_id: str | None = None) -> dict:
    """Every job's DAG, keyed by dag_id. ``only_dag_id``: build just that DAG (a task start); and when
    the starting task is ``run``, just that task (the task runner only looks the task up, and the
    trigger tasks' operator module is slow to import)."""
    settings = get_settings()
    only_project, _, only_job = only_dag_id.partition(".") if only_dag_id else (None, "", None)
    report = load_projects(settings.jobs_dir, only=only_project or None, only_job=only_job or None)
    for error in report.errors + report.problems:
        log.error("%s", error)
    if settings.strict_mode and (report.errors or report.problems):
        raise (report.errors or report.problems)[0]
    dags = {}
    for project in report.projects:
        builds = [(job.dag_id, lambda job=job: build_dag(project, job, run_task_only=only_task_id == "run")) for job in project.jobs.values()]
        builds += [(flow.dag_id, lambda flow=flow: build_workflow_dag(project, flow)) for flow in project.workflows.values()]
        for dag_id, build in builds:
            if only_dag_id is None or dag_id == only_dag_id:
                try:
                    dags[dag_id] = build()
                except Exception:  # one DAG that Airflow refuses must not hide the others
                    log.exception("Cannot build the DAG %s (project %s)", dag_id, project.file)
                    if settings.strict_mode:
                        raise
    return dags


def dags_for_this_parse() -> dict:
    """What the DAG file exposes: all DAGs, or only the one a starting task needs."""
    from airflow.sdk import get_parsing_context

    context = get_parsing_context()
    return build_dags(context.dag_id, context.task_id if context.dag_id else None)


def raise_project_errors() -> None:
    """Make broken projects visible in Airflow's UI ("DAG import errors") without hiding the others."""
    report = load_projects(get_settings().jobs_dir)
    if report.errors or report.problems:
        raise ProjectLoadErrors(report.errors, report.problems)


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
    adaptor = f"{job.adaptor_package}@{job.adaptor_installed}" if job.adaptor_installed else job.adaptor
    problem = f"\n**This job cannot run:** {job.problem}\n" if job.problem else ""
    return (
        f"**OpenFn job** `{job.key}` of project `{project.name}` ({project.file})\n\n"
        f"- Trigger: {detail}\n- Expression: `{source}` ({job.language}), adaptor `{adaptor}`; timeout {job.timeout:g} s\n"
        f"- Credential: `{job.credential.conn_id if job.credential else 'none'}`; autoprocess: {job.autoprocess}; enabled: {job.enabled}\n"
        f"{problem}"
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
            code=job_code(job),
            conn_id=job.credential.conn_id if job.credential else None,
            carries_state=cron,
            enabled=job.enabled,
            problem=job.problem,
            execution_timeout=datetime.timedelta(seconds=airflow_timeout(job.language, job.timeout)),
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


def job_code(job: Job) -> JobCode:
    return JobCode(
        project=job.project,
        key=job.key,
        language=job.language,
        adaptor=job.adaptor,
        expression_file=str(job.expression_file) if job.expression_file else None,
        expression=job.expression,
        adaptor_package=job.adaptor_package,
        adaptor_version=job.adaptor_installed,
        timeout=job.timeout,
    )


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


# --- Lightning workflows: one DAG per workflow, one task per step (SPEC §11) -----------------------------------


def step_code(step: Step, project: str) -> JobCode:
    return JobCode(
        project=project, key=step.key, language="javascript", adaptor=step.adaptor, workflow=step.workflow,
        expression_file=str(step.expression_file) if step.expression_file else None, expression=step.expression,
        adaptor_package=step.adaptor_package, adaptor_version=step.adaptor_installed, timeout=step.timeout,
    )  # fmt: skip


def _workflow_doc(project: Project, workflow: Workflow) -> str:
    triggers = ", ".join(
        f"`{t.key}` (webhook, {'enabled' if t.enabled else 'disabled'})" if t.kind == "webhook"
        else f"`{t.key}` (cron `{t.cron}`, {'enabled' if t.enabled else 'disabled'}{', cursor: step `' + t.cursor_step + '`' if t.cursor_step else ''})"
        for t in workflow.triggers.values()
    ) or "none"  # fmt: skip
    problems = "".join(f"\n- **Cannot run:** step `{s.key}`: {s.problem}" for s in workflow.steps.values() if s.problem)
    return (
        f"**OpenFn Lightning workflow** `{workflow.name}` of project `{project.title or project.name}` ({project.file})\n\n"
        f"- Triggers: {triggers}\n- Steps: {', '.join(f'`{key}`' for key in workflow.steps)}; the task `{RESULT_TASK}` "
        f"decides the run's outcome as Lightning does{problems}\n"
    )


def build_workflow_dag(project: Project, workflow: Workflow):
    """A workflow's DAG: one task per step, edges as dependencies, then ``openfn_result``."""
    from airflow.sdk import DAG, CronTriggerTimetable, TriggerRule

    from openfn.notify import OpenFnNotifier
    from openfn.operators.retries import JobRetryPolicy
    from openfn.operators.step import OpenFnStepOperator
    from openfn.operators.workflow_result import WorkflowResultOperator

    settings = get_settings()
    cron = workflow.cron
    notifier = OpenFnNotifier(project=project.name, job=workflow.key, recipients=project.notify_email) if project.notify_email else None
    kinds = sorted({trigger.kind for trigger in workflow.triggers.values()})
    default_trigger = cron.key if cron else next((t.key for t in workflow.triggers.values() if t.enabled), next(iter(workflow.triggers), None))
    with DAG(
        dag_id=workflow.dag_id,
        schedule=CronTriggerTimetable(cron.cron, timezone=cron.timezone) if cron else None,
        catchup=False,
        max_active_runs=1 if cron else 16,
        tags=["openfn", f"project:{project.name}", "lightning"] + [f"trigger:{kind}" for kind in kinds],
        doc_md=_workflow_doc(project, workflow),
    ) as dag:
        tasks = {}
        for step in workflow.steps.values():
            incoming = [edge for edge in workflow.incoming(step.key) if edge.enabled]
            sources = tuple(dict.fromkeys(edge.source for edge in incoming if not edge.from_trigger))
            tasks[step.key] = OpenFnStepOperator(
                task_id=step.key,
                code=step_code(step, project.name),
                sources=sources,
                trigger_edges={edge.source: edge.runtime_condition for edge in incoming if edge.from_trigger},
                next_edges={edge.target: edge.runtime_condition for edge in workflow.outgoing(step.key)},
                default_trigger=default_trigger,
                cron_trigger=cron.key if cron else None,
                conn_id=step.credential.conn_id if step.credential else None,
                problem=step.problem,
                cursor=cron is not None and cron.cursor_step == step.key,
                state_notifier=notifier,
                trigger_rule=TriggerRule.ALL_DONE if sources else TriggerRule.ALL_SUCCESS,
                execution_timeout=datetime.timedelta(seconds=airflow_timeout("javascript", step.timeout)),
                # A step's own failure is never retried (as on Lightning); a try lost with its worker is.
                retries=settings.lost_run_retries,
                retry_delay=datetime.timedelta(seconds=settings.lost_run_retry_delay_seconds),
                retry_policy=JobRetryPolicy(job_retries=0, job_retry_delay=datetime.timedelta(0)),
            )
        for task in tasks.values():
            for source in task.sources:
                tasks[source] >> task
        result = WorkflowResultOperator(
            task_id=RESULT_TASK, steps=tuple(workflow.steps), saves_final_state=cron is not None and cron.cursor_step is None,
            state_notifier=notifier, on_failure_callback=notifier, trigger_rule=TriggerRule.ALL_DONE, retries=0,
        )  # fmt: skip
        for task in tasks.values():
            task >> result
    return dag
