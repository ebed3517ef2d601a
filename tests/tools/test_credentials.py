"""`make credentials`: values move from project.yaml into Airflow Connections, the file keeps everything
else byte for byte, the project's jobs can run again, and nothing is ever printed but names."""

from __future__ import annotations

import json
import textwrap

import pytest

from openfn.readers import load_project
from openfn.tools.credentials import main, move

PROJECT = textwrap.dedent(
    """\
    # exported from OpenFn
    jobs:
      register:
        expression: job.py
        trigger: t
        credential: 'ana@example.org-OpenMRS Prod'
    triggers:
      t: {cron: '0 1 * * *'}
    credentials:
      'ana@example.org-OpenMRS Prod':
        name: OpenMRS Prod       # descriptive: stays
        username: admin
        password: "hunter2"
        hostUrl: https://openmrs.example.org/openmrs
        privateKey: |
          -----BEGIN KEY-----
          abc
          -----END KEY-----
        port: 8443
      dhis2: {username: '******', password: '******'}
    """
)


@pytest.fixture
def project(make_project, airflow_db):
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id.in_(["ana_example.org-OpenMRS_Prod", "dhis2"])).delete()
    return make_project(PROJECT, folder="moving")


def connection(conn_id: str):
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        found = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
        if found is None:
            return None
        return {"conn_type": found.conn_type, "host": found.host, "login": found.login, "password": found.password,
                "port": found.port, "extra": found.extra_dejson}  # fmt: skip


def test_values_move_into_a_connection_and_the_file_keeps_everything_else(project, capsys):
    assert load_project(project).problems != ()
    assert main([str(project)]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        "credentials.ana@example.org-OpenMRS Prod: username, password, hostUrl, privateKey, port -> Airflow Connection 'ana_example.org-OpenMRS_Prod'",
        f"{project / 'project.yaml'}: the values are replaced with '******'; commit the file",
    ]
    assert "hunter2" not in printed.out + printed.err and "BEGIN KEY" not in printed.out + printed.err
    assert connection("ana_example.org-OpenMRS_Prod") == {
        "conn_type": "http",
        "host": "https://openmrs.example.org/openmrs",
        "login": "admin",
        "password": "hunter2",
        "port": 8443,
        "extra": {"username": "admin", "hostUrl": "https://openmrs.example.org/openmrs",
                  "privateKey": "-----BEGIN KEY-----\nabc\n-----END KEY-----\n", "port": 8443},
    }  # fmt: skip
    assert (project / "project.yaml").read_text() == PROJECT.replace('username: admin', "username: '******'").replace(
        'password: "hunter2"', "password: '******'"
    ).replace("hostUrl: https://openmrs.example.org/openmrs", "hostUrl: '******'").replace(
        "privateKey: |\n      -----BEGIN KEY-----\n      abc\n      -----END KEY-----\n", "privateKey: '******'\n"
    ).replace("port: 8443", "port: '******'")
    loaded = load_project(project)
    assert loaded.problems == () and loaded.jobs["register"].problem is None


COPY_CONFIGURATION = """
def copy(state):
    keys = ("username", "password", "hostUrl", "privateKey", "port")
    state["data"] = {key: state["configuration"].get(key) for key in keys}
    return state

operations = [copy]
"""


def test_a_run_after_the_move_sees_the_fields_as_openfn_named_them(project, sync_dags, db):
    from openfn.builder import build_dag

    (project / "job.py").write_text(COPY_CONFIGURATION)
    move(project)
    loaded = load_project(project)
    dag = sync_dags([build_dag(loaded, loaded.jobs["register"])])["moving.register"]
    run = dag.test(run_conf={"state": {"data": {}}})
    assert run.state == "success"
    assert db.xcom("moving.register", run.run_id)["data"] == {
        "username": "admin", "password": "hunter2", "hostUrl": "https://openmrs.example.org/openmrs",
        "privateKey": "-----BEGIN KEY-----\nabc\n-----END KEY-----\n", "port": 8443,
    }  # fmt: skip


def test_running_it_again_changes_nothing(project):
    move(project)
    text = (project / "project.yaml").read_text()
    assert move(project) == [f"{project / 'project.yaml'}: no credential holds values; nothing to do"]
    assert (project / "project.yaml").read_text() == text


def test_an_existing_connection_with_other_values_is_kept_unless_replace(project, capsys):
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        session.add(Connection(conn_id="ana_example.org-OpenMRS_Prod", conn_type="http", host="other.example.org", password="old"))
    assert main([str(project)]) == 1
    assert capsys.readouterr().err == (
        "Nothing was changed in the file: the Airflow Connection 'ana_example.org-OpenMRS_Prod' "
        "(credentials.ana@example.org-OpenMRS Prod) exists with other values; check it, then run again with --replace to overwrite it.\n"
    )
    assert (project / "project.yaml").read_text() == PROJECT
    assert connection("ana_example.org-OpenMRS_Prod")["password"] == "old"
    assert main([str(project), "--replace"]) == 0
    assert connection("ana_example.org-OpenMRS_Prod")["password"] == "hunter2"


def test_dry_run_changes_nothing(project, capsys):
    assert main([str(project), "--dry-run"]) == 0
    assert capsys.readouterr().out == (
        "would move credentials.ana@example.org-OpenMRS Prod: username, password, hostUrl, privateKey, port -> "
        "Airflow Connection 'ana_example.org-OpenMRS_Prod'\n"
    )
    assert (project / "project.yaml").read_text() == PROJECT
    assert connection("ana_example.org-OpenMRS_Prod") is None


def test_a_folder_without_a_project_file_is_refused(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no project.yaml there" in capsys.readouterr().err


def test_a_credential_kept_in_a_file_moves_too(make_project, airflow_db, capsys):
    folder = make_project(
        "jobs: {j: {expression: job.py, trigger: t, credential: gcp}}\ntriggers: {t: {cron: '0 1 * * *'}}\n"
        "credentials:\n  gcp: 'file://secrets/gcp.json'   # OpenFn v1's form\n",
        folder="filecred",
    )
    (folder / "secrets").mkdir()
    (folder / "secrets" / "gcp.json").write_text('{"client_email": "svc@x.iam", "private_key": "k-77"}')
    assert load_project(folder).jobs["j"].problem.endswith(
        "credentials.gcp: points at its values in file://secrets/gcp.json; they are never used, and the project's jobs do "
        f"not run until they are moved. Fix: run `make credentials PROJECT={folder}`: it stores them in the Airflow "
        "Connection 'gcp' and replaces the reference with {} (then delete that file)."
    )
    assert main([str(folder)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{folder / 'secrets' / 'gcp.json'}: delete it, it still holds the values"
    assert connection("gcp")["extra"] == {"client_email": "svc@x.iam", "private_key": "k-77"}
    assert "credentials:\n  gcp: {}   # OpenFn v1's form\n" in (folder / "project.yaml").read_text()
    assert load_project(folder).jobs["j"].problem is None
