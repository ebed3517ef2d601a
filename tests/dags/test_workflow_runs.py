"""Lightning workflows run through Airflow (``dag.test()``): exactly the steps OpenFn would run, edge by edge,
the run's outcome as Lightning decides it, the final output, and the cron cursor."""

from __future__ import annotations

import json

import pytest

from openfn.builder import build_dag
from openfn.readers import load_project
from tests.dags.conftest import FIXTURES

SECRET = "wf-pw-88a1"


@pytest.fixture(scope="module")
def referrals(sync_dags):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_ANA_EXAMPLE.ORG-PATIENTS-API", json.dumps({"conn_type": "http", "host": "https://patients.example.org", "password": SECRET}))
        project = load_project(FIXTURES / "lightning" / "referrals")
        yield sync_dags(build_dag(project, workflow) for workflow in project.workflows.values())


def webhook(body: dict) -> dict:
    return {"openfn": {"project": "referrals", "workflow": "Referral-Intake", "trigger": "webhook"},
            "state": {"data": body, "request": {"method": "POST"}}}  # fmt: skip


def run_states(db, dag_id: str, run_id: str) -> dict:
    return db.task_states(dag_id, run_id)


def test_the_dag_has_one_task_per_step_and_the_edges_as_dependencies(referrals):
    dag = referrals["referrals.Referral-Intake"]
    assert sorted(dag.task_ids) == ["alert-clinician", "archive", "check-patient", "openfn_result", "register-patient", "report-problem"]
    assert dag.get_task("register-patient").upstream_task_ids == {"check-patient"}
    assert dag.get_task("archive").upstream_task_ids == set()  # its only edge is disabled
    assert dag.get_task("openfn_result").upstream_task_ids == {"alert-clinician", "archive", "check-patient", "register-patient", "report-problem"}
    assert dag.schedule is None and "lightning" in dag.tags and "trigger:webhook" in dag.tags
    nightly = referrals["referrals.Nightly-Count"]
    assert nightly.timetable.expression == "0 2 * * *"


def test_success_edges_and_a_js_condition_run_exactly_the_steps_openfn_would(referrals, db):
    run = referrals["referrals.Referral-Intake"].test(run_conf=webhook({"patient": "ana", "urgent": True}))
    assert run.state == "success"
    assert run_states(db, "referrals.Referral-Intake", run.run_id) == {
        "check-patient": "success", "register-patient": "success", "alert-clinician": "success",
        "report-problem": "skipped", "archive": "skipped", "openfn_result": "success",
    }  # fmt: skip
    final = db.xcom("referrals.Referral-Intake", run.run_id, task_id="openfn_result")
    assert final["alerted"] == "ANA" and final["data"]["checked"] is True
    assert "configuration" not in json.dumps(final) and SECRET not in json.dumps(final)


def test_a_false_condition_makes_its_upstream_the_leaf(referrals, db):
    run = referrals["referrals.Referral-Intake"].test(run_conf=webhook({"patient": "bo"}))
    assert run.state == "success"
    states = run_states(db, "referrals.Referral-Intake", run.run_id)
    assert (states["register-patient"], states["alert-clinician"]) == ("success", "skipped")
    assert db.xcom("referrals.Referral-Intake", run.run_id, task_id="openfn_result")["data"]["registered"] == "BO"


def test_a_failure_handled_by_a_failure_edge_is_a_successful_run(referrals, db):
    run = referrals["referrals.Referral-Intake"].test(run_conf=webhook({}))
    assert run.state == "success"  # as Lightning reports it: the failed step is not a leaf
    states = run_states(db, "referrals.Referral-Intake", run.run_id)
    assert (states["check-patient"], states["report-problem"], states["register-patient"]) == ("failed", "success", "skipped")
    final = db.xcom("referrals.Referral-Intake", run.run_id, task_id="openfn_result")
    assert final["data"]["reported"] == ["check-patient"]
    assert final["errors"]["check-patient"]["message"] == "the referral names no patient"


def test_a_failure_at_a_leaf_fails_the_run(referrals, db):
    run = referrals["referrals.Referral-Intake"].test(run_conf=webhook({"fail_report": True}))
    assert run.state == "failed"
    states = run_states(db, "referrals.Referral-Intake", run.run_id)
    assert (states["check-patient"], states["report-problem"], states["openfn_result"]) == ("failed", "failed", "failed")


def test_the_cron_cursor_is_the_last_successful_output_of_the_chosen_step(referrals, db):
    for expected in (1, 2, 3):
        run = referrals["referrals.Nightly-Count"].test()
        assert run.state == "success"
        assert db.variable("openfn.state.referrals.Nightly-Count") == {"data": {"counted": expected}}
    final = db.xcom("referrals.Nightly-Count", run.run_id, task_id="openfn_result")
    assert final == {"data": {"counted": 3}, "published": True}


