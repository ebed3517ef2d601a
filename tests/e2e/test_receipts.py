"""The receipt shows what each run produced, in a real deployment: a failed JavaScript job's error first,
its state at failure and the end of its task log (a workflow run's outcome and each step's own result:
tests/e2e/test_replies.py, on the run it already makes)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.test_replies import inbox_url

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def settled(airflow, message_id: str, runs: int) -> dict:
    """The receipt once ``runs`` runs of the message exist and all have finished."""

    def check():
        receipt = airflow.api("GET", f"/openfn/api/messages/{message_id}").json()
        done = len(receipt["runs"]) == runs and all(r["state"] in ("success", "failed") for r in receipt["runs"])
        return receipt if done else None

    return airflow.wait_for(check, f"{runs} finished runs of message {message_id}", timeout=240)


def test_a_failed_job_shows_its_error_its_state_at_failure_and_its_log(airflow):
    reply = httpx.post(inbox_url(airflow, "js"), json={"form": "boom", "id": 41}, timeout=30)
    assert reply.status_code == 202, reply.text
    message_id = reply.json()["meta"]["message_id"]
    runs = {run["job"]: run for run in settled(airflow, message_id, 2)["runs"]}  # boom, and its fail job
    boom = runs["boom"]["result"]
    assert boom["error"] == {"type": "JobError", "message": "Job 'boom' failed: JobError: no patient 41"}
    assert json.loads(boom["output"]["text"])["data"] == {"form": "boom", "id": 41, "step": 1}
    assert (boom["log"]["task_id"], boom["log"]["try_number"]) == ("run", 1)
    assert any("no patient 41" in line for line in boom["log"]["lines"])
    caught = runs["catch-boom"]["result"]
    assert (caught["error"], json.loads(caught["output"]["text"])["handled"]) == (None, ["boom"])
    whole = airflow.api("GET", boom["full"]).json()
    assert (whole["error"], len(whole["log"]["lines"]) >= len(boom["log"]["lines"])) == (boom["error"], True)
