"""The neutral task graph (openfn.builder.graph): pure, Airflow-free, one path for every DAG. These tests
build graphs from real project files and check ids, kinds, arguments and upstream ids without Airflow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from openfn.builder.graph import RESULT, STEP, TRIGGER, Retries, job_graph, workflow_graph
from openfn.readers import load_project
from tests.dags.conftest import FIXTURES, REPO

LOST = Retries(lost=1, delay=10.0)


@pytest.fixture(scope="module")
def demo():
    return load_project(REPO / "include" / "jobs" / "demo")


@pytest.fixture(scope="module")
def mixed():
    return load_project(FIXTURES / "lightning" / "mixed")


def shape(graph) -> list[tuple]:
    return [(t.task_id, t.kind, t.upstream, t.trigger_rule) for t in graph.tasks]


def test_a_v1_job_is_run_then_its_flow_and_fail_links_then_job_failed(demo):
    graph = job_graph(demo, demo.jobs["register-patient"], lost=LOST)
    assert shape(graph) == [
        ("run", STEP, (), "all_success"),
        ("flow_confirm-registration", TRIGGER, ("run",), "all_success"),
        ("fail_registration-failed", TRIGGER, ("run",), "all_failed"),
        ("job_failed", RESULT, ("run",), "one_failed"),
    ]
    assert (graph.dag_id, graph.tags, graph.cron, graph.max_active_runs, graph.paused) == (
        "demo.register-patient", ("openfn", "project:demo", "trigger:message"), None, 16, False)
    run = graph.tasks[0]
    assert (run.args["code"].dag_id, run.args["code"].language, run.args["carries_state"], run.notifies_failure) == ("demo.register-patient", "python", False, True)
    assert run.retries == Retries(lost=1, delay=10.0, job=0, job_delay=300.0)
    assert graph.tasks[1].args == {"kind": "flow", "project": "demo", "trigger_dag_id": "demo.confirm-registration"}
    assert graph.tasks[3].args == {"job": "register-patient"}


def test_a_cron_job_is_scheduled_one_run_at_a_time_and_carries_its_state(demo):
    graph = job_graph(demo, demo.jobs["weekly-export"], lost=LOST)
    assert shape(graph) == [("run", STEP, (), "all_success")]
    assert (graph.cron, graph.max_active_runs, graph.tasks[0].args["carries_state"]) == (("0 23 * * 5", "Africa/Nairobi"), 1, True)


def test_a_task_start_of_run_describes_only_the_run_task(demo):
    graph = job_graph(demo, demo.jobs["register-patient"], lost=LOST, only_task="run")
    assert [t.task_id for t in graph.tasks] == ["run"]


def test_a_workflow_with_a_python_and_a_javascript_step_is_one_task_per_step_then_openfn_result(mixed):
    graph = workflow_graph(mixed, mixed.workflows["intake"], lost=LOST)
    assert shape(graph) == [
        ("tidy-name", STEP, (), "all_success"),
        ("greet", STEP, ("tidy-name",), "all_done"),
        ("report-problem", STEP, ("tidy-name",), "all_done"),
        ("openfn_result", RESULT, ("tidy-name", "greet", "report-problem"), "all_done"),
    ]
    tidy, greet, report, result = graph.tasks
    assert [t.args["code"].language for t in (tidy, greet, report)] == ["python", "javascript", "python"]
    assert (tidy.args["code"].expression_file, tidy.args["code"].adaptor) == (str(FIXTURES / "lightning" / "mixed" / "tidy_name.py"), "common")
    assert tidy.args["trigger_edges"] == {"webhook": True}
    assert tidy.args["next_edges"] == {"greet": "on_job_success", "report-problem": "on_job_failure"}
    assert (tidy.timeout, greet.timeout) == (300.0, 360.0)  # a Python step runs in the task: Airflow's timeout is its own
    assert tidy.retries == Retries(lost=1, delay=10.0, job=0, job_delay=0.0)
    assert result.args == {"steps": ("tidy-name", "greet", "report-problem"), "saves_final_state": False}
    assert graph.tags == ("openfn", "project:mixed", "lightning", "trigger:webhook")


def test_the_graph_module_imports_no_airflow():
    code = "import sys, openfn.builder.graph; print([m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')])"
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(REPO / "plugins")}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lightnings_concurrency_is_the_workflow_dags_max_active_runs_and_job_logs_reach_each_step():
    state = load_project(FIXTURES / "lightning" / "state")
    graph = workflow_graph(state, state.workflows["Referral-Intake"], lost=LOST)
    assert graph.max_active_runs == 2
    assert {task.args["code"].job_logs for task in graph.tasks if task.kind == STEP} == {False}


def test_a_workflow_without_concurrency_keeps_the_default_and_a_cron_workflow_runs_one_at_a_time(mixed):
    import dataclasses

    workflow = mixed.workflows["intake"]
    assert workflow_graph(mixed, workflow, lost=LOST).max_active_runs == 16
    cron = load_project(FIXTURES / "lightning" / "referrals")
    nightly = dataclasses.replace(cron.workflows["Nightly-Count"], concurrency=5)
    assert workflow_graph(cron, nightly, lost=LOST).max_active_runs == 1


def test_the_jobs_a_sender_waits_for_are_those_that_answer_after_completion_and_the_chains_they_wait_for():
    sync = load_project(REPO / "tests" / "fixtures" / "inbox" / "sync")
    waits = {key: job_graph(sync, job, lost=LOST).sender_waits for key, job in sync.jobs.items()}
    # lookup and chained answer after completion; chained's reply waits for its flow job after-chained too;
    # audit answers at once, and lookup's reply does not wait for its flow and fail jobs.
    assert waits == {"lookup": True, "audit": False, "confirm": False, "rescue": False, "chained": True, "after-chained": True}