DIAMOND = """
workflows:
  diamond:
    name: diamond
    jobs:
      a: {name: a, adaptor: '@openfn/language-common@latest', body: 'fn(s => ({ ...s, path: ["a"] }))'}
      b: {name: b, adaptor: '@openfn/language-common@latest', body: 'fn(s => ({ ...s, path: [...s.path, "b"] }))'}
      c: {name: c, adaptor: '@openfn/language-common@latest', body: 'fn(s => ({ ...s, path: [...s.path, "c"] }))'}
      d: {name: d, adaptor: '@openfn/language-common@latest', body: 'fn(s => ({ ...s, path: [...s.path, "d"] }))'}
      crash: {name: crash, adaptor: '@openfn/language-common@latest', body: 'fn(s => nope.x)'}
      after-crash: {name: after-crash, adaptor: '@openfn/language-common@latest', body: 'fn(s => s)'}
    triggers:
      webhook: {type: webhook}
    edges:
      webhook->a: {source_trigger: webhook, target_job: a, condition_type: always}
      a->b: {source_job: a, target_job: b, condition_type: always}
      a->c: {source_job: a, target_job: c, condition_type: always}
      b->d: {source_job: b, target_job: d, condition_type: always}
      c->d: {source_job: c, target_job: d, condition_type: always}
      webhook->crash: {source_trigger: webhook, target_job: crash, condition_type: js_expression, condition_expression: 'state.data.crash'}
      crash->after-crash: {source_job: crash, target_job: after-crash, condition_type: always}
"""


@pytest.fixture(scope="module")
def diamond(sync_dags, tmp_path_factory):
    folder = tmp_path_factory.mktemp("lightning") / "shapes"
    folder.mkdir()
    (folder / "project.yaml").write_text(DIAMOND)
    project = load_project(folder)
    return sync_dags([build_dag(project, project.workflows["diamond"])])["shapes.diamond"]


def test_a_step_reached_from_two_upstreams_runs_twice_and_both_are_leaves(diamond, db):
    run = diamond.test(run_conf={"openfn": {"trigger": "webhook"}, "state": {"data": {}}})
    assert run.state == "success"
    executions = db.xcom("shapes.diamond", run.run_id, task_id="d", key="executions")
    assert [(e["id"], e["state"]["path"]) for e in executions] == [("d", ["a", "b", "d"]), ("d-1", ["a", "c", "d"])]
    final = db.xcom("shapes.diamond", run.run_id, task_id="openfn_result")
    assert {key: value["path"] for key, value in final.items()} == {"d": ["a", "b", "d"], "d-1": ["a", "c", "d"]}


def test_a_crash_ends_the_run_and_the_steps_after_it_do_not_run(diamond, db):
    run = diamond.test(run_conf={"openfn": {"trigger": "webhook"}, "state": {"data": {"crash": True}}})
    assert run.state == "failed"
    states = db.task_states("shapes.diamond", run.run_id)
    assert (states["crash"], states["after-crash"], states["openfn_result"]) == ("failed", "skipped", "failed")
    (crashed,) = db.xcom("shapes.diamond", run.run_id, task_id="crash", key="executions")
    assert (crashed["status"], crashed["error_type"]) == ("crash", "RuntimeCrash")
    assert "ReferenceError: nope is not defined" in crashed["reason"]


@pytest.fixture(scope="module")
def mixed(sync_dags):
    project = load_project(FIXTURES / "lightning" / "mixed")
    return sync_dags([build_dag(project, project.workflows["intake"])])["mixed.intake"]


def mixed_webhook(body: dict) -> dict:
    return {"openfn": {"project": "mixed", "workflow": "intake", "trigger": "webhook"}, "state": {"data": body, "request": {"method": "POST"}}}


def test_a_python_step_hands_its_output_to_a_javascript_step(mixed, db):
    run = mixed.test(run_conf=mixed_webhook({"name": "  ana lima "}))
    assert run.state == "success"
    assert run_states(db, "mixed.intake", run.run_id) == {"tidy-name": "success", "greet": "success", "report-problem": "skipped", "openfn_result": "success"}
    final = db.xcom("mixed.intake", run.run_id, task_id="openfn_result")
    assert final == {"data": {"name": "Ana Lima", "greeting": "Hello, Ana Lima"}, "references": [], "request": {"method": "POST"}}


def test_a_failed_python_step_takes_its_on_job_failure_edge_to_a_python_step(mixed, db):
    run = mixed.test(run_conf=mixed_webhook({}))
    assert run.state == "success"  # handled by report-problem, as on Lightning
    assert run_states(db, "mixed.intake", run.run_id) == {"tidy-name": "failed", "greet": "skipped", "report-problem": "success", "openfn_result": "success"}
    final = db.xcom("mixed.intake", run.run_id, task_id="openfn_result")
    assert final["data"] == {"reported": ["tidy-name"]}
    assert final["errors"]["tidy-name"]["type"] == "KeyError"
