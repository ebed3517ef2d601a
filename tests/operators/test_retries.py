"""JobRetryPolicy: a job's own errors use the job's `retries`, never the extra ones kept for lost workers."""

from __future__ import annotations

import datetime

import pytest
from airflow.sdk.definitions.retry_policy import RetryAction

from openfn.operators.retries import JobRetryPolicy

DELAY = datetime.timedelta(seconds=30)


@pytest.mark.parametrize(("job_retries", "try_number", "action"), [
    (0, 1, RetryAction.FAIL),   # the default: a job's own error is final at once
    (2, 1, RetryAction.RETRY),
    (2, 2, RetryAction.RETRY),
    (2, 3, RetryAction.FAIL),   # the extra retry for a lost worker is not for the job's own errors
])  # fmt: skip
def test_job_errors_are_retried_only_as_often_as_the_job_says(job_retries, try_number, action):
    decision = JobRetryPolicy(job_retries=job_retries, job_retry_delay=DELAY).evaluate(RuntimeError("500"), try_number, job_retries + 1)
    assert decision.action is action
    assert decision.retry_delay == (DELAY if action is RetryAction.RETRY else None)


def test_the_reason_names_the_retries_used_up():
    decision = JobRetryPolicy(job_retries=1, job_retry_delay=DELAY).evaluate(RuntimeError(), 2, 2)
    assert decision.reason == "the job failed; its own retries (1) are used up"


def test_policy_round_trips_through_its_serialized_form():
    policy = JobRetryPolicy.deserialize(JobRetryPolicy(job_retries=2, job_retry_delay=DELAY).serialize())
    assert (policy.job_retries, policy.job_retry_delay) == (2, DELAY)


@pytest.mark.parametrize("job_retries", [0, 2])
def test_a_run_lost_with_the_javascript_engine_is_retried_with_the_tasks_default_delay(job_retries):
    from openfn.errors import RunLost

    lost = RunLost("push", "the JavaScript engine stopped while it ran")
    decision = JobRetryPolicy(job_retries=job_retries, job_retry_delay=DELAY).evaluate(lost, job_retries + 1, job_retries + 2)
    assert decision.action is RetryAction.RETRY
    assert decision.retry_delay is None  # the task's retry_delay: [openfn] lost_run_retry_delay_seconds
    assert decision.reason.startswith("The run of job 'push' was lost: the JavaScript engine stopped while it ran. Fix: ")
