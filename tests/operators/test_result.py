"""The one result operator serves a workflow's openfn_result (its steps) or a v1 job's job_failed (its job)."""

from __future__ import annotations

import pytest

from openfn.operators.result import OpenFnResultOperator


@pytest.mark.parametrize("kwargs", [{}, {"steps": ("a",), "job": "a"}])
def test_it_needs_either_the_steps_or_the_job(kwargs):
    with pytest.raises(ValueError, match=r"^give either `steps` \(a workflow's step task ids\) or `job` \(a v1 job's key\), not both$"):
        OpenFnResultOperator(task_id="openfn_result", **kwargs)


def test_job_failed_always_fails_naming_the_job():
    from airflow.sdk.exceptions import AirflowFailException

    task = OpenFnResultOperator(task_id="job_failed", job="register")
    with pytest.raises(AirflowFailException, match=r"^Job 'register' failed \(see task 'run'\); its fail trigger ran, and this DAG run is marked failed because the job failed\.$"):
        task.execute({})
