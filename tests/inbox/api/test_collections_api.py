"""Lightning's collections API served by the plugin, on SQLite and PostgreSQL: the routes, JSON shapes, key
patterns, date filters, cursor paging, limits and error answers @openfn/language-collections relies on,
and a token that reaches only its own project's collections, only while its run lasts."""

from __future__ import annotations

import json

import pytest

from openfn.inbox.store import collections as store
from tests.inbox.api.collections_support import Collections, clear_collections, end_run, start_run, token_for


@pytest.fixture
def api(any_inbox):
    database = any_inbox.runtime.database
    clear_collections(database)
    store.ensure(database, "clinic", ["patients", "empty"])
    store.ensure(database, "forms", ["patients", "forms-only"])
    dag_id, run_id = start_run(any_inbox)
    client = Collections(any_inbox, token_for("clinic", dag_id, run_id))
    client.inbox, client.run_id, client.dag_id = any_inbox, run_id, dag_id
    return client


def test_set_then_get_one_key_returns_the_stored_text(api):
    reply = api.set("patients", {"p-1": json.dumps({"name": "Ann"}), "p-2": "[1,2]"})
    assert (reply.status_code, reply.json()) == (200, {"upserted": 2, "error": None})
    item = api.request("GET", "patients/p-1").json()
    assert (item["key"], item["value"]) == ("p-1", '{"name": "Ann"}')
    assert item["created"] == item["updated"] and len(item["created"]) == 27 and item["created"].endswith("Z")


def test_a_missing_key_is_204_with_no_body(api):
    reply = api.request("GET", "patients/nobody")
    assert (reply.status_code, reply.content) == (204, b"")


def test_setting_a_key_again_replaces_its_value_and_keeps_its_creation_time(api):
    api.set("patients", {"p-1": '"first"'})
    created = api.request("GET", "patients/p-1").json()["created"]
    assert api.set("patients", {"p-1": '"second"'}).json() == {"upserted": 1, "error": None}
    item = api.request("GET", "patients/p-1").json()
    assert (item["value"], item["created"]) == ('"second"', created) and item["updated"] >= created


def test_put_one_item_by_path(api):
    assert api.request("PUT", "patients/p-9", json={"value": '{"a":1}'}).json() == {"upserted": 1, "error": None}
    assert api.request("GET", "patients/p-9").json()["value"] == '{"a":1}'


def test_key_patterns_match_star_as_any_text_and_nothing_else_as_special(api):
    api.set("patients", {"2024-01-a": "1", "2024-02-b": "2", "2025-01-c": "3", "2024_x": "4", "2024%y": "5", "2024-01-A": "6"})

    def keys(pattern):
        body = api.request("GET", "patients", params={"key": pattern}).json()
        return [item["key"] for item in body["items"]]

    assert keys("2024-*") == ["2024-01-a", "2024-02-b", "2024-01-A"]
    assert keys("*-01-*") == ["2024-01-a", "2025-01-c", "2024-01-A"]
    assert keys("2024_*") == ["2024_x"]
    assert keys("2024%*") == ["2024%y"]
    assert keys("*a") == ["2024-01-a"]  # case-sensitive on both databases
    assert keys("2024-01-a") == ["2024-01-a"]
    assert len(keys("*")) == 6


def test_cursor_pages_through_every_item_once_in_insertion_order(api):
    api.set("patients", {f"k{i:03}": str(i) for i in range(25)})
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = api.request("GET", "patients", params=params).json()
        seen += [item["key"] for item in body["items"]]
        cursor, pages = body["cursor"], pages + 1
        if cursor is None:
            break
    assert (seen, pages) == ([f"k{i:03}" for i in range(25)], 3)


def test_a_page_that_ends_exactly_at_the_last_item_has_no_cursor(api):
    api.set("patients", {f"k{i}": "1" for i in range(4)})
    body = api.request("GET", "patients", params={"limit": 4}).json()
    assert (len(body["items"]), body["cursor"]) == (4, None)


