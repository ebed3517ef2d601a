"""Retry from a step of a Lightning workflow: Airflow's clear of that step, what follows it and
openfn_result, in the same run; the steps before it keep their results."""

from __future__ import annotations

import pytest

from openfn.builder import build_dag
from openfn.errors import Conflict, NotFound
from openfn.inbox.store.workflow_runs import clear_from_step, downstream, steps_of_runs
from openfn.readers import load_project
from tests.dags.test_workflow_runs import DIAMOND


@pytest.fixture(scope="module")
def shapes(sync_dags, tmp_path_factory):
    folder = tmp_path_factory.mktemp("retry") / "retry"
    folder.mkdir()
    (folder / "project.yaml").write_text(DIAMOND)
    project = load_project(folder)
    workflow = project.workflows["diamond"]
    return workflow, sync_dags([build_dag(project, workflow)])["retry.diamond"]


def test_downstream_follows_enabled_edges_in_workflow_order(shapes):
    workflow, _ = shapes
    assert downstream(workflow, "b") == ["b", "d"]
    assert downstream(workflow, "a") == ["a", "b", "c", "d"]


def test_retry_clears_the_step_what_follows_it_and_the_result(shapes, db):
    from airflow.utils.session import create_session

    workflow, dag = shapes
    run = dag.test(run_conf={"openfn": {"trigger": "webhook"}, "state": {"data": {}}})
    with create_session() as session:
        assert clear_from_step(session, workflow, run.run_id, "b") == ["b", "d", "openfn_result"]
    states = db.task_states("retry.diamond", run.run_id)
    assert {task: states[task] for task in ("a", "b", "c", "d", "openfn_result")} == {
        "a": "success", "b": None, "c": "success", "d": None, "openfn_result": None,
    }
    assert db.runs("retry.diamond")[-1][1] == "queued"
    with create_session() as session:
        found = steps_of_runs(session.connection(), [("retry.diamond", run.run_id)])[("retry.diamond", run.run_id)]
    assert {s["step"] for s in found} == {"a", "b", "c", "d", "crash", "after-crash", "openfn_result"}
    assert found[-1]["step"] == "openfn_result" and {s["step"] for s in found if s["state"] is None} == {"b", "d", "openfn_result"}


def test_retry_names_what_is_wrong(shapes):
    from airflow.utils.session import create_session

    workflow, dag = shapes
    with create_session() as session:
        with pytest.raises(NotFound, match=r"^There is no step 'zz'; use one of: a, b, c, d, crash, after-crash\.$"):
            clear_from_step(session, workflow, "whatever", "zz")
        with pytest.raises(NotFound, match=r"^There is no run 'nope'"):
            clear_from_step(session, workflow, "nope", "b")
