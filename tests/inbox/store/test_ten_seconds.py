"""The 10-second rule: one message x job pair starts at most one run per 10 seconds, also when many
requests race, through one api-server or several (separate connection pools), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from openfn.errors import TooSoon
from openfn.inbox.store import reruns
from openfn.inbox.store.database import Database
from openfn.inbox.store.schema import message_jobs, runs

CASE = {"form": "case_referral", "case_id": "c-1", "amount": 3}


def _post_case(inbox) -> str:
    return inbox.post("clinic", CASE).json()["meta"]["message_id"]


def _age_last_run(database, message_id: str, seconds: float) -> None:
    """Move the pair's last start into the past, instead of sleeping."""
    with database.write() as connection:
        connection.execute(
            sa.update(message_jobs).where(message_jobs.c.message_id == message_id)
            .values(last_run_at=message_jobs.c.last_run_at - seconds)
        )  # fmt: skip


def test_a_rerun_right_after_the_message_is_429_with_retry_after(any_inbox):
    message_id = _post_case(any_inbox)
    reply = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"})
    assert reply.status_code == 429
    retry_after = int(reply.headers["retry-after"])
    assert 1 <= retry_after <= 10
    plural = "s" if retry_after != 1 else ""
    assert reply.json() == {
        "error": "too_many_runs",
        "message": f"Job 'payment' already started a run for message {message_id} in the last 10 seconds; retry after {retry_after} second{plural}.",
    }


def test_ten_seconds_later_the_pair_may_run_again_once(any_inbox):
    message_id = _post_case(any_inbox)
    _age_last_run(any_inbox.runtime.database, message_id, 10)
    first = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"})
    second = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"})
    assert (first.status_code, second.status_code) == (201, 429)
    other_job = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "manual-review"})
    assert other_job.status_code == 201  # the rule is per pair: another job of the message may run


def test_under_ten_seconds_is_still_refused_with_the_seconds_left(any_inbox):
    any_inbox.login()  # outside the timed window
    message_id = _post_case(any_inbox)
    # 8 s ago: still inside the window even if this machine takes up to 2 s to send the request.
    _age_last_run(any_inbox.runtime.database, message_id, 8)
    reply = any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"})
    assert reply.status_code == 429
    assert reply.headers["retry-after"] in ("1", "2")


def test_racing_http_requests_start_exactly_one_run(any_inbox):
    message_id = _post_case(any_inbox)
    _age_last_run(any_inbox.runtime.database, message_id, 10)
    any_inbox.login()
    start = threading.Barrier(12)

    def rerun(_):
        start.wait()
        return any_inbox.api("POST", f"/messages/{message_id}/runs", json={"job": "payment"}).status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(rerun, range(12)))
    assert statuses == [201] + [429] * 11


def test_racing_api_servers_start_exactly_one_run(any_inbox):
    """Three connection pools stand for three api-servers; 8 threads each race for the same pair."""
    message_id = _post_case(any_inbox)
    database = any_inbox.runtime.database
    _age_last_run(database, message_id, 10)
    servers = [Database(database.engine.url) for _ in range(3)]
    job = any_inbox.runtime.catalog.get("clinic").project.jobs["payment"]
    start = threading.Barrier(24)

    def rerun(index):
        server = servers[index % 3]
        start.wait()
        try:
            with server.write() as connection:
                return reruns.start_run(connection, server, message_id, "clinic", job, "rerun").run_id
        except TooSoon:
            return None

    with ThreadPoolExecutor(24) as pool:
        won = [run_id for run_id in pool.map(rerun, range(24)) if run_id]
    for server in servers:
        server.dispose()
    assert len(won) == 1
    with database.read() as connection:
        payment_runs = connection.execute(sa.select(runs.c.run_id).where(runs.c.message_id == message_id, runs.c.job == "payment")).scalars().all()
        count = connection.execute(sa.select(message_jobs.c.runs).where(message_jobs.c.message_id == message_id, message_jobs.c.job == "payment")).scalar()
    assert len(payment_runs) == 2 and won[0] in payment_runs
    assert count == 2


def test_reprocess_obeys_the_rule_too(any_inbox):
    message_id = _post_case(any_inbox)
    reply = any_inbox.api("POST", "/projects/clinic/reprocess", json={"ids": [message_id]})
    assert reply.status_code == 202
    body = reply.json()
    assert body["data"] == []
    assert [(e["message_id"], e["job"], e["error"]) for e in body["errors"]] == [
        (message_id, "referral", "too_many_runs"), (message_id, "payment", "too_many_runs")
    ]
