"""The fhir adaptor against a local FHIR R4 server: CRUD, search paging through `next` links, bundles."""

from __future__ import annotations

import pytest

from openfn.adaptors import fhir
from openfn.adaptors._fhir_bundle import sort_entries
from openfn.adaptors._http_client import HttpError
from openfn.adaptors.common import data_value
from openfn.errors import OperationArgumentError
from tests.adaptors.fake_apis import FHIR_TOKEN, Fhir
from tests.adaptors.helpers import exact, run_job
from tests.adaptors.servers import ApiServer


@pytest.fixture
def server():
    fake = Fhir()
    with ApiServer(fake) as api:
        api.fake = fake
        yield api


@pytest.fixture
def state(server):
    return {"data": {"family": "Doe"}, "references": [], "configuration": {"baseUrl": server.url, "access_token": FHIR_TOKEN}}


def test_create_read_update_delete(server, state):
    created = fhir.create({"resourceType": "Patient", "name": [{"family": data_value("family")}]})(state)
    assert created["data"] == {"resourceType": "Patient", "name": [{"family": "Doe"}], "id": "6", "meta": {"versionId": "1"}}
    assert created["response"]["statusCode"] == 201
    read = fhir.read("Patient/6")(created)
    updated = fhir.update("Patient/7", {"resourceType": "Patient", "id": "7"})(read)
    deleted = fhir.delete(lambda s: "Patient/6")(updated)
    assert [(r.method, r.path) for r in server.received] == [("POST", "/fhir/Patient"), ("GET", "/fhir/Patient/6"), ("PUT", "/fhir/Patient/7"), ("DELETE", "/fhir/Patient/6")]
    post = server.received[0]
    assert (post.headers["content-type"], post.headers["accept"], post.headers["authorization"]) == ("application/fhir+json", "application/fhir+json", f"Bearer {FHIR_TOKEN}")
    assert updated["response"]["statusCode"] == 201
    assert deleted["data"]["issue"][0]["diagnostics"] == "Successfully deleted 1 resource(s)"
    assert deleted["references"] == [{"family": "Doe"}, created["data"], read["data"], updated["data"]]


def test_search_follows_next_links_and_returns_the_resources(server, state):
    result = fhir.search("Patient", {"count": 2, "lastUpdated": "ge2024-01-01", "query": {"family": "F"}})(state)
    assert [(r.path, r.args) for r in server.received] == [
        ("/fhir/Patient", {"family": "F", "_count": "2", "_lastUpdated": "ge2024-01-01"}),
        ("/fhir", {"_getpages": "abc", "_getpagesoffset": "2", "_count": "2", "_bundletype": "searchset"}),
        ("/fhir", {"_getpages": "abc", "_getpagesoffset": "4", "_count": "2", "_bundletype": "searchset"}),
    ]
    assert [p["id"] for p in result["data"]] == ["1", "2", "3", "4", "5"]
    server.clear()
    assert [p["id"] for p in fhir.search("Patient", {"count": 2, "max": 3})(state)["data"]] == ["1", "2", "3"]
    assert len(server.received) == 2


def test_api_path_and_basic_auth(server):
    config = {"baseUrl": server.url, "apiPath": "baseR4", "username": "u", "password": "p4ssw0rd-x"}
    with pytest.raises(HttpError) as caught:
        fhir.read("Patient/1")({"data": {}, "configuration": config})
    assert server.received[0].path == "/baseR4/Patient/1"
    assert server.received[0].basic_auth == ("u", "p4ssw0rd-x")
    assert caught.value.status_code == 401


def test_missing_resource_is_an_error_with_the_operation_outcome(server, state):
    with pytest.raises(HttpError, match=r'^GET to http://127\.0\.0\.1:\d+/fhir/Patient/99 returned 404: Not Found; response body: \{"resourceType":"OperationOutcome","issue":\[\{"severity":"error","code":"processing","diagnostics":"Resource Patient/99 is not known"\}\]\}'):
        fhir.read("Patient/99")(state)


def test_bundles_are_built_on_state_and_uploaded_sorted(server, state):
    patient = {"resourceType": "Patient", "id": "p1"}
    encounter = {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}}
    final = run_job([fhir.create_bundle({"name": "upload"}), fhir.add_to_bundle([encounter, patient], "upload"), fhir.upload_bundle("upload")], state)
    (sent,) = server.fake.bundles
    assert sent == {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": patient, "request": {"method": "PUT", "url": "Patient/p1"}},
        {"resource": encounter, "request": {"method": "PUT", "url": "Encounter/e1"}},
    ]}
    assert final["upload"]["entry"][0]["resource"] == encounter  # the bundle on state keeps the order it was built in
    assert final["data"]["type"] == "transaction-response"
    assert (server.received[-1].method, server.received[-1].path) == ("POST", "/fhir/")  # language-fhir posts bundles to the base with its slash


def test_sort_keeps_order_without_references_and_puts_cycles_last():
    a = {"resource": {"resourceType": "A", "id": "1", "x": {"reference": "B/1"}}}
    b = {"resource": {"resourceType": "B", "id": "1", "x": {"reference": "A/1"}}}
    c = {"resource": {"resourceType": "C", "id": "1"}}
    assert sort_entries([a, b, c]) == [c, a, b]
    assert sort_entries([c, a]) == [c, a]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: fhir.read("Patient"), "read(): 'Patient' is not a resource reference. Fix: Give the type and the id, like 'Patient/123'."),
        (lambda: fhir.create("Patient"), "create() needs a resource dict, got str 'Patient'. Fix: Pass a resource such as {'resourceType': 'Patient', ...}."),
        (lambda: fhir.search(None), "search() needs text for `resource_type`, got None. Fix: Pass for example 'Patient'."),
    ],
)
def test_argument_errors_when_built(build, message):
    with pytest.raises(OperationArgumentError, match=exact(message)):
        build()


def test_create_without_resource_type_fails_when_run(state):
    with pytest.raises(fhir.FhirError, match=exact("The resource to create has no resourceType Fix: Set resourceType on the resource, e.g. 'Patient'.")):
        fhir.create(lambda s: {"name": []})(state)