def test_default_limit_applies_when_none_is_given(api, monkeypatch):
    import dataclasses

    import openfn.inbox.api.collections as routes
    from openfn.settings import get_collections_settings

    small = dataclasses.replace(get_collections_settings(), default_limit=3, page_rows=2)
    monkeypatch.setattr(routes, "get_collections_settings", lambda: small)
    api.set("patients", {f"k{i}": "1" for i in range(7)})
    body = api.request("GET", "patients").json()
    assert ([item["key"] for item in body["items"]], body["cursor"] is not None) == (["k0", "k1", "k2"], True)
    rest = api.request("GET", "patients", params={"cursor": body["cursor"], "limit": 100}).json()
    assert ([item["key"] for item in rest["items"]], rest["cursor"]) == (["k3", "k4", "k5", "k6"], None)


def test_date_filters_select_by_creation_and_update_time(api):
    database = api.inbox.runtime.database
    api.set("patients", {"old": "1", "new": "2"})
    collection = store.find(database, "clinic", "patients")
    with database.write() as connection:
        from openfn.inbox.store.schema import collection_items as items

        connection.execute(items.update().where(items.c.key == "old").values(created_at="2020-01-01T00:00:00.000000Z", updated_at="2020-01-02T00:00:00.000000Z"))

    def keys(**params):
        reply = api.request("GET", "patients", params=params)
        assert reply.status_code == 200, reply.text
        return [item["key"] for item in reply.json()["items"]]

    assert keys(created_before="2021-01-01T00:00:00Z") == ["old"]
    assert keys(created_after="2021-01-01") == ["new"]
    assert keys(updatedAfter="2020-01-02T00:00:00+00:00") == ["old", "new"]
    assert keys(updated_before="2020-01-02T00:00:00Z") == []
    assert collection is not None


def test_delete_one_key_and_by_pattern(api):
    api.set("patients", {"a-1": "1", "a-2": "2", "b-1": "3"})
    assert api.request("DELETE", "patients/a-1").json() == {"key": "a-1", "deleted": 1, "error": None}
    assert api.request("DELETE", "patients/a-1").json() == {"key": "a-1", "deleted": 0, "error": "Item Not Found"}
    assert api.request("DELETE", "patients", params={"key": "a-*"}).json() == {"key": "a-*", "deleted": 1, "error": None}
    assert [i["key"] for i in api.request("GET", "patients").json()["items"]] == ["b-1"]
    assert api.request("DELETE", "patients").json() == {"key": None, "deleted": 1, "error": None}


def test_another_projects_collection_is_not_found_and_untouched(api):
    database = api.inbox.runtime.database
    forms = store.find(database, "forms", "forms-only")
    store.put_items(database, forms, [("secret", '"forms data"')])
    for method, path in (("GET", "forms-only"), ("GET", "forms-only/secret"), ("DELETE", "forms-only"), ("DELETE", "forms-only/secret")):
        reply = api.request(method, path)
        assert (reply.status_code, reply.json()["error"]) == (404, "collection_not_found"), (method, path)
    assert api.set("forms-only", {"x": "1"}).status_code == 404
    assert store.get_item(database, forms, "secret").value == '"forms data"'
    # same name in both projects: each token reaches its own
    api.set("patients", {"k": '"clinic"'})
    assert store.get_item(database, store.find(database, "forms", "patients"), "k") is None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic abc", "Bearer ofr1.e30.AAAA"])
def test_missing_or_forged_tokens_are_401(api, header):
    headers = {} if header is None else {"Authorization": header}
    reply = api.http.get("/openfn/collections/patients/p-1", headers=headers)
    assert (reply.status_code, reply.json()["error"]) == (401, "unauthorized")


def test_an_expired_token_or_a_finished_run_gets_nothing(api):
    expired = Collections(api.inbox, token_for("clinic", api.dag_id, api.run_id, expires_in=-1))
    assert expired.request("GET", "patients/p-1").status_code == 401
    other = Collections(api.inbox, token_for("clinic", api.dag_id, "no-such-run"))
    assert other.request("GET", "patients/p-1").json()["message"].startswith("The token's run no-such-run of clinic.")
    end_run(api.inbox.runtime.database, api.run_id)
    api.inbox.http.app  # the checker keeps a run's state for a few seconds: a fresh token of a fresh app asks again
    from openfn.inbox.api.collection_auth import RunTokens

    tokens = RunTokens(lambda: api.inbox.runtime.database)
    with pytest.raises(Exception, match="has ended"):
        tokens.check(api.headers["Authorization"])


