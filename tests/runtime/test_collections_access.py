"""Where a run finds the collections API, and that a token is signed only when a step asks for it."""

from __future__ import annotations

import dataclasses

import pytest

from openfn import settings
from openfn.run_tokens import verify
from openfn.runtime import collections_access


@pytest.mark.parametrize(("execution", "base", "expected"), [
    ("http://airflow-api:8080/execution/", "", "http://airflow-api:8080"),
    ("https://example.org/airflow/execution/", "https://public.example.org", "https://example.org/airflow"),
    ("", "https://public.example.org/", "https://public.example.org"),
    ("", "", "http://localhost:8080"),
])  # fmt: skip
def test_the_api_is_found_beside_the_execution_api(monkeypatch, execution, base, expected):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", execution)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", base)
    assert collections_access.api_base() == expected


def test_the_configured_url_wins(monkeypatch):
    chosen = dataclasses.replace(settings.get_collections_settings(), url="https://collections.example.org")
    monkeypatch.setattr(settings, "get_collections_settings", lambda: chosen)
    assert collections_access.api_base() == "https://collections.example.org"


def test_lazy_access_signs_once_for_this_run_and_project(monkeypatch):
    chosen = dataclasses.replace(settings.get_collections_settings(), secret="configured-secret", url="http://x")
    monkeypatch.setattr(settings, "get_collections_settings", lambda: chosen)
    get = collections_access.lazy_access("clinic", "clinic.referral", "run-1", timeout=60)
    first = get()
    assert first is get()
    claims = verify("configured-secret", first["token"])
    assert (first["endpoint"], claims.project, claims.dag_id, claims.run_id) == ("http://x/openfn/collections", "clinic", "clinic.referral", "run-1")
