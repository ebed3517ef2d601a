"""The http adaptor against a local API: URLs, auth, bodies, the OpenFn result shape, errors, the client."""

from __future__ import annotations

import base64

import pytest

from openfn.adaptors import http
from openfn.adaptors._http_client import HttpConnectionError, HttpError
from openfn.adaptors._http_args import UrlError
from openfn.adaptors.common import data_value
from openfn.errors import OperationArgumentError
from openfn.runtime.operations import run_operations
from openfn.runtime.resources import run_scope
from tests.adaptors.helpers import exact
from tests.adaptors.servers import Answer, ApiServer, json_answer

PASSWORD = "pw-4f9a7c1e"
TOKEN = "tok-81b2c3d4e5"


def route(request):
    if request.path == "/api/patients" and request.method == "POST":
        return json_answer({"id": 7, **request.json}, 201, Location="/api/patients/7", **{"Set-Cookie": "JSESSIONID=s3ss10n"})
    if request.path == "/api/patients" and request.method == "GET":
        return json_answer({"results": [{"id": 7}], "query": request.args})
    if request.path == "/api/text":
        return Answer(200, "plain words")
    if request.path == "/api/empty":
        return Answer(204)
    if request.path == "/api/broken":
        return json_answer({"error": "validation failed", "echo": f"password={PASSWORD}"}, 422)
    if request.path == "/api/boom":
        return Answer(500, "x" * 800)
    if request.path == "/api/slow":
        import time

        time.sleep(0.5)
        return json_answer({})
    if request.path == "/api/moved":
        return Answer(302, None, {"Location": "/api/text"})
    return json_answer({"method": request.method, "path": request.path, "query": request.args})


@pytest.fixture(scope="module")
def api():
    with ApiServer(route) as server:
        yield server


@pytest.fixture
def state(api):
    api.clear()
    return {"data": {"name": "Ann"}, "references": [], "configuration": {"baseUrl": f"{api.url}/api", "username": "clerk", "password": PASSWORD}}


def test_post_composes_the_openfn_result_and_sends_json_with_basic_auth(api, state):
    result = http.post("/patients", body={"name": data_value("name")})(state)
    (request,) = api.received
    assert (request.method, request.path, request.json) == ("POST", "/api/patients", {"name": "Ann"})
    assert request.basic_auth == ("clerk", PASSWORD)
    assert request.headers["content-type"] == "application/json"
    assert result["data"] == {"id": 7, "name": "Ann"}
    assert result["references"] == [{"name": "Ann"}]
    response = result["response"]
    assert {k: response[k] for k in ("url", "method", "statusCode", "statusMessage")} == {
        "url": f"{api.url}/api/patients", "method": "POST", "statusCode": 201, "statusMessage": "Created",
    }
    assert response["headers"]["location"] == "/api/patients/7"
    assert "set-cookie" not in response["headers"]  # a session must not be saved in state
    assert isinstance(response["duration"], int)
    assert result["configuration"] == state["configuration"]


def test_get_merges_query_with_the_url_query_which_wins(api, state):
    result = http.get("/patients?page=2", query={"page": 1, "district": "Kisumu", "active": True, "skip": None})(state)
    # As Node's querystring: None is sent as an empty value; response.query keeps the values as given.
    assert api.received[0].query == {"page": ["2"], "district": ["Kisumu"], "active": ["true"], "skip": [""]}
    assert result["response"]["query"] == {"page": "2", "district": "Kisumu", "active": True, "skip": None}


def test_bearer_token_replaces_basic_auth_and_the_jobs_own_header_wins(api, state):
    state["configuration"]["access_token"] = TOKEN
    http.get("/x")(state)
    http.get("/x", headers={"Authorization": "Custom abc"})(state)
    assert [r.headers["authorization"] for r in api.received] == [f"Bearer {TOKEN}", "Custom abc"]


def test_absolute_url_without_credential_sends_no_auth(api):
    result = http.get(f"{api.url}/open/thing")({"data": {}, "references": []})
    assert "authorization" not in api.received[-1].headers
    assert result["data"] == {"method": "GET", "path": "/open/thing", "query": {}}


def test_absolute_url_on_another_origin_than_base_url_is_refused(state):
    with pytest.raises(UrlError, match=r"^The request goes to https://elsewhere\.example but the credential's baseUrl is on http://127\.0\.0\.1:\d+ Fix: "):
        http.get("https://elsewhere.example/x")(state)


def test_relative_path_without_base_url_says_how_to_fix():
    with pytest.raises(UrlError, match=exact("The path '/x' is relative but there is no `baseUrl` in the credential Fix: Set baseUrl in the Airflow Connection (its host, or `baseUrl` in extra), or use an absolute URL such as https://example.org/x.")):
        http.get("/x")({"data": {}, "references": []})


