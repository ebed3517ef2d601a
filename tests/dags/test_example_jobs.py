"""The example projects run through Airflow (``dag.test()``) against local stand-ins for their systems,
with credentials from Airflow Connections; afterwards no secret is in XCom, run confs, saved state or logs."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from openfn.builder import build_dag
from openfn.readers import load_project
from tests.adaptors.fake_apis import DHIS2_PAT, OPENMRS_PASSWORD, OPENMRS_USER, Dhis2, OpenMrs, basic
from tests.adaptors.servers import ApiServer, json_answer
from tests.dags.conftest import REPO

ALERTS_TOKEN = "alerts-token-5a4b3c2d"
WAREHOUSE_PASSWORD = "warehouse-pw-9e8d7c"
SECRETS = (OPENMRS_PASSWORD, DHIS2_PAT, ALERTS_TOKEN, WAREHOUSE_PASSWORD, basic(OPENMRS_USER, OPENMRS_PASSWORD).split()[1])
STATE_VARIABLE = "openfn.state.dhis2-export.weekly-export"


def receiver(request):
    """A webhook (alerts) or ingestion API (warehouse): accepts JSON, says so."""
    return json_answer({"accepted": True}, 202)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def servers(monkeypatch_module):
    with ApiServer(OpenMrs()) as openmrs, ApiServer(receiver) as alerts, ApiServer(Dhis2()) as dhis2, ApiServer(receiver) as warehouse:
        connections = {
            "referrals_openmrs": {"conn_type": "http", "host": f"{openmrs.url}/openmrs", "login": OPENMRS_USER, "password": OPENMRS_PASSWORD},
            "referrals_alerts": {"conn_type": "http", "host": alerts.url, "extra": {"access_token": ALERTS_TOKEN}},
            "dhis2_export_dhis2": {"conn_type": "http", "host": dhis2.url, "extra": {"apiVersion": "41", "pat": DHIS2_PAT}},
            "dhis2_export_warehouse": {"conn_type": "http", "host": f"{warehouse.url}/api", "login": "openfn", "password": WAREHOUSE_PASSWORD},
        }
        for conn_id, fields in connections.items():
            monkeypatch_module.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
        yield {"openmrs": openmrs, "alerts": alerts, "dhis2": dhis2, "warehouse": warehouse}


@pytest.fixture(scope="module")
def dags(sync_dags, servers):
    built = []
    for folder in ("referrals", "dhis2-export"):
        project = load_project(REPO / "include" / "jobs" / folder)
        built += [build_dag(project, job) for job in project.jobs.values()]
    return sync_dags(built)


def referral(case_id: str, sex: str = "female") -> dict:
    form = {
        "@xmlns": "http://openrosa.org/formdesigner/referral-registration", "@name": "Referral",
        "patient": {"given_name": " amina ", "family_name": "odhiambo", "sex": sex, "dob": "1994-03-02"},
        "case": {"@case_id": case_id}, "meta": {"instanceID": f"uuid:{case_id}-form"},
    }  # fmt: skip
    return {"app_id": "app-123", "domain": "demo-project", "form": form, "id": f"{case_id}-form"}


def message_conf(body: dict, message_id: str) -> dict:
    request = {"headers": {"content-type": "application/json"}, "message_id": message_id, "received_at": "2024-05-01T08:00:00Z"}
    return {"openfn": {"message_id": message_id, "project": "referrals", "trigger": "message"}, "state": {"data": body, "request": request}}


def task_logs(capfd, caplog) -> str:
    """Task log lines: Airflow's structlog writes to the captured stream or to logging, depending on set-up."""
    return "".join(capfd.readouterr()) + caplog.text


def assert_no_secrets(*values) -> None:
    text = json.dumps(values, default=str)
    assert [secret for secret in SECRETS if secret in text] == []


def assert_masked(*secrets: str) -> None:
    """The credential's secrets are registered with Airflow's masker, which redacts them from task logs."""
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    assert redact(" ".join(secrets)) == " ".join(["***"] * len(secrets))


def test_referral_form_registers_an_openmrs_patient_once(dags, servers, db):
    openmrs = servers["openmrs"]
    openmrs.clear()
    run = dags["referrals.register-referral"].test(run_conf=message_conf(referral("case-7f3a"), "msg-ref-1"))
    assert run.state == "success"
    assert db.xcom("referrals.register-referral", run.run_id) == {"data": {"patient_uuid": "new-1", "case_id": "case-7f3a", "created": True}, "references": []}
    search, create = openmrs.received
    assert (search.method, search.path, search.args) == ("GET", "/openmrs/ws/rest/v1/patient", {"identifier": "case-7f3a", "v": "default"})
    assert (create.method, create.path) == ("POST", "/openmrs/ws/rest/v1/patient")
    assert create.json == {
        "identifiers": [{"identifier": "case-7f3a", "identifierType": "8d79403a-c2cc-11de-8d13-0010c6dffd0f", "location": "44c3efb0-2583-4c80-a79e-1f756a03c0a1", "preferred": True}],
        "person": {"names": [{"givenName": "Amina", "familyName": "Odhiambo"}], "gender": "F", "birthdate": "1994-03-02"},
    }
    assert create.headers["authorization"] == basic(OPENMRS_USER, OPENMRS_PASSWORD)
    # The same form again finds the patient instead of registering a duplicate.
    openmrs.clear()
    again = dags["referrals.register-referral"].test(run_conf=message_conf(referral("case-7f3a"), "msg-ref-2"))
    assert db.xcom("referrals.register-referral", again.run_id)["data"] == {"patient_uuid": "new-1", "case_id": "case-7f3a", "created": False}
    assert [r.method for r in openmrs.received] == ["GET"]


