"""The dhis2 adaptor against a local DHIS2 Web API: versioned paths, auth, tracker, upsert, errors."""

from __future__ import annotations

import pytest

from openfn.adaptors import dhis2
from openfn.adaptors._http_client import HttpError
from openfn.adaptors._openfn_http import CredentialError
from openfn.adaptors.common import data_value
from openfn.errors import OperationArgumentError
from tests.adaptors.fake_apis import DHIS2_PASSWORD, DHIS2_PAT, DHIS2_USER, Dhis2, basic
from tests.adaptors.helpers import exact, run_job
from tests.adaptors.servers import ApiServer


@pytest.fixture(scope="module")
def api():
    with ApiServer(Dhis2()) as server:
        yield server


@pytest.fixture
def state(api):
    api.clear()
    return {"data": {"ou": "DiszpKrYNg8"}, "references": [], "configuration": {"hostUrl": api.url, "username": DHIS2_USER, "password": DHIS2_PASSWORD, "apiVersion": "41"}}


def test_get_uses_the_api_version_and_basic_auth(api, state):
    result = dhis2.get("dataValueSets", {"dataSet": "pBOMPrpg1QX", "orgUnit": data_value("ou"), "lastUpdated": "2024-01-05"})(state)
    (request,) = api.received
    assert (request.method, request.path, request.args) == ("GET", "/api/41/dataValueSets", {"dataSet": "pBOMPrpg1QX", "orgUnit": "DiszpKrYNg8", "lastUpdated": "2024-01-05"})
    assert request.headers["authorization"] == basic(DHIS2_USER, DHIS2_PASSWORD)
    assert [v["period"] for v in result["data"]["dataValues"]] == ["2024W2", "2024W2"]
    assert result["references"] == [{"ou": "DiszpKrYNg8"}]
    assert result["response"]["statusCode"] == 200


def test_personal_access_token_wins_over_the_password(api, state):
    state["configuration"]["pat"] = DHIS2_PAT
    dhis2.get("dataElements")(state)
    assert api.received[0].headers["authorization"] == f"ApiToken {DHIS2_PAT}"


def test_api_version_option_overrides_the_credential(api, state):
    with pytest.raises(HttpError, match=r"^PUT to http://127\.0\.0\.1:\d+/api/40/dataElements/x returned 404: Not Found; "):
        dhis2.update("dataElements", "x", {}, {"api_version": "40", "query": {"mergeMode": "REPLACE"}})(state)
    assert (api.received[0].method, api.received[0].path, api.received[0].args) == ("PUT", "/api/40/dataElements/x", {"mergeMode": "REPLACE"})


def test_create_posts_json_and_keeps_the_response(api, state):
    result = dhis2.create("dataElements", {"name": "Zinc", "code": "DE_9"})(state)
    assert api.received[0].json == {"name": "Zinc", "code": "DE_9"}
    assert result["data"]["response"]["uid"] == "new1"
    assert result["response"]["statusCode"] == 201
    assert result["response"]["headers"]["location"] == "/api/41/dataElements/new1"


def test_tracker_resources_go_through_the_tracker_endpoint(api, state):
    result = dhis2.create("events", {"program": "eBAyeGv0exc", "orgUnit": "DiszpKrYNg8", "status": "COMPLETED"})(state)
    dhis2.destroy("trackedEntities", "", {"trackedEntity": "LcRd6Nyaq7T"})(state)
    create, delete = api.received
    assert (create.method, create.path, create.args) == ("POST", "/api/41/tracker", {"async": "false", "importStrategy": "CREATE"})
    assert create.json == {"events": [{"program": "eBAyeGv0exc", "orgUnit": "DiszpKrYNg8", "status": "COMPLETED"}]}
    assert (delete.args["importStrategy"], delete.json) == ("DELETE", {"trackedEntities": [{"trackedEntity": "LcRd6Nyaq7T"}]})
    assert result["data"]["stats"]["created"] == 1


def test_upsert_updates_the_one_match_and_creates_when_there_is_none(api, state):
    updated = dhis2.upsert("dataElements", {"filter": "code:eq:DE_1"}, {"name": "Paracetamol 500"})(state)
    assert [(r.method, r.path) for r in api.received] == [("GET", "/api/41/dataElements"), ("PUT", "/api/41/dataElements/FTRrcoaog83")]
    assert updated["data"]["response"]["uid"] == "FTRrcoaog83"
    api.clear()
    dhis2.upsert("dataElements", {"filter": "code:eq:DE_NEW"}, {"name": "Iron", "code": "DE_NEW"})(state)
    assert [(r.method, r.path) for r in api.received] == [("GET", "/api/41/dataElements"), ("POST", "/api/41/dataElements")]