@pytest.mark.parametrize(
    ("content_type", "expected_type", "expected_body"),
    [
        ("json", "application/json", b'{"a":1,"b":{"c":[1,2]}}'),
        ("urlencoded", "application/x-www-form-urlencoded", b"a=1&b=%7B%22c%22%3A%5B1%2C2%5D%7D"),
    ],
)
def test_request_bodies(api, state, content_type, expected_type, expected_body):
    http.put("/things/1", body={"a": 1, "b": {"c": [1, 2]}, "skip": None} if content_type != "json" else {"a": 1, "b": {"c": [1, 2]}}, content_type=content_type)(state)
    request = api.received[-1]
    assert (request.method, request.headers["content-type"], request.body) == ("PUT", expected_type, expected_body)


def test_form_body_is_multipart_like_openfns_formdata(api, state):
    http.post("/upload", body={"name": "Ann", "tags": ["a"], "none": None}, content_type="form")(state)
    request = api.received[-1]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="name"\r\n\r\nAnn\r\n' in request.body and b'name="tags"\r\n\r\n["a"]\r\n' in request.body
    assert b'name="none"' not in request.body


def test_text_and_string_bodies_and_parse_as(api, state):
    result = http.patch("/text", body="<x/>", content_type="xml")(state)
    assert (api.received[-1].headers["content-type"], api.received[-1].body, result["data"]) == ("application/xml", b"<x/>", "plain words")
    encoded = http.get("/text", parse_as="base64")(state)["data"]
    assert base64.b64decode(encoded) == b"plain words"
    assert http.delete("/empty")(state)["data"] is None


def test_error_status_carries_status_method_url_and_a_scrubbed_body_excerpt(api, state):
    with pytest.raises(HttpError) as caught:
        http.post("/broken", body={})(state)
    error = caught.value
    assert (error.status_code, error.method, error.url) == (422, "POST", f"{api.url}/api/broken")
    assert str(error) == (
        f'POST to {api.url}/api/broken returned 422: Unprocessable Entity; response body: {{"error":"validation failed","echo":"password=***"}}'
        " Fix: Correct the request according to the response body."
    )
    assert PASSWORD not in str(error)


def test_long_error_bodies_are_cut(api, state):
    with pytest.raises(HttpError) as caught:
        http.get("/boom")(state)
    assert caught.value.body == "x" * 500 + "..."


@pytest.mark.parametrize(
    ("errors", "outcome"),
    [
        ({422: False}, 422),
        (False, 422),
        ({"422": False}, 422),
        ({422: "The form is invalid"}, "The form is invalid; response body: "),
        ({422: lambda response: f"custom {response.status_code}"}, "custom 422; response body: "),
    ],
)
def test_the_errors_option(api, state, errors, outcome):
    if isinstance(outcome, int):
        assert http.post("/broken", body={}, errors=errors)(state)["response"]["statusCode"] == outcome
        return
    with pytest.raises(HttpError, match=f"^{outcome}"):
        http.post("/broken", body={}, errors=errors)(state)


def test_errors_option_can_make_a_success_status_an_error(api, state):
    with pytest.raises(HttpError, match=r"^GET to .*/api/text returned 200: OK; response body: plain words"):
        http.get("/text", errors={200: True})(state)


def test_redirects_are_followed_unless_told_not_to(api, state):
    assert http.get("/moved")(state)["data"] == "plain words"
    assert http.get("/moved", follow_redirects=False)(state)["response"]["statusCode"] == 302


def test_timeout_in_milliseconds(api, state):
    with pytest.raises(HttpConnectionError, match=r"^GET to http://127\.0\.0\.1:\d+/api/slow timed out after 0\.1 s Fix: "):
        http.get("/slow", timeout=100)(state)


def test_unreachable_server():
    state = {"data": {}, "references": [], "configuration": {"baseUrl": "http://127.0.0.1:9", "password": PASSWORD}}
    with pytest.raises(HttpConnectionError, match=r"^GET to http://127\.0\.0\.1:9/x failed: ConnectError: "):
        http.get("/x")(state)


