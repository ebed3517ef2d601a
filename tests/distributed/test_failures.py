"""Failures during a stream of messages: kill -9 of an api-server, of a worker mid-run, and a crash of
PostgreSQL. No acknowledged message is lost, no run is duplicated, every planned run becomes exactly one
DAG run, and a run whose worker died is retried (never lost silently)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from tests.distributed.helpers import api, pause, rows, runs_by_worker, token

pytestmark = [pytest.mark.distributed, pytest.mark.e2e]


class Stream:
    """Senders posting messages until stopped; a sender retries a message until it is acknowledged, as a
    webhook sender does (with the same Idempotency-Key)."""

    def __init__(self, urls: list[str], body) -> None:
        self.urls, self.body = urls, body
        self.prefix = uuid.uuid4().hex  # Idempotency-Keys are kept: each stream has its own
        self.acknowledged: dict[str, list[dict]] = {}
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, args=(i,)) for i in range(len(urls))]

    def _send(self, i: int) -> None:
        with httpx.Client(timeout=10) as client:
            n = 0
            while not self._stop.is_set():
                n += 1
                key = f"{self.prefix}-{i}-{n}"
                while not self._stop.is_set():
                    try:
                        reply = client.post(self.urls[i], json=self.body(i, n), headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        time.sleep(0.1)
                        continue
                    with self._lock:
                        self.statuses.append(reply.status_code)
                    if reply.status_code == 202:
                        with self._lock:
                            self.acknowledged[reply.json()["meta"]["message_id"]] = reply.json()["data"]
                        break
                    time.sleep(0.1)
                time.sleep(0.05)

    def __enter__(self) -> Stream:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def wait_for(self, cluster, count: int) -> None:
        cluster.wait_for(lambda: len(self.acknowledged) >= count, f"{count} acknowledged messages", timeout=180, interval=0.1)


def _dag_runs_of(cluster, acknowledged: dict[str, list[dict]]) -> tuple[set, list]:
    """The runs the acknowledged messages planned, and the DAG runs that exist for those messages."""
    planned = {(run["dag_id"], run["run_id"]) for runs in acknowledged.values() for run in runs}
    created = rows(cluster, "SELECT dag_id, run_id FROM dag_run WHERE run_id LIKE 'message\\_\\_%%' "
                            "AND split_part(run_id, '__', 2) = ANY(%s)", (list(acknowledged),))  # fmt: skip
    return planned, created


def _one_message_per_request(cluster, stream) -> None:
    """A sender's retries (same Idempotency-Key) never stored a second message."""
    keys = rows(cluster, "SELECT idempotency_key, count(*) FROM openfn_message WHERE idempotency_key LIKE %s "
                         "GROUP BY idempotency_key", (f"{stream.prefix}-%",))  # fmt: skip
    assert keys and {count for _, count in keys} == {1}


def _all_dispatched(cluster, acknowledged) -> None:
    def done():
        planned, created = _dag_runs_of(cluster, acknowledged)
        return planned <= set(created)

    cluster.wait_for(done, "every acknowledged message's runs to be created", timeout=300)


def _stored(cluster, acknowledged) -> set[str]:
    return {row[0] for row in rows(cluster, "SELECT id FROM openfn_message WHERE id = ANY(%s)", (list(acknowledged),))}


def _post_runs(cluster, count: int, seconds: float) -> dict[str, str]:
    """message id -> run id of ``count`` slow.wait runs that take ``seconds`` each."""
    inbox = token(cluster, "slow")
    started = {}
    for n in range(count):
        reply = httpx.post(f"{cluster.url}/openfn/inbox/{inbox}", json={"kind": "wait", "seconds": seconds, "n": n}, timeout=30)
        assert reply.status_code == 202, reply.text
        (run,) = reply.json()["data"]
        started[reply.json()["meta"]["message_id"]] = run["run_id"]
    return started


def _finished(cluster, run_ids) -> dict[str, str] | None:
    states = dict(rows(cluster, "SELECT run_id, state FROM dag_run WHERE dag_id = 'slow.wait' AND run_id = ANY(%s)", (list(run_ids),)))
    return states if len(states) == len(run_ids) and set(states.values()) <= {"success", "failed"} else None


def _running(cluster, run_ids) -> int:
    return rows(cluster, "SELECT count(*) FROM task_instance WHERE dag_id = 'slow.wait' AND task_id = 'run' "
                         "AND state = 'running' AND run_id = ANY(%s)", (list(run_ids),))[0][0]  # fmt: skip


