"""Secrets out of logs and stores: the inbox token never stays in the request path that the api-server
logs, and the header policy drops every header whose name looks like a credential."""

from __future__ import annotations

import pytest

from openfn.inbox.intake.redaction import HideInboxTokens, hide_token
from openfn.inbox.intake.senders import HeaderPolicy


@pytest.mark.parametrize(
    ("path", "raw", "hidden"),
    [
        ("/openfn/inbox/s3cr3t", b"/openfn/inbox/s3cr3t", "/openfn/inbox/***"),
        ("/openfn/inbox/a%2Fb", b"/openfn/inbox/a%2Fb", "/openfn/inbox/***"),
        ("/openfn/api/messages", b"/openfn/api/messages", "/openfn/api/messages"),
        ("/openfn/inbox/", b"/openfn/inbox/", "/openfn/inbox/"),
    ],
)
def test_hide_token_replaces_the_token_segment(path, raw, hidden):
    scope = {"type": "http", "root_path": "/openfn", "path": path, "raw_path": raw}
    hide_token(scope)
    assert (scope["path"], scope["raw_path"]) == (hidden, hidden.encode())


def test_middleware_hides_the_token_even_when_the_app_fails():
    import asyncio

    async def failing(scope, receive, send):
        raise RuntimeError("boom")

    scope = {"type": "http", "root_path": "/openfn", "path": "/openfn/inbox/s3cr3t", "raw_path": b"/openfn/inbox/s3cr3t"}
    with pytest.raises(RuntimeError, match="^boom$"):
        asyncio.run(HideInboxTokens(failing)(scope, None, None))
    assert scope["path"] == "/openfn/inbox/***"


def test_in_process_request_path_is_hidden_after_the_reply(inbox):
    from fastapi.testclient import TestClient

    seen = []
    app = inbox.http.app

    async def access_log(scope, receive, send):  # where Airflow's access log middleware sits
        await app(scope, receive, send)
        if scope["type"] == "http":
            seen.append((scope["method"], scope["path"]))

    client = TestClient(access_log, raise_server_exceptions=False)
    token = inbox.token("forms")
    assert client.post(f"/openfn/inbox/{token}", json={"formID": "x"}).status_code == 202
    assert client.get(f"/openfn/inbox/{token}").status_code == 200
    assert client.put(f"/openfn/inbox/{token}", json={}).status_code == 405
    assert client.post("/openfn/inbox/wrong-token", json={}).status_code == 404
    assert seen == [("POST", "/openfn/inbox/***"), ("GET", "/openfn/inbox/***"), ("PUT", "/openfn/inbox/***"), ("POST", "/openfn/inbox/***")]


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("authorization", False), ("proxy-authorization", False), ("x-api-key", False), ("cookie", False),
        ("x-hub-signature-256", False), ("x-gitlab-token", False), ("x-client-secret", False), ("x-auth-user", False),
        ("x-password", False), ("x-session-id", False), ("api-key", False), ("webhook-signature", False),
        ("idempotency-key", True), ("content-type", True), ("user-agent", True), ("x-forwarded-for", True),
        ("webhook-id", True), ("x-commcare-form-id", True),
    ],
)  # fmt: skip
def test_default_policy_drops_credential_looking_headers(name, kept):
    assert HeaderPolicy().keeps(name) is kept


def test_policy_is_configurable_but_never_keeps_the_four_credential_headers():
    policy = HeaderPolicy(drop=["x-internal-*"], keep=["authorization", "x-internal-trace"])
    assert [policy.keeps(n) for n in ("x-internal-user", "x-internal-trace", "x-api-token", "authorization")] == [False, True, True, False]
    assert HeaderPolicy(drop=[]).storable([("X-Token", "t"), ("Cookie", "c"), ("A", "1"), ("a", "2")]) == {"x-token": "t", "a": "1, 2"}


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("secret", "it has 6 characters, at most 28 bits where 128 are needed"),
        ("0123456789012345678901234567890123456789", None),
        ("1234567890123456789012345678901234567", "it has 37 characters, at most 123 bits where 128 are needed"),
        ("a" * 40, "it uses only 1 different characters"),
        ("9q3T" + "x" * 40, "it uses only 5 different characters"),
    ],
)
def test_weak_tokens_are_named(token, why):
    from openfn.inbox.store.tokens import weakness

    assert weakness(token) == why


def test_generated_tokens_are_strong():
    import secrets

    from openfn.inbox.store.tokens import TOKEN_BYTES, weakness

    assert {weakness(secrets.token_urlsafe(TOKEN_BYTES)) for _ in range(200)} == {None}


def test_a_weak_operator_token_is_logged_once_and_shown_to_editors(inbox, caplog, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_OPENFN_INBOX_TOKEN_FORMS", "forms-token-1")
    inbox.runtime.tokens._loaded = 0.0  # read the Variables again now
    with caplog.at_level("WARNING", logger="openfn.inbox"):
        assert inbox.http.post("/openfn/inbox/forms-token-1", json={"formID": "x"}).status_code == 202
        inbox.runtime.tokens._loaded = 0.0
        assert inbox.http.post("/openfn/inbox/forms-token-1", json={"formID": "x"}).status_code == 202
    warnings = [r.getMessage() for r in caplog.records if "easy to guess" in r.getMessage()]
    assert warnings == [
        "The inbox token of project forms (Airflow Variable openfn_inbox_token_forms) is easy to guess: it has 13 "
        "characters, at most 79 bits where 128 are needed. Anyone who guesses it can post messages. Set it to at least "
        "22 random URL-safe characters (python -c 'import secrets; print(secrets.token_urlsafe(24))'), or delete the "
        "Variable to have one generated."
    ]
    forms = next(p for p in inbox.api("GET", "/projects").json()["projects"] if p["name"] == "forms")
    assert forms["token_warning"] == "This inbox URL's token is easy to guess: it has 13 characters, at most 79 bits where 128 are needed."
