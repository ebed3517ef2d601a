"""The scaled-out deployment as users see it: messages to either api-server run on both Celery workers,
chain, and give the same job-states and receipts whichever api-server answers; inbox URLs are the
balancer's; workers run without any metadata-database setting."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from openfn.operators.chain import downstream_run_id
from tests.distributed.helpers import api, dumps, environ, receipt, rows, runs_by_worker, token
from tests.support.distributed import SERVER_ONLY

pytestmark = [pytest.mark.distributed, pytest.mark.e2e]


def test_workers_hold_no_metadata_database_setting_and_never_open_one(cluster):
    for name in cluster.workers:
        env = environ(cluster.processes[name].pid)
        assert [key for key in env if key.startswith(SERVER_ONLY)] == []  # no database, no server secret
        assert [key for key, value in env.items() if f":{cluster.postgres.port}/" in value] == []
        # Airflow creates its default SQLite file at start-up; nothing is ever stored in it.
        default_db = cluster.root / name / "airflow.db"
        if default_db.exists():
            assert sqlite3.connect(default_db).execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_each_api_server_and_the_balancer_is_ready(cluster):
    for server in [*cluster.api_servers, cluster.url]:
        reply = httpx.get(f"{server}/openfn/ready", timeout=10)
        assert (reply.status_code, reply.json()) == (200, {"status": "ready", "projects": 4, "waiting_replies": 0})


def test_every_api_server_hands_out_the_balancers_inbox_url(cluster):
    urls = set()
    for server in [*cluster.api_servers, cluster.url]:
        reply = api(cluster, server, "GET", "/openfn/api/projects")
        urls |= {p["inbox_url"] for p in reply.json()["projects"] if p["name"] == "demo"}
    assert urls == {f"{cluster.url}/openfn/inbox/{token(cluster, 'demo')}"}


def _settled(cluster, message_id: str) -> dict | None:
    found = receipt(cluster, cluster.api_servers[0], message_id)
    states = {s["job"]: s["state"] for s in found["job_states"]}
    done = len(states) == 2 and "in progress" not in states.values()
    return found if done and all(r["state"] in ("success", "failed") for r in found["runs"]) else None


def test_demo_messages_to_both_api_servers_run_on_both_workers_and_chain(cluster):
    inbox = token(cluster, "demo")
    sent = {}
    for n in range(8):
        server = cluster.api_servers[n % 2]
        form = {"formID": "patient_registration_v7", "name": f"patient {n}"}
        if n % 4 != 3:
            form["dob"] = "1990-01-01"  # every fourth form has no date of birth: the fail job runs
        reply = httpx.post(f"{server}/openfn/inbox/{inbox}", json=form, timeout=30)
        assert reply.status_code == 202, reply.text
        (run,) = reply.json()["data"]
        sent[reply.json()["meta"]["message_id"]] = (n, run["run_id"])

    for message_id, (n, run_id) in sent.items():
        found = cluster.wait_for(lambda: _settled(cluster, message_id), f"message {n} to settle", timeout=300)
        ok = n % 4 != 3
        downstream = "confirm-registration" if ok else "registration-failed"
        assert {s["job"]: s["state"] for s in found["job_states"]} == {
            "register-patient": "success" if ok else "failure", downstream: "success"}
        chained = downstream_run_id("flow" if ok else "fail", message_id, "demo.register-patient", run_id, f"demo.{downstream}", 1)
        assert [(r["job"], r["run_id"]) for r in found["runs"]] == [("register-patient", run_id), (downstream, chained)]
        # whichever api-server (or the balancer) answers, the receipt is the same
        assert dumps(receipt(cluster, cluster.api_servers[1], message_id)) == dumps(found)
        assert dumps(receipt(cluster, cluster.url, message_id)) == dumps(found)

    ran = runs_by_worker(cluster)
    mine = {run_id for _, run_id in sent.values()}
    assert all(ran[worker] & mine for worker in cluster.workers), ran  # both workers took runs


def test_javascript_jobs_run_on_the_workers_and_their_own_errors_are_not_retried(cluster):
    reply = httpx.post(f"{cluster.api_servers[1]}/openfn/inbox/{token(cluster, 'js')}", json={"form": "boom", "id": 9}, timeout=30)
    assert reply.status_code == 202, reply.text
    message_id = reply.json()["meta"]["message_id"]
    (run,) = reply.json()["data"]

    def settled():
        found = receipt(cluster, cluster.api_servers[0], message_id)
        states = {s["job"]: s["state"] for s in found["job_states"]}
        return found if states == {"boom": "failure", "catch-boom": "success"} else None

    found = cluster.wait_for(settled, "the JavaScript job and its fail job", timeout=300)
    assert [r["job"] for r in found["runs"]] == ["boom", "catch-boom"]
    (tries,) = rows(cluster, "SELECT try_number FROM task_instance WHERE dag_id = 'js.boom' AND task_id = 'run' AND run_id = %s", (run["run_id"],))
    assert tries == (1,)  # the job's own error: no retry, though a lost worker's try would get one
    assert any(run["run_id"] in runs for runs in runs_by_worker(cluster).values())  # it ran on a Celery worker


def test_a_result_is_answered_by_any_api_server_and_the_balancer(cluster):
    """A sender that gave up waiting on one api-server gets the result from the other (its retry with the same
    Idempotency-Key) and from the balancer (its result URL): one message, one run."""
    inbox = token(cluster, "demo")
    form = {"formID": "patient_id_request", "name": "ada lovelace", "dob": "1815-12-10"}
    key = {"Idempotency-Key": "distributed-reply-1"}
    first = httpx.post(f"{cluster.api_servers[0]}/openfn/inbox/{inbox}", json=form, headers={**key, "Prefer": "wait=0"}, timeout=30)
    assert first.status_code == 202, first.text
    meta = first.json()["meta"]
    assert meta["result_url"].startswith(f"{cluster.url}/openfn/inbox/")  # the balancer's address

    again = httpx.post(f"{cluster.api_servers[1]}/openfn/inbox/{inbox}", json=form, headers=key, timeout=120)
    assert again.status_code == 201, again.text
    body = again.json()
    assert body["data"]["name"] == "Ada Lovelace" and body["data"]["patient_id"].startswith("P-")
    assert body["meta"]["message_id"] == meta["message_id"] and body["meta"]["state"] == "success"
    assert again.headers["x-openfn-message-id"] == meta["message_id"]

    later = httpx.get(meta["result_url"], params={"wait": 30}, timeout=60)
    assert (later.status_code, later.json()["data"]) == (201, body["data"])
    # The same key with another enrolment, at the other api-server: refused, not answered with the first's id.
    other = httpx.post(f"{cluster.api_servers[1]}/openfn/inbox/{inbox}", json={**form, "name": "grace hopper"}, headers=key, timeout=30)
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    runs = rows(cluster, "SELECT count(*) FROM openfn_run WHERE message_id = %s", (meta["message_id"],))
    assert runs == [(1,)]
