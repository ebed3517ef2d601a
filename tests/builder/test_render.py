"""DAG structure as render.py builds it from projects, without a database: ids, tasks, trigger rules, schedules."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from airflow.sdk import CronTriggerTimetable, TriggerRule

from openfn.builder import build_dag
from openfn.operators.chain import OpenFnTriggerOperator
from openfn.operators.result import OpenFnResultOperator
from openfn.operators.step import OpenFnStepOperator
from openfn.readers import load_project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo():
    project = load_project(REPO / "include" / "jobs" / "demo")
    return project, {key: build_dag(project, job) for key, job in project.jobs.items()}


def test_dag_ids_tags_and_run_task(demo):
    project, dags = demo
    assert sorted(d.dag_id for d in dags.values()) == [
        "demo.confirm-registration", "demo.issue-patient-id", "demo.register-patient", "demo.registration-failed", "demo.share-record",
        "demo.weekly-export",
    ]
    dag = dags["share-record"]
    assert set(dag.tags) == {"openfn", "project:demo", "trigger:message"}
    assert [t.task_id for t in dag.tasks] == ["run"]
    assert isinstance(dag.get_task("run"), OpenFnStepOperator)
    assert dag.schedule is None


def test_message_flow_and_fail_jobs_have_no_schedule(demo):
    _, dags = demo
    for key in ("register-patient", "share-record", "confirm-registration", "registration-failed"):
        assert dags[key].schedule is None, key
        assert dags[key].max_active_runs == 16


def test_cron_job_is_scheduled_in_its_timezone_without_catchup(demo):
    _, dags = demo
    dag = dags["weekly-export"]
    assert isinstance(dag.timetable, CronTriggerTimetable)
    assert (dag.timetable.expression, str(dag.timetable.timezone)) == ("0 23 * * 5", "Africa/Nairobi")
    assert (dag.catchup, dag.max_active_runs) == (False, 1)
    assert set(dag.tags) == {"openfn", "project:demo", "trigger:cron"}
    assert dag.get_task("run").carries_state is True


def test_upstream_with_flow_and_fail_jobs_chains_both_and_keeps_the_run_failed(demo):
    _, dags = demo
    dag = dags["register-patient"]
    assert [t.task_id for t in dag.topological_sort()] == ["run", "flow_confirm-registration", "fail_registration-failed", "job_failed"]
    run = dag.get_task("run")
    assert run.downstream_task_ids == {"flow_confirm-registration", "fail_registration-failed", "job_failed"}
    flow, fail, failed = (dag.get_task(t) for t in ("flow_confirm-registration", "fail_registration-failed", "job_failed"))
    assert isinstance(flow, OpenFnTriggerOperator) and isinstance(fail, OpenFnTriggerOperator)
    assert (flow.kind, flow.trigger_dag_id, flow.trigger_rule) == ("flow", "demo.confirm-registration", TriggerRule.ALL_SUCCESS)
    assert (fail.kind, fail.trigger_dag_id, fail.trigger_rule) == ("fail", "demo.registration-failed", TriggerRule.ALL_FAILED)
    assert isinstance(failed, OpenFnResultOperator)
    assert (failed.trigger_rule, failed.retries) == (TriggerRule.ONE_FAILED, 0)


def test_job_without_fail_jobs_has_no_job_failed_task(make_project):
    project = load_project(make_project(
        "jobs: {a: {expression: job.py, trigger: t}, b: {expression: job.py, trigger: after-a}}\n"
        "triggers: {t: {criteria: '{}'}, after-a: {success: a}}\n"
    ))
    dag = build_dag(project, project.jobs["a"])
    assert sorted(t.task_id for t in dag.tasks) == ["flow_b", "run"]


def test_retries_disabled_jobs_and_credentials_reach_the_operator(make_project):
    project = load_project(make_project(
        "jobs: {a: {expression: job.py, trigger: t, enabled: false, retries: 3, retry_delay_seconds: 7, credential: c}}\n"
        "triggers: {t: {cron: '0 1 * * *'}}\ncredentials: {c: {conn_id: openmrs_prod}}\n"
    ))
    dag = build_dag(project, project.jobs["a"])
    run = dag.get_task("run")
    # the job's own 3 retries, 7 s apart (its retry policy), and one more for a try lost with its worker
    assert (run.retries, run.retry_delay, run.conn_id, run.enabled) == (4, datetime.timedelta(seconds=10), "openmrs_prod", False)
    assert (run.retry_policy.job_retries, run.retry_policy.job_retry_delay) == (3, datetime.timedelta(seconds=7))
    assert dag.is_paused_upon_creation is True
    assert dag.schedule is None  # a disabled cron job is not scheduled
    assert "disabled" in dag.tags


def test_javascript_jobs_get_a_dag_with_their_code_and_installed_adaptor():
    project = load_project(REPO / "tests" / "fixtures" / "v1-export")
    run = build_dag(project, project.jobs["job-1"]).get_task("run")
    code = run.code
    assert (run.dag_id, code.language, code.expression_file, code.adaptor_package, code.adaptor_version) == (
        "v1-export.job-1", "javascript", None, "@openfn/language-common", "3.3.4",
    )  # fmt: skip
    assert code.expression.startswith("alterState(state => {\n  state.data.number = state.data.number * 2")
    assert (run.conn_id, run.problem, code.timeout) == ("my-secret-credential", None, 300.0)
    assert run.execution_timeout == datetime.timedelta(seconds=360)  # the runtime stops it at 300 s first
    recurring = build_dag(project, project.jobs["recurring-job"]).get_task("run").code
    assert (recurring.adaptor_package, recurring.adaptor_version) == ("@openfn/language-http", "6.4.3")


def test_a_job_that_cannot_run_still_gets_a_dag_that_says_why(make_project):
    project = load_project(make_project(
        "jobs: {a: {expression: 'fn(s => s)', adaptor: '@openfn/language-http@0.0.1', trigger: t}}\n"
        "triggers: {t: {criteria: '{}'}}\n"
    ))  # fmt: skip
    dag = build_dag(project, project.jobs["a"])
    assert dag.get_task("run").problem == project.jobs["a"].problem
    assert "**This job cannot run:** " in dag.doc_md and "@openfn/language-http@0.0.1 is not installed" in dag.doc_md


def test_notify_recipients_become_the_failure_callback(make_project):
    project = load_project(make_project("notify: {email: [ops@example.org]}\njobs: {a: {expression: job.py, trigger: t}}\ntriggers: {t: {criteria: '{}'}}\n"))
    run = build_dag(project, project.jobs["a"]).get_task("run")
    (callback,) = run.on_failure_callback
    assert (callback.project, callback.job, callback.recipients) == ("demo", "a", ["ops@example.org"])
    assert run.state_notifier is callback


def test_a_workflow_with_a_python_and_a_javascript_step_renders_one_step_operator_per_step():
    from tests.dags.conftest import FIXTURES

    project = load_project(FIXTURES / "lightning" / "mixed")
    dag = build_dag(project, project.workflows["intake"])
    assert [t.task_id for t in dag.topological_sort()][0] == "tidy-name" and dag.task_ids[-1] == "openfn_result"
    tidy, greet, report, result = (dag.get_task(t) for t in ("tidy-name", "greet", "report-problem", "openfn_result"))
    assert all(isinstance(task, OpenFnStepOperator) for task in (tidy, greet, report)) and isinstance(result, OpenFnResultOperator)
    assert (tidy.code.language, greet.code.language, report.code.language) == ("python", "javascript", "python")
    assert greet.upstream_task_ids == report.upstream_task_ids == {"tidy-name"}
    assert result.upstream_task_ids == {"tidy-name", "greet", "report-problem"}
    assert (greet.trigger_rule, result.trigger_rule, tidy.execution_timeout) == (TriggerRule.ALL_DONE, TriggerRule.ALL_DONE, datetime.timedelta(seconds=300))
    assert (dag.dag_id, dag.schedule, sorted(dag.tags)) == ("mixed.intake", None, ["lightning", "openfn", "project:mixed", "trigger:webhook"])


def test_tasks_of_a_job_a_sender_waits_for_get_its_priority_weight_and_others_airflows_default():
    from openfn.builder.render import WAITING_SENDER_WEIGHT

    project = load_project(REPO / "tests" / "fixtures" / "inbox" / "sync")
    lookup, audit = build_dag(project, project.jobs["lookup"]), build_dag(project, project.jobs["audit"])
    assert {task.task_id: (task.priority_weight, task.queue) for task in lookup.tasks} == {
        "run": (WAITING_SENDER_WEIGHT, "default"), "flow_confirm": (WAITING_SENDER_WEIGHT, "default"),
        "fail_rescue": (WAITING_SENDER_WEIGHT, "default"), "job_failed": (WAITING_SENDER_WEIGHT, "default")}  # fmt: skip
    assert {task.task_id: (task.priority_weight, task.queue) for task in audit.tasks} == {"run": (1, "default")}
    assert WAITING_SENDER_WEIGHT > 1


def test_with_a_waiting_sender_queue_their_tasks_go_to_it_and_bulk_tasks_to_the_default_queue(monkeypatch):
    from dataclasses import replace

    from openfn import settings

    configured = replace(settings.get_settings(), waiting_sender_queue="openfn_waiting")
    monkeypatch.setattr(settings, "get_settings", lambda: configured)
    project = load_project(REPO / "tests" / "fixtures" / "inbox" / "sync")
    assert {task.queue for task in build_dag(project, project.jobs["chained"]).tasks} == {"openfn_waiting"}
    assert {task.queue for task in build_dag(project, project.jobs["audit"]).tasks} == {"default"}
