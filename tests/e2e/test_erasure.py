"""Erasure reaches everything, in a real deployment: after a message is erased, its body is in no file
under the deployment's home (task logs included) and in no row of any table of its database; also when
the message is erased while its run is still going and then writes the body back (its XCom, its task log,
the conf of the flow run it starts)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import psycopg2
import pytest

from tests.e2e.test_replies import inbox_url

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


# What the deployment's processes print (captured here as <component>.log, in production by journald or
# docker): Airflow's LocalExecutor also prints every task log line to the scheduler's output, which no
# erasure can reach (docs/security.md says so). Every other file counts, Airflow's log folder included.
CONSOLE = {"scheduler.log"}


def files_with(home: Path, text: str) -> list[str]:
    needle = text.encode()
    found = (p for p in home.rglob("*") if p.is_file() and str(p.relative_to(home)) not in CONSOLE)
    return sorted(str(p.relative_to(home)) for p in found if needle in p.read_bytes())


def tables_with(dsn: str, text: str) -> list[str]:
    """The tables of the deployment's database with a row whose text holds ``text``."""
    found = []
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{table}" AS t WHERE t::text LIKE %s', (f"%{text}%",))
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def send(airflow, body: dict) -> str:
    reply = httpx.post(inbox_url(airflow, "privacy"), json=body, timeout=30)
    assert reply.status_code == 202, reply.text
    return reply.json()["meta"]["message_id"]


def receipt(airflow, message_id: str) -> dict:
    reply = airflow.api("GET", f"/openfn/api/messages/{message_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()


def finished(airflow, message_id: str, jobs: list[str]) -> dict:
    def check():
        found = receipt(airflow, message_id)
        done = sorted(r["job"] for r in found["runs"]) == sorted(jobs) and all(r["state"] == "success" for r in found["runs"])
        return found if done else None

    return airflow.wait_for(check, f"runs {jobs} of message {message_id}", timeout=240)


def erase(airflow, message_id: str) -> dict:
    reply = airflow.api("DELETE", f"/openfn/api/messages/{message_id}/content")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_message_whose_jobs_logged_its_body_is_found_nowhere_after_its_erasure(airflow):
    patient = f"Wanjiku-{uuid.uuid4().hex[:10]}"
    message_id = send(airflow, {"privacy": "logged", "patient": patient})
    finished(airflow, message_id, ["log-body", "after-log"])
    assert len([f for f in files_with(airflow.home, patient) if f.startswith("logs/")]) == 2  # both jobs logged it
    assert "xcom" in tables_with(airflow.dsn, patient)

    erased = erase(airflow, message_id)["erased"]
    assert erased["task_logs_cleared"] >= 2
    assert (files_with(airflow.home, patient), tables_with(airflow.dsn, patient)) == ([], [])
    # runs that ended moments ago may still get log lines: the erasure looks again a few seconds later
    shown = airflow.wait_for(lambda: (found := receipt(airflow, message_id))["erased"]["waiting_for_runs"] is False and found or None,
                             "the erasure to be complete", timeout=60)  # fmt: skip
    assert (shown["erased"]["at"], shown["erased"]["task_logs_cleared"]) == (erased["at"], erased["task_logs_cleared"])
    log = next(r for r in shown["runs"] if r["job"] == "log-body")["result"]["log"]["lines"]
    assert len(log) == 1 and "erased by admin" in log[0] and message_id in log[0]


def test_a_message_erased_while_its_run_goes_on_is_cleared_of_what_the_run_writes_later(airflow):
    patient = f"Achieng-{uuid.uuid4().hex[:10]}"
    message_id = send(airflow, {"privacy": "slow", "patient": patient})
    airflow.wait_for(lambda: any(r["state"] == "running" for r in receipt(airflow, message_id)["runs"]) or None,
                     f"the slow run of message {message_id} to start", timeout=120)  # fmt: skip
    erased = erase(airflow, message_id)["erased"]
    assert erased["waiting_for_runs"] is True

    finished(airflow, message_id, ["slow", "after-slow"])  # the slow job returned the body; its flow job got it
    airflow.wait_for(lambda: receipt(airflow, message_id)["erased"]["waiting_for_runs"] is False or None,
                     "the erasure to have followed the runs to their end", timeout=120)  # fmt: skip
    assert (files_with(airflow.home, patient), tables_with(airflow.dsn, patient)) == ([], [])
    assert receipt(airflow, message_id)["erased"]["task_logs_cleared"] >= 2
