"""Secrets out of logs and stores: the inbox token never stays in the request path that the api-server
logs, and the header policy drops every header whose name looks like a credential."""

from __future__ import annotations

import pytest

from openfn.inbox.redaction import HideInboxTokens, hide_token
from openfn.inbox.senders import HeaderPolicy


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
