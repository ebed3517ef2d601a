"""What one sender may cost: failed credential attempts are limited per client (valid senders go on), a
body must arrive in time, large bodies hold one of a few slots until stored, gzip is inflated off the
event loop."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading

import pytest

from openfn.errors import BodyTimeout, InboxBusy
from openfn.inbox.intake import receive as intake
from openfn.inbox.intake.guard import FailureLimiter
from tests.inbox.conftest import build_client, clear_inbox

FORM = {"formID": "f-1"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_of_failures_is_spent_and_regained():
    clock = Clock()
    limiter = FailureLimiter(3, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("1.2.3.4") == 0.0
        limiter.failed("1.2.3.4")
    assert (limiter.retry_after("1.2.3.4"), limiter.retry_after("5.6.7.8")) == (20.0, 0.0)
    clock.now += 20
    assert limiter.retry_after("1.2.3.4") == 0.0


@pytest.fixture
def limited(sqlite_database, inbox_dags):
    clear_inbox(sqlite_database)
    client = build_client(sqlite_database, protection={"auth_failures_per_minute": 3})
    yield client
    client.runtime.stop()


def test_wrong_tokens_are_limited_per_client_and_known_senders_go_on(limited):
    good = limited.post("forms", FORM)  # this client succeeded with this token before
    assert good.status_code == 202
    wrong = [limited.http.post(f"/openfn/inbox/guess-{n}", json=FORM).status_code for n in range(3)]
    refused = limited.http.post("/openfn/inbox/guess-4", json=FORM)
    assert (wrong, refused.status_code, refused.json()["error"], refused.headers["Retry-After"]) == ([404] * 3, 429, "too_many_attempts", "20")
    assert limited.post("forms", FORM).status_code == 202  # the known sender is not slowed
    other = limited.http.post(f"/openfn/inbox/{limited.token('clinic')}", json={"form": "case_referral"})
    assert other.status_code == 429  # a token never seen from this client is not even checked
    assert limited.http.get("/openfn/inbox/guess-5").status_code == 429


def _runtime(client):
    return client.runtime


async def _chunks(parts, pause: float = 0.0, gate: threading.Event | None = None):
    for index, part in enumerate(parts):
        if gate is not None and index:  # the rest of the body waits for the gate
            await asyncio.to_thread(gate.wait, 10)
        if pause:
            await asyncio.sleep(pause)
        yield part


def _headers(**extra) -> dict[str, str]:
    return {"content-type": "application/json", **extra}


def test_a_body_that_does_not_arrive_in_time_is_refused(sqlite_database, inbox_dags):
    client = build_client(sqlite_database, protection={"body_timeout_seconds": 0.3})
    runtime, token = client.runtime, client.token("forms")
    body = json.dumps(FORM).encode()
    with pytest.raises(BodyTimeout, match=r"^The request body did not arrive within 0.3 seconds; send the whole message"):
        asyncio.run(intake.receive(runtime, token, _headers(), [], _chunks([body[:3], body[3:]], pause=0.5), "c"))
    client.runtime.stop()


def test_large_bodies_beyond_the_slots_wait_and_are_refused_when_time_is_up(sqlite_database, inbox_dags):
    clear_inbox(sqlite_database)
    client = build_client(sqlite_database, protection={"max_large_bodies": 1, "body_timeout_seconds": 1.0})
    runtime, token = client.runtime, client.token("forms")
    runtime.ensure_started()  # its start writes too (tokens, declared collections): before the database is held
    large = json.dumps({**FORM, "pad": "x" * 100_000}).encode()
    holding, release = threading.Event(), threading.Event()

    def hold_the_database():  # the first message then waits for its commit, keeping its slot
        with sqlite_database.write():
            holding.set()
            release.wait(10)

    blocker = threading.Thread(target=hold_the_database)
    blocker.start()
    holding.wait(10)

    async def both():
        first = asyncio.create_task(intake.receive(runtime, token, _headers(), [], _chunks([large]), "c"))
        await asyncio.sleep(0.2)
        second = await asyncio.gather(intake.receive(runtime, token, _headers(), [], _chunks([large]), "c"), return_exceptions=True)
        release.set()
        return second[0], await first

    refused, accepted = asyncio.run(both())
    blocker.join()
    assert (type(refused), refused.status, refused.headers, accepted.status) == (InboxBusy, 503, {"Retry-After": "5"}, 202)
    client.runtime.stop()


def test_gzip_bodies_are_inflated_off_the_event_loop(inbox, monkeypatch):
    from openfn.inbox.intake import body_reader as module
    on_loop = []
    real = module.inflate

    def spy(compressed, limit):
        on_loop.append(threading.current_thread() is threading.main_thread())  # asyncio.run's loop: main thread
        return real(compressed, limit)

    monkeypatch.setattr(module, "inflate", spy)
    compressed = gzip.compress(json.dumps(FORM).encode())
    headers = _headers(**{"content-encoding": "gzip"})
    reply = asyncio.run(intake.receive(inbox.runtime, inbox.token("forms"), headers, [], _chunks([compressed]), "c"))
    assert (reply.status, on_loop) == (202, [False])
