"""The one step operator's construction: what it refuses at once, and what a v1 job's task leaves at the
class defaults (each attribute an operator sets costs at every parse)."""

from __future__ import annotations

import pytest

from openfn.operators.step import OpenFnStepOperator
from openfn.runtime.runner import JobCode

JS = JobCode(project="p", key="fetch", language="javascript", adaptor="http", expression="fn(s => s)")


def test_a_language_without_a_runner_is_refused():
    with pytest.raises(ValueError, match=r"^language must be 'python' or 'javascript', got 'ruby'$"):
        OpenFnStepOperator(task_id="run", code=JobCode(project="p", key="j", language="ruby", adaptor="common"))


def test_a_python_step_needs_its_file_unless_it_cannot_run_anyway():
    python = JobCode(project="p", key="tidy", language="python", adaptor="common")
    with pytest.raises(ValueError, match=r"^the Python step 'tidy' needs expression_file$"):
        OpenFnStepOperator(task_id="run", code=python)
    assert OpenFnStepOperator(task_id="run", code=python, problem="its file is missing").problem == "its file is missing"


def test_a_v1_jobs_task_keeps_the_workflow_settings_at_their_defaults():
    task = OpenFnStepOperator(task_id="run", code=JS, carries_state=True)
    assert (task.workflow_step, task.sources, task.trigger_edges, task.carries_state, task.enabled, task.job, task.project) == (
        False, (), {}, True, True, "fetch", "p")
    assert "trigger_edges" not in vars(task) and "carries_state" in vars(task)


def test_a_workflow_step_keeps_its_edges():
    task = OpenFnStepOperator(task_id="fetch", code=JS, workflow_step=True, sources=["a"], next_edges={"b": "on_job_success"})
    assert (task.workflow_step, task.sources, task.next_edges) == (True, ("a",), {"b": "on_job_success"})
