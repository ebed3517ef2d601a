"""Airflow Connection -> state["configuration"]: each adaptor's OpenFn names, extra winning, secrets masked."""

from __future__ import annotations

import json

import pytest

from openfn.runtime.credentials import base_url, configuration, secret_values

SECRET = "pw-0f1e2d3c4b"


@pytest.fixture
def connection(monkeypatch):
    def make(conn_id: str, **fields) -> str:
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
        return conn_id

    return make


@pytest.mark.parametrize(
    ("adaptor", "derived"),
    [
        ("http", {"baseUrl": "https://openmrs.example.org:8443"}),
        ("fhir", {"baseUrl": "https://openmrs.example.org:8443"}),
        ("dhis2", {"hostUrl": "https://openmrs.example.org:8443"}),
        ("commcare", {"hostUrl": "https://openmrs.example.org:8443"}),
        ("openmrs", {"instanceUrl": "https://openmrs.example.org:8443"}),
        ("postgresql", {"user": "admin", "database": "https", "conn_id": "openfn_test_cred"}),
        ("common", {}),
    ],
)
def test_each_adaptor_gets_its_openfn_names(connection, adaptor, derived):
    conn_id = connection("openfn_test_cred", conn_type="http", host="openmrs.example.org", schema="https", port=8443, login="admin", password=SECRET, extra={"apiVersion": "41"})
    base = {"host": "openmrs.example.org", "login": "admin", "username": "admin", "password": SECRET, "schema": "https", "port": 8443}
    assert configuration(conn_id, adaptor) == {**base, **derived, "apiVersion": "41"}


def test_extra_wins_over_what_is_derived(connection):
    conn_id = connection("openfn_test_cred2", conn_type="http", host="https://a.example.org", extra={"hostUrl": "https://b.example.org/dhis", "pat": "d2pat_x"})
    assert configuration(conn_id, "dhis2") == {"host": "https://a.example.org", "hostUrl": "https://b.example.org/dhis", "pat": "d2pat_x"}


@pytest.mark.parametrize(
    ("host", "schema", "port", "url"),
    [
        ("https://dhis2.example.org/", None, None, "https://dhis2.example.org"),
        ("http://127.0.0.1/openmrs", None, 8080, "http://127.0.0.1:8080/openmrs"),
        ("http://127.0.0.1:9000/x", None, 8080, "http://127.0.0.1:9000/x"),
        ("hq.example.org", "http", None, "http://hq.example.org"),
        ("hq.example.org", "mydb", 443, "https://hq.example.org:443"),
    ],
)
def test_base_url_is_built_like_airflows_http_hook(host, schema, port, url):
    assert base_url(host, schema, port) == url


def test_every_secret_is_registered_with_the_masker(connection):
    from airflow.sdk._shared.secrets_masker.secrets_masker import redact

    conn_id = connection("openfn_test_cred3", conn_type="http", host="h.example.org", login="u", password=SECRET,
                         extra={"apiKey": "cc-key-998877", "pat": "d2pat_55443322", "access_token": "bearer-7766", "authorization": "Custom zz-1122"})
    config = configuration(conn_id, "commcare")
    assert redact(f"{SECRET} cc-key-998877 d2pat_55443322 bearer-7766 Custom zz-1122") == "*** *** *** *** ***"
    assert secret_values(config) == ["Custom zz-1122", "d2pat_55443322", "cc-key-998877", SECRET, "bearer-7766"]