def test_refused_referral_fails_and_its_fail_job_alerts_over_http(dags, servers, db, capfd, caplog):
    run = dags["referrals.register-referral"].test(run_conf=message_conf(referral("case-91bc", sex="unknown"), "msg-ref-3"))
    assert run.state == "failed"
    (fail_run,) = [r for r in db.runs("referrals.notify-failure") if r[2]["openfn"]["upstream"]["run_id"] == run.run_id]
    fail_conf = fail_run[2]
    error = fail_conf["state"]["errors"]["register-referral"]
    assert error["type"] == "HttpError"
    assert re.fullmatch(
        r"Job 'register-referral' failed at operation 4 \(fn_if\): HttpError: POST to http://127\.0\.0\.1:\d+/openmrs/ws/rest/v1/patient returned 400: Bad Request; "
        r'response body: \{"error":\{"message":"Invalid Submission",.*\}\} Fix: Correct the request according to the response body\.',
        error["message"],
    )
    alerts = servers["alerts"]
    alerts.clear()
    notified = dags["referrals.notify-failure"].test(run_conf=fail_conf)
    assert notified.state == "success"
    (alert,) = alerts.received
    assert (alert.method, alert.path, alert.headers["authorization"]) == ("POST", "/alerts", f"Bearer {ALERTS_TOKEN}")
    assert alert.json == {"text": "Referral case-91bc was not registered in OpenMRS", "form_id": "uuid:case-91bc-form", "error": error["message"]}
    final = db.xcom("referrals.notify-failure", notified.run_id)
    assert final["data"] == {"accepted": True} and final["response"]["statusCode"] == 202
    logs = task_logs(capfd, caplog)
    assert "POST " in logs and "/alerts - 202 in " in logs
    assert_no_secrets(fail_conf, final, db.xcom("referrals.register-referral", run.run_id, key="failed_state"), logs)
    assert_masked(OPENMRS_PASSWORD, ALERTS_TOKEN)


def test_weekly_dhis2_export_keeps_its_cursor_and_publishes(dags, servers, db, capfd, caplog):
    from airflow.models import Variable

    dhis2, warehouse = servers["dhis2"], servers["warehouse"]
    dhis2.clear(), warehouse.clear()
    Variable.set(STATE_VARIABLE, {"data": {}, "references": [], "lastSync": "2024-01-05T00:00:00.000Z"}, serialize_json=True)
    before = datetime.now(timezone.utc)
    run = dags["dhis2-export.weekly-export"].test()
    assert run.state == "success"
    (request,) = dhis2.received
    assert (request.path, request.args) == ("/api/41/dataValueSets", {"dataSet": "pBOMPrpg1QX", "orgUnit": "DiszpKrYNg8", "children": "true", "lastUpdated": "2024-01-05T00:00:00.000Z"})
    assert request.headers["authorization"] == f"ApiToken {DHIS2_PAT}"
    final = db.xcom("dhis2-export.weekly-export", run.run_id)
    rows = [{"dataElement": "Ix2HsbDMLea", "period": "2024W2", "orgUnit": "DiszpKrYNg8", "total": 3.0},
            {"dataElement": "f7n9E0hX8qk", "period": "2024W2", "orgUnit": "DiszpKrYNg8", "total": 7.0}]  # fmt: skip
    assert final["data"] == {"dataSet": "pBOMPrpg1QX", "since": "2024-01-05T00:00:00.000Z", "rows": rows}
    synced = datetime.strptime(final["lastSync"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= synced <= datetime.now(timezone.utc)
    assert db.variable(STATE_VARIABLE) == final

    (flow_run,) = [r for r in db.runs("dhis2-export.publish-export") if r[2]["openfn"]["upstream"]["run_id"] == run.run_id]
    published = dags["dhis2-export.publish-export"].test(run_conf=flow_run[2])
    assert published.state == "success"
    (ingest,) = warehouse.received
    assert (ingest.method, ingest.path, ingest.json, ingest.headers["x-source"]) == ("POST", "/api/ingest/dhis2", final["data"], "openfn")
    assert ingest.basic_auth == ("openfn", WAREHOUSE_PASSWORD)

    # The next run reads from the saved cursor: nothing changed since, nothing to publish.
    dhis2.clear()
    second = dags["dhis2-export.weekly-export"].test()
    assert dhis2.received[0].args["lastUpdated"] == final["lastSync"]
    assert db.xcom("dhis2-export.weekly-export", second.run_id)["data"]["rows"] == []
    logs = task_logs(capfd, caplog)
    # Logged as language-http 7 logs a request: the URL with its query, the status and the time taken.
    assert re.search(r"GET http://127\.0\.0\.1:\d+/api/41/dataValueSets\?dataSet=pBOMPrpg1QX&\S+ - 200 in \d+ms", logs)
    assert_no_secrets(db.variable(STATE_VARIABLE), flow_run, db.xcom("dhis2-export.publish-export", published.run_id), logs)
    assert_masked(DHIS2_PAT, WAREHOUSE_PASSWORD)

