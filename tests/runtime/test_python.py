"""The Python runner behind the one runner contract: run_step(code, input, edges) -> outcome, with every
edge condition evaluated as @openfn/runtime evaluates it."""

from __future__ import annotations

import pytest

from openfn.runtime.python import PythonRunner
from openfn.runtime.runner import Edges, JobCode, StepInput, run_job
from openfn.errors import JobFailed

OK = "def mark(state):\n    state['data']['seen'] = True\n    return state\n\noperations = [mark]\n"
BOOM = "def boom(state):\n    raise ValueError('no patient')\n\noperations = [boom]\n"


@pytest.fixture
def code(tmp_path):
    def make(source: str, key: str = "tidy") -> JobCode:
        file = tmp_path / f"{key}.py"
        file.write_text(source)
        return JobCode(project="p", key=key, language="python", adaptor="common", expression_file=str(file), workflow="w")

    return make


def run(code: JobCode, edges: Edges = Edges(), state: dict | None = None, **kwargs):
    return PythonRunner().run_step(code, StepInput(state=state or {"data": {}}, **kwargs), edges)


NEXT = {"on-success": "on_job_success", "on-failure": "on_job_failure", "always": True, "named-always": "always", "off": {"disabled": True}}


def test_after_a_success_the_success_always_edges_hold_and_the_failure_and_disabled_ones_do_not(code):
    outcome = run(code(OK), Edges(next=NEXT))
    assert (outcome.status, outcome.state, outcome.next) == ("success", {"data": {"seen": True}}, ("on-success", "always", "named-always"))


def test_after_a_failure_the_failure_and_always_edges_hold_with_the_error_in_state(code):
    outcome = run(code(BOOM), Edges(next=NEXT))
    assert (outcome.status, outcome.next, outcome.error_type) == ("failure", ("on-failure", "always", "named-always"), "ValueError")
    assert outcome.state == {"data": {}, "errors": {"tidy": {"type": "ValueError", "message": "Job 'tidy' failed at operation 1 (boom): ValueError: no patient"}}}
    assert outcome.reason == "Job 'tidy' failed at operation 1 (boom): ValueError: no patient"


@pytest.mark.parametrize(("condition", "runs"), [(True, True), ("always", True), ("on_job_success", True), ("on_job_failure", False), ({"disabled": True}, False)])
def test_the_trigger_edge_is_evaluated_on_the_input_before_the_step_runs(code, condition, runs):
    outcome = run(code(OK), Edges(trigger=("webhook", condition)))
    assert outcome.status == ("success" if runs else "skipped")


def test_a_javascript_condition_crashes_the_step_naming_it(code):
    outcome = run(code(OK), Edges(next={"greet": "state.data.ok"}))
    assert (outcome.status, outcome.reason) == ("crash", "the edge condition 'state.data.ok' is JavaScript, which a Python step cannot evaluate")


def test_the_removed_keys_never_leave_the_step_and_configuration_reaches_it(code):
    source = "def use(state):\n    state['response'] = state['configuration']['host']\n    state['data']['ok'] = 1\n    return state\n\noperations = [use]\n"
    outcome = run(code(source), configuration={"host": "h"}, remove=("configuration", "response"))
    assert outcome.state == {"data": {"ok": 1}}


def test_a_v1_job_run_raises_the_jobs_own_failure_with_the_state_before_it(code):
    with pytest.raises(JobFailed, match=r"^Job 'tidy' failed at operation 1 \(boom\): ValueError: no patient$") as failed:
        run_job(PythonRunner(), code(BOOM), {"data": {"n": 1}}, None)
    assert failed.value.state == {"data": {"n": 1}}
    assert run_job(PythonRunner(), code(OK), {"data": {}}, None) == {"data": {"seen": True}}


CHATTY = (
    "import logging\nfrom openfn.adaptors.common import fn, log\n\n"
    "def tell(state):\n    print('patient', state['data']['name'])\n    logging.getLogger('clinic').warning('name %s', state['data']['name'])\n    return state\n\n"
    "operations = [fn(tell), log('adaptor says hello')]\n"
)


@pytest.mark.parametrize("job_logs", [True, False])
def test_without_job_logs_the_jobs_prints_and_log_lines_are_dropped_and_the_runtimes_stay(code, caplog, capsys, job_logs):
    import dataclasses
    import logging

    caplog.set_level(logging.DEBUG)
    outcome = run(dataclasses.replace(code(CHATTY), job_logs=job_logs), state={"data": {"name": "Amina Y."}})
    assert outcome.status == "success"
    logged = "\n".join(record.getMessage() for record in caplog.records) + capsys.readouterr().out
    assert ("Amina" in logged, "adaptor says hello" in logged) == (job_logs, job_logs)
    assert "operation 2/2 log done" in logged  # the runtime's own line
    logging.getLogger("clinic").warning("after the run")
    assert "after the run" in caplog.records[-1].getMessage()  # nothing stays filtered once the job ended
