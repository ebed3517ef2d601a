"""Per-project permissions through a real auth manager: FAB, with roles that cover only some DAGs, in a real
api-server on SQLite and on PostgreSQL (see tests/support/fab_deployment.py for the users and roles).

A user sees a project's messages, receipts, search results, counts and projects-page entry only if they
may read every DAG of the project; re-runs need trigger permission; inbox URLs need edit permission.
"""

from __future__ import annotations

import pytest

from tests.support.fab_deployment import fab_deployment

pytestmark = [pytest.mark.e2e]

CLINIC_CASE = {"form": "case_referral", "case_id": "perm-1", "district": "Kisumu", "secret_note": "clinic-only"}
DEMO_FORM = {"formID": "patient_registration_v7", "name": "demo patient", "marker": "demo-only-text"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def airflow(request, tmp_path_factory):
    postgres = request.getfixturevalue("postgres_server") if request.param == "postgresql" else None
    with fab_deployment(tmp_path_factory.mktemp(f"perm-{request.param}"), request.param, postgres) as deployment:
        deployment.clinic_id = deployment.send("clinic", CLINIC_CASE)
        deployment.demo_id = deployment.send("demo", DEMO_FORM)
        yield deployment


def ids(reply) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [message["id"] for message in reply.json()["messages"]]


def test_admin_sees_every_project_and_its_inbox_url(airflow):
    projects = airflow.api_as("admin", "GET", "/openfn/api/projects").json()
    assert [(p["name"], p["inbox_url"] is not None) for p in projects["projects"]] == [("clinic", True), ("demo", True)]
    assert set(ids(airflow.api_as("admin", "GET", "/openfn/api/messages"))) == {airflow.clinic_id, airflow.demo_id}


def test_reader_of_one_project_lists_only_its_messages(airflow):
    assert ids(airflow.api_as("nurse", "GET", "/openfn/api/messages")) == [airflow.clinic_id]
    assert ids(airflow.api_as("nurse", "GET", "/openfn/api/messages", params={"project": "demo"})) == []
    page = airflow.api_as("nurse", "GET", "/openfn/ui/api/messages").json()
    assert ([m["id"] for m in page["messages"]], page["scanned"], page["next_before"]) == ([airflow.clinic_id], 1, None)


def test_search_never_finds_another_projects_message(airflow):
    for q in ("demo-only-text", airflow.demo_id, '{"marker": "demo-only-text"}', '{"formID": "patient_registration_v7"}'):
        assert ids(airflow.api_as("nurse", "GET", "/openfn/api/messages", params={"q": q})) == []
        assert airflow.api_as("nurse", "GET", "/openfn/ui/api/messages", params={"q": q}).json()["messages"] == []
    for q in ("demo-only-text", airflow.demo_id):  # text: the database found no row the nurse may read
        assert airflow.api_as("nurse", "GET", "/openfn/ui/api/messages", params={"q": q}).json()["scanned"] == 0
    assert ids(airflow.api_as("nurse", "GET", "/openfn/api/messages", params={"q": "clinic-only"})) == [airflow.clinic_id]


def test_another_projects_message_is_not_found_nor_usable_as_a_cursor(airflow):
    receipt = airflow.api_as("nurse", "GET", f"/openfn/api/messages/{airflow.demo_id}")
    assert (receipt.status_code, receipt.json()["error"]) == (404, "message_not_found")
    for path in ("/openfn/api/messages", "/openfn/ui/api/messages"):
        cursor = airflow.api_as("nurse", "GET", path, params={"before": airflow.demo_id})
        assert (cursor.status_code, cursor.json()["error"]) == (404, "message_not_found")
    assert airflow.api_as("nurse", "GET", f"/openfn/api/messages/{airflow.clinic_id}").json()["body"]["case_id"] == "perm-1"


def test_reader_gets_the_project_without_its_inbox_url(airflow):
    projects = airflow.api_as("nurse", "GET", "/openfn/api/projects").json()
    assert [(p["name"], p["inbox_url"]) for p in projects["projects"]] == [("clinic", None)]
    assert projects["errors"] == []
    assert airflow.api_as("nurse", "GET", "/openfn/ui/api/projects").json()["jobs"] == {}  # demo's cron job is hidden


def test_editor_of_the_project_gets_its_inbox_url(airflow):
    projects = airflow.api_as("operator", "GET", "/openfn/api/projects").json()["projects"]
    admin_view = airflow.api_as("admin", "GET", "/openfn/api/projects").json()["projects"]
    assert [(p["name"], p["inbox_url"]) for p in projects] == [("clinic", admin_view[0]["inbox_url"])]


def test_reader_of_some_of_a_projects_dags_sees_nothing_of_it(airflow):
    assert ids(airflow.api_as("referrals", "GET", "/openfn/api/messages")) == []
    assert airflow.api_as("referrals", "GET", "/openfn/api/projects").json()["projects"] == []
    receipt = airflow.api_as("referrals", "GET", f"/openfn/api/messages/{airflow.clinic_id}")
    assert receipt.status_code == 404


def test_reader_may_not_start_runs(airflow):
    reply = airflow.api_as("nurse", "POST", f"/openfn/api/messages/{airflow.clinic_id}/runs", json={"job": "manual-review"})
    assert (reply.status_code, reply.json()["message"]) == (
        403, "You may not start runs of DAG clinic.manual-review; ask an Airflow admin for the permission to trigger it."
    )  # fmt: skip


def test_runs_of_another_projects_messages_are_not_found(airflow):
    rerun = airflow.api_as("operator", "POST", f"/openfn/api/messages/{airflow.demo_id}/runs", json={"job": "register-patient"})
    assert (rerun.status_code, rerun.json()["error"]) == (404, "message_not_found")
    reprocess = airflow.api_as("operator", "POST", "/openfn/api/projects/demo/reprocess", json={"ids": [airflow.demo_id]})
    assert (reprocess.status_code, reprocess.json()["error"]) == (404, "project_not_found")
    run_now = airflow.api_as("operator", "POST", "/openfn/ui/api/jobs/demo.weekly-export/runs")
    assert (run_now.status_code, run_now.json()["error"]) == (404, "job_not_found")


def test_editor_reruns_a_job_and_the_run_names_them(airflow):
    reply = airflow.api_as("operator", "POST", f"/openfn/api/messages/{airflow.clinic_id}/runs", json={"job": "manual-review"})
    assert reply.status_code == 201, reply.text
    run_id = reply.json()["run_id"]

    def created():
        found = airflow.api_as("admin", "GET", f"/api/v2/dags/clinic.manual-review/dagRuns/{run_id}")
        return found.json() if found.status_code == 200 else None

    dag_run = airflow.wait_for(created, "the re-run's DAG run", timeout=120)
    assert dag_run["triggering_user_name"] == "operator"
    receipt = airflow.api_as("operator", "GET", f"/openfn/api/messages/{airflow.clinic_id}").json()
    assert [(r["job"], r["requested_by"]) for r in receipt["runs"] if r["run_id"] == run_id] == [("manual-review", "operator")]


def test_erasing_needs_edit_permission_on_the_projects_dags(airflow):
    message_id = airflow.send("clinic", {**CLINIC_CASE, "case_id": "perm-erase"})
    refused = airflow.api_as("nurse", "DELETE", f"/openfn/api/messages/{message_id}/content")
    assert (refused.status_code, refused.json()["message"]) == (
        403, "You may not erase messages of project clinic; ask an Airflow admin for the permission to edit its DAGs."
    )  # fmt: skip
    hidden = airflow.api_as("operator", "DELETE", f"/openfn/api/messages/{airflow.demo_id}/content")
    assert (hidden.status_code, hidden.json()["error"]) == (404, "message_not_found")
    erased = airflow.api_as("operator", "DELETE", f"/openfn/api/messages/{message_id}/content")
    assert (erased.status_code, erased.json()["erased"]["by"]) == (200, "operator")
    receipt = airflow.api_as("nurse", "GET", f"/openfn/api/messages/{message_id}").json()
    assert (receipt["body"], receipt["headers"], receipt["erased"]["by"]) == (None, {}, "operator")


def test_collections_are_listed_browsed_and_deleted_per_project(airflow):
    made = airflow.api_as("admin", "POST", "/openfn/api/collections", json={"project": "demo", "name": "demo-lookups"})
    assert made.status_code in (201, 200), made.text
    listed = airflow.api_as("nurse", "GET", "/openfn/api/collections").json()["collections"]
    assert [(c["project"], c["name"], c["may_delete"]) for c in listed] == [("clinic", "referral-cache", False)]  # declared by clinic's file
    hidden = airflow.api_as("nurse", "GET", "/openfn/api/collections/demo/demo-lookups/items")
    assert (hidden.status_code, hidden.json()["error"]) == (404, "project_not_found")
    refused = airflow.api_as("nurse", "DELETE", "/openfn/api/collections/clinic/referral-cache")
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    assert airflow.api_as("nurse", "POST", "/openfn/api/collections", json={"project": "clinic", "name": "x"}).status_code == 403
    assert airflow.api_as("operator", "DELETE", "/openfn/api/collections/clinic/referral-cache/items/none").json() == {"deleted": 0}
    assert airflow.api_as("referrals", "GET", "/openfn/api/collections").json()["collections"] == []
