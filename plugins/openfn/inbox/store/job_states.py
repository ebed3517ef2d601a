"""Job-states (SPEC §7, seed "Job-states"): the result of the *last* run of a message x job pair.

"Last" is by finish time, descending, with unfinished runs first; ties by start time, then by id. A run
the dispatcher has not created yet is unfinished, not started, and newer than every DAG run.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

SUCCESS, FAILURE, IN_PROGRESS = "success", "failure", "in progress"
STATES = (SUCCESS, FAILURE, IN_PROGRESS)
_OLDEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
_NEWEST_ID = float("inf")


@dataclass(frozen=True)
class RunView:
    """One run as the receipt shows it. ``state`` is Airflow's DAG run state, or ``pending`` while the
    dispatcher has not created the DAG run yet (``failed`` with ``error`` if it could not)."""

    job: str
    dag_id: str
    run_id: str
    state: str
    queued_at: datetime.datetime | None = None
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    dag_run_pk: int | None = None  # dag_run.id; None until the DAG run exists
    source: str = "message"  # message | rerun | reprocess | flow | fail
    error: str | None = None
    requested_by: str | None = None  # the Airflow user of a re-run or reprocessing

    @property
    def job_state(self) -> str:
        if self.state == "success":
            return SUCCESS
        if self.state == "failed":
            return FAILURE
        return IN_PROGRESS

    def order_key(self) -> tuple:
        """Greater = later in the seed's ordering."""
        unfinished = self.end_date is None and self.state not in ("success", "failed")
        return (
            unfinished,
            self.end_date or _OLDEST,
            self.start_date is None,
            self.start_date or _OLDEST,
            _NEWEST_ID if self.dag_run_pk is None else self.dag_run_pk,
        )

    def as_dict(self) -> dict:
        def iso(value):
            return value.isoformat() if value is not None else None

        shown = {
            "job": self.job, "dag_id": self.dag_id, "run_id": self.run_id, "state": self.state,
            "queued_at": iso(self.queued_at), "start_date": iso(self.start_date), "end_date": iso(self.end_date),
        }  # fmt: skip
        if self.requested_by is not None:  # runs a user asked for (re-run, reprocess) name them
            shown["requested_by"] = self.requested_by
        return shown


def last_runs(views: Iterable[RunView]) -> dict[str, RunView]:
    """job -> its last run."""
    last: dict[str, RunView] = {}
    for view in views:
        current = last.get(view.job)
        if current is None or view.order_key() > current.order_key():
            last[view.job] = view
    return last


def job_states(views: Iterable[RunView], job_order: list[str] | None = None) -> list[dict]:
    """``[{"job", "state", "run_id"}]``, in project-file order (then by job key for jobs no longer there)."""
    last = last_runs(views)
    position = {job: index for index, job in enumerate(job_order or [])}
    jobs = sorted(last, key=lambda job: (position.get(job, len(position)), job))
    return [{"job": job, "state": last[job].job_state, "run_id": last[job].run_id} for job in jobs]