def test_kill_9_of_an_api_server_loses_and_duplicates_nothing_and_running_tasks_finish(cluster):
    # tasks that are running while api-server-1 dies: they talk to the execution API through the balancer
    running = _post_runs(cluster, 6, 10)
    cluster.wait_for(lambda: _running(cluster, running.values()) >= 2, "tasks to run", timeout=120, interval=0.5)
    pause(cluster, "burst.intake", "burst.alert")
    inbox = token(cluster, "burst")
    # one sender through the balancer, one straight at the server that is killed
    urls = [f"{cluster.url}/openfn/inbox/{inbox}", f"{cluster.api_servers[0]}/openfn/inbox/{inbox}"]
    with Stream(urls, lambda i, n: {"form": "visit", "urgent": n % 3 == 0, "sender": f"api-{i}", "n": n}) as stream:
        stream.wait_for(cluster, 20)
        cluster.kill_component("api-server-1")  # SIGKILL, mid-stream
        killed_at = len(stream.acknowledged)
        time.sleep(3)  # the balancer notices (it checks every second) and sends everything to api-server-2
        stream.wait_for(cluster, killed_at + 10)
        cluster.start_component("api-server-1")
        cluster.wait_healthy(url=cluster.api_servers[0], path="/openfn/ready")
        # ready means ready: the restarted server takes a message at once
        reply = httpx.post(urls[1], json={"form": "visit", "sender": "first"}, timeout=10)
        assert reply.status_code == 202, reply.text
        with stream._lock:
            stream.acknowledged[reply.json()["meta"]["message_id"]] = reply.json()["data"]
        stream.wait_for(cluster, len(stream.acknowledged) + 20)
    assert 500 not in stream.statuses
    assert _stored(cluster, stream.acknowledged) == set(stream.acknowledged)  # nothing acknowledged is lost
    _one_message_per_request(cluster, stream)
    _all_dispatched(cluster, stream.acknowledged)
    planned, created = _dag_runs_of(cluster, stream.acknowledged)
    assert len(created) == len(set(created)) == len(planned)  # none missing, none twice
    states = cluster.wait_for(lambda: _finished(cluster, running.values()), "the running tasks to finish", timeout=300, interval=1)
    assert set(states.values()) == {"success"}  # none failed while api-server-1 was away


def test_kill_9_of_a_worker_mid_run_retries_its_runs_on_the_other(cluster):
    started = _post_runs(cluster, 6, 15)

    def victim():
        ran = runs_by_worker(cluster)
        return next((w for w in cluster.workers if ran[w] & set(started.values())), None)

    worker = cluster.wait_for(victim, "a worker to start one of the runs", timeout=120, interval=0.5)
    time.sleep(2)
    on_victim = runs_by_worker(cluster)[worker] & set(started.values())
    cluster.kill_component(worker)  # SIGKILL of the worker and its task processes: the machine is gone
    cluster.start_component(worker)  # and it comes back, as a restarted container would

    states = cluster.wait_for(lambda: _finished(cluster, started.values()), "every run to finish after the worker died", timeout=400, interval=2)
    assert set(states.values()) == {"success"}  # the lost tries were retried ([openfn] lost_run_retries)
    tries = dict(rows(cluster, "SELECT run_id, try_number FROM task_instance WHERE dag_id = 'slow.wait' AND task_id = 'run' "
                               "AND run_id = ANY(%s)", (list(on_victim),)))  # fmt: skip
    assert tries and set(tries.values()) == {2}, tries
    for message_id, run_id in started.items():
        found = api(cluster, cluster.url, "GET", f"/openfn/api/messages/{message_id}").json()
        assert found["job_states"] == [{"job": "wait", "state": "success", "run_id": run_id}]


def test_postgresql_crash_during_a_stream_loses_and_duplicates_nothing(cluster):
    pause(cluster, "burst.intake", "burst.alert")
    inbox = token(cluster, "burst")
    urls = [f"{server}/openfn/inbox/{inbox}" for server in cluster.api_servers]
    with Stream(urls, lambda i, n: {"form": "visit", "urgent": n % 2 == 0, "sender": f"pg-{i}", "n": n}) as stream:
        stream.wait_for(cluster, 30)
        cluster.restart_postgres()  # immediate stop (a crash), then recovery from the WAL
        restarted_at = len(stream.acknowledged)
        stream.wait_for(cluster, restarted_at + 30)
    assert 500 not in stream.statuses
    assert set(stream.statuses) <= {202, 503}  # 503 unavailable (Retry-After) while the database was away
    assert _stored(cluster, stream.acknowledged) == set(stream.acknowledged)
    _one_message_per_request(cluster, stream)
    _all_dispatched(cluster, stream.acknowledged)
    planned, created = _dag_runs_of(cluster, stream.acknowledged)
    assert len(created) == len(set(created)) == len(planned) and set(created) == planned
    # The inbox rides the crash out; an Airflow component that exited is started again (restart: always)
    assert not {"api-server-1", "api-server-2"} & set(cluster.restart_exited())
    # and the whole deployment works again: a message runs end to end
    reply = httpx.post(f"{cluster.url}/openfn/inbox/{token(cluster, 'slow')}", json={"kind": "wait", "seconds": 0}, timeout=30)
    assert reply.status_code == 202, reply.text
    (run,) = reply.json()["data"]
    assert cluster.wait_for_run_state("slow.wait", run["run_id"], timeout=300)["state"] == "success"
