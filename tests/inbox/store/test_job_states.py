"""Job-state = the result of the last run of a message x job pair, "last" as the seed orders runs:
finish time descending with unfinished runs first, then start time, then id."""

from __future__ import annotations

import datetime

from openfn.inbox.store.job_states import RunView, job_states, last_runs

T0 = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def run(job: str, pk: int | None, state: str, start: float | None = None, end: float | None = None) -> RunView:
    return RunView(job=job, dag_id=f"p.{job}", run_id=f"r{pk}", state=state, start_date=None if start is None else at(start),
                   end_date=None if end is None else at(end), dag_run_pk=pk)  # fmt: skip


def test_seed_example_referral_success_payment_failure_then_rerun_success():
    runs = [run("referral", 1, "success", 0, 5), run("payment", 2, "failed", 0, 6)]
    assert job_states(runs, ["referral", "payment"]) == [
        {"job": "referral", "state": "success", "run_id": "r1"},
        {"job": "payment", "state": "failure", "run_id": "r2"},
    ]
    runs.append(run("payment", 3, "success", 60, 65))
    assert job_states(runs, ["referral", "payment"]) == [
        {"job": "referral", "state": "success", "run_id": "r1"},
        {"job": "payment", "state": "success", "run_id": "r3"},
    ]


def test_last_is_by_finish_time_not_by_insertion():
    # run 2 was created later but finished earlier: run 1 is the last one
    runs = [run("j", 1, "failed", 0, 30), run("j", 2, "success", 10, 20)]
    assert last_runs(runs)["j"].run_id == "r1"


def test_unfinished_runs_come_first():
    runs = [run("j", 1, "success", 0, 100), run("j", 2, "running", 50)]
    assert job_states(runs) == [{"job": "j", "state": "in progress", "run_id": "r2"}]


def test_a_pending_run_counts_as_in_progress_and_is_the_newest():
    runs = [run("j", 1, "queued"), run("j", None, "pending")]
    assert job_states(runs) == [{"job": "j", "state": "in progress", "run_id": "rNone"}]


def test_same_finish_time_is_decided_by_start_time_then_id():
    by_start = [run("j", 2, "failed", 5, 30), run("j", 1, "success", 9, 30)]
    assert last_runs(by_start)["j"].run_id == "r1"
    by_id = [run("j", 1, "success", 5, 30), run("j", 2, "failed", 5, 30)]
    assert last_runs(by_id)["j"].run_id == "r2"


def test_unfinished_not_started_is_after_started():
    runs = [run("j", 5, "running", 10), run("j", 4, "queued")]
    assert last_runs(runs)["j"].run_id == "r4"


def test_a_run_that_could_not_be_created_is_a_failure():
    runs = [RunView(job="j", dag_id="p.j", run_id="r", state="failed", end_date=at(1), error="no DAG")]
    assert job_states(runs) == [{"job": "j", "state": "failure", "run_id": "r"}]


def test_states_follow_project_order_then_job_key():
    runs = [run("b", 1, "success", 0, 1), run("zz-gone", 2, "success", 0, 1), run("a", 3, "failed", 0, 1)]
    assert [s["job"] for s in job_states(runs, ["b", "a"])] == ["b", "a", "zz-gone"]
