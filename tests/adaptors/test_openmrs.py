"""The openmrs adaptor against a local OpenMRS: REST paths, paging through `links`, upsert, FHIR paging."""

from __future__ import annotations

import pytest

from openfn.adaptors import openmrs
from openfn.adaptors._http_client import HttpError
from openfn.adaptors.common import data_value
from openfn.errors import OperationArgumentError
from tests.adaptors.fake_apis import OPENMRS_PASSWORD, OPENMRS_USER, OpenMrs, basic
from tests.adaptors.helpers import exact
from tests.adaptors.servers import ApiServer


@pytest.fixture
def api():
    with ApiServer(OpenMrs()) as server:
        yield server


@pytest.fixture
def state(api):
    api.clear()
    config = {"instanceUrl": f"{api.url}/openmrs", "username": OPENMRS_USER, "password": OPENMRS_PASSWORD}
    return {"data": {"name": "Patient"}, "references": [], "configuration": config}


def test_get_pages_through_next_links_from_the_first_page_size(api, state):
    result = openmrs.get("patient", {"query": data_value("name"), "v": "default"})(state)
    assert [(r.path, r.args) for r in api.received] == [
        ("/openmrs/ws/rest/v1/patient", {"v": "default", "q": "Patient"}),
        ("/openmrs/ws/rest/v1/patient", {"v": "default", "q": "Patient", "startIndex": "2", "limit": "2"}),
        ("/openmrs/ws/rest/v1/patient", {"v": "default", "q": "Patient", "startIndex": "4", "limit": "2"}),
    ]
    assert [p["uuid"] for p in result["data"]] == ["p-1", "p-2", "p-3", "p-4", "p-5"]
    assert api.received[0].headers["authorization"] == basic(OPENMRS_USER, OPENMRS_PASSWORD)
    assert result["references"] == [{"name": "Patient"}]


def test_max_and_limit(api, state):
    assert len(openmrs.get("patient", {"q": "Patient", "max": 3, "page_size": 2})(state)["data"]) == 3
    assert [(r.args["startIndex"] if "startIndex" in r.args else None, r.args["limit"]) for r in api.received] == [(None, "2"), ("2", "1")]
    api.clear()
    assert [p["uuid"] for p in openmrs.get("patient", {"q": "Patient", "limit": 4, "max": 1})(state)["data"]] == ["p-1", "p-2", "p-3", "p-4"]
    assert [r.args for r in api.received] == [{"q": "Patient", "limit": "4"}]


def test_singleton_and_the_patient_and_encounter_operations(api, state):
    assert openmrs.get("patient/p-2", {"singleton": True})(state)["data"] == {"uuid": "p-2", "display": "patient p-2"}
    assert openmrs.get_patient("p-3")(state)["data"]["uuid"] == "p-3"
    assert [p["uuid"] for p in openmrs.search_patient({"q": "Patient 5"})(state)["data"]] == ["p-5"]
    assert openmrs.get_encounter(lambda s: "e-9")(state)["data"] == {"uuid": "e-9", "display": "encounter e-9"}
    assert openmrs.get_encounters({"patient": "p-1"})(state)["data"] == [{"uuid": "e-1", "patient": "p-1"}]
    assert [r.path for r in api.received] == [
        "/openmrs/ws/rest/v1/patient/p-2", "/openmrs/ws/rest/v1/patient/p-3", "/openmrs/ws/rest/v1/patient",
        "/openmrs/ws/rest/v1/encounter/e-9", "/openmrs/ws/rest/v1/encounter",
    ]


def test_create_patient_and_encounter(api, state):
    patient = {"identifiers": [{"identifier": "4023287", "identifierType": "05a29f94", "preferred": True}], "person": {"gender": "F", "names": [{"givenName": "Ann"}]}}
    created = openmrs.create_patient(patient)(state)
    encounter = openmrs.create_encounter({"patient": data_value("uuid"), "encounterType": "dd528487"})(created)
    assert [(r.method, r.path) for r in api.received] == [("POST", "/openmrs/ws/rest/v1/patient"), ("POST", "/openmrs/ws/rest/v1/encounter")]
    assert api.received[1].json == {"patient": created["data"]["uuid"], "encounterType": "dd528487"}
    assert encounter["data"]["patient"] == created["data"]["uuid"]
    assert encounter["references"] == [{"name": "Patient"}, created["data"]]


def test_validation_errors_come_back_with_their_body(api, state):
    with pytest.raises(HttpError) as caught:
        openmrs.create("patient", {"person": {}})(state)
    assert caught.value.status_code == 400
    assert str(caught.value).startswith(f'POST to {api.url}/openmrs/ws/rest/v1/patient returned 400: Bad Request; response body: {{"error":{{"message":"Invalid Submission"')


def test_upsert_updates_by_uuid_or_creates(api, state):
    openmrs.upsert("patient/p-1", {"person": {"age": 50}})(state)
    openmrs.upsert("patient/p-404", {"identifiers": [{"identifier": "1"}]})(state)
    openmrs.upsert("patient", {"person": {"age": 51}}, {"q": "Patient 4"})(state)
    assert [(r.method, r.path) for r in api.received] == [
        ("GET", "/openmrs/ws/rest/v1/patient/p-1"), ("POST", "/openmrs/ws/rest/v1/patient/p-1"),
        ("GET", "/openmrs/ws/rest/v1/patient/p-404"), ("POST", "/openmrs/ws/rest/v1/patient"),
        ("GET", "/openmrs/ws/rest/v1/patient"), ("POST", "/openmrs/ws/rest/v1/patient/p-4"),
    ]


def test_upsert_refuses_several_matches(state):
    with pytest.raises(openmrs.UpsertConflict, match=exact("upsert() found 2 patient records for {'q': 'Patient'} Fix: Make the query match one record only.")):
        openmrs.upsert("patient", {}, {"q": "Patient"})(state)


def test_destroy_sends_purge(api, state):
    with pytest.raises(HttpError, match=r"^DELETE to .*/openmrs/ws/rest/v1/patient/p-1 returned 404"):
        openmrs.destroy("patient/p-1", {"purge": True})(state)
    assert api.received[0].args == {"purge": "true"}


def test_fhir_get_follows_next_links_and_joins_the_entries(api, state):
    result = openmrs.fhir.get("Patient", {"count": 2})(state)
    assert [(r.path, r.args) for r in api.received] == [
        ("/openmrs/ws/fhir2/R4/Patient", {"_count": "2"}),
        ("/openmrs/ws/fhir2/R4/Patient", {"_count": "2", "_getpages": "abc", "_getpagesoffset": "2", "_bundletype": "searchset"}),
        ("/openmrs/ws/fhir2/R4/Patient", {"_count": "2", "_getpages": "abc", "_getpagesoffset": "4", "_bundletype": "searchset"}),
    ]
    bundle = result["data"]
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["p-1", "p-2", "p-3", "p-4", "p-5"]
    assert "link" not in bundle and bundle["total"] == 5


def test_wrong_password_fails_without_showing_it(api, state):
    state["configuration"]["password"] = "not-the-password"
    with pytest.raises(HttpError) as caught:
        openmrs.get_patient("p-1")(state)
    assert caught.value.status_code == 401 and "not-the-password" not in str(caught.value)


def test_argument_errors_when_built():
    with pytest.raises(OperationArgumentError, match=exact("get() needs a dict for `options`, got str 'v=full'. Fix: Pass `options` as a dict such as {'key': 'value'}, or a function of state.")):
        openmrs.get("patient", "v=full")