def test_secret_query_values_never_show_in_urls_or_state(api, state):
    result = http.get("/x", query={"api_key": "k-123456", "pw": lambda s: s["configuration"]["password"], "page": 2})(state)
    assert api.received[-1].args == {"api_key": "k-123456", "pw": PASSWORD, "page": "2"}
    assert (result["response"]["url"], result["response"]["query"]) == (f"{api.url}/api/x", {"api_key": "***", "pw": "***", "page": 2})
    from openfn.adaptors._http_client import shown_url

    assert shown_url("https://user:pw@h.example/p?api_key=k&page=2") == "https://h.example/p?api_key=***&page=2"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: http.get(12), "get() needs text for `path`, got int 12. Fix: Pass for example '/patients' or 'https://example.org/api/patients'."),
        (lambda: http.request("GET /x", "/x"), "request() needs an HTTP method for `method`, got str 'GET /x'. Fix: Use for example one of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS."),
        (lambda: http.post("/x", content_type="yaml"), "post() got content_type='yaml'. Fix: Use one of: json, xml, string, form, urlencoded."),
        (lambda: http.get("/x", parse_as="xml"), "get() got parse_as='xml'. Fix: Use one of: auto, json, text, base64."),
        (lambda: http.get("/x", timeout=0), "get() needs a positive number of milliseconds for `timeout`, got int 0. Fix: Pass for example timeout=30_000 for 30 seconds."),
        (lambda: http.get("/x", query=[1]), "get() needs a dict for `query`, got list [1]. Fix: Pass `query` as a dict such as {'key': 'value'}, or a function of state."),
        (lambda: http.get("/x", errors="no"), "get() needs a dict or False for `errors`, got str 'no'. Fix: Pass for example errors={404: False} to accept a 404, or errors=False to accept every status."),
    ],
)
def test_argument_errors_are_raised_when_the_job_is_built(build, message):
    with pytest.raises(OperationArgumentError, match=exact(message)):
        build()


def test_one_client_per_run_closed_when_the_run_ends(api, state, monkeypatch):
    import httpx

    made = []

    class Counting(httpx.Client):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(httpx, "Client", Counting)
    final = run_operations("job", [http.get("/a"), http.get("/b"), http.post("/patients", body={"name": "B"})], state)
    assert final["data"] == {"id": 7, "name": "B"}
    assert len(made) == 1 and made[0].is_closed
    # A failing run closes it too.
    with pytest.raises(HttpError), run_scope():
        http.get("/broken")(state)
    assert len(made) == 2 and made[1].is_closed


def test_operations_are_named_for_failure_messages():
    assert [http.get("/x").__name__, http.del_("/x").__name__, http.request("GET", "/x").__name__] == ["get", "delete", "request"]


def test_each_response_is_logged_with_its_whole_query_as_language_common_writes_it(api, state, caplog):
    with caplog.at_level("INFO", logger="openfn.job"):
        http.get("/patients?page=2", query={"q": "a b&c", "ids": [1, 2], "api_key": "k-1"})(state)
    (line,) = caplog.messages
    assert line.startswith(f"GET {api.url}/api/patients?page=2?q=a+b%26c&ids=1%2C2&api_key=***&page=2 - 200 in ")


def test_a_failed_response_is_logged_at_error_with_its_body(api, state, caplog):
    with caplog.at_level("INFO", logger="openfn.job"), pytest.raises(HttpError):
        http.get("/broken")(state)
    assert [record.levelname for record in caplog.records] == ["ERROR", "ERROR", "ERROR"]
    assert caplog.messages[1:] == ["response body: ", '{\n  "error": "validation failed",\n  "echo": "password=***"\n}']


@pytest.mark.parametrize("body", [0, False, "", None])
def test_a_falsy_body_sends_nothing(api, state, body):
    http.post("/visits", body=body)(state)
    assert api.received[0].body == b""


@pytest.mark.parametrize("body", [5, 1.5, True])
def test_a_number_or_true_as_body_fails_the_run_as_in_language_common(state, body):
    with pytest.raises(TypeError, match=r"^Unsupported body type: "):
        http.post("/patients", body=body)(state)


def test_header_values_are_written_as_javascript_writes_them_and_none_is_left_out(api, state):
    http.get("/patients", headers={"X-Flag": True, "X-Count": 2.0, "X-Gone": None})(state)
    headers = api.received[0].headers
    assert (headers["x-flag"], headers["x-count"], "x-gone" in headers) == ("true", "2", False)


def test_any_method_name_is_sent_as_written(api, state):
    result = http.request("purge", "/patients")(state)
    assert (api.received[0].method, result["response"]["method"]) == ("purge", "purge")


def test_a_303_redirect_is_followed_by_a_get_without_body_or_content_type(state):
    def see_other(request):
        if request.path == "/api/form":
            return Answer(303, None, {"Location": "/api/done"})
        return json_answer({"method": request.method, "type": request.headers.get("content-type")})

    with ApiServer(see_other) as server:
        result = http.post("/form", body={"a": 1})({**state, "configuration": {"baseUrl": f"{server.url}/api"}})
    assert result["data"] == {"method": "GET", "type": None}
