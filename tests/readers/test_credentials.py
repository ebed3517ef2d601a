"""Credentials: values in the file are never used nor echoed; the project loads and says how to move them;
keys Airflow does not accept as connection ids get a documented, derived id."""

from __future__ import annotations

import pytest

from openfn.errors import ProjectError
from openfn.readers import load_project
from openfn.readers._credentials import conn_id_for

TWO_JOBS = (
    "jobs:\n  a: {expression: job.py, trigger: t, credential: openmrs}\n  b: {expression: job.py, trigger: t}\n"
    "triggers: {t: {cron: '0 1 * * *'}}\n"
)


def test_values_in_the_file_stop_every_job_and_say_which_command_moves_them(make_project):
    folder = make_project(TWO_JOBS + "credentials:\n  openmrs: {username: admin, password: hunter2, hostUrl: 'https://x.org'}\n")
    project = load_project(folder)
    (problem,) = project.problems
    expected = (
        f"{folder / 'project.yaml'}: credentials.openmrs: holds values in project.yaml (username, password, hostUrl); "
        "they are never used, and the project's jobs do not run until they are moved. "
        f"Fix: run `make credentials PROJECT={folder}`: it stores them in the Airflow Connection 'openmrs' and "
        "replaces them with '******' in the file."
    )
    assert str(problem) == expected
    assert {key: job.problem for key, job in project.jobs.items()} == {"a": expected, "b": expected}
    assert "hunter2" not in expected and "admin" not in expected and "x.org" not in expected


def test_placeholders_and_descriptive_fields_are_not_values(make_project):
    folder = make_project(TWO_JOBS + "credentials:\n  openmrs: {name: OpenMRS prod, owner: ana@example.org, username: '******', password: '***', apiVersion: ''}\n")
    project = load_project(folder)
    assert project.problems == ()
    assert project.credentials["openmrs"].values == ()
    assert all(job.problem is None for job in project.jobs.values())


@pytest.mark.parametrize(
    ("key", "conn_id"),
    [
        ("openmrs", "openmrs"),
        ("dhis2.prod:main", "dhis2.prod:main"),
        ("ana@example.org-OpenMRS Prod", "ana_example.org-OpenMRS_Prod"),
        ("  spaced  out  ", "spaced_out"),
        ("kobo (v2)/token", "kobo_v2_token"),
    ],
)
def test_connection_ids_are_the_key_or_derived_from_it(key, conn_id):
    assert conn_id_for(key) == conn_id


def test_a_lightning_style_credential_key_loads_with_its_derived_connection_id(make_project):
    folder = make_project(
        "jobs: {a: {expression: job.py, trigger: t, credential: 'ana@example.org-OpenMRS Prod'}}\n"
        "triggers: {t: {cron: '0 1 * * *'}}\n"
        "credentials: {'ana@example.org-OpenMRS Prod': {name: OpenMRS Prod, owner: ana@example.org}}\n"
    )
    job = load_project(folder).jobs["a"]
    assert job.credential.conn_id == "ana_example.org-OpenMRS_Prod"
    assert job.problem is None


def test_conn_id_overrides_the_derived_one(make_project):
    folder = make_project(TWO_JOBS.replace("openmrs}", "'my cred'}") + "credentials: {'my cred': {conn_id: openmrs_prod}}\n")
    assert load_project(folder).credentials["my cred"].conn_id == "openmrs_prod"


def test_two_keys_deriving_the_same_connection_id_are_an_error(make_project):
    folder = make_project("jobs: {}\ncredentials: {'a b': {}, 'a@b': {}}\n")
    with pytest.raises(ProjectError, match=r"credentials\.a@b: maps to the Airflow Connection 'a_b', like credentials\.a b\. Fix: give one of them its own `conn_id:`\.$"):
        load_project(folder)


def test_a_credential_that_is_not_a_mapping_is_an_error_without_its_value(make_project):
    folder = make_project("jobs: {}\ncredentials: {openmrs: s3cr3t-token}\n")
    with pytest.raises(ProjectError) as info:
        load_project(folder)
    assert "s3cr3t" not in str(info.value)
    assert info.value.key == "credentials.openmrs"