def test_upsert_refuses_several_matches(api, state):
    with pytest.raises(dhis2.UpsertConflict, match=exact("upsert() found 3 dataElements matching {} Fix: Make the query match one record only (for example filter on a unique code or id).")):
        dhis2.upsert("dataElements", {}, {"name": "x"})(state)


def test_tracker_import_and_export(api, state):
    imported = dhis2.tracker.import_("CREATE_AND_UPDATE", {"trackedEntities": [{"orgUnit": "DiszpKrYNg8"}]}, {"atomicMode": "ALL"})(state)
    exported = dhis2.tracker.export("events", {"orgUnit": "DiszpKrYNg8", "page": 2, "pageSize": 2})(imported)
    first, second = api.received
    assert (first.path, first.args) == ("/api/41/tracker", {"atomicMode": "ALL", "async": "false", "importStrategy": "CREATE_AND_UPDATE"})
    assert (second.path, second.args) == ("/api/41/tracker/events", {"orgUnit": "DiszpKrYNg8", "page": "2", "pageSize": "2"})
    assert exported["data"]["events"] == [{"event": "ev3", "orgUnit": "DiszpKrYNg8", "status": "COMPLETED"}]
    assert exported["references"][-1]["stats"]["created"] == 1
    assert getattr(dhis2.tracker, "import") is dhis2.tracker.import_


def test_wrong_password_is_an_error_that_never_shows_it(api, state):
    state["configuration"]["password"] = "wrong-password-1"
    with pytest.raises(HttpError) as caught:
        dhis2.get("dataElements")(state)
    assert str(caught.value) == (
        f'GET to {api.url}/api/41/dataElements returned 401: Unauthorized; response body: {{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}}'
        " Fix: Check the username, password or token in the credential (Airflow Connection) and its permissions."
    )


def test_no_api_version_means_the_unversioned_api_and_apiurl_still_works(api, state, caplog):
    state["configuration"] = {"apiUrl": api.url, "pat": DHIS2_PAT}
    with pytest.raises(HttpError):
        dhis2.get("dataElements")(state)
    assert api.received[0].path == "/api/dataElements"
    assert "DEPRECATION: the dhis2 credential uses `apiUrl`; name it `hostUrl`." in caplog.text


def test_missing_credentials_say_which_connection_fields_to_set(api):
    with pytest.raises(CredentialError, match=exact("The dhis2 credential has no `hostUrl` Fix: Set the host (or `hostUrl` in extra) in the job's Airflow Connection (see docs/adaptors.md, 'dhis2').")):
        dhis2.get("dataElements")({"data": {}, "configuration": {}})
    with pytest.raises(CredentialError, match=r"^The dhis2 credential has neither a personal access token \(`pat`\) nor a username and password"):
        dhis2.get("dataElements")({"data": {}, "configuration": {"hostUrl": api.url}})


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: dhis2.create("tracker", {}), "create() cannot post to 'tracker'. Fix: Use tracker.import_() for tracker payloads."),
        (lambda: dhis2.tracker.import_("MERGE", {}), "tracker.import_() got strategy str 'MERGE'. Fix: Use one of: CREATE, UPDATE, CREATE_AND_UPDATE, DELETE."),
        (lambda: dhis2.get(None), "get() needs text for `path`, got None. Fix: Pass for example 'dataValueSets' or 'programs'."),
        (lambda: dhis2.update("dataElements", "x", {}, {"parse_as": "xml"}), "update() got parse_as='xml'. Fix: Use one of: auto, json, text, base64."),
    ],
)
def test_argument_errors_when_built(build, message):
    with pytest.raises(OperationArgumentError, match=exact(message)):
        build()


def test_helpers_build_dhis2_values():
    assert dhis2.attr("w75KJ2mc4zz", "Elias") == {"attribute": "w75KJ2mc4zz", "value": "Elias"}
    assert dhis2.dv("f7n9E0hX8qk", 12) == {"dataElement": "f7n9E0hX8qk", "value": 12}
    entity = {"attributes": [{"displayName": "First Name", "value": "Ann", "attribute": "a1"}]}
    assert (dhis2.find_attribute_value(entity, "first name"), dhis2.find_attribute_value(entity, "age")) == ("Ann", None)


def test_a_whole_job(api, state):
    final = run_job([dhis2.get("dataElements", {"filter": "code:eq:DE_1"}), dhis2.fn(lambda s: {**s, "ids": [e["id"] for e in s["data"]["dataElements"]]})], state)
    assert final["ids"] == ["FTRrcoaog83"]
