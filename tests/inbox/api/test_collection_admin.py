"""Collections in the management API (what the Collections page shows): listing with counts and sizes,
browsing and searching keys page by page, one whole value, deleting items, patterns and whole collections.
Per-project permissions are tested with a real FAB auth manager in test_permissions.py."""

from __future__ import annotations

import pytest

from openfn.inbox.store import collections as store
from tests.inbox.api.collections_support import clear_collections


@pytest.fixture
def admin(any_inbox):
    database = any_inbox.runtime.database
    clear_collections(database)
    patients = store.ensure(database, "clinic", ["patients"])[0]
    store.put_items(database, patients, [(f"p-{i}", '{"n":' + str(i) + "}") for i in range(5)] + [("big", '"' + "x" * 500 + '"')])
    return any_inbox


def test_listing_has_item_counts_sizes_and_declared_collections(admin):
    reply = admin.api("GET", "/collections")
    assert reply.status_code == 200, reply.text
    rows = {(c["project"], c["name"]): c for c in reply.json()["collections"]}
    patients = rows[("clinic", "patients")]
    size = sum(len(f"p-{i}") + len('{"n":' + str(i) + "}") for i in range(5)) + len("big") + 502
    assert (patients["items"], patients["bytes"], patients["declared"], patients["may_delete"]) == (6, size, False, True)
    assert (rows[("clinic", "referral-cache")]["items"], rows[("clinic", "referral-cache")]["declared"]) == (0, True)
    assert [c["name"] for c in admin.api("GET", "/collections", params={"project": "forms"}).json()["collections"]] == []


def test_browse_keys_by_pattern_page_by_page_with_previews(admin):
    first = admin.api("GET", "/collections/clinic/patients/items", params={"key": "p-*", "limit": 3}).json()
    assert [i["key"] for i in first["items"]] == ["p-0", "p-1", "p-2"] and first["cursor"]
    rest = admin.api("GET", "/collections/clinic/patients/items", params={"key": "p-*", "limit": 3, "cursor": first["cursor"]}).json()
    assert ([i["key"] for i in rest["items"]], rest["cursor"]) == (["p-3", "p-4"], None)
    big = admin.api("GET", "/collections/clinic/patients/items", params={"key": "big"}).json()["items"][0]
    assert (len(big["preview"]), big["chars"]) == (200, 502)
    whole = admin.api("GET", "/collections/clinic/patients/items/big").json()
    assert whole["value"] == '"' + "x" * 500 + '"'


def test_delete_an_item_a_pattern_and_the_collection(admin):
    assert admin.api("DELETE", "/collections/clinic/patients/items/big").json() == {"deleted": 1}
    assert admin.api("DELETE", "/collections/clinic/patients/items", params={"key": "p-1*"}).json() == {"deleted": 1}
    assert admin.api("DELETE", "/collections/clinic/patients").json() == {"deleted_items": 4}
    gone = admin.api("GET", "/collections/clinic/patients/items")
    assert (gone.status_code, gone.json()["error"]) == (404, "collection_not_found")


def test_create_a_collection_and_refuse_a_bad_name(admin):
    made = admin.api("POST", "/collections", json={"project": "clinic", "name": "lookups"})
    assert (made.status_code, made.json()["name"]) == (201, "lookups")
    bad = admin.api("POST", "/collections", json={"project": "clinic", "name": "Bad Name"})
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_request")


def test_an_unknown_key_or_collection_is_404(admin):
    assert admin.api("GET", "/collections/clinic/patients/items/nobody").json()["error"] == "key_not_found"
    assert admin.api("GET", "/collections/clinic/nope/items").json()["error"] == "collection_not_found"
