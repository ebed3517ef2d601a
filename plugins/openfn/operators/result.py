"""``JobFailedOperator``: keeps a DAG run failed when its job failed, even after a fail trigger fired."""

from __future__ import annotations

from airflow.sdk import BaseOperator


class JobFailedOperator(BaseOperator):
    """Runs only when ``run`` failed (trigger rule ONE_FAILED) and fails, so the DAG run is failed too."""

    ui_color = "#fde8e8"

    def __init__(self, *, job: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.job = job

    def execute(self, context) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(
            f"Job {self.job!r} failed (see task 'run'); its fail trigger ran, and this DAG run is marked "
            "failed because the job failed."
        )
