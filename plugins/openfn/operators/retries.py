"""Which failures of a job's ``run`` task are retried: the job's own errors vs a lost worker.

A job's own error (its code raised, a system answered 500) is retried only as often as ``retries:`` in
project.yaml says (default 0, as in OpenFn: a retry may repeat what the job already did). A try whose
worker died never reaches this policy: Airflow's scheduler fails it after the heartbeat timeout and
retries it while the task has retries left, so the task gets ``[openfn] lost_run_retries`` more than the
job's own, and this policy stops the job's own errors from using them.
"""

from __future__ import annotations

import datetime

from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy

from openfn.errors import RunLost


class JobRetryPolicy(RetryPolicy):
    def __init__(self, *, job_retries: int, job_retry_delay: datetime.timedelta) -> None:
        self.job_retries = job_retries
        self.job_retry_delay = job_retry_delay

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        if isinstance(exception, RunLost):  # lost with the engine, as a try lost with its worker: not the job's own
            return RetryDecision.retry(reason=str(exception))
        # try_number counts tries lost with a worker too: they also use up the job's own retries.
        if try_number > self.job_retries:
            return RetryDecision.fail(reason=f"the job failed; its own retries ({self.job_retries}) are used up")
        return RetryDecision.retry(delay=self.job_retry_delay, reason=f"the job failed; retry {try_number} of {self.job_retries}")

    def serialize(self) -> dict:
        return {"job_retries": self.job_retries, "job_retry_delay": self.job_retry_delay.total_seconds()}

    @classmethod
    def deserialize(cls, data: dict) -> JobRetryPolicy:
        return cls(job_retries=data["job_retries"], job_retry_delay=datetime.timedelta(seconds=data["job_retry_delay"]))
