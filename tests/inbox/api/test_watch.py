"""The watch API and the watchers' store: what inbox sensors and inbox assets are handed, on SQLite and
PostgreSQL. A sensor's task instance claims one matching message for good; an asset's message stays in
flight until Airflow has recorded its event, and is handed again if it never is; filters follow ``@>``."""

from __future__ import annotations

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from openfn.inbox.store import watchers
from openfn.inbox.store.schema import watchers as watcher_table
from openfn.inbox.store.tokens import ensure_watch_token

CRITERIA = '{"form": "lab", "tags": ["urgent"]}'
EXCLUSION = '{"test": true}'


def _watch(inbox, watcher: str, *, consumer: str | None = None, criteria: str = CRITERIA, exclusion: str | None = EXCLUSION,
           project: str = "clinic", token: str | None = None, owner: str = "", since: str | None = None):  # fmt: skip
    payload = {"watcher": watcher, "project": project, "criteria": criteria, "exclusion": exclusion, "consumer": consumer,
               "owner": owner, "since": since}  # fmt: skip
    token = ensure_watch_token() if token is None else token
    return inbox.http.post("/openfn/api/watch", json={k: v for k, v in payload.items() if v is not None},
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def _message(inbox, watcher: str, **kwargs) -> dict | None:
    reply = _watch(inbox, watcher, **kwargs)
    assert reply.status_code == 200, reply.text
    return reply.json()["message"]


def _post(inbox, body) -> str:
    return inbox.post("clinic", body).json()["meta"]["message_id"]


def test_a_sensor_task_instance_claims_the_next_matching_message_once(any_inbox):
    assert _message(any_inbox, "sensor:d.wait", consumer="run-1/-1") is None  # a new watcher starts after the newest message
    _post(any_inbox, {"form": "lab", "tags": ["routine"]})  # no "urgent" in the array
    _post(any_inbox, {"form": "lab", "tags": ["urgent", "x"], "test": True})  # excluded
    first = _post(any_inbox, {"form": "lab", "tags": ["x", "urgent"], "amount": 1.50})
    second = _post(any_inbox, {"form": "lab", "tags": ["urgent"], "test": False})

    got = _message(any_inbox, "sensor:d.wait", consumer="run-1/-1")
    assert got["id"] == first and got["project"] == "clinic" and got["body"] == {"form": "lab", "tags": ["x", "urgent"], "amount": 1.50}
    assert _message(any_inbox, "sensor:d.wait", consumer="run-1/-1")["id"] == first  # asked again: the same one
    assert _message(any_inbox, "sensor:d.wait", consumer="run-2/-1")["id"] == second
    assert _message(any_inbox, "sensor:d.wait", consumer="run-3/-1") is None
    assert _message(any_inbox, "sensor:other.wait", consumer="run-1/-1") is None  # another sensor starts at the end


def test_the_body_comes_back_with_its_numbers_exactly_as_sent(inbox):
    _message(inbox, "sensor:d.exact", consumer="r/-1", criteria='{"form": "lab"}', exclusion=None)
    inbox.post("clinic", content=b'{"form": "lab", "amount": 1.500, "big": 12345678901234567890}')
    reply = _watch(inbox, "sensor:d.exact", consumer="r/-1", criteria='{"form": "lab"}', exclusion=None)
    assert '"body":{"form": "lab", "amount": 1.500, "big": 12345678901234567890}' in reply.text


def test_since_starts_a_new_watcher_at_that_time(inbox):
    before = _post(inbox, {"form": "lab", "tags": ["urgent"]})
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat()
    assert _message(inbox, "sensor:d.since", consumer="r/-1", since=since)["id"] == before
    assert _message(inbox, "sensor:d.late", consumer="r/-1") is None


def test_an_asset_message_stays_in_flight_until_airflow_records_its_event(any_inbox):
    database = any_inbox.runtime.database
    recorded: set[str] = set()
    watch = watchers.Watch(name="asset:openfn-inbox://clinic/t", project="clinic", criteria={"form": "lab"}, owner="a")
    assert watchers.next_for_asset(database, watch, lambda i, at: i in recorded) == watchers.Delivery()
    first = _post(any_inbox, {"form": "lab", "n": 1})
    second = _post(any_inbox, {"form": "lab", "n": 2})

    assert watchers.next_for_asset(database, watch, lambda i, at: i in recorded).id == first
    assert watchers.next_for_asset(database, watch, lambda i, at: i in recorded) == watchers.Delivery(wait=True)
    recorded.add(first)
    assert watchers.next_for_asset(database, watch, lambda i, at: i in recorded).id == second
    recorded.add(second)
    assert watchers.next_for_asset(database, watch, lambda i, at: i in recorded) == watchers.Delivery()


def test_an_asset_message_never_recorded_is_handed_again_to_whoever_asks(any_inbox):
    """The trigger died between handing the event to Airflow and Airflow storing it: not lost."""
    database = any_inbox.runtime.database
    watch = watchers.Watch(name="asset:openfn-inbox://clinic/r", project="clinic", criteria={"form": "lab"}, owner="first")
    watchers.next_for_asset(database, watch, lambda i, at: False)
    message = _post(any_inbox, {"form": "lab"})
    assert watchers.next_for_asset(database, watch, lambda i, at: False).id == message
    restarted = watchers.Watch(**{**watch.__dict__, "owner": "restarted"})
    assert watchers.next_for_asset(database, restarted, lambda i, at: False).wait  # maybe being stored right now
    with database.write() as connection:
        connection.execute(sa.update(watcher_table).values(inflight_at=watcher_table.c.inflight_at - watchers.REDELIVER_SECONDS))
    assert watchers.next_for_asset(database, restarted, lambda i, at: False).id == message


def test_two_triggers_asking_at_once_never_get_the_same_message(any_inbox):
    database = any_inbox.runtime.database
    name = "asset:openfn-inbox://clinic/race"
    watchers.next_for_asset(database, watchers.Watch(name=name, project="clinic", criteria={"form": "lab"}), lambda i, at: False)
    message = _post(any_inbox, {"form": "lab"})
    start = threading.Barrier(8)

    def ask(owner: int):
        start.wait()
        return watchers.next_for_asset(database, watchers.Watch(name=name, project="clinic", criteria={"form": "lab"}, owner=str(owner)),
                                       lambda i, at: False)  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    assert [a.id for a in answers if a.id] == [message]
    assert sum(a.wait for a in answers) == 7


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_the_watch_api_needs_the_watch_token(inbox, token):
    reply = _watch(inbox, "sensor:d.t", consumer="r/-1", token=token)
    assert reply.status_code == 401
    assert reply.json() == {
        "error": "unauthorized",
        "message": "The watch API needs the watch token; send 'Authorization: Bearer <the Airflow Variable openfn_watch_token>'.",
    }


def test_an_unknown_project_or_a_bad_filter_is_refused_with_the_fix(inbox):
    unknown = _watch(inbox, "sensor:d.u", consumer="r/-1", project="nowhere")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "project_not_found")
    bad = _watch(inbox, "sensor:d.b", consumer="r/-1", criteria="5")
    assert bad.status_code == 400
    assert bad.json()["message"] == "The inclusion filter must be a JSON object or array; send e.g. {\"formId\": \"intake\"}."
    mixed = _watch(inbox, "asset:openfn-inbox://clinic/x", consumer="r/-1")
    assert mixed.status_code == 400
