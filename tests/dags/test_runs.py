"""Jobs run through Airflow (``dag.test()``): state in and out, chaining, cron state carry, secrets."""

from __future__ import annotations

import json

import pytest

from openfn.builder import build_dag
from openfn.readers import load_project
from tests.dags.conftest import FIXTURES

pytestmark = pytest.mark.slow  # DAG runs with dag.test()
SECRET = "s3cr3t-pw-7f1c"
API_KEY = "k3y-9a8b7c"


@pytest.fixture(scope="module")
def rt(sync_dags, monkeypatch_module, smtp_server):
    monkeypatch_module.setenv("AIRFLOW_CONN_OPENFN_TEST_OPENMRS", json.dumps({
        "conn_type": "http", "host": "openmrs.example.org", "login": "admin", "password": SECRET, "extra": {"apiKey": API_KEY},
    }))
    project = load_project(FIXTURES / "jobs" / "rt")
    return sync_dags(build_dag(project, job) for job in project.jobs.values())


def logs(capfd, caplog) -> str:
    """Task log lines: Airflow's structlog writes to the captured stream or to logging, depending on set-up."""
    return "".join(capfd.readouterr()) + caplog.text


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_message_run_returns_final_state_and_starts_its_flow_job(rt, db):
    conf = {"openfn": {"message_id": "msg-1", "project": "rt", "trigger": "message"}, "state": {"data": {"n": 1}}}
    run = rt["rt.boom"].test(run_conf=conf)
    assert run.state == "success"
    assert db.xcom("rt.boom", run.run_id) == {"data": {"n": 1}, "references": [], "step": 2}
    assert db.task_states("rt.boom", run.run_id) == {"run": "success", "flow_after-boom": "success", "fail_catch-boom": "skipped", "job_failed": "skipped"}
    (flow_run,) = [r for r in db.runs("rt.after-boom") if r[2]["openfn"]["upstream"]["run_id"] == run.run_id]
    run_id, _, flow_conf = flow_run
    assert run_id.startswith("flow__msg-1__")
    assert flow_conf == {
        "openfn": {"project": "rt", "trigger": "flow", "message_id": "msg-1", "upstream": {"dag_id": "rt.boom", "run_id": run.run_id}},
        "state": {"data": {"n": 1}, "references": [], "step": 2},
    }
    assert not [r for r in db.runs("rt.catch-boom") if r[2]["openfn"]["upstream"]["run_id"] == run.run_id]


def test_failed_job_fails_the_dag_run_and_hands_its_state_with_errors_to_the_fail_job(rt, db):
    conf = {"openfn": {"message_id": "msg-2", "project": "rt", "trigger": "message"}, "state": {"data": {"explode": True}}}
    run = rt["rt.boom"].test(run_conf=conf)
    assert run.state == "failed"
    assert db.task_states("rt.boom", run.run_id) == {"run": "failed", "flow_after-boom": "upstream_failed", "fail_catch-boom": "success", "job_failed": "failed"}
    (fail_run,) = [r for r in db.runs("rt.catch-boom") if r[2]["openfn"]["upstream"]["run_id"] == run.run_id]
    run_id, _, fail_conf = fail_run
    assert run_id.startswith("fail__msg-2__")
    assert fail_conf["openfn"]["trigger"] == "fail"
    assert fail_conf["state"] == {
        "data": {"explode": True},
        "references": [],
        "step": 1,
        "errors": {"boom": {"type": "RuntimeError", "message": "Job 'boom' failed at operation 2 (fn(second)): RuntimeError: upstream system said no"}},
    }
    # The fail job runs from that state.
    caught = rt["rt.catch-boom"].test(run_conf=fail_conf)
    assert caught.state == "success"
    assert db.xcom("rt.catch-boom", caught.run_id) == {**fail_conf["state"], "echoed": True}


def test_operation_returning_none_fails_with_a_clear_message(rt, capfd, caplog):
    run = rt["rt.forgetful"].test(run_conf={"state": {"data": {}}})
    assert run.state == "failed"
    assert "Job 'forgetful' failed at operation 1 (forgot_to_return): returned NoneType, not the next state (a dict); did you forget `return state`?" in logs(capfd, caplog)


