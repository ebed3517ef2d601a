"""State-changing requests with the browser's session cookie need the page's CSRF token; requests from
another site or origin are refused before that; Bearer-token clients (scripts) are not affected."""

from __future__ import annotations

import pytest

from openfn.ui.csrf import refusal, token_for

SECRET = b"test-secret"
SESSION = "header.payload.signature"
OWN = {"host": "airflow.test"}


def test_bearer_token_requests_need_no_csrf_token():
    assert refusal({"authorization": "Bearer abc", **OWN}, {"_token": SESSION}, "http", SECRET) is None


@pytest.mark.parametrize("authorization", ["Bearer ", "Bearer", "bearer   ", "Basic abc", "  Bearer abc"])
def test_an_empty_or_other_authorization_header_does_not_skip_the_check(authorization):
    headers = {"authorization": authorization, **OWN}
    assert refusal(headers, {"_token": SESSION}, "http", SECRET) == "The request has no valid X-OpenFn-CSRF header"


def test_cookie_request_without_the_token_is_refused():
    assert refusal(OWN, {"_token": SESSION}, "http", SECRET) == "The request has no valid X-OpenFn-CSRF header"


def test_cookie_request_with_its_session_token_passes():
    headers = {**OWN, "origin": "http://airflow.test", "sec-fetch-site": "same-origin", "x-openfn-csrf": token_for(SESSION, SECRET)}
    assert refusal(headers, {"_token": SESSION}, "http", SECRET) is None


def test_token_of_another_session_is_refused():
    headers = {**OWN, "x-openfn-csrf": token_for("another.session.cookie", SECRET)}
    assert refusal(headers, {"_token": SESSION}, "http", SECRET) == "The request has no valid X-OpenFn-CSRF header"


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_request_the_browser_marks_as_from_another_site_is_refused(site):
    headers = {**OWN, "sec-fetch-site": site, "x-openfn-csrf": token_for(SESSION, SECRET)}
    assert refusal(headers, {"_token": SESSION}, "http", SECRET) == "The request comes from another site"


def test_request_from_another_origin_is_refused():
    headers = {**OWN, "origin": "https://evil.example", "x-openfn-csrf": token_for(SESSION, SECRET)}
    assert refusal(headers, {"_token": SESSION}, "http", SECRET) == "The request comes from another origin (https://evil.example)"


def test_request_without_any_credentials_is_left_to_the_login_check():
    assert refusal(OWN, {}, "http", SECRET) is None


# --- through the app: the management API's POST routes are guarded too ----------------------------------
def _message(ui) -> str:
    return ui.send({"formID": "patient_registration_v7", "name": "jack", "dob": "1986-05-16"})["meta"]["message_id"]


def test_rerun_with_the_session_cookie_alone_is_refused(ui):
    ui.log_in_browser()
    message_id = _message(ui)
    reply = ui.http.post(f"/openfn/api/messages/{message_id}/runs", json={"job": "share-record"})
    assert (reply.status_code, reply.json()) == (403, {
        "error": "csrf",
        "message": "The request has no valid X-OpenFn-CSRF header; reload the OpenFn page and retry, "
        "or call the API with a Bearer token from POST /auth/token.",
    })


def test_rerun_with_the_session_cookie_and_the_page_token_is_accepted(ui):
    ui.log_in_browser()
    message_id = _message(ui)
    token = ui.http.get("/openfn/ui/api/session").json()["csrf_token"]
    reply = ui.http.post(
        f"/openfn/api/messages/{message_id}/runs", json={"job": "share-record"},
        headers={"X-OpenFn-CSRF": token, "Origin": "http://airflow.test", "Sec-Fetch-Site": "same-origin"},
    )  # fmt: skip
    assert reply.status_code == 201, reply.text
    assert reply.json()["job"] == "share-record"


def test_rerun_with_the_session_cookie_and_an_empty_bearer_header_is_refused(ui):
    ui.log_in_browser()
    message_id = _message(ui)
    reply = ui.http.post(f"/openfn/api/messages/{message_id}/runs", json={"job": "share-record"}, headers={"Authorization": "Bearer "})
    assert (reply.status_code, reply.json()["error"]) == (403, "csrf")


def test_forged_form_post_from_another_site_is_refused_even_with_a_stolen_token(ui):
    ui.log_in_browser()
    token = ui.http.get("/openfn/ui/api/session").json()["csrf_token"]
    reply = ui.http.post(
        "/openfn/api/projects/demo/reprocess", json={"ids": ["x"]},
        headers={"X-OpenFn-CSRF": token, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    assert (reply.status_code, reply.json()["error"]) == (403, "csrf")


def test_scripts_with_a_bearer_token_post_as_before(ui):
    message_id = _message(ui)
    reply = ui.http.post(f"/openfn/api/messages/{message_id}/runs", json={"job": "share-record"}, headers=ui.bearer())
    assert reply.status_code == 201, reply.text
