"""The management API behind Airflow login: messages with job-states (filters, search, paging), the
receipt with every run (flow/fail runs included), re-runs, reprocessing in arrival order, projects."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa

from tests.inbox.conftest import dag_runs

CASE = {"form": "case_referral", "case_id": "c-1", "amount": 3}
NOW = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


def _finish(database, run_id: str, state: str, end_second: int) -> None:
    """Stand in for the scheduler: the DAG run ``run_id`` ends in ``state``."""
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    with database.write() as connection:
        connection.execute(sa.update(table).where(table.c.run_id == run_id).values(
            state=state, start_date=NOW, end_date=NOW + datetime.timedelta(seconds=end_second)))  # fmt: skip


def _run_ids(reply) -> dict[str, str]:
    return {run["job"]: run["run_id"] for run in reply.json()["data"]}


def test_management_api_needs_airflow_login(inbox):
    reply = inbox.http.get("/openfn/api/messages")
    assert (reply.status_code, reply.json()) == (401, {"error": "unauthorized", "message": "Not authenticated; log in to Airflow (or send a JWT from POST /auth/token as a Bearer token)."})
    reply = inbox.http.get("/openfn/api/projects", headers={"Authorization": "Bearer nonsense"})
    assert (reply.status_code, reply.json()) == (403, {"error": "forbidden", "message": "Invalid JWT token; log in to Airflow (or send a JWT from POST /auth/token as a Bearer token)."})


def test_seed_job_states_example_through_the_api(any_inbox):
    """Referral succeeds, payment fails; the payment is re-run and succeeds: two job-states, three runs."""
    database = any_inbox.runtime.database
    reply = any_inbox.post("clinic", CASE)
    message_id = reply.json()["meta"]["message_id"]
    first = _run_ids(reply)
    any_inbox.dispatch()
    _finish(database, first["referral"], "success", 5)
    _finish(database, first["payment"], "failed", 6)
    detail = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert detail["job_states"] == [
        {"job": "referral", "state": "success", "run_id": first["referral"]},
        {"job": "payment", "state": "failure", "run_id": first["payment"]},
    ]
    with database.write() as connection:  # ten seconds later
        connection.execute(sa.text("UPDATE openfn_message_job SET last_run_at = last_run_at - 10"))
    rerun = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"})
    assert rerun.status_code == 201
    third = rerun.json()
    assert third == {"job": "payment", "dag_id": "clinic.payment", "run_id": third["run_id"], "state": "pending",
                     "queued_at": None, "start_date": None, "end_date": None, "requested_by": "admin"}  # fmt: skip
    in_progress = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert in_progress["job_states"][1] == {"job": "payment", "state": "in progress", "run_id": third["run_id"]}
    any_inbox.dispatch()
    _finish(database, third["run_id"], "success", 60)
    detail = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert detail["job_states"] == [
        {"job": "referral", "state": "success", "run_id": first["referral"]},
        {"job": "payment", "state": "success", "run_id": third["run_id"]},
    ]
    assert [(r["job"], r["run_id"], r["state"]) for r in detail["runs"]] == [
        ("referral", first["referral"], "success"), ("payment", first["payment"], "failed"), ("payment", third["run_id"], "success"),
    ]


def test_receipt_has_the_exact_shape_and_shows_flow_and_fail_runs_carrying_the_message(any_inbox):
    database = any_inbox.runtime.database
    reply = any_inbox.post("clinic", CASE, headers={"X-Source": "commcare"})
    message_id = reply.json()["meta"]["message_id"]
    any_inbox.dispatch()
    # what OpenFnTriggerOperator does when the payment fails: a fail run carrying the message id on
    from airflow.models.dagrun import DagRun

    table = DagRun.__table__
    with database.write() as connection:
        template = connection.execute(sa.select(table).where(table.c.dag_id == "clinic.payment")).mappings().one()
        row = {key: value for key, value in template.items() if key != "id"}
        connection.execute(sa.insert(table).values({**row, "dag_id": "clinic.payment-failed", "run_id": f"fail__{message_id}__0123456789abcdef",
                                                    "state": "success", "start_date": NOW, "end_date": NOW, "created_dag_version_id": None}))  # fmt: skip
    detail = any_inbox.api("GET", f"/messages/{message_id}").json()
    assert list(detail) == ["id", "project", "received_at", "headers", "body", "job_states", "runs"]
    assert (detail["id"], detail["project"], detail["body"]) == (message_id, "clinic", CASE)
    assert detail["headers"]["x-source"] == "commcare"
    assert [list(run) for run in detail["runs"]] == [["job", "dag_id", "run_id", "state", "queued_at", "start_date", "end_date", "result"]] * 3
    assert [list(run["result"]) for run in detail["runs"]] == [["error", "output", "log", "full"]] * 3
    assert [(r["job"], r["state"]) for r in detail["runs"]] == [("referral", "queued"), ("payment", "queued"), ("payment-failed", "success")]
    assert detail["job_states"][2] == {"job": "payment-failed", "state": "success", "run_id": f"fail__{message_id}__0123456789abcdef"}


def test_unknown_message_is_404(inbox):
    reply = inbox.api("GET", "/messages/nope")
    assert (reply.status_code, reply.json()) == (404, {"error": "message_not_found", "message": "There is no message 'nope'; check the id (GET /openfn/api/messages lists them)."})


@pytest.mark.parametrize(
    ("job", "status", "error"),
    [
        ("nope", 404, {"error": "job_not_found", "message": "There is no job 'nope'; use one of: referral, payment, payment-receipt, payment-failed, manual-review, archived."}),
        ("payment-receipt", 400, {"error": "invalid_request", "message": "Job 'payment-receipt' has a flow trigger; only message-filter jobs run for a message; pick a job with a message filter."}),
        ("archived", 409, {"error": "conflict", "message": "Job 'archived' is disabled (enabled: false in project.yaml); enable it in project.yaml first."}),
    ],
)
def test_rerun_refusals(inbox, job, status, error):
    message_id = inbox.post("clinic", CASE).json()["meta"]["message_id"]
    reply = inbox.api("POST", f"/messages/{message_id}/runs", json={"job": job})
    assert (reply.status_code, reply.json()) == (status, error)


def test_rerun_body_must_name_a_job(inbox):
    message_id = inbox.post("clinic", CASE).json()["meta"]["message_id"]
    reply = inbox.api("POST", f"/messages/{message_id}/runs", json={})
    assert (reply.status_code, reply.json()["error"]) == (400, "invalid_request")


def test_manual_job_runs_only_when_asked(inbox):
    message_id = inbox.post("clinic", CASE).json()["meta"]["message_id"]
    reply = inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "manual-review"})
    assert reply.status_code == 201
    assert inbox.dispatch() == 3
    assert [r.dag_id for r in dag_runs(inbox.runtime.database, "clinic.manual-review")] == ["clinic.manual-review"]


def test_messages_newest_first_with_project_search_and_paging(any_inbox):
    ids = [any_inbox.post("forms", {"formID": "patient_registration_v7", "n": n, "name": f"Patient {n}"}).json()["meta"]["message_id"] for n in range(5)]
    clinic = any_inbox.post("clinic", CASE).json()["meta"]["message_id"]
    everything = any_inbox.api("GET", "/messages").json()
    assert [m["id"] for m in everything["messages"]] == [clinic, *reversed(ids)]
    assert everything["next_before"] is None
    assert list(everything["messages"][0]) == ["id", "project", "received_at", "job_states"]
    forms = any_inbox.api("GET", "/messages", params={"project": "forms", "limit": 2}).json()
    assert [m["id"] for m in forms["messages"]] == [ids[4], ids[3]]
    assert forms["next_before"] == ids[3]
    rest = any_inbox.api("GET", "/messages", params={"project": "forms", "limit": 10, "before": forms["next_before"]}).json()
    assert [m["id"] for m in rest["messages"]] == [ids[2], ids[1], ids[0]]
    text = any_inbox.api("GET", "/messages", params={"q": "patient 3"}).json()
    assert [m["id"] for m in text["messages"]] == [ids[3]]
    by_filter = any_inbox.api("GET", "/messages", params={"q": '{"n": 2.0}'}).json()
    assert [m["id"] for m in by_filter["messages"]] == [ids[2]]
    by_id = any_inbox.api("GET", "/messages", params={"q": clinic}).json()
    assert [m["id"] for m in by_id["messages"]] == [clinic]


def test_messages_filtered_by_job_and_job_state(any_inbox):
    database = any_inbox.runtime.database
    ok = any_inbox.post("clinic", {**CASE, "case_id": "ok"})
    bad = any_inbox.post("clinic", {**CASE, "case_id": "bad"})
    any_inbox.post("forms", {"formID": "patient_registration_v7"})
    any_inbox.dispatch()
    _finish(database, _run_ids(ok)["payment"], "success", 1)
    _finish(database, _run_ids(bad)["payment"], "failed", 1)
    _finish(database, _run_ids(bad)["referral"], "success", 1)

    def listed(**params):
        return [m["id"] for m in any_inbox.api("GET", "/messages", params=params).json()["messages"]]

    ok_id, bad_id = ok.json()["meta"]["message_id"], bad.json()["meta"]["message_id"]
    assert listed(job="payment", state="failure") == [bad_id]
    assert listed(job="payment", state="success") == [ok_id]
    assert listed(job="referral", state="in progress") == [ok_id]
    assert listed(state="failure") == [bad_id]
    assert listed(project="clinic", state="in_progress") == [ok_id]
    assert len(listed(job="register-patient")) == 1
    reply = any_inbox.api("GET", "/messages", params={"state": "done"})
    assert (reply.status_code, reply.json()) == (400, {"error": "invalid_request", "message": "state='done' is not a job-state; use one of: success, failure, in progress."})


def test_reprocess_starts_matching_jobs_in_arrival_order(any_inbox):
    database = any_inbox.runtime.database
    ids = [any_inbox.post("clinic", {**CASE, "case_id": f"c{n}"}).json()["meta"]["message_id"] for n in range(3)]
    test_message = any_inbox.post("clinic", {**CASE, "test": True}).json()["meta"]["message_id"]
    with database.write() as connection:
        connection.execute(sa.text("UPDATE openfn_message_job SET last_run_at = last_run_at - 10"))
    reply = any_inbox.api("POST", "/projects/clinic/reprocess", json={"ids": [ids[2], "missing", test_message, ids[0], ids[1]]})
    assert reply.status_code == 202
    body = reply.json()
    assert [(r["message_id"], r["job"]) for r in body["data"]] == [(i, job) for i in ids for job in ("referral", "payment")]
    assert body["errors"] == [{"message_id": "missing", "error": "message_not_found", "message": "There is no message 'missing' in project 'clinic'; check the id."}]
    any_inbox.dispatch()
    created = [r.run_id for r in dag_runs(database, "clinic.payment")]
    reprocessed = [r["run_id"] for r in body["data"] if r["job"] == "payment"]
    assert created[-3:] == reprocessed


def test_reprocess_of_an_unknown_project_is_404(inbox):
    reply = inbox.api("POST", "/projects/nope/reprocess", json={"ids": ["x"]})
    assert (reply.status_code, reply.json()) == (404, {"error": "project_not_found", "message": "There is no project 'nope'; GET /openfn/api/projects lists the projects."})


def test_projects_list_inbox_urls_jobs_and_triggers(inbox):
    listed = inbox.api("GET", "/projects").json()
    assert listed["errors"] == []
    by_name = {p["name"]: p for p in listed["projects"]}
    assert sorted(by_name) == ["clinic", "forms", "guarded", "sync"]
    assert by_name["forms"]["inbox_url"] == f"http://testserver/openfn/inbox/{inbox.token('forms')}"
    assert by_name["guarded"]["auth"] == ["api_key", "basic"]
    assert by_name["forms"]["jobs"][1] == {"key": "share-record", "dag_id": "forms.share-record", "trigger": "filter-2",
                                          "kind": "message", "autoprocess": True, "enabled": True, "language": "python",
                                          "adaptor": "openfn.adaptors.common", "problem": None}  # fmt: skip
    assert by_name["forms"]["problems"] == []
    assert by_name["forms"]["triggers"][1] == {"key": "filter-2", "kind": "message", "criteria": '{"name":"john doe"}', "exclusion": '{"allowedToShare":false}'}
    assert by_name["clinic"]["triggers"][1] == {"key": "after-payment", "kind": "flow", "upstream": "payment"}


def test_openapi_document_needs_login_and_there_are_no_cdn_docs(inbox):
    assert inbox.http.get("/openfn/openapi.json").status_code == 401
    document = inbox.http.get("/openfn/openapi.json", headers={"Authorization": f"Bearer {inbox.login()}"})
    assert (document.status_code, document.json()["info"]["title"]) == (200, "OpenFn inbox")
    assert sorted(document.json()["paths"]) == [
        "/api/collections", "/api/collections/{project}/{name}", "/api/collections/{project}/{name}/items",
        "/api/collections/{project}/{name}/items/{key}", "/api/messages", "/api/messages/{message_id}", "/api/messages/{message_id}/content", "/api/messages/{message_id}/runs",
        "/api/messages/{message_id}/runs/{run_id}/result",
        "/api/messages/{message_id}/runs/{run_id}/retry", "/api/projects", "/api/projects/{project}/reprocess",
        "/collections/{name}", "/collections/{name}/{key}",
    ]  # fmt: skip
    for path in ("/openfn/docs", "/openfn/redoc", "/openfn/docs/oauth2-redirect"):
        assert inbox.http.get(path).status_code == 404


def test_projects_name_each_jobs_language_adaptor_and_why_it_cannot_run(inbox, tmp_path):
    from openfn.inbox.catalog import Catalog

    folder = tmp_path / "jobs" / "portal"
    folder.mkdir(parents=True)
    (folder / "project.yaml").write_text(
        "jobs:\n  ok: {expression: 'fn(s => s)', adaptor: http, trigger: t}\n"
        "  old: {expression: 'fn(s => s)', adaptor: '@openfn/language-http@1.0.0', trigger: t}\n"
        "triggers: {t: {criteria: '{}'}}\n"
    )
    inbox.runtime.catalog = Catalog(tmp_path / "jobs")
    (project,) = inbox.api("GET", "/projects").json()["projects"]
    ok, old = project["jobs"]
    assert (ok["language"], ok["adaptor"], ok["problem"]) == ("javascript", "@openfn/language-http@7.2.10", None)
    assert old["adaptor"] == "@openfn/language-http"
    assert "jobs.old.adaptor: @openfn/language-http@1.0.0 is not installed" in old["problem"]
    # The project's problems: one line per missing adaptor version, naming the jobs that need it.
    assert project["problems"] == [f"{folder / 'project.yaml'}: @openfn/language-http@1.0.0 is not installed; 1 step needs it (old). "
                                   "Fix: run `make adaptors`: it installs every adaptor version the projects name that is missing."]
    assert project["warnings"] == []