def test_a_javascript_job_runs_in_the_same_dag_as_a_python_one(rt, db):
    run = rt["rt.legacy"].test(run_conf={"state": {"data": {"n": 1}}})
    assert run.state == "success"
    assert db.xcom("rt.legacy", run.run_id) == {"data": {"n": 1}, "references": []}


def test_failed_run_notifies_the_project_recipients_once(rt, smtp_server):
    before = len(smtp_server.messages)
    conf = {"openfn": {"message_id": "msg-mail", "project": "rt", "trigger": "message"}, "state": {"data": {"explode": True}}}
    run = rt["rt.boom"].test(run_conf=conf)
    assert run.state == "failed"
    (mail,) = smtp_server.messages[before:]
    assert (mail["Subject"], mail["To"], mail["From"]) == ("[OpenFn] rt.boom failed", "ops@example.org", "openfn@example.org")
    body = mail.get_payload()[0].get_payload(decode=True).decode()
    assert "<b>Project:</b> rt" in body and "<b>Job:</b> boom" in body and "<b>Message:</b> msg-mail" in body
    assert "RuntimeError: upstream system said no" in body
    assert f"/dags/rt.boom/runs/{run.run_id.replace(':', '%3A').replace('+', '%2B')}" in body


def test_plain_conf_object_becomes_data(rt, db):
    run = rt["rt.after-boom"].test(run_conf={"formID": "x"})
    assert db.xcom("rt.after-boom", run.run_id) == {"data": {"formID": "x"}, "references": [], "echoed": True}


@pytest.mark.parametrize(
    ("size", "saved", "warned"),
    [(10_000, True, False), (10_001, True, True), (50_000, True, True), (50_001, False, True)],
)
def test_cron_state_size_limits(rt, db, capfd, caplog, smtp_server, size, saved, warned):
    before = len(smtp_server.messages)
    previous = {"data": {}, "references": [], "pad": "previous"}
    from airflow.models import Variable

    Variable.set("openfn.state.rt.sized", previous, serialize_json=True)
    run = rt["rt.sized"].test(run_conf={"size": size})
    assert run.state == "success"
    final = db.xcom("rt.sized", run.run_id)
    assert len(json.dumps(final, separators=(",", ":")).encode()) == size
    assert db.variable("openfn.state.rt.sized") == (final if saved else previous)
    assert (f"Final state is {size} bytes" in logs(capfd, caplog)) is warned
    subjects = [m["Subject"] for m in smtp_server.messages[before:]]
    assert subjects == ([f"[OpenFn] rt.sized: final state is {size:,} bytes"] if warned else [])


def test_secrets_never_reach_xcom_or_variables_and_are_masked_for_task_logs(rt, db):
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    run = rt["rt.secretive"].test()
    assert run.state == "success"
    final = db.xcom("rt.secretive", run.run_id)
    assert final == {"data": {"host": "openmrs.example.org", "user": "admin"}, "references": []}
    assert db.variable("openfn.state.rt.secretive") == final
    # The task log redacts registered secrets (checked on a real task log by the end-to-end test).
    assert redact(f"password {SECRET} key {API_KEY}") == "password *** key ***"


def test_demo_cron_job_keeps_its_cursor_across_three_runs(sync_dags, db):
    from openfn.readers import load_project
    from tests.dags.conftest import REPO

    project = load_project(REPO / "include" / "jobs" / "demo")
    dag = sync_dags([build_dag(project, project.jobs["weekly-export"])])["demo.weekly-export"]
    finals = []
    for _ in range(3):
        run = dag.test()
        assert run.state == "success"
        finals.append(db.xcom("demo.weekly-export", run.run_id))
    assert [state["lastId"] for state in finals] == [3, 6, 9]
    assert db.variable("openfn.state.demo.weekly-export") == {"data": {}, "references": [], "lastId": 9, "exported": 3}
    # `airflow dags trigger --conf '{"state": ...}'` starts from the given state instead.
    run = dag.test(run_conf={"state": {"lastId": 100}})
    assert db.xcom("demo.weekly-export", run.run_id)["lastId"] == 103