def test_a_run_calling_again_is_checked_without_the_database_until_its_state_is_stale(api):
    from openfn.inbox.api.collection_auth import RUN_STATE_SECONDS, RunTokens

    now = [1000.0]
    reads = []
    database = api.inbox.runtime.database
    tokens = RunTokens(lambda: reads.append(1) or database, clock=lambda: now[0])
    header = api.headers["Authorization"]
    assert tokens.check_known(header) is None  # nothing known yet: the caller takes check() on a thread
    assert tokens.check(header).run_id == api.run_id and reads == [1]
    assert tokens.check_known(header).run_id == api.run_id and reads == [1]  # no database read
    other = Collections(api.inbox, token_for("clinic", api.dag_id, "another-run"))
    assert tokens.check_known(other.headers["Authorization"]) is None  # another run's state is not known
    with pytest.raises(Exception, match="no Authorization: Bearer token"):
        tokens.check_known("Basic abc")
    now[0] += RUN_STATE_SECONDS + 0.1
    assert tokens.check_known(header) is None  # stale: read again
    end_run(database, api.run_id)
    with pytest.raises(Exception, match="has ended"):
        tokens.check(header)
    with pytest.raises(Exception, match="has ended"):  # and known as ended without another read
        tokens.check_known(header)


def test_unknown_collection_is_404_naming_it_and_the_fix(api):
    reply = api.request("GET", "nope/k")
    assert reply.status_code == 404
    assert reply.json()["message"] == ("Collection 'nope' does not exist in project 'clinic'; declare it under collections: in the project "
                                       "file, or create it on the Collections page")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"not json", 400, "invalid_request"),
        (b'{"things": []}', 400, "invalid_request"),
        (b'{"items": {"k": "v"}}', 400, "invalid_request"),
        (b'{"items": [{"key": "ok", "value": "1"}, {"key": "k", "value": {"a": 1}}]}', 422, "invalid_item"),
        (b'{"items": [{"key": "ok", "value": "1"}, {"key": "", "value": "1"}]}', 422, "invalid_key"),
        (b'{"items": [{"key": "ok", "value": "1"}, {"key": "ok", "value": "2"}]}', 422, "duplicate_key"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_nothing_is_written(api, body, status, error):
    reply = api.request("POST", "patients", content=body, headers={"content-type": "application/json"})
    assert (reply.status_code, reply.json()["error"]) == (status, error), reply.text
    assert api.request("GET", "patients/ok").status_code == 204


def test_limits_on_key_value_and_body_size(api, monkeypatch):
    import dataclasses

    import openfn.inbox.api.collections as routes
    from openfn.settings import get_collections_settings

    small = dataclasses.replace(get_collections_settings(), max_key_chars=5, max_value_chars=10, max_body_bytes=2000)
    monkeypatch.setattr(routes, "get_collections_settings", lambda: small)
    assert api.set("patients", {"abcdef": "1"}).json()["error"] == "invalid_key"
    too_long = api.set("patients", {"a": "x" * 11})
    assert (too_long.status_code, too_long.json()["error"]) == (422, "value_too_large")
    assert "more than 10" in too_long.json()["message"]
    big = api.set("patients", {f"k{i}": "1234567890" for i in range(100)})
    assert (big.status_code, big.json()["error"]) == (413, "body_too_large")
    assert api.request("GET", "patients").json()["items"] == []


@pytest.mark.parametrize(("params", "fragment"), [({"limit": "x"}, "limit='x'"), ({"limit": "0"}, "limit=0"), ({"cursor": "!!"}, "cursor='!!'"),
                                                  ({"created_after": "yesterday"}, "created_after='yesterday'"), ({"sort": "key"}, "'sort'")])  # fmt: skip
def test_bad_query_parameters_are_400(api, params, fragment):
    reply = api.request("GET", "patients", params=params)
    assert (reply.status_code, reply.json()["error"]) == (400, "invalid_request")
    assert fragment in reply.json()["message"]


def test_a_collection_declared_in_the_project_file_exists_for_its_runs(api):
    clear_collections(api.inbox.runtime.database)  # as if the file had changed since the api-server started
    assert api.request("GET", "referral-cache/k").status_code == 204  # created on first use
    assert api.set("referral-cache", {"k": "1"}).json() == {"upserted": 1, "error": None}
    clear_collections(api.inbox.runtime.database)
    api.inbox.runtime.declare_collections()  # what the api-server does when it starts
    found = store.find(api.inbox.runtime.database, "clinic", "referral-cache")
    assert (found.name, found.declared) == ("referral-cache", True)
