"""Projects -> DAGs, for the DAG files in ``dags/``: every project's graphs (graph.py), rendered (render.py)."""

from __future__ import annotations

import logging

from openfn.builder.graph import DagGraph, Retries, job_graph, workflow_graph
from openfn.errors import OpenFnError, ProjectError
from openfn.model.workflow import Workflow
from openfn.runs import JOB_TASK
from openfn.settings import get_settings

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
            from openfn.readers.report import grouped

            shown = grouped(self.problems)  # one line per missing adaptor version, not one per step
            lines = "\n".join(f"- {line}" for line in shown)
            parts.append(f"{len(shown)} problem(s) stop OpenFn jobs, steps or workflows from running (the rest of each project runs; "
                         f"a job or step that cannot run keeps its DAG, and its runs fail at once saying why):\n{lines}")
        super().__init__("\n\n".join(parts))


def graph_of(project, item, *, only_task: str | None = None, lost: Retries | None = None) -> DagGraph:
    """The graph of a project's v1 job or workflow (``item``)."""
    if lost is None:
        settings = get_settings()
        lost = Retries(lost=settings.lost_run_retries, delay=settings.lost_run_retry_delay_seconds)
    if isinstance(item, Workflow):
        return workflow_graph(project, item, lost=lost)
    return job_graph(project, item, lost=lost, only_task=only_task)


def build_dag(project, item, *, only_task: str | None = None):
    """The DAG of a project's v1 job or workflow (``item``)."""
    from openfn.builder.render import render

    return render(graph_of(project, item, only_task=only_task))


def build_dags(only_dag_id: str | None = None, only_task_id: str | None = None) -> dict:
    """Every job's and workflow's DAG, keyed by dag_id. ``only_dag_id``: build just that DAG (a task start);
    and when the starting task is ``run``, just that task (the task runner only looks the task up, and the
    trigger tasks' operator module is slow to import)."""
    from openfn.builder.render import airflow_defaults, render
    from openfn.readers import load_projects

    settings = get_settings()
    lost = Retries(lost=settings.lost_run_retries, delay=settings.lost_run_retry_delay_seconds)
    only_project, _, only_job = only_dag_id.partition(".") if only_dag_id else (None, "", None)
    report = load_projects(settings.jobs_dir, only=only_project or None, only_job=only_job or None)
    for error in report.errors + report.problems:
        log.error("%s", error)
    for warning in report.warnings:
        log.warning("%s", warning)
    if settings.strict_mode and (report.errors or report.problems):
        raise (report.errors or report.problems)[0]
    dags = {}
    defaults = airflow_defaults()
    for project in report.projects:
        for item in [*project.jobs.values(), *project.workflows.values()]:
            if only_dag_id is not None and item.dag_id != only_dag_id:
                continue
            try:
                dags[item.dag_id] = render(graph_of(project, item, only_task=JOB_TASK if only_task_id == JOB_TASK else None, lost=lost), defaults)
            except Exception:  # one DAG that Airflow refuses must not hide the others
                log.exception("Cannot build the DAG %s (project %s)", item.dag_id, project.file)
                if settings.strict_mode:
                    raise
    return dags


def dags_for_this_parse() -> dict:
    """What the DAG file exposes: all DAGs, or only the one a starting task needs."""
    from airflow.sdk import get_parsing_context

    context = get_parsing_context()
    if context.dag_id:  # a task process is starting: from here on (its DAG's parse, the job) it yields the CPU
        from openfn.runtime.priority import lower_priority

        lower_priority(get_settings().task_nice)
    return build_dags(context.dag_id, context.task_id if context.dag_id else None)


def raise_project_errors() -> None:
    """Make broken projects visible in Airflow's UI ("DAG import errors") without hiding the others."""
    from openfn.readers import load_projects

    report = load_projects(get_settings().jobs_dir)
    if report.errors or report.problems:
        raise ProjectLoadErrors(report.errors, report.problems)


def generate_dags(namespace: dict | None = None) -> dict:
    """The DAGs of every project under ``[openfn] jobs_dir``, for a DAG file of the user's own DAGs folder.

    ``generate_dags(globals())`` puts them into the calling file's globals, where Airflow finds DAGs; the
    DAGs are also returned. When a task starts, only its own DAG is built (Airflow's parsing context).
    """
    dags = dags_for_this_parse()
    if namespace is not None:
        namespace.update(dags)
    return dags
