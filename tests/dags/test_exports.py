"""Exported OpenFn v1 projects, in the shapes OpenFn wrote them (tests/fixtures/exports): they load as they
are, say what stops their jobs, and after `make credentials` their JavaScript jobs run through Airflow."""

from __future__ import annotations

import json
import shutil

import pytest

from openfn.builder import build_dag
from openfn.builder.graph import code_of
from openfn.errors import JobFailed
from openfn.runtime.javascript import JavaScriptRunner
from openfn.runtime.runner import run_job
from openfn.readers import load_project
from openfn.tools.credentials import move
from tests.adaptors.servers import ApiServer, Received, json_answer
from tests.dags.conftest import FIXTURES

EXPORTS = FIXTURES / "exports"


@pytest.fixture
def exported(tmp_path):
    def copy(name: str):
        folder = tmp_path / name
        shutil.copytree(EXPORTS / name, folder)
        return folder

    return copy


def test_a_v1_platform_export_loads_as_it_is(exported):
    project = load_project(exported("v1-platform"))
    jobs = project.jobs
    assert {key: (job.language, job.adaptor_package, job.adaptor_installed) for key, job in jobs.items()} == {
        "register-case": ("javascript", "@openfn/language-common", "3.3.4"),
        "draft-job": ("javascript", "@openfn/language-common", "3.3.4"),
        "nightly-sync": ("javascript", "@openfn/language-common", "3.3.4"),
        "after-register": ("javascript", "@openfn/language-common", "3.3.4"),
    }
    assert jobs["register-case"].trigger.inclusion == {"form": {"@xmlns": "http://openrosa.org/formdesigner/case-registration"}}
    assert jobs["register-case"].credential.conn_id == "dhis2-credential"
    assert [problem.key for problem in project.problems] == ["credentials.dhis2-credential"]
    assert "not-a-real-password" not in str(project.problems[0])
    assert all(job.problem == str(project.problems[0]) for job in jobs.values())


def test_after_moving_its_credentials_the_exports_jobs_run_as_on_openfn(exported, airflow_db):
    folder = exported("v1-platform")
    move(folder)
    project = load_project(folder)
    assert project.problems == ()
    form = {"form": {"@xmlns": "http://openrosa.org/formdesigner/case-registration", "case": {"@case_id": "c-81"}}}
    final = run_job(JavaScriptRunner(), code_of(project.name, project.jobs["register-case"]), {"data": form, "references": []}, {})
    assert final["data"]["caseId"] == "c-81"
    with pytest.raises(JobFailed, match=r"^Job 'draft-job' failed: RuntimeCrash: ReferenceError: none is not defined"):
        run_job(JavaScriptRunner(), code_of(project.name, project.jobs["draft-job"]), {"data": {}}, {})


def test_a_microservice_project_with_file_uris_runs_after_its_credential_file_is_moved(exported, airflow_db, sync_dags, db):
    folder = exported("v1-microservice")
    project = load_project(folder)
    assert [problem.key for problem in project.problems] == ["credentials.openhim", "jobs.old-version.adaptor"]
    assert project.jobs["send-referral"].adaptor_installed == "7.2.10"  # '@v7.2.10'
    received = []

    def route(request: Received):
        received.append(request)
        return json_answer({"id": "sr-1", "resourceType": "ServiceRequest"}, status=201)

    with ApiServer(route) as api:
        (folder / "openhim.json").write_text(json.dumps({"baseUrl": api.url, "username": "openfn", "password": "pw-3318"}))
        move(folder)
        project = load_project(folder)
        assert [problem.key for problem in project.problems] == ["jobs.old-version.adaptor"]
        dag = sync_dags([build_dag(project, project.jobs["send-referral"])])["v1-microservice.send-referral"]
        run = dag.test(run_conf={"state": {"data": {"resourceType": "ServiceRequest", "status": "active"}}})
    assert run.state == "success"
    assert db.xcom("v1-microservice.send-referral", run.run_id)["referralId"] == "sr-1"
    (request,) = received
    assert (request.method, request.path, request.basic_auth) == ("POST", "/fhir/ServiceRequest", ("openfn", "pw-3318"))
    assert request.json == {"resourceType": "ServiceRequest", "status": "active"}
