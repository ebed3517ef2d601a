"""Inbox URLs name the address senders use: the configured one, else the one the request came through."""

from __future__ import annotations

import pytest

from openfn.inbox import urls
from openfn.settings import get_settings


@pytest.fixture
def configured(monkeypatch):
    def configure(inbox_base_url: str = "", base_url: str = ""):
        monkeypatch.setenv("AIRFLOW__OPENFN__INBOX_BASE_URL", inbox_base_url)
        monkeypatch.setenv("AIRFLOW__API__BASE_URL", base_url)
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


def test_inbox_base_url_wins_over_airflows_base_url(configured):
    configured(inbox_base_url="https://inbox.example.org/", base_url="http://balancer:8080")
    assert urls.inbox_url("tok", {"host": "api-server-2:8080"}, "http") == "https://inbox.example.org/openfn/inbox/tok"


def test_every_api_server_hands_out_the_balancers_base_url(configured):
    configured(base_url="http://balancer:8080")
    for host in ("api-server-1:8080", "api-server-2:8080"):
        assert urls.inbox_url("tok", {"host": host}, "http") == "http://balancer:8080/openfn/inbox/tok"


def test_without_settings_the_address_the_balancer_forwarded(configured):
    configured()
    headers = {"host": "api-server-2:8080", "x-forwarded-host": "inbox.example.org", "x-forwarded-proto": "https"}
    assert urls.inbox_url("tok", headers, "http") == "https://inbox.example.org/openfn/inbox/tok"


def test_without_settings_or_a_balancer_the_host_the_client_named(configured):
    configured()
    assert urls.inbox_url("tok", {"host": "127.0.0.1:8081"}, "http") == "http://127.0.0.1:8081/openfn/inbox/tok"
