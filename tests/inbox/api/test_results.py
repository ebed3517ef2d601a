"""Each run's result in the receipt (api/results.py): the final state or the state at failure, indented and
cut with the address of all of it, the job's error first, the end of the task log from the local log
folder, and credentials masked as in task logs."""

from __future__ import annotations

import datetime
import json

import pytest
import sqlalchemy as sa

from openfn.inbox.api.results import LOG_LINES, PREVIEW_CHARS, Shaper

CASE = {"form": "case_referral", "case_id": "r-9", "amount": 12}


def _xcom(database, dag_id: str, run_id: str, key: str, value, task_id: str = "run") -> None:
    from airflow.models.dagrun import DagRun
    from airflow.models.xcom import XComModel

    with database.write() as connection:
        pk = connection.execute(sa.select(DagRun.__table__.c.id).where(DagRun.__table__.c.run_id == run_id)).scalar_one()
        connection.execute(sa.insert(XComModel.__table__).values(
            dag_run_id=pk, task_id=task_id, map_index=-1, key=key, dag_id=dag_id, run_id=run_id, value=value,
            timestamp=datetime.datetime.now(datetime.timezone.utc)))  # fmt: skip


def _ran(database, run_id: str, state: str) -> None:
    """The run and its task ``run`` ended in ``state`` after one try, as the scheduler records it."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance

    with database.write() as connection:
        connection.execute(sa.update(DagRun.__table__).where(DagRun.__table__.c.run_id == run_id).values(state=state))
        ti = TaskInstance.__table__
        connection.execute(sa.update(ti).where(ti.c.run_id == run_id, ti.c.task_id == "run").values(state=state, try_number=1))


def _log(folder, dag_id: str, run_id: str, records: list[dict]) -> None:
    path = folder / f"dag_id={dag_id}" / f"run_id={run_id}" / "task_id=run" / "attempt=1.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.fixture
def logs(tmp_path, monkeypatch):
    from openfn.inbox.store import task_logs

    monkeypatch.setattr(task_logs, "log_folder", lambda: tmp_path)
    return tmp_path


def test_a_failed_run_shows_its_error_first_its_state_at_failure_and_its_log_tail(inbox, logs):
    database = inbox.runtime.database
    reply = inbox.post("clinic", CASE).json()
    message_id, first = reply["meta"]["message_id"], {run["job"]: run["run_id"] for run in reply["data"]}
    inbox.dispatch()
    _xcom(database, "clinic.referral", first["referral"], "return_value", {"data": {**CASE, "referred": True}, "references": []})
    _xcom(database, "clinic.payment", first["payment"], "failed_state",
          {"data": CASE, "errors": {"payment": {"type": "RuntimeError", "message": "The payment gateway is closed."}}})
    _ran(database, first["referral"], "success")
    _ran(database, first["payment"], "failed")
    lines = [{"timestamp": f"2026-01-02T03:04:{n:02d}Z", "level": "info", "event": f"line {n}"} for n in range(30)]
    lines.append({"timestamp": "2026-01-02T03:05:00Z", "level": "error", "event": "Task failed with exception",
                  "error_detail": [{"exc_type": "JobFailed", "exc_value": "The payment gateway is closed.", "is_cause": False}]})
    _log(logs, "clinic.payment", first["payment"], lines)

    runs = {run["job"]: run for run in inbox.api("GET", f"/messages/{message_id}").json()["runs"]}
    referral, payment = runs["referral"]["result"], runs["payment"]["result"]
    assert referral["error"] is None
    assert json.loads(referral["output"]["text"]) == {"data": {**CASE, "referred": True}, "references": []}
    assert referral["output"]["text"].startswith('{\n  "data": {\n    "form": "case_referral",')
    assert (referral["output"]["truncated"], referral["log"]) == (False, None)  # no log file on this machine
    assert payment["error"] == {"type": "RuntimeError", "message": "The payment gateway is closed."}
    assert json.loads(payment["output"]["text"])["data"] == CASE
    assert (payment["log"]["task_id"], payment["log"]["try_number"], payment["log"]["truncated"]) == ("run", 1, True)
    assert len(payment["log"]["lines"]) == LOG_LINES
    assert payment["log"]["lines"][0] == "03:04:11 INFO    line 11"
    assert payment["log"]["lines"][-1] == "03:05:00 ERROR   Task failed with exception\nJobFailed: The payment gateway is closed."
    assert payment["full"] == f"/openfn/api/messages/{message_id}/runs/{first['payment']}/result"

    full = inbox.api("GET", payment["full"].removeprefix("/openfn/api")).json()
    assert (full["run_id"], full["error"], len(full["log"]["lines"]), full["log"]["truncated"]) == (first["payment"], payment["error"], 31, False)


def test_a_large_state_is_cut_in_the_receipt_and_whole_at_its_address(inbox, logs):
    database = inbox.runtime.database
    reply = inbox.post("clinic", CASE).json()
    message_id, first = reply["meta"]["message_id"], {run["job"]: run["run_id"] for run in reply["data"]}
    inbox.dispatch()
    big = {"data": {"rows": [{"n": n, "name": "x" * 40} for n in range(200)]}, "references": []}
    _xcom(database, "clinic.referral", first["referral"], "return_value", big)
    _ran(database, first["referral"], "success")
    (run,) = [r for r in inbox.api("GET", f"/messages/{message_id}").json()["runs"] if r["job"] == "referral"]
    shown = run["result"]["output"]
    whole = json.dumps(big, indent=2, ensure_ascii=False)
    assert (shown["truncated"], shown["text"], shown["bytes"]) == (True, whole[:PREVIEW_CHARS], len(whole.encode()))
    full = inbox.api("GET", run["result"]["full"].removeprefix("/openfn/api")).json()["output"]
    assert (full["truncated"], json.loads(full["text"])) == (False, big)


def test_a_run_not_created_yet_has_no_result_and_an_unknown_run_is_404(inbox):
    message_id = inbox.post("clinic", CASE).json()["meta"]["message_id"]
    runs = inbox.api("GET", f"/messages/{message_id}").json()["runs"]
    assert [(r["state"], r["result"]["output"], r["result"]["error"], r["result"]["log"]) for r in runs] == [("pending", None, None, None)] * 2
    reply = inbox.api("GET", f"/messages/{message_id}/runs/nope/result")
    assert (reply.status_code, reply.json()["error"]) == (404, "run_not_found")


def test_secrets_are_masked_under_secret_keys_and_wherever_a_credential_value_appears():
    shaper = Shaper("m", ["s3cr3t-pw", "pw"])
    state = {"data": {"note": "login with s3cr3t-pw please", "pw": "pw"}, "token": "abc", "accessToken": "", "nested": [{"apiKey": "k-1"}]}
    shown = json.loads(shaper.output(state)["text"])
    assert shown == {"data": {"note": "login with *** please", "pw": "pw"}, "token": "***", "accessToken": "", "nested": [{"apiKey": "***"}]}
    assert shaper.error("HTTPError", "401 for s3cr3t-pw") == {"type": "HTTPError", "message": "401 for ***"}
