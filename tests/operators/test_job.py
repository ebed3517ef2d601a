"""``OpenFnJobOperator`` in a hand-written DAG: both languages through ``dag.test()``, the credential from a
Connection and never in the final state, the input state from an argument or an upstream XCom, a failing
job failing its task with the state at the failure, and arguments refused when the DAG file is parsed."""

from __future__ import annotations

import datetime
import json

import pytest

from openfn.operators.job import JobArgumentError, OpenFnJobOperator
from tests.adaptors.servers import ApiServer, Received, json_answer

SECRET = "job-op-pw-93c1e"
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def route(request: Received):
    return json_answer({"id": int(request.path.rsplit("/", 1)[1]), "name": "Ada", "auth": request.headers.get("authorization", "")})


@pytest.fixture(scope="module")
def api():
    with ApiServer(route) as server:
        yield server


@pytest.fixture(scope="module")
def dags(sync_dags, api, tmp_path_factory):
    from airflow.sdk import DAG, task

    folder = tmp_path_factory.mktemp("job-operator")
    (folder / "tidy.py").write_text(
        "from openfn.adaptors.common import fn\n\n"
        "def tidy(state):\n    state['data'] = {'name': state['data']['name'].upper(), 'user': state['configuration']['username']}\n    return state\n\n"
        "operations = [fn(tidy)]\n"
    )
    (folder / "boom.py").write_text(
        "from openfn.adaptors.common import fn\n\ndef boom(state):\n    raise ValueError('no such patient')\n\noperations = [fn(boom)]\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_JOB_OP_API", json.dumps({"conn_type": "http", "host": api.url, "login": "svc", "password": SECRET}))
        with DAG("job_operator_js", schedule=None, start_date=START) as js:
            OpenFnJobOperator(task_id="fetch", expression="get('/patients/7');\nfn(state => ({ ...state, data: { name: state.data.name, x: state.x } }));",
                              adaptor="@openfn/language-http@7.2.10", conn_id="job_op_api", state={"x": 42, "data": {}})  # fmt: skip
        with DAG("job_operator_py", schedule=None, start_date=START) as py:
            @task(task_id="produce")
            def produce():
                return {"data": {"name": "grace"}, "references": [], "configuration": {"password": "not handed on"}}

            produce() >> OpenFnJobOperator(task_id="tidy", expression_file=str(folder / "tidy.py"), adaptor="http",
                                           conn_id="job_op_api", input_task_id="produce")  # fmt: skip
        with DAG("job_operator_fails", schedule=None, start_date=START) as fails:
            OpenFnJobOperator(task_id="boom", expression_file=str(folder / "boom.py"), state={"data": {"n": 1}})
        with DAG("job_operator_js_fails", schedule=None, start_date=START) as js_fails:
            OpenFnJobOperator(task_id="throw", expression="fn(() => { throw new Error('upstream said no') });",
                              adaptor="@openfn/language-common@3.3.4")  # fmt: skip
        yield sync_dags([js, py, fails, js_fails])


@pytest.mark.slow
def test_a_javascript_job_runs_with_its_connection_and_its_final_state_is_the_xcom(dags, api, db):
    run = dags["job_operator_js"].test()
    assert run.state == "success"
    final = db.xcom("job_operator_js", run.run_id, "fetch")
    assert final["data"] == {"name": "Ada", "x": 42}
    assert "configuration" not in final and SECRET not in json.dumps(final)
    assert api.received[-1].path == "/patients/7" and api.received[-1].headers["authorization"].startswith("Basic ")


@pytest.mark.slow
def test_a_python_job_takes_its_state_from_the_upstream_xcom_without_its_configuration(dags, db):
    run = dags["job_operator_py"].test()
    assert run.state == "success"
    final = db.xcom("job_operator_py", run.run_id, "tidy")
    assert final == {"data": {"name": "GRACE", "user": "svc"}, "references": []}


@pytest.mark.slow
def test_a_failing_python_job_fails_its_task_and_pushes_the_state_at_the_failure(dags, db):
    run = dags["job_operator_fails"].test()
    assert run.state == "failed"
    failed = db.xcom("job_operator_fails", run.run_id, "boom", key="failed_state")
    assert failed["data"] == {"n": 1}
    assert failed["errors"]["boom"]["message"] == "Job 'boom' failed at operation 1 (fn(boom)): ValueError: no such patient"


@pytest.mark.slow
def test_a_failing_javascript_job_fails_its_task_with_the_error(dags, db):
    run = dags["job_operator_js_fails"].test()
    assert run.state == "failed"
    failed = db.xcom("job_operator_js_fails", run.run_id, "throw", key="failed_state")
    assert "upstream said no" in failed["errors"]["throw"]["message"]


def test_an_adaptor_version_that_is_not_installed_is_refused_at_parse_time():
    with pytest.raises(JobArgumentError, match=r"^OpenFnJobOperator 'push': @openfn/language-http@1\.0\.0 is not installed \(installed: .*\)\. "
                                               r"Fix: add it with `make adaptor ADD=@openfn/language-http@1\.0\.0`"):  # fmt: skip
        OpenFnJobOperator(task_id="push", expression="post('/patients', $.data)", adaptor="@openfn/language-http@1.0.0")


def test_a_job_needs_exactly_one_of_expression_and_expression_file(tmp_path):
    with pytest.raises(JobArgumentError, match=r"^OpenFnJobOperator 'j': give either expression \(a JavaScript job\) or expression_file \(a Python job\), not neither\."):
        OpenFnJobOperator(task_id="j")
    with pytest.raises(JobArgumentError, match=r"not both\."):
        OpenFnJobOperator(task_id="j", expression="fn(s => s)", expression_file=str(tmp_path / "x.py"))


def test_a_missing_python_job_file_or_a_bad_adaptor_name_is_refused(tmp_path):
    with pytest.raises(JobArgumentError, match=rf"^OpenFnJobOperator 'j': the Python job '{tmp_path}/nope\.py' does not exist\."):
        OpenFnJobOperator(task_id="j", expression_file=str(tmp_path / "nope.py"))
    with pytest.raises(JobArgumentError, match=r"^OpenFnJobOperator 'j': adaptor 'Not An Adaptor!' is not an adaptor name\."):
        OpenFnJobOperator(task_id="j", expression="fn(s => s)", adaptor="Not An Adaptor!")


def test_the_task_timeout_leaves_the_runtime_time_to_stop_a_javascript_job_first():
    operator = OpenFnJobOperator(task_id="j", expression="fn(s => s)", adaptor="common", timeout=30)
    assert operator.code.timeout == 30 and operator.execution_timeout == datetime.timedelta(seconds=90)
    assert operator.code.adaptor_package == "@openfn/language-common"
